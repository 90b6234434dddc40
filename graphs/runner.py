"""Run a negotiation graph to the end and turn its final state into the record."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from maestro.agents.model_pool import ModelPool
from maestro.agents.providers import ModelOptions
from maestro.graphs.negotiation import NegotiationDeps, build_negotiation_graph, recursion_limit
from maestro.graphs.record import NegotiationResult
from maestro.graphs.scenario import Scenario

EventSink = Callable[[dict[str, Any]], None]


def prepare_scenario(
    scenario: Scenario, model: str | None = None, rounds: int | None = None, seed: int | None = None
) -> Scenario:
    """Apply run-time overrides; an overriding model id replaces every agent's choice."""
    changes: dict[str, Any] = {}
    if model:
        changes["model"] = model
    if rounds is not None:
        changes["rounds"] = rounds
    if seed is not None:
        changes["seed"] = seed
    data = scenario.model_dump(mode="json") | changes
    if model:
        data["operators"] = [op | {"model": None} for op in data["operators"]]
        data["mediator"] = data["mediator"] | {"model": None}
    return Scenario.model_validate(data)


def record_from_state(
    scenario: Scenario, state: dict[str, Any], wall_s: float, options: ModelOptions
) -> NegotiationResult:
    usage = state.get("usage") or {}
    model_s = float(usage.get("model_s", 0.0))
    framework_s = max(wall_s - model_s, 0.0)
    extras = state.get("extras") or {}
    status = state.get("status", "error")
    guidance = {op.id: op.guidance.value for op in scenario.operators}
    guidance["mediator"] = scenario.mediator.guidance.value
    return NegotiationResult(
        consensus=state.get("consensus"),
        agreed=status == "consensus",
        rounds=state.get("history", []),
        model=scenario.model,
        seed=scenario.seed,
        status=status,
        reason=state.get("reason", ""),
        scenario=scenario.model_dump(mode="json"),
        settings=options.model_dump(mode="json", exclude={"openai_api_key"}),
        flags=state.get("flags", []),
        timings={
            "wall_s": wall_s,
            "model_s": model_s,
            "framework_s": framework_s,
            "framework_share": framework_s / wall_s if wall_s > 0 else 0.0,
            "per_node_s": dict(usage.get("nodes", {})),
        },
        llm={
            "calls": int(usage.get("llm_calls", 0)),
            "input_tokens": int(usage.get("input_tokens", 0)),
            "output_tokens": int(usage.get("output_tokens", 0)),
        },
        guidance=guidance,
        optimum=extras.get("optimum"),
        enforcement=extras.get("enforcement"),
    )


class _Run:
    """One streaming run: the compiled graph, its input, and the state it has reached."""

    def __init__(
        self,
        scenario: Scenario,
        options: ModelOptions | None,
        deps: NegotiationDeps | None,
        on_event: EventSink | None,
    ) -> None:
        self.scenario = scenario
        self.options = options or ModelOptions(seed=scenario.seed)
        self.graph = build_negotiation_graph(deps or NegotiationDeps(pool=ModelPool(self.options)))
        self.input = {"scenario": scenario.model_dump(mode="json")}
        self.config = {"recursion_limit": recursion_limit(scenario)}
        self.stream_mode = ["custom", "values"]
        self.on_event = on_event
        self.state: dict[str, Any] = {}
        self.started = time.perf_counter()

    def take(self, mode: str, chunk: Any) -> None:
        if mode == "values":
            self.state = chunk
        elif self.on_event is not None:
            self.on_event(chunk)

    def record(self) -> NegotiationResult:
        wall = time.perf_counter() - self.started
        return record_from_state(self.scenario, self.state, wall, self.options)


def run_negotiation(
    scenario: Scenario,
    *,
    options: ModelOptions | None = None,
    deps: NegotiationDeps | None = None,
    on_event: EventSink | None = None,
) -> NegotiationResult:
    run = _Run(scenario, options, deps, on_event)
    for mode, chunk in run.graph.stream(run.input, run.config, stream_mode=run.stream_mode):
        run.take(mode, chunk)
    return run.record()


async def arun_negotiation(
    scenario: Scenario,
    *,
    options: ModelOptions | None = None,
    deps: NegotiationDeps | None = None,
    on_event: EventSink | None = None,
) -> NegotiationResult:
    run = _Run(scenario, options, deps, on_event)
    async for mode, chunk in run.graph.astream(run.input, run.config, stream_mode=run.stream_mode):
        run.take(mode, chunk)
    return run.record()
