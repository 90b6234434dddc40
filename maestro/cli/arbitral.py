"""`maestro arbitral judge|eval`: the arbitral unit outside a negotiation.

`judge MESSAGES.jsonl` reads one JSON object per line (`text`, optional `observations` and
`history`) and prints one verdict per message, in input order. The whole file is checked
before anything is judged: a missing file, an empty one, or a line that is not such an
object is one error line naming the line, exit 2. A line whose bytes are not UTF-8 is
judged anyway (undecodable bytes replaced) and flagged `text_not_utf8`. Exit 3 when the
classifier model could not be reached for some message (those verdicts are the rules',
flagged `classifier_call_failed`); the verdicts are still printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from maestro.cli.common import UserError, check_writable, console, write_json
from maestro.cli.negotiate import user_errors

arbitral_app = typer.Typer(
    help="Judge operator messages for injection, deception, threats, prying and collusion.",
    no_args_is_help=True,
)

EXIT_CLASSIFIER_FAILED = 3


def read_messages(path: str) -> list[dict[str, Any]]:
    """The file's messages, or a UserError naming the first bad line."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"messages file not found: {p}")
    if p.is_dir():
        raise UserError(f"messages file is a directory, not a file: {p}")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read messages file {p}: {exc.strerror or exc}") from exc
    messages: list[dict[str, Any]] = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
            repaired = False
        except UnicodeDecodeError:
            text, repaired = line.decode("utf-8", errors="replace"), True
        where = f"{p} line {n}"
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise UserError(f"{where}: expected an object with a string 'text' field")
        if not isinstance(row.get("observations", {}), dict | None):
            raise UserError(f"{where}: 'observations' must be an object")
        history = row.get("history", [])
        if history is not None and (
            not isinstance(history, list) or not all(isinstance(h, dict) for h in history)
        ):
            raise UserError(f"{where}: 'history' must be a list of objects")
        messages.append({**row, "_line": n, "_repaired": repaired})
    if not messages:
        raise UserError(f"no messages in {p}: expected one JSON object per line")
    return messages


def _load_model(model_id: str | None) -> Any:
    if model_id is None:
        return None
    from maestro.agents.providers import load_chat_model
    from maestro.agents.providers.registry import check_model_id

    with user_errors():
        check_model_id(model_id)
        return load_chat_model(model_id)


@arbitral_app.command("judge")
def judge_command(
    messages: str = typer.Argument(..., help="JSON lines: {text, observations?, history?}."),
    model: str | None = typer.Option(
        None, "--model", help="Model id for the LLM stage (default: rules and learned stage)."
    ),
    rules_only: bool = typer.Option(
        False, "--rules-only", help="The rules alone: no learned stage, no LLM."
    ),
    no_learned: bool = typer.Option(
        False, "--no-learned", help="Skip the learned stage: rules, then the LLM if --model."
    ),
    json_out: str | None = typer.Option(
        None, "--json", help="Write the verdicts as JSON to PATH, or '-' for stdout."
    ),
) -> None:
    """Judge each message; print malicious, category, confidence and evidence per line.

    Stages: the rules, then the learned model (numpy, trained from the shipped labelled
    messages on first use), then the LLM where both are unsure and --model is given.

    Exit codes: 0 done; 2 a bad file, line or model id;
    3 the classifier was unreachable for some message (rules' verdict only)."""
    from maestro.agents.arbitral import judge

    if json_out:
        check_writable(json_out)
    rows = read_messages(messages)
    chat = None if rules_only else _load_model(model)
    results: list[dict[str, Any]] = []
    for row in rows:
        verdict = judge(
            row["text"],
            row.get("observations"),
            row.get("history"),
            chat,
            rules_only,
            learned=not no_learned,
        )
        flags = list(verdict.flags)
        if row["_repaired"] and "text_not_utf8" not in flags:
            flags.append("text_not_utf8")
        results.append(
            {
                "line": row["_line"],
                **({"id": row["id"]} if "id" in row else {}),
                "malicious": verdict.malicious,
                "category": verdict.category,
                "confidence": verdict.confidence,
                "evidence": verdict.evidence,
                "stage": verdict.stage,
                "flags": flags,
                "spans": verdict.spans,
            }
        )
    failed = sum("classifier_call_failed" in r["flags"] for r in results)
    if json_out:
        write_json(results, json_out)
    if json_out != "-":
        for r in results:
            mark = f"[red]{r['category']}[/red]" if r["malicious"] else "ok"
            extra = f" [yellow]{', '.join(r['flags'])}[/yellow]" if r["flags"] else ""
            quote = f" «{escape(r['evidence'])}»" if r["evidence"] else ""
            console.print(
                f"line {r['line']}: {mark} {r['confidence']:.2f} ({r['stage']}){quote}{extra}",
                highlight=False,
                soft_wrap=True,
            )
    bad = sum(r["malicious"] for r in results)
    console.print(f"{len(results)} messages, {bad} judged malicious", highlight=False)
    if failed:
        console.print(
            f"[red]the classifier could not be reached for {failed} message(s)[/red]: "
            "those verdicts are the deterministic stages' alone (the rules, and the learned "
            "stage unless --no-learned)"
        )
        raise typer.Exit(EXIT_CLASSIFIER_FAILED)


@arbitral_app.command("eval")
def eval_command(
    split: str = typer.Option("holdout", "--split", help="tune or holdout."),
    model: str | None = typer.Option(None, "--model", help="Model id for llm and combined."),
    modes: str | None = typer.Option(
        None, "--modes", help="Comma list: rules,learned,llm,combined."
    ),
    cross_validate: bool = typer.Option(
        False, "--cross-validate", help="Leave-one-file-out figures of rules and learned stage."
    ),
    json_out: str | None = typer.Option(None, "--json", help="PATH or '-' for stdout."),
) -> None:
    """Precision, recall and F1 on the shipped labelled messages."""
    from maestro.evals.arbitral import (
        MODES,
        SPLITS,
        EvalDataError,
        format_cross_validation,
        format_report,
        run,
    )
    from maestro.evals.arbitral import (
        cross_validate as run_cross_validation,
    )

    if split not in SPLITS:
        raise UserError(f"unknown split '{split}' (choose from {', '.join(SPLITS)})")
    chosen = tuple(m.strip() for m in modes.split(",")) if modes else None
    if chosen and set(chosen) - set(MODES):
        raise UserError(f"unknown mode in '{modes}' (choose from {', '.join(MODES)})")
    if chosen and set(chosen) & {"llm", "combined"} and not model:
        raise UserError("the llm and combined modes need --model")
    if json_out:
        check_writable(json_out)
    if model:
        _load_model(model)  # a bad id is the user's mistake, said before any work
    if cross_validate:
        cv = run_cross_validation()
        if json_out:
            write_json(cv, json_out)
        if json_out != "-":
            console.print(escape(format_cross_validation(cv)), highlight=False, soft_wrap=True)
        return
    try:
        report = run(split, model, chosen)
    except EvalDataError as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        write_json(report, json_out)
    if json_out != "-":
        console.print(escape(format_report(report)), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(arbitral_app, name="arbitral")
