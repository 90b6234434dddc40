"""`maestro negotiate SCENARIO`: run one negotiation and print or save its record.

Exit codes (README, "Negotiate"): 0 the run did what it says (an enforced or not enforceable
agreement, a round cap, a halt the network called for); 2 the user's mistake; 3 the run
failed (a model could not be used, the deadline passed, or the cell refused the agreement); 4 the agreement rests
on fallback decisions and was not enforced (`--enforce-fallback` applies it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from maestro.cli.common import UserError, check_writable, console, write_json

if TYPE_CHECKING:
    from maestro.graphs.record import NegotiationResult


EXIT_DONE = 0
EXIT_USER_ERROR = 2
EXIT_FAILED = 3
EXIT_DEGRADED = 4


def exit_code(result: NegotiationResult, enforce_fallback: bool = False) -> int:
    """The documented exit code for a finished run's record."""
    enforcement = result.enforcement
    if result.status == "error":
        return EXIT_FAILED
    attempted = enforcement is not None and (
        enforcement.get("applied") or result.status == "consensus"
    )
    if attempted and not enforcement.get("ok"):  # type: ignore[union-attr]
        return EXIT_FAILED  # the cell refused the policy, or the driver failed
    if result.status == "degraded" and not enforce_fallback:
        return EXIT_DEGRADED
    return EXIT_DONE


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's input errors into one-line CLI errors."""
    from maestro.agents.errors import UsageError
    from maestro.agents.providers import ProviderUnavailableError
    from maestro.graphs.scenario import ScenarioError

    try:
        yield
    except (UsageError, ScenarioError, ProviderUnavailableError) as exc:
        raise UserError(str(exc)) from exc


def _show_event(event: dict[str, Any]) -> None:
    kind = event.get("event")
    if kind == "start":
        names = escape(f"{event['scenario']}: {', '.join(event['operators'])}")
        console.print(f"[bold]negotiation[/bold] {names}")
    elif kind == "proposal":
        flags = f" [yellow]{', '.join(event['flags'])}[/yellow]" if event["flags"] else ""
        console.print(
            f"  round {event['round']} {event['agent']:>12}: {event['value']:g} ({event['source']}){flags}"
        )
    elif kind == "round":
        point = event.get("mediator_value")
        tail = f", mediator points to {point:.4g}" if point is not None else ""
        if event.get("trust"):
            tail += f"; {escape(_trust_line(event))}"
        console.print(f"  round {event['round']} spread {event['spread']:.4g}{tail}")
    elif kind == "halt":
        console.print(f"  [red]halted[/red]: {escape(event.get('reason', ''))}")
    elif kind == "error":
        console.print(f"  [red]error[/red]: {escape(event.get('reason', ''))}")
    elif kind == "enforced":
        word = "enforced" if event.get("applied") else "[yellow]not enforced[/yellow]"
        console.print(f"  {word}: {escape(str(event.get('message', '')))}")


def _trust_line(event: dict[str, Any]) -> str:
    """Trust per operator after the round's arbitral stage, the excluded marked."""
    excluded = set(event.get("excluded") or [])
    parts = [
        f"{op} {score:.2f}" + (" excluded" if op in excluded else "")
        for op, score in sorted((event.get("trust") or {}).items())
        if score is not None
    ]
    return "trust: " + ", ".join(parts)


def _summary(result: NegotiationResult) -> None:
    # Scenario names and model ids are the user's text: "[x]" must not be read as markup.
    table = Table(title=escape(f"{result.scenario['name']} — {result.status}"), show_header=False)
    table.add_row(
        "consensus",
        "none"
        if result.consensus is None
        else f"{result.consensus:.4g} {escape(result.scenario['topic']['unit'])}",
    )
    table.add_row("rounds", str(len(result.rounds)))
    table.add_row("reason", escape(result.reason))
    d = result.decisions
    table.add_row(
        "decisions",
        f"{d.llm} by the LLM, {d.fallback} by fallbacks (optimizer or earlier value)"
        + (f", {d.hard_guidance} set by hard guidance" if d.hard_guidance else "")
        + (f", {d.regulation} clamped to a rule" if d.regulation else ""),
    )
    if result.trust:
        table.add_row(
            "trust",
            escape(
                ", ".join(
                    f"{op} {t.get('score', 1.0):.2f}"
                    + (f" ({t.get('reason', 'excluded')})" if t.get("action") == "exclude" else "")
                    + (" (penalised)" if t.get("action") == "penalise" else "")
                    for op, t in sorted(result.trust.items())
                )
            ),
        )
    if result.regulation is not None:
        reg = result.regulation
        sources = sorted({f"{c['document']} ({c['source']})" for c in reg["constraints"]})
        table.add_row(
            "regulation",
            escape(
                f"{len(sources)} constraint source(s), {reg['violations']} violation(s), "
                f"retrieval {reg['retrieval']}" + (f": {'; '.join(sources)}" if sources else "")
            ),
        )
    if result.optimum:
        table.add_row("theoretical optimum", f"{result.optimum.get('consensus', float('nan')):.4g}")
        table.add_row("mean abs. error", f"{result.optimum.get('mae', float('nan')):.4g}")
    if result.enforcement:
        done = result.enforcement
        achieved = done.get("achieved_mbps")
        state = "ok" if done.get("ok") else "refused" if done.get("applied") else "skipped"
        table.add_row(
            "enforced",
            f"{state}: {escape(str(done.get('message', '')))}"
            + (
                f", {achieved:.4g} {escape(result.scenario['topic']['unit'])} achieved"
                if achieved
                else ""
            ),
        )
    ruled = [f for f in result.flags if str(f.get("code", "")).startswith("policy_")]
    if ruled:  # the slice rules changed or refused the policy: say which, citing each
        table.add_row(
            "slice rules", escape("; ".join(f"{f['code']}: {f['message']}" for f in ruled))
        )
    table.add_row("flags", str(len(result.flags)))
    table.add_row("model", escape(result.model))
    t = result.timings
    table.add_row(
        "wall time",
        f"{t.wall_s:.2f} s (model {t.model_s:.2f} s, framework {100 * t.framework_share:.1f}%)",
    )
    table.add_row(
        "LLM",
        f"{result.llm.calls} calls, {result.llm.input_tokens}+{result.llm.output_tokens} tokens",
    )
    console.print(table)


def negotiate_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file."),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Model id: local, local:<gguf>, openai:<model>, scripted:<name>.",
    ),
    rounds: int | None = typer.Option(None, "--rounds", min=1, max=100, help="Round cap."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed."),
    json_out: str | None = typer.Option(
        None, "--json", help="Write the JSON record to PATH, or '-' for stdout."
    ),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="No progress output; a run that fails still prints its status and reason.",
    ),
    enforce_fallback: bool = typer.Option(
        False,
        "--enforce-fallback",
        help="Enforce an agreement even when a round's decisions all came from fallbacks.",
    ),
    deadline: float | None = typer.Option(
        None,
        "--deadline",
        metavar="SECONDS",
        help="End the run (status error, exit 3) after this long; default MAESTRO_DEADLINE or 600.",
    ),
    thread: str | None = typer.Option(
        None,
        "--thread",
        metavar="ID",
        help="Save the run as session ID (checkpointed); run it again to resume a killed run.",
    ),
) -> None:
    """Negotiate the scenario's topic between its operators, mediated by MAESTRO."""
    from maestro.agents.providers import parse_model_id
    from maestro.api import negotiate
    from maestro.graphs.scenario import load_scenario

    if json_out:
        check_writable(json_out)
    with user_errors():
        loaded = load_scenario(scenario)
        if model:
            parse_model_id(model)
        show = None if quiet else _show_event
        if thread is not None:  # durable: a thread on the session store (maestro sessions)
            from maestro.cli.sessions import negotiate_thread

            result = negotiate_thread(
                thread,
                scenario,
                show,
                model=model,
                rounds=rounds,
                seed=seed,
                enforce_fallback=enforce_fallback,
                deadline=deadline,
            )
        else:
            result = negotiate(
                loaded,
                model=model,
                rounds=rounds,
                seed=seed,
                enforce_fallback=enforce_fallback,
                on_event=show,
                deadline=deadline,
            )
    if not quiet:
        _summary(result)
    if json_out:
        write_json(result.to_json_dict(), json_out)
    code = exit_code(result, enforce_fallback)
    if code != EXIT_DONE:
        if quiet:  # without progress or the summary, a failed run must still say why
            line = f"{result.status}: {result.reason}"
            enforcement = result.enforcement or {}
            if result.status != "error" and not enforcement.get("ok"):
                line += f"; not enforced: {enforcement.get('message', '')}"
            console.print(f"[red]{escape(line)}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("negotiate")(negotiate_command)
