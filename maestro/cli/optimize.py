"""`maestro optimize SCENARIO`: the theoretical consensus and eq. 1's trace, no LLM.

This is the baseline users compare negotiations against: the minimiser of the operators'
declared costs with one common value (the closed form), inside the topic's bounds (and the
cell's capacity when the scenario has a network). Beside it, eq. 1 as the paper runs it:
every operator starts from its own preferred value and steps with its cost's gradient plus
the mediator's collective term grad_i U_0 = 2b (x_i - mean) (b: the mediator's agreement
weight), until no proposal moves by epsilon; the trace shows the convergence.
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
        None, "--eta", help="Step size (default: 2/(L+mu), from the curvature)."
    ),
    epsilon: float = typer.Option(1e-9, "--epsilon", help="Stop when max |dx| < epsilon."),
    max_iter: int = typer.Option(10_000, "--max-iter", min=1, help="Iteration cap."),
    show: int = typer.Option(8, "--show", min=0, help="Trace rows to print (first and last)."),
    json_out: str | None = typer.Option(
        None, "--json", help="Write JSON to PATH, or '-' for stdout."
    ),
) -> None:
    """Print the theoretical consensus and the iterative trace of eq. 1 (no LLM is called)."""
    from maestro.agents.optimizer import consensus_problem
    from maestro.agents.roles import preferred_value
    from maestro.graphs.network import scenario_capacity
    from maestro.graphs.scenario import load_scenario
    from maestro.tools.consensus import ConsensusProblem, solve_iterative, theoretical_optimum

    with user_errors():
        loaded = load_scenario(scenario)
        capacity = scenario_capacity(loaded)
    try:
        problem = consensus_problem([op.utility for op in loaded.operators], loaded.topic, capacity)
        exact = theoretical_optimum(problem)
        start = [preferred_value(op, loaded.topic) for op in loaded.operators]
        # Eq. 1 as the paper runs it: the soft collective term, not one forced common value.
        soft = ConsensusProblem(
            problem.utilities,
            problem.lower,
            problem.upper,
            capacity=problem.capacity,
            agreement_weight=loaded.mediator.agreement_weight,
        )
        run = solve_iterative(soft, x0=start, eta=eta, epsilon=epsilon, max_iter=max_iter)
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
        "agreement_weight": soft.agreement_weight,
        "iterative": run.to_dict(trace=True),
    }
    if json_out:
        write_json(report, json_out)
        if json_out == "-":
            return
    table = Table(title=f"{loaded.name}: theoretical consensus", show_header=False)
    table.add_row("consensus", f"{exact.value:.6g} {loaded.topic.unit} ({exact.method})")
    table.add_row(
        "eq. 1",
        f"mean {run.value:.6g}, spread {run.spread:.3g} after {run.iterations} iterations "
        f"(eta {run.eta:.3g}, b {soft.agreement_weight:g}), from the preferred values",
    )
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
    if show:
        console.print(_trace_table(run.trace, [op.id for op in loaded.operators], show))
    if run.diverged:
        raise typer.Exit(1)


def _trace_table(trace: Any, ids: list[str], show: int) -> Table:
    """The first and last rows of eq. 1's trace: each operator's value, mean and spread."""
    table = Table(title="eq. 1 trace (row 0: the preferred values)")
    table.add_column("k", justify="right")
    for op_id in ids:
        table.add_column(op_id, justify="right")
    table.add_column("mean", justify="right")
    table.add_column("spread", justify="right")
    n = len(trace)
    head = list(range(min(n, show)))
    tail = [k for k in range(max(n - 2, 0), n) if k not in head]
    for k in head + tail:
        if tail and k == tail[0] and k > head[-1] + 1:
            table.add_row("...", *[""] * (len(ids) + 2))
        row = trace[k]
        table.add_row(
            str(k),
            *(f"{v:.4g}" for v in row),
            f"{float(row.mean()):.4g}",
            f"{float(row.max() - row.min()):.4g}",
        )
    return table


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize_command)
