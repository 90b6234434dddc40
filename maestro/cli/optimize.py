"""`maestro optimize SCENARIO`: the theoretical consensus and eq. 1's trace, no LLM.

This is the baseline users compare negotiations against: the minimiser of the operators'
declared costs plus the mediator's collective term, inside the topic's bounds (and the cell's
capacity when the scenario has a network).
"""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from rich.table import Table

from maestro.cli.common import UserError, console, write_json
from maestro.cli.negotiate import user_errors


def optimize_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file."),
    eta: float | None = typer.Option(
        None, "--eta", help="Step size (default: safe, from the curvature)."
    ),
    epsilon: float = typer.Option(1e-9, "--epsilon", help="Stop when max |dx| < epsilon."),
    max_iter: int = typer.Option(10_000, "--max-iter", min=1, help="Iteration cap."),
    json_out: str | None = typer.Option(
        None, "--json", help="Write JSON to PATH, or '-' for stdout."
    ),
) -> None:
    """Print the theoretical consensus and the iterative trace of eq. 1 (no LLM is called)."""
    from maestro.agents.optimizer import consensus_problem
    from maestro.agents.roles import preferred_value
    from maestro.graphs.network import scenario_capacity
    from maestro.graphs.scenario import load_scenario
    from maestro.tools.consensus import solve_iterative, theoretical_optimum

    with user_errors():
        loaded = load_scenario(scenario)
        capacity = scenario_capacity(loaded)
    try:
        problem = consensus_problem([op.utility for op in loaded.operators], loaded.topic, capacity)
        exact = theoretical_optimum(problem)
        start = [preferred_value(op, loaded.topic) for op in loaded.operators]
        run = solve_iterative(problem, x0=start, eta=eta, epsilon=epsilon, max_iter=max_iter)
    except (ValueError, ValidationError) as exc:
        raise UserError(f"cannot optimise {scenario}: {exc}") from exc
    report: dict[str, Any] = {
        "scenario": loaded.name,
        "unit": loaded.topic.unit,
        "consensus": exact.value,
        "method": exact.method,
        "objective": exact.objective,
        "capacity": problem.capacity,
        "preferred": dict(zip([op.id for op in loaded.operators], start, strict=True)),
        "iterative": run.to_dict(trace=True),
    }
    if json_out:
        write_json(report, json_out)
        if json_out == "-":
            return
    table = Table(title=f"{loaded.name}: theoretical consensus", show_header=False)
    table.add_row("consensus", f"{exact.value:.6g} {loaded.topic.unit} ({exact.method})")
    table.add_row("eq. 1", f"{run.value:.6g} after {run.iterations} iterations, eta {run.eta:.3g}")
    if run.diverged:
        table.add_row("[red]diverged[/red]", run.reason or "")
    elif not run.converged:
        table.add_row(
            "[yellow]not converged[/yellow]", f"stopped at the cap of {max_iter} iterations"
        )
    if problem.capacity is not None:
        table.add_row("capacity", f"{problem.capacity:.6g} {loaded.topic.unit}")
    for op_id, value in report["preferred"].items():
        table.add_row(f"{op_id} prefers", f"{value:.6g}")
    console.print(table)
    if run.diverged:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize_command)
