"""What belongs to one negotiation run and not to its state: LangGraph's run context.

Nodes read it through `Runtime[RunContext]`. It is built once per run by `prepare_run` — the
Python API, the CLI and the served graph all call it — so the scenario is validated once, the
settings come from the same place, and the network link is made from the scenario's
`network` section whichever way the run was started.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from maestro.agents.deadline import Deadline
from maestro.agents.errors import UsageError
from maestro.agents.model_pool import ModelPool
from maestro.agents.providers.options import (
    ModelOptions,
    model_from_env,
    options_from_env,
    with_deadline,
)
from maestro.graphs.arguments import (
    base_dir_of,
    check_driver,
    check_flag,
    check_instance,
    check_model,
    check_options,
    check_scenario_argument,
    check_seconds,
    check_whole,
    first_error,
)
from maestro.graphs.network import NetworkLink, network_link
from maestro.graphs.regulation_access import RegulationAccess
from maestro.graphs.scenario import Scenario, coerce_scenario
from maestro.tools.ran import RanDriver

ScenarioLike = Scenario | dict[str, Any] | str | Path


@dataclass
class RunContext:
    """The validated scenario, the settings, the models and the cell, for one run."""

    scenario: Scenario
    options: ModelOptions
    pool: ModelPool
    network: NetworkLink | None = None
    # Enforce an agreement even when a round's decisions all came from fallbacks.
    enforce_fallback: bool = False
    # options.deadline_s from the start of the run (the graph's first node restarts it).
    deadline: Deadline = field(init=False)
    # The regulatory corpus and its index, opened on first use (None: no `regulation:`).
    regulation: RegulationAccess | None = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = Deadline(self.options.deadline_s)
        spec = self.scenario.regulation
        self.regulation = RegulationAccess(spec) if spec is not None else None

    def check_models(self) -> None:
        """Refuse, before the run and without loading anything, a model id it could not use
        (UnknownModelError, ModelNotAllowedError, ProviderUnavailableError)."""
        for model_id in model_ids(self.scenario):
            self.pool.check(model_id)

    def close(self) -> None:
        """Release what the run opened (an HTTP driver, a PromQL client)."""
        if self.network is not None:
            self.network.close()


def apply_overrides(
    scenario: Scenario, model: str | None = None, rounds: int | None = None, seed: int | None = None
) -> Scenario:
    """Run-time overrides; an overriding model id replaces every agent's choice."""
    changes: dict[str, Any] = {}
    if model:
        changes["model"] = model
    if rounds is not None:
        changes["rounds"] = rounds
    if seed is not None:
        changes["seed"] = seed
    if not changes:
        return scenario
    data = scenario.model_dump(mode="json") | changes
    if model:
        data["operators"] = [op | {"model": None} for op in data["operators"]]
        data["mediator"] = data["mediator"] | {"model": None}
        data["arbitral"] = data["arbitral"] | {"model": None}
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        loc = exc.errors(include_url=False)[0]["loc"]
        name = loc[0] if len(loc) == 1 else None
        if name in changes:  # the override's fault: say which argument and value
            message = exc.errors(include_url=False)[0]["msg"]
            raise UsageError(f"{name}={changes[str(name)]!r}: {message}") from None
        raise UsageError(first_error(exc, "scenario")) from None


def model_ids(scenario: Scenario) -> list[str]:
    """Every model id the run will load: the scenario's and the agents' own."""
    ids = [scenario.model, scenario.mediator.model, *(op.model for op in scenario.operators)]
    ids.append(scenario.arbitral.model)
    return list(dict.fromkeys(i for i in ids if i))


def prepare_run(
    scenario: ScenarioLike,
    *,
    model: str | None = None,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | Mapping[str, Any] | None = None,
    pool: ModelPool | None = None,
    driver: RanDriver | None = None,
    enforce_fallback: bool = False,
    deadline: float | None = None,
    allowed_models: Iterable[str] | None = None,
    check_models: bool = True,
) -> RunContext:
    """Validate the scenario, apply overrides and settings, and open the network link.

    Every mistake in the arguments, the scenario or the settings raises UsageError (or one
    of its kinds: ScenarioError, UnknownModelError, SettingsError) before anything runs.
    `allowed_models` restricts the model ids to an allow-list (the served graph's);
    `check_models=False` leaves the model check to the caller (`RunContext.check_models`).

    The model is the argument, else MAESTRO_MODEL, else the scenario's; options default to
    the environment's settings with the scenario's seed; `deadline` (seconds) replaces the
    options' `deadline_s` (MAESTRO_DEADLINE).
    """
    scenario = check_scenario_argument(scenario)
    model = check_model(model)
    rounds, seed = check_whole("rounds", rounds), check_whole("seed", seed)
    given = check_options(options)
    pool = check_instance("pool", pool, ModelPool)
    driver = check_driver(driver)
    enforce_fallback = check_flag("enforce_fallback", enforce_fallback)
    deadline = check_seconds("deadline", deadline)
    base = coerce_scenario(scenario)
    ready = apply_overrides(base, model=model or model_from_env(), rounds=rounds, seed=seed)
    opts = given or options_from_env(seed=ready.seed)
    if deadline is not None:
        opts = with_deadline(opts, deadline)
    pool = pool or ModelPool(opts, allowed=allowed_models)
    context = RunContext(
        scenario=ready,
        options=opts,
        pool=pool,
        network=network_link(ready, driver, base_dir_of(scenario)),
        enforce_fallback=enforce_fallback,
    )
    if check_models:  # from MAESTRO_MODEL or the file: refused before the run
        try:
            context.check_models()
        except Exception:
            context.close()
            raise
    if context.regulation is not None:  # a broken corpus file is the user's to fix, not a run
        try:
            context.regulation.documents()
        except Exception as exc:
            context.close()
            raise UsageError(f"regulatory corpus: {' '.join(str(exc).split())}") from None
    return context
