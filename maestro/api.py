"""The Python API: `negotiate(...)` and its async twin.

Errors: a caller's mistake raises `UsageError` before the run starts; whatever happens once
it runs ends in the returned record (status `error` with the reason), never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from maestro.agents.providers import ModelOptions
from maestro.graphs.arguments import check_callback, check_instance
from maestro.graphs.context import RunContext, ScenarioLike, prepare_run
from maestro.graphs.negotiation import NegotiationDeps
from maestro.graphs.record import NegotiationResult
from maestro.graphs.runner import EventSink, arun_negotiation, run_negotiation
from maestro.tools.ran import RanDriver

__all__ = ["ScenarioLike", "anegotiate", "negotiate"]


def _prepare(
    scenario: ScenarioLike,
    model: str | None,
    rounds: int | None,
    seed: int | None,
    options: ModelOptions | Mapping[str, Any] | None,
    deps: NegotiationDeps | None,
    driver: RanDriver | None,
    enforce_fallback: bool,
    on_event: EventSink | None,
    deadline: float | None,
) -> RunContext:
    """Check the arguments the run context does not check itself, then build it."""
    check_instance("deps", deps, NegotiationDeps)
    check_callback("on_event", on_event)
    return prepare_run(
        scenario,
        model=model,
        rounds=rounds,
        seed=seed,
        options=options,
        pool=deps.pool if deps else None,
        driver=driver,
        enforce_fallback=enforce_fallback,
        deadline=deadline,
    )


def negotiate(
    scenario: ScenarioLike,
    model: str | None = None,
    *,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | Mapping[str, Any] | None = None,
    deps: NegotiationDeps | None = None,
    driver: RanDriver | None = None,
    enforce_fallback: bool = False,
    on_event: EventSink | None = None,
    deadline: float | None = None,
) -> NegotiationResult:
    """Run one negotiation (a Scenario, a dict or a YAML path) and return its record.

    With a `network` section (or a `driver`), agents observe the cell, a void topic halts
    the run, and the agreement is enforced as a slice policy through the driver — unless a
    round's decisions all came from fallbacks (status `degraded`) and `enforce_fallback` is
    false. A model that cannot be used, or a `deadline` (seconds; default MAESTRO_DEADLINE,
    else 600) that passes, ends the run with status `error`.

    A mistake in the arguments, the scenario, the model id or a setting raises
    `maestro.UsageError` (a ValueError) with a one-line message before anything runs.
    """
    context = _prepare(
        scenario, model, rounds, seed, options, deps, driver, enforce_fallback, on_event, deadline
    )
    return run_negotiation(context, deps=deps, on_event=on_event)


async def anegotiate(
    scenario: ScenarioLike,
    model: str | None = None,
    *,
    rounds: int | None = None,
    seed: int | None = None,
    options: ModelOptions | Mapping[str, Any] | None = None,
    deps: NegotiationDeps | None = None,
    driver: RanDriver | None = None,
    enforce_fallback: bool = False,
    on_event: EventSink | None = None,
    deadline: float | None = None,
) -> NegotiationResult:
    """`negotiate`, awaitable: the graph runs with LangGraph's async streaming."""
    context = _prepare(
        scenario, model, rounds, seed, options, deps, driver, enforce_fallback, on_event, deadline
    )
    return await arun_negotiation(context, deps=deps, on_event=on_event)
