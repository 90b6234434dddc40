"""`maestro negotiate SCENARIO`: run one negotiation and print or save its record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from maestro.cli.common import UserError, console, write_json

if TYPE_CHECKING:
    from maestro.graphs.record import NegotiationResult


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's input errors into one-line CLI errors."""
    from maestro.agents.providers import ProviderUnavailableError, UnknownModelError
    from maestro.graphs.scenario import ScenarioError
    from maestro.settings import SettingsError

    try:
        yield
    except (ScenarioError, UnknownModelError, SettingsError, ProviderUnavailableError) as exc:
        raise UserError(str(exc)) from exc


def _show_event(event: dict[str, Any]) -> None:
    kind = event.get("event")
    if kind == "start":
        console.print(
            f"[bold]negotiation[/bold] {event['scenario']}: {', '.join(event['operators'])}"
        )
    elif kind == "proposal":
        flags = f" [yellow]{', '.join(event['flags'])}[/yellow]" if event["flags"] else ""
        console.print(
            f"  round {event['round']} {event['agent']:>12}: {event['value']:g} ({event['source']}){flags}"
        )
    elif kind == "round":
        point = event.get("mediator_value")
        tail = f", mediator points to {point:.4g}" if point is not None else ""
        console.print(f"  round {event['round']} spread {event['spread']:.4g}{tail}")
    elif kind == "halt":
        console.print(f"  [red]halted[/red]: {event.get('reason', '')}")
    elif kind == "enforced":
        console.print(f"  enforced: {event.get('summary', '')}")


def _summary(result: NegotiationResult) -> None:  # noqa: F821
    table = Table(title=f"{result.scenario['name']} — {result.status}", show_header=False)
    table.add_row(
        "consensus",
        "none"
        if result.consensus is None
        else f"{result.consensus:.4g} {result.scenario['topic']['unit']}",
    )
    table.add_row("rounds", str(len(result.rounds)))
    table.add_row("reason", result.reason)
    if result.optimum:
        table.add_row("theoretical optimum", f"{result.optimum.get('consensus', float('nan')):.4g}")
        table.add_row("mean abs. error", f"{result.optimum.get('mae', float('nan')):.4g}")
    if result.enforcement:
        done = result.enforcement
        achieved = done.get("achieved_mbps")
        table.add_row(
            "enforced",
            f"{'ok' if done.get('ok') else 'refused'}: {done.get('message', '')}"
            + (f", {achieved:.4g} {result.scenario['topic']['unit']} achieved" if achieved else ""),
        )
    table.add_row("flags", str(len(result.flags)))
    table.add_row("model", result.model)
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
) -> None:
    """Negotiate the scenario's topic between its operators, mediated by MAESTRO."""
    from maestro.agents.providers import parse_model_id
    from maestro.api import negotiate
    from maestro.graphs.scenario import load_scenario

    with user_errors():
        loaded = load_scenario(scenario)
        if model:
            parse_model_id(model)
        show = None if quiet else _show_event
        result = negotiate(loaded, model=model, rounds=rounds, seed=seed, on_event=show)
    if not quiet:
        _summary(result)
    if json_out:
        write_json(result.to_json_dict(), json_out)


def register(app: typer.Typer) -> None:
    app.command("negotiate")(negotiate_command)
