"""The Python API: `negotiate(...)` and its async twin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from maestro.agents.model_pool import ModelPool
from maestro.agents.providers import ModelOptions
from maestro.graphs.negotiation import NegotiationDeps
from maestro.graphs.record import NegotiationResult
from maestro.graphs.runner import EventSink, arun_negotiation, prepare_scenario, run_negotiation
from maestro.graphs.scenario import Scenario, coerce_scenario
from maestro.settings import model_from_env, model_options

ScenarioLike = Scenario | dict[str, Any] | str | Path


def _setup(
    scenario: ScenarioLike, model: str | None, rounds: int | None, seed: int | None,
    options: ModelOptions | None,
) -> tuple[Scenario, ModelOptions]:
    base = coerce_scenario(scenario)
    chosen = model or model_from_env()
    ready = prepare_scenario(base, model=chosen, rounds=rounds, seed=seed)
    return ready, options or model_options(seed=ready.seed)


def negotiate(
    scenario: ScenarioLike,
    model: str | None = None,
    *,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | None = None,
    deps: NegotiationDeps | None = None,
    on_event: EventSink | None = None,
) -> NegotiationResult:
    """Run one negotiation (a Scenario, a dict or a YAML path) and return its record."""
    ready, opts = _setup(scenario, model, rounds, seed, options)
    return run_negotiation(ready, options=opts, deps=deps or NegotiationDeps(pool=ModelPool(opts)),
                           on_event=on_event)


async def anegotiate(
    scenario: ScenarioLike,
    model: str | None = None,
    *,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | None = None,
    deps: NegotiationDeps | None = None,
    on_event: EventSink | None = None,
) -> NegotiationResult:
    """`negotiate`, awaitable: the graph runs with LangGraph's async streaming."""
    ready, opts = _setup(scenario, model, rounds, seed, options)
    return await arun_negotiation(ready, options=opts,
                                  deps=deps or NegotiationDeps(pool=ModelPool(opts)), on_event=on_event)
