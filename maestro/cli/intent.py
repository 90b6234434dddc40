"""`maestro intent import|export|formalize`: intents in TS 28.312 and TMF921, and from text.

    maestro intent import FILE --format 28312|tmf921    # -> key:value pairs and KPI vector
    maestro intent export FILE --format 28312|tmf921    # any intent form -> the standard shape
    maestro intent formalize "TEXT" --model ID          # natural language -> formal intent

``import`` and ``export`` are deterministic (no LLM). ``formalize`` asks the model under a
JSON schema, checks every KPI against the catalogue (name, unit, range) and sends the model
back with the error, at most ``--retries`` times; exit 3 when it never gets it right.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from maestro.cli.common import UserError, check_writable, read_data_file, write_json

intent_app = typer.Typer(
    help="Intents in the standard shapes (3GPP TS 28.312, TM Forum TMF921) and from text.",
    no_args_is_help=True,
)

FORMATS = ("28312", "tmf921")
_Format = Annotated[str, typer.Option("--format", "-f", help="28312 or tmf921.")]
_Json = Annotated[str | None, typer.Option("--json", help="Write JSON here ('-' = stdout).")]


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UserError(f"--format must be 28312 or tmf921, got {fmt!r}")
    return fmt


def _summary(intent: Any) -> str:
    lines = [f"intent {intent.id} ({intent.intent_type}): {intent.name}"]
    if intent.text:
        lines.append(f"  text: {intent.text}")
    for k, v in intent.formal.items():
        lines.append(f"  {k}: {v}")
    lines.append("KPI vector:")
    lines += [f"  {k.describe()}" for k in intent.kpis] or ["  (none)"]
    return "\n".join(lines)


def _plain(intent: Any) -> dict[str, Any]:
    return {**intent.model_dump(mode="json"), "kpi_vector": intent.kpi_vector()}


@intent_app.command("import")
def import_cmd(
    path: Annotated[str, typer.Argument(help="Intent document (JSON or YAML).")],
    fmt: _Format = "28312",
    json_dest: _Json = None,
) -> None:
    """Read a TS 28.312 or TMF921 intent: its key:value pairs and target KPI vector."""
    from maestro.tools.intent import IntentError, detect_format, load_intent

    fmt = _format(fmt)
    if json_dest is not None:
        check_writable(json_dest)
    doc = read_data_file(path, "intent file")
    try:
        found = detect_format(doc)
    except IntentError as exc:
        raise UserError(f"{path}: {exc}") from None
    if found != fmt:
        names = {
            "28312": "a TS 28.312 intent",
            "tmf921": "a TMF921 intent",
            "maestro": "maestro's own intent form",
        }
        hint = f" (use --format {found})" if found in FORMATS else " (use 'intent export')"
        raise UserError(f"{path}: this is {names[found]}, not --format {fmt}{hint}")
    try:
        intent = load_intent(doc, fmt)
    except IntentError as exc:
        raise UserError(f"{path}: {exc}") from None
    if json_dest is not None:
        write_json(_plain(intent), json_dest)
    else:
        typer.echo(_summary(intent))


@intent_app.command("export")
def export_cmd(
    path: Annotated[str, typer.Argument(help="Intent in any form: maestro's, 28312, tmf921.")],
    fmt: _Format = "28312",
    out: Annotated[str, typer.Option("--out", "-o", help="Write here ('-' = stdout).")] = "-",
) -> None:
    """Write an intent in the standard shape asked for (TS 28.312 or TMF921)."""
    from maestro.tools.intent import IntentError, load_intent, to_28312, to_tmf921

    fmt = _format(fmt)
    check_writable(out)
    doc = read_data_file(path, "intent file")
    try:
        intent = load_intent(doc)
    except IntentError as exc:
        raise UserError(f"{path}: {exc}") from None
    write_json(to_28312(intent) if fmt == "28312" else to_tmf921(intent), out)


@intent_app.command("formalize")
def formalize_cmd(
    text: Annotated[str, typer.Argument(help="The intent in plain words.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model id.")] = "local",
    retries: Annotated[int, typer.Option("--retries", min=0, max=5)] = 2,
    json_dest: _Json = None,
) -> None:
    """Formalise a natural-language intent with an LLM: key:value pairs and KPI vector."""
    from maestro.agents.assurance import StageFailed, make_formalizer
    from maestro.tools.intent import IntentError

    if json_dest is not None:
        check_writable(json_dest)
    if not text.strip():
        raise UserError("the intent text is empty")
    chat = load_model(model)
    try:
        result = make_formalizer(chat, retries)(text)
    except IntentError as exc:
        raise UserError(str(exc)) from None
    except StageFailed as exc:
        typer.echo(f"formalisation failed: {exc}", err=True)
        raise typer.Exit(3) from None
    out = {
        **_plain(result.reply),
        "model": model,
        "llm_calls": result.calls,
        "rejected_replies": result.errors,
    }
    if json_dest is not None:
        write_json(out, json_dest)
    else:
        typer.echo(_summary(result.reply))
        if result.errors:
            typer.echo(
                f"({len(result.errors)} reply(ies) rejected and retried: "
                f"{json.dumps(result.errors)})"
            )


def load_model(model_id: str) -> Any:
    """A chat model by id; the intent pipeline's scripted ids resolve here too."""
    from maestro.agents.assurance_scripts import SCRIPTED_IDS, scripted_models
    from maestro.agents.model_pool import ModelPool
    from maestro.agents.providers import UnknownModelError
    from maestro.cli.negotiate import user_errors

    pool = ModelPool(models=scripted_models())
    with user_errors():
        try:
            return pool.get(pool.check(model_id))
        except UnknownModelError as exc:
            if model_id.startswith("scripted:"):
                raise UnknownModelError(
                    f"{exc}; for intents also {', '.join(SCRIPTED_IDS)}"
                ) from None
            raise


def register(app: typer.Typer) -> None:
    app.add_typer(intent_app, name="intent")
