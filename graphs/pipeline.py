"""The agent pipeline: one LangGraph subgraph built from an ordered list of units.

extraction -> [arbitral -> regulatory -> observability -> optimizer] -> central_llm -> validation,
with validation able to send the central LLM back once. Every node is timed; the time not
spent in the model is recorded per node as framework time.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from maestro.agents.turn import AgentTurn, NodeFn, Unit

LLM_UNIT = "central_llm"
VALIDATION_UNIT = "validation"


def _timed(name: str, node: NodeFn) -> NodeFn:
    # A unit that needs the run (the model pool, say) names a `runtime` parameter.
    takes_runtime = "runtime" in inspect.signature(node).parameters

    def run(turn: AgentTurn, runtime: Runtime[Any]) -> dict[str, Any]:
        started = time.perf_counter()
        update = node(turn, runtime=runtime) if takes_runtime else node(turn)
        elapsed = time.perf_counter() - started
        usage = dict(update.get("usage") or {})
        in_model = float(usage.get("llm_wall_s") or usage.get("model_s") or 0.0)
        usage["nodes"] = {name: max(elapsed - in_model, 0.0)}
        return {**update, "usage": usage}

    return run


def _after_validation(turn: AgentTurn) -> str:
    return LLM_UNIT if turn.get("retry_error") else END


def build_agent_pipeline(units: Sequence[Unit]) -> Any:
    """Compile the units, in order, into a subgraph over AgentTurn."""
    names = [u.name for u in units]
    if len(set(names)) != len(names):
        raise ValueError(f"unit names must be unique: {names}")
    if LLM_UNIT not in names or VALIDATION_UNIT not in names:
        raise ValueError("a pipeline needs a central_llm unit and a validation unit")
    if names.index(VALIDATION_UNIT) < names.index(LLM_UNIT):
        raise ValueError("validation must come after the central LLM")
    graph = StateGraph(AgentTurn)
    for unit in units:
        graph.add_node(unit.name, _timed(unit.name, unit.node))
    graph.add_edge(START, names[0])
    for current, following in zip(names, names[1:], strict=False):
        if current == VALIDATION_UNIT:
            graph.add_conditional_edges(
                current, _after_validation, {LLM_UNIT: LLM_UNIT, END: following}
            )
        else:
            graph.add_edge(current, following)
    if names[-1] == VALIDATION_UNIT:
        graph.add_conditional_edges(VALIDATION_UNIT, _after_validation, [LLM_UNIT, END])
    else:
        graph.add_edge(names[-1], END)
    return graph.compile(name="agent_pipeline")
