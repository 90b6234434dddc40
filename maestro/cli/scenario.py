"""`maestro scenario validate FILE`: check a scenario without running it."""

from __future__ import annotations

import typer

from maestro.cli.common import UserError, console

scenario_app = typer.Typer(help="Work with scenario files.", no_args_is_help=True)


def _check_model_files(path: str, scenario: object) -> None:
    """A `local:<path>` model must be a GGUF file; the shipped models are checked at run time."""
    from maestro.agents.providers import parse_model_id, resolve_local
    from maestro.agents.providers.catalog import ALIASES
    from maestro.graphs.scenario import Scenario

    assert isinstance(scenario, Scenario)
    named = [("model", scenario.model), ("mediator.model", scenario.mediator.model)]
    named += [(f"operators.{i}.model", op.model) for i, op in enumerate(scenario.operators)]
    for field, model in named:
        if not model:
            continue
        parsed = parse_model_id(model)
        if parsed.provider == "local" and parsed.name.strip().lower() not in ALIASES:
            try:
                resolve_local(parsed.name)
            except ValueError as exc:
                raise UserError(f"{path}: {field}: {exc}") from None


@scenario_app.command("validate")
def validate(path: str = typer.Argument(..., help="Scenario YAML file.")) -> None:
    """Validate a scenario file; exit 2 with the field and line of the first mistake.

    Checks everything a run needs before it starts: types and ranges, the NR cell, URLs,
    the trace file, model ids and model files given by path.
    """
    from maestro.agents.providers import UnknownModelError
    from maestro.graphs.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path)
        _check_model_files(path, scenario)
    except (ScenarioError, UnknownModelError) as exc:
        raise UserError(str(exc)) from exc
    console.print(
        f"{path}: valid — '{scenario.name}', {len(scenario.operators)} operators, "
        f"topic {scenario.topic.name} [{scenario.topic.lower:g}, {scenario.topic.upper:g}] "
        f"{scenario.topic.unit}, model {scenario.model}, {scenario.rounds} rounds",
        markup=False,  # names are user text: "[/x]" is not a style tag
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(scenario_app, name="scenario")
