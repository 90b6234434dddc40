"""The negotiation graph: operators in parallel each round, then the mediator, until consensus.

    prepare -> (Send per operator) operator -> mediator -> (Send per operator | finish) -> END

Each operator turn and the mediator's turn run the same agent pipeline subgraph, configured
by role. Privacy is structural: an operator's task carries its own spec (with its private
business intent) and only service intents and feedback from the others; the mediator's task
carries service intents only.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Annotated, Any

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

from maestro.agents.central_llm import make_central_llm_unit
from maestro.agents.domain import MEDIATOR_ID
from maestro.agents.extraction import make_extraction_unit
from maestro.agents.model_pool import ModelPool
from maestro.agents.observability import make_observability_unit
from maestro.agents.optimizer import final_errors, make_optimizer_unit, theoretical_consensus
from maestro.agents.turn import AgentTurn, Unit, add_usage, merge_dicts
from maestro.agents.validation import make_validation_unit
from maestro.graphs.pipeline import build_agent_pipeline
from maestro.graphs.scenario import Scenario

UnitFactory = Callable[[ModelPool], Sequence[Unit]]


class NegotiationState(TypedDict, total=False):
    scenario: dict[str, Any]
    round: int
    status: str  # running, consensus, round_cap, halted
    reason: str
    proposals: Annotated[dict[str, Any], merge_dicts]
    feedback: dict[str, Any]
    history: Annotated[list[dict[str, Any]], operator.add]
    flags: Annotated[list[dict[str, Any]], operator.add]
    usage: Annotated[dict[str, Any], add_usage]
    consensus: float | None
    extras: Annotated[dict[str, Any], merge_dicts]  # optimum, observation, enforcement, ...


class OperatorTask(TypedDict):
    scenario: dict[str, Any]
    observation: dict[str, Any] | None
    op_id: str
    round: int
    previous: float | None
    feedback: dict[str, Any] | None
    others: dict[str, Any]


def default_units(pool: ModelPool) -> list[Unit]:
    """Both roles run the same units; each unit reads the turn's role."""
    return [
        make_extraction_unit(),
        make_observability_unit(),
        make_optimizer_unit(),
        make_central_llm_unit(pool),
        make_validation_unit(),
    ]


default_operator_units = default_units
default_mediator_units = default_units


@dataclass
class NegotiationDeps:
    """What the graph needs that is not data: models, and the units each role runs."""

    pool: ModelPool = field(default_factory=ModelPool)
    operator_units: UnitFactory = default_operator_units
    mediator_units: UnitFactory = default_mediator_units
    # Hooks for later units that act on the whole negotiation (observability, enforcement).
    before_round: Callable[[Scenario, NegotiationState], dict[str, Any]] | None = None
    on_finish: Callable[[Scenario, NegotiationState], dict[str, Any]] | None = None


def _emit(event: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):  # outside a streaming run there is nobody to tell
        get_stream_writer()(event)


def effective_topic(scenario: Scenario, capacity: float | None) -> dict[str, Any]:
    """The topic re-targeted to what the cell can carry (its upper bound capped by capacity)."""
    topic = scenario.topic.model_dump(mode="json")
    if capacity is not None and scenario.topic.lower < capacity < scenario.topic.upper:
        topic["upper"] = capacity
    return topic


def _observation(state: NegotiationState) -> dict[str, Any] | None:
    return (state.get("extras") or {}).get("observation")


def _capacity(state: NegotiationState) -> float | None:
    return (_observation(state) or {}).get("capacity_mbps")


def _emit_halt(update: dict[str, Any]) -> None:
    if update.get("status") == "halted":
        _emit({"event": "halt", "reason": update.get("reason", "")})


def _turn(
    scenario: Scenario,
    agent: str,
    role: str,
    round_: int,
    spec: dict[str, Any],
    model: str,
    inbox: dict[str, Any],
    previous: float | None = None,
    observation: dict[str, Any] | None = None,
) -> AgentTurn:
    capacity = (observation or {}).get("capacity_mbps")
    return AgentTurn(
        agent=agent,
        role=role,
        round=round_,
        max_rounds=scenario.rounds,
        epsilon=scenario.epsilon,
        topic=effective_topic(scenario, capacity),
        spec=spec,
        model=model,
        previous=previous,
        inbox=inbox,
        observation=observation,
        context={},
        messages=[],
        attempts=[],
        retry_error=None,
        decision=None,
        flags=[],
        usage={},
    )


def build_negotiation_graph(deps: NegotiationDeps | None = None) -> Any:
    """Compile the negotiation graph; the scenario arrives in the input state."""
    deps = deps or NegotiationDeps()
    pipelines = {
        "operator": build_agent_pipeline(deps.operator_units(deps.pool)),
        "mediator": build_agent_pipeline(deps.mediator_units(deps.pool)),
    }

    def run_turn(role: str, turn: AgentTurn) -> dict[str, Any]:
        return pipelines[role].invoke(turn, config={"recursion_limit": 50})

    def prepare(state: NegotiationState) -> dict[str, Any]:
        scenario = Scenario.model_validate(state["scenario"])
        update: dict[str, Any] = {"round": 1, "status": "running", "reason": "", "extras": {}}
        _emit(
            {
                "event": "start",
                "scenario": scenario.name,
                "operators": [o.id for o in scenario.operators],
            }
        )
        if deps.before_round:
            update.update(deps.before_round(scenario, {**state, **update}))  # type: ignore[typeddict-item]
            _emit_halt(update)
        return update

    def fan_out(state: NegotiationState) -> list[Send] | str:
        if state.get("status") != "running":
            return "finish"
        scenario = Scenario.model_validate(state["scenario"])
        last = state.get("proposals") or {}
        feedback = state.get("feedback") or {}
        return [
            Send(
                "operator",
                OperatorTask(
                    scenario=state["scenario"],
                    observation=_observation(state),
                    op_id=op.id,
                    round=state["round"],
                    previous=last[op.id]["value"] if op.id in last else None,
                    feedback=feedback.get(op.id),
                    others={
                        o: {"value": p["value"], "reasoning": p["reasoning"]}
                        for o, p in last.items()
                        if o != op.id
                    },
                ),
            )
            for op in scenario.operators
        ]

    def operator_turn(task: OperatorTask) -> dict[str, Any]:
        scenario = Scenario.model_validate(task["scenario"])
        spec = scenario.operator(task["op_id"])
        turn = _turn(
            scenario,
            spec.id,
            "operator",
            task["round"],
            spec.model_dump(mode="json"),
            spec.model or scenario.model,
            {"feedback": task["feedback"], "others": task["others"]},
            task["previous"],
            task["observation"],
        )
        result = run_turn("operator", turn)
        decision = dict(result["decision"])
        decision["flags"] = result.get("flags", [])
        _emit(
            {
                "event": "proposal",
                "round": task["round"],
                "agent": spec.id,
                "value": decision["value"],
                "source": decision["source"],
                "flags": [f["code"] for f in decision["flags"]],
            }
        )
        return {
            "proposals": {spec.id: decision},
            "flags": decision["flags"],
            "usage": result.get("usage", {}),
        }

    def mediator_turn(state: NegotiationState) -> dict[str, Any]:
        scenario = Scenario.model_validate(state["scenario"])
        round_ = state["round"]
        proposals = {op.id: state["proposals"][op.id] for op in scenario.operators}
        values = [p["value"] for p in proposals.values()]
        spread = max(values) - min(values)
        record: dict[str, Any] = {"round": round_, "proposals": proposals, "spread": spread}
        if "observation" in (state.get("extras") or {}):
            record["observation"] = state["extras"]["observation"]
        update: dict[str, Any] = {}
        if spread <= scenario.epsilon:
            update = {
                "status": "consensus",
                "consensus": fmean(values),
                "reason": f"proposals within {scenario.epsilon:g} {scenario.topic.unit} in round {round_}",
            }
        elif round_ >= scenario.rounds:
            update = {
                "status": "round_cap",
                "consensus": None,
                "reason": f"no consensus after {round_} rounds (spread {spread:.3g} {scenario.topic.unit})",
            }
        else:
            spec = scenario.mediator.model_dump(mode="json")
            inbox = {
                "proposals": {
                    op: {"value": p["value"], "reasoning": p["reasoning"]}
                    for op, p in proposals.items()
                },
                # Utilities are declared to the mediator (public); business intents never are.
                "declared": {
                    op.id: op.utility.model_dump(mode="json") for op in scenario.operators
                },
            }
            turn = _turn(
                scenario,
                MEDIATOR_ID,
                "mediator",
                round_,
                spec,
                scenario.mediator.model or scenario.model,
                inbox,
                observation=_observation(state),
            )
            result = run_turn("mediator", turn)
            decision = result["decision"]
            record["mediator"] = {**decision, "flags": result.get("flags", [])}
            update = {
                "feedback": decision["feedback"],
                "round": round_ + 1,
                "flags": result.get("flags", []),
                "usage": result.get("usage", {}),
            }
        _emit(
            {
                "event": "round",
                "round": round_,
                "spread": spread,
                "values": {op: p["value"] for op, p in proposals.items()},
                "mediator_value": (record.get("mediator") or {}).get("mediator_value"),
            }
        )
        update["history"] = [record]
        if (
            update.get("round")
            and deps.before_round
            and update.get("status", "running") == "running"
        ):
            hook = deps.before_round(scenario, {**state, **update})  # type: ignore[typeddict-item]
            update["flags"] = update.get("flags", []) + hook.pop("flags", [])
            update.update(hook)
            _emit_halt(update)
        return update

    def finish(state: NegotiationState) -> dict[str, Any]:
        scenario = Scenario.model_validate(state["scenario"])
        extras: dict[str, Any] = {"optimum": _optimum(scenario, state)}
        update: dict[str, Any] = deps.on_finish(scenario, state) if deps.on_finish else {}
        update["extras"] = {**extras, **update.get("extras", {})}
        _emit(
            {"event": "finish", "status": state.get("status"), "consensus": state.get("consensus")}
        )
        return update

    graph = StateGraph(NegotiationState)
    graph.add_node("prepare", prepare)
    graph.add_node("operator", operator_turn)  # type: ignore[arg-type]
    graph.add_node("mediator", mediator_turn)
    graph.add_node("finish", finish)
    graph.add_edge(START, "prepare")
    graph.add_conditional_edges("prepare", fan_out, ["operator", "finish"])
    graph.add_edge("operator", "mediator")
    graph.add_conditional_edges("mediator", fan_out, ["operator", "finish"])
    graph.add_edge("finish", END)
    return graph.compile(name="negotiation")


def _optimum(scenario: Scenario, state: NegotiationState) -> dict[str, Any]:
    """The theoretical consensus and how far each operator's final value ended from it."""
    capacity = _capacity(state)
    reference = theoretical_consensus(
        [op.utility for op in scenario.operators], scenario.topic, capacity
    )
    final = {op: p["value"] for op, p in (state.get("proposals") or {}).items()}
    return {**reference, **final_errors(final, reference["consensus"])}


def recursion_limit(scenario: Scenario) -> int:
    """Supersteps: prepare, then operators + mediator per round, then finish; with headroom."""
    return 3 * scenario.rounds + 10
