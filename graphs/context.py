"""What belongs to one negotiation run and not to its state: LangGraph's run context.

Nodes read it through `Runtime[RunContext]`. It is built once per run by `prepare_run` — the
Python API, the CLI and the served graph all call it — so the scenario is validated once, the
settings come from the same place, and the network link is made from the scenario's
`network` section whichever way the run was started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maestro.agents.deadline import Deadline
from maestro.agents.model_pool import ModelPool
from maestro.agents.providers.options import (
    ModelOptions,
    model_from_env,
    options_from_env,
    with_deadline,
)
from maestro.graphs.network import NetworkLink, network_link
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

    def __post_init__(self) -> None:
        self.deadline = Deadline(self.options.deadline_s)

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
    return Scenario.model_validate(data)


def prepare_run(
    scenario: ScenarioLike,
    *,
    model: str | None = None,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | None = None,
    pool: ModelPool | None = None,
    driver: RanDriver | None = None,
    enforce_fallback: bool = False,
    deadline: float | None = None,
) -> RunContext:
    """Validate the scenario, apply overrides and settings, and open the network link.

    The model is the argument, else MAESTRO_MODEL, else the scenario's; options default to
    the environment's settings with the scenario's seed; `deadline` (seconds) replaces the
    options' `deadline_s` (MAESTRO_DEADLINE).
    """
    base = coerce_scenario(scenario)
    ready = apply_overrides(base, model=model or model_from_env(), rounds=rounds, seed=seed)
    opts = options or options_from_env(seed=ready.seed)
    if deadline is not None:
        opts = with_deadline(opts, deadline)
    base_dir = Path(scenario).parent if isinstance(scenario, str | Path) else None
    return RunContext(
        scenario=ready,
        options=opts,
        pool=pool or ModelPool(opts),
        network=network_link(ready, driver, base_dir),
        enforce_fallback=enforce_fallback,
    )
