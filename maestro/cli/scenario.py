"""`maestro scenario validate FILE`: check a scenario without running it."""

from __future__ import annotations

import typer

from maestro.cli.common import UserError, console

scenario_app = typer.Typer(help="Work with scenario files.", no_args_is_help=True)


@scenario_app.command("validate")
def validate(path: str = typer.Argument(..., help="Scenario YAML file.")) -> None:
    """Validate a scenario file; exit 2 with the field and line of the first mistake."""
    from maestro.agents.providers import UnknownModelError, parse_model_id
    from maestro.graphs.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path)
        parse_model_id(scenario.model)
        for op in scenario.operators:
            if op.model:
                parse_model_id(op.model)
    except (ScenarioError, UnknownModelError) as exc:
        raise UserError(str(exc)) from exc
    console.print(
        f"{path}: valid — '{scenario.name}', {len(scenario.operators)} operators, "
        f"topic {scenario.topic.name} [{scenario.topic.lower:g}, {scenario.topic.upper:g}] "
        f"{scenario.topic.unit}, model {scenario.model}, {scenario.rounds} rounds"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(scenario_app, name="scenario")
