"""Run a negotiation graph to the end in a run context and turn its final state into the record."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from maestro.agents.deadline import DeadlineExceeded
from maestro.agents.domain import flag_record
from maestro.agents.providers import ModelCallError
from maestro.graphs.context import RunContext
from maestro.graphs.negotiation import (
    FALLBACK_SOURCES,
    NegotiationDeps,
    build_negotiation_graph,
    default_mediator_units,
    default_operator_units,
    recursion_limit,
)
from maestro.graphs.record import NegotiationResult, regulation_summary

EventSink = Callable[[dict[str, Any]], None]


@cache
def default_graph() -> Any:
    """The negotiation graph with the default units, compiled once per process: nothing in
    it belongs to a run, so every run can share it."""
    return build_negotiation_graph()


def graph_for(deps: NegotiationDeps | None) -> Any:
    if deps is None or (
        deps.operator_units is default_operator_units
        and deps.mediator_units is default_mediator_units
    ):
        return default_graph()
    return build_negotiation_graph(deps)


def covered_seconds(spans: list[tuple[float, float]] | list[list[float]]) -> float:
    """Length of the union of time spans: the wall time during which a model call ran."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted((float(s), float(e)) for s, e in spans):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def count_decisions(history: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"llm": 0, "fallback": 0, "hard_guidance": 0, "regulation": 0, "person": 0}
    for record in history:
        sources = [p["source"] for p in record["proposals"].values()]
        if record.get("mediator"):
            sources.append(record["mediator"].get("source", "llm"))
        for source in sources:
            if source in FALLBACK_SOURCES:
                counts["fallback"] += 1
            elif source in ("hard_guidance", "regulation", "person"):
                counts[source] += 1
            else:
                counts["llm"] += 1
    return counts


def failure(state: dict[str, Any], exc: Exception) -> tuple[str, dict[str, Any]]:
    """Why the run failed (one line for the record's reason) and the flag that says so."""
    if isinstance(exc, DeadlineExceeded):
        reason = str(exc)
        return reason, flag_record("deadline_exceeded", "run", int(state.get("round", 0)), reason)
    if isinstance(exc, ModelCallError):
        note = flag_record("model_error", exc.agent or "model", exc.round or 0, str(exc))
        return f"model call failed: {exc}", note
    # Anything else is a fault inside the run (a unit's bug, a driver, a callback): the run
    # still ends with its record, and the reason names the exception in one line.
    lines = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
    reason = f"the run failed: {detail}"
    return reason, flag_record("run_failed", "run", int(state.get("round", 0)), reason)


def failed_state(state: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """The state of a run that failed: status error, the reason, nothing enforced."""
    reason, note = failure(state, exc)
    return {
        **state,
        "status": "error",
        "reason": reason,
        "consensus": None,
        "enforcement": None,
        "flags": [*state.get("flags", []), note],
    }


def refused_record(context: RunContext, exc: Exception) -> NegotiationResult:
    """The record of a run refused before it started: a model it may not or cannot load (a
    served run's id off the allow-list). The reason is the check's one line, which names the
    id only, never anything read from a file."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    reason = f"model refused: {lines[0][:400]}"
    state = {
        "status": "error",
        "reason": reason,
        "flags": [flag_record("model_error", "model", 0, reason)],
    }
    return record_from_state(context, state, 0.0)


def record_from_state(
    context: RunContext, state: dict[str, Any], wall_s: float
) -> NegotiationResult:
    scenario = context.scenario
    usage = state.get("usage") or {}
    # Calls of parallel agents overlap: count the wall time during which any model call
    # ran, so the framework's share stays meaningful when remote calls run side by side.
    model_s = min(covered_seconds(usage.get("model_spans") or []), wall_s)
    framework_s = wall_s - model_s
    status = state.get("status", "error")
    if status == "running":  # a run that stopped without saying why did not finish
        status = "error"
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
        settings=context.options.model_dump(mode="json", exclude={"openai_api_key"}),
        flags=state.get("flags", []),
        timings={
            "wall_s": wall_s,
            "model_s": model_s,
            "framework_s": framework_s,
            "framework_share": framework_s / wall_s if wall_s > 0 else 0.0,
            "per_node_s": dict(usage.get("nodes", {})),
            "model_compute_s": float(usage.get("model_s", 0.0)),
        },
        llm={
            "calls": int(usage.get("llm_calls", 0)),
            "input_tokens": int(usage.get("input_tokens", 0)),
            "output_tokens": int(usage.get("output_tokens", 0)),
        },
        decisions=count_decisions(state.get("history", [])),
        guidance=guidance,
        optimum=state.get("optimum"),
        enforcement=state.get("enforcement"),
        trust=state.get("trust") or {},
        regulation=regulation_summary(
            scenario.model_dump(mode="json").get("regulation"),
            state.get("history", []),
            state.get("flags", []),
        ),
    )


class _Run:
    """One streaming run: the graph, its context, and the state it has reached."""

    def __init__(
        self,
        context: RunContext,
        deps: NegotiationDeps | None,
        on_event: EventSink | None,
        graph: Any = None,
        thread_id: str | None = None,
    ) -> None:
        self.context = context
        self.graph = graph if graph is not None else graph_for(deps)
        self.kwargs: dict[str, Any] = {
            "config": {"recursion_limit": recursion_limit(context.scenario)},
            "context": context,
            "stream_mode": ["custom", "values"],
        }
        self.on_event = on_event
        self.state: dict[str, Any] = {}
        self.input: dict[str, Any] | None = {}
        if thread_id is not None:  # a durable run (graphs.checkpoints): resume where it stopped
            self.kwargs["config"]["configurable"] = {"thread_id": thread_id}
            self.kwargs["durability"] = "sync"  # each step on disk before the next starts
            saved = self.graph.get_state(self.kwargs["config"])
            if saved.created_at is not None:
                self.state, self.input = dict(saved.values), None
        self.started = time.perf_counter()

    def take(self, mode: str, chunk: Any) -> None:
        if mode == "values":
            self.state = chunk
        elif self.on_event is not None:
            self.on_event(chunk)

    def fail(self, exc: Exception) -> None:
        self.state = failed_state(self.state, exc)
        if self.on_event is not None:
            # The callback may be what failed: telling it must not lose the record.
            with contextlib.suppress(Exception):
                self.on_event({"event": "error", "reason": self.state["reason"]})

    def record(self) -> NegotiationResult:
        wall = time.perf_counter() - self.started
        try:
            return record_from_state(self.context, self.state, wall)
        except Exception as exc:  # a state the record cannot hold: keep what is certain
            failed = failed_state(self.state, exc)
            kept: dict[str, Any] = {
                k: failed[k] for k in ("status", "reason", "flags", "usage") if k in failed
            }
            kept["reason"] = f"{kept['reason']} (while writing the record)"
            return record_from_state(self.context, kept, wall)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a link must not lose the record
            self.context.close()


def run_negotiation(
    context: RunContext,
    *,
    deps: NegotiationDeps | None = None,
    on_event: EventSink | None = None,
    graph: Any = None,
    thread_id: str | None = None,
) -> NegotiationResult:
    """Run the negotiation the context describes; the context is closed afterwards.

    Whatever happens inside the run ends with a record: a model that cannot be used, the
    deadline, or any other exception (status `error`, the reason in one line). With a
    `graph` compiled with a checkpointer and a `thread_id`, the run is durable: a thread
    that already has checkpoints continues from the last one.
    """
    run = _Run(context, deps, on_event, graph, thread_id)
    try:
        for mode, chunk in run.graph.stream(run.input, **run.kwargs):
            run.take(mode, chunk)
    except Exception as exc:  # a model, the deadline, or a fault: the run ends with a record
        run.fail(exc)
    finally:
        run.close()
    return run.record()


async def arun_negotiation(
    context: RunContext,
    *,
    deps: NegotiationDeps | None = None,
    on_event: EventSink | None = None,
    graph: Any = None,
) -> NegotiationResult:
    """`run_negotiation` with LangGraph's async streaming."""
    run = _Run(context, deps, on_event, graph)
    try:
        async for mode, chunk in run.graph.astream({}, **run.kwargs):
            run.take(mode, chunk)
    except Exception as exc:  # a model, the deadline, or a fault: the run ends with a record
        run.fail(exc)
    finally:
        run.close()
    return run.record()
