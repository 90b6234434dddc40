"""The Python API: `negotiate(...)` and its async twin."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

from maestro.agents.model_pool import ModelPool
from maestro.agents.providers import ModelOptions
from maestro.graphs.negotiation import NegotiationDeps
from maestro.graphs.network import network_deps
from maestro.graphs.record import NegotiationResult
from maestro.graphs.runner import EventSink, arun_negotiation, prepare_scenario, run_negotiation
from maestro.graphs.scenario import Scenario, coerce_scenario
from maestro.settings import model_from_env, model_options
from maestro.tools.ran import RanDriver

ScenarioLike: TypeAlias = Scenario | dict[str, Any] | str | Path


def _setup(
    scenario: ScenarioLike,
    model: str | None,
    rounds: int | None,
    seed: int | None,
    options: ModelOptions | None,
    deps: NegotiationDeps | None,
    driver: RanDriver | None,
) -> tuple[Scenario, ModelOptions, NegotiationDeps]:
    base = coerce_scenario(scenario)
    chosen = model or model_from_env()
    ready = prepare_scenario(base, model=chosen, rounds=rounds, seed=seed)
    opts = options or model_options(seed=ready.seed)
    if deps is None:
        pool = ModelPool(opts)
        if ready.network is not None or driver is not None:
            base_dir = Path(scenario).parent if isinstance(scenario, str | Path) else None
            deps, _ = network_deps(ready, pool, driver, base_dir)
        else:
            deps = NegotiationDeps(pool=pool)
    return ready, opts, deps


def negotiate(
    scenario: ScenarioLike,
    model: str | None = None,
    *,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | None = None,
    deps: NegotiationDeps | None = None,
    driver: RanDriver | None = None,
    on_event: EventSink | None = None,
) -> NegotiationResult:
    """Run one negotiation (a Scenario, a dict or a YAML path) and return its record.

    With a `network` section (or a `driver`), agents observe the cell, a void topic halts
    the run, and the agreement is enforced as a slice policy through the driver.
    """
    ready, opts, deps = _setup(scenario, model, rounds, seed, options, deps, driver)
    return run_negotiation(ready, options=opts, deps=deps, on_event=on_event)


async def anegotiate(
    scenario: ScenarioLike,
    model: str | None = None,
    *,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | None = None,
    deps: NegotiationDeps | None = None,
    driver: RanDriver | None = None,
    on_event: EventSink | None = None,
) -> NegotiationResult:
    """`negotiate`, awaitable: the graph runs with LangGraph's async streaming."""
    ready, opts, deps = _setup(scenario, model, rounds, seed, options, deps, driver)
    return await arun_negotiation(ready, options=opts, deps=deps, on_event=on_event)
