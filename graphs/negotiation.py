"""The negotiation graph: operators in parallel each round, then the mediator, until consensus.

    prepare -> (Send per operator) operator -> mediator -> (Send per operator | finish) -> END

The run's scenario, settings, models and network link live in the run context
(`RunContext`, read through `Runtime`); the state holds only what changes during the run.

Privacy is structural: an operator's branch (`OperatorTask`, the `Send` payload) carries that
operator's own spec — its private business intent included — and only the values, reasoning
and feedback the others' turns produced; never the scenario, never another operator's spec.
The mediator's turn carries service intents and declared utilities only, and what an
operator's branch returns has its own private text redacted first (`graphs.outbox`), so its
model quoting its intent does not carry it to the others. Each operator and the mediator
run the same agent pipeline subgraph, configured by role.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Annotated, Any, NotRequired, Protocol

from langchain_core.messages import AnyMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from maestro.agents.arbitral_unit import make_arbitral_unit
from maestro.agents.central_llm import make_central_llm_unit
from maestro.agents.domain import MEDIATOR_ID
from maestro.agents.extraction import make_extraction_unit
from maestro.agents.model_pool import ModelPool
from maestro.agents.observability import make_observability_unit
from maestro.agents.optimizer import final_errors, make_optimizer_unit, theoretical_consensus
from maestro.agents.regulatory import make_regulatory_unit, opening_query
from maestro.agents.turn import AgentTurn, Unit, add_usage, merge_dicts
from maestro.agents.validation import make_validation_unit
from maestro.graphs.arbitration import (
    active_operators,
    arbitral_event,
    final_arbitration,
    mediator_inbox_extras,
    trust_update,
)
from maestro.graphs.context import RunContext
from maestro.graphs.network import enforce_agreement, observe_round
from maestro.graphs.outbox import outgoing
from maestro.graphs.pipeline import build_agent_pipeline
from maestro.graphs.scenario import Scenario
from maestro.graphs.slice_rules import rule_flags

UnitFactory = Callable[[], Sequence[Unit]]
# Decision sources that mean no agent decided: validation's fallbacks (see agents.validation).
FALLBACK_SOURCES = frozenset({"optimizer", "previous", "preferred", "fallback"})


class NegotiationInput(TypedDict, total=False):
    """Nothing: everything a run starts from is in its context (`RunContext`)."""


class NegotiationOutput(TypedDict, total=False):
    """What a finished run reports; `graphs.runner` turns it into the record."""

    status: str  # consensus, degraded, round_cap, halted (error is the runner's)
    reason: str
    consensus: float | None
    history: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    usage: dict[str, Any]
    observation: dict[str, Any] | None
    optimum: dict[str, Any] | None
    enforcement: dict[str, Any] | None
    trust: dict[str, dict[str, Any]]  # each operator's trust state (graphs.arbitration)


class NegotiationState(TypedDict, total=False):
    round: int
    status: str
    reason: str
    proposals: Annotated[dict[str, Any], merge_dicts]
    feedback: dict[str, Any]
    history: Annotated[list[dict[str, Any]], operator.add]
    flags: Annotated[list[dict[str, Any]], operator.add]
    usage: Annotated[dict[str, Any], add_usage]
    consensus: float | None
    observation: dict[str, Any] | None  # the cell as read once for the current round
    optimum: dict[str, Any] | None
    enforcement: dict[str, Any] | None
    # The arbitral unit's state per operator: score, offences, action, weight (graphs.arbitration).
    trust: dict[str, dict[str, Any]]
    # A person's seat (graphs.session): the seat's conversation, and what the person decided
    # (`seat["overrides"]`: op id -> {round, decision}; `seat["specs"]`: op id -> spec changes).
    messages: Annotated[list[AnyMessage], add_messages]
    seat: Annotated[dict[str, Any], merge_dicts]


class OperatorTask(TypedDict):
    """One operator's branch: what that operator may see this round, and nothing else."""

    agent: str
    round: int
    max_rounds: int
    epsilon: float
    topic: dict[str, Any]  # the topic, re-targeted to the cell's capacity
    spec: dict[str, Any]  # this operator's own spec, its private business intent included
    model: str
    previous: float | None
    feedback: dict[str, Any] | None  # the mediator's feedback to this operator
    others: dict[str, dict[str, Any]]  # the other operators' last values and reasoning
    observation: dict[str, Any] | None
    override: NotRequired[dict[str, Any] | None]  # a person's validated decision this round


class SeatHooks(Protocol):
    """A person's seat (graphs.session.SeatNode): a node that may interrupt for the person,
    asked before the operators' turns and after them whether it has something to do."""

    def pending(self, state: Any, context: Any, phase: str) -> bool: ...
    def node(self, state: Any, runtime: Runtime[Any]) -> dict[str, Any]: ...
    def approve_enforcement(
        self, state: Any, context: Any, agreed: float
    ) -> dict[str, Any] | None: ...


def default_units() -> list[Unit]:
    """Both roles run the same units, in the paper's order; each unit reads the turn's role."""
    return [
        make_extraction_unit(),
        make_arbitral_unit(),
        make_regulatory_unit(),
        make_observability_unit(),
        make_optimizer_unit(),
        make_central_llm_unit(),
        make_validation_unit(),
    ]


default_operator_units = default_units
default_mediator_units = default_units


@dataclass
class NegotiationDeps:
    """Choices a caller may make beyond the scenario: the models (a pool, e.g. holding a
    custom scripted model) and the units each role runs."""

    pool: ModelPool | None = None
    operator_units: UnitFactory = default_operator_units
    mediator_units: UnitFactory = default_mediator_units


def _emit(event: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):  # outside a streaming run there is nobody to tell
        get_stream_writer()(event)


def effective_topic(scenario: Scenario, capacity: float | None) -> dict[str, Any]:
    """The topic re-targeted to what the cell can carry (its upper bound capped by capacity)."""
    topic = scenario.topic.model_dump(mode="json")
    if capacity is not None and scenario.topic.lower < capacity < scenario.topic.upper:
        topic["upper"] = capacity
    return topic


def _capacity(observation: dict[str, Any] | None) -> float | None:
    return (observation or {}).get("capacity_mbps")


def _observe(ctx: RunContext, round_: int) -> dict[str, Any]:
    if ctx.network is None:
        return {}
    update = observe_round(ctx.network, ctx.scenario, round_)
    if update.get("status") == "halted":
        _emit({"event": "halt", "reason": update.get("reason", "")})
    return update


def _turn(task: OperatorTask) -> AgentTurn:
    return AgentTurn(
        agent=task["agent"],
        role="operator",
        round=task["round"],
        max_rounds=task["max_rounds"],
        epsilon=task["epsilon"],
        topic=task["topic"],
        spec=task["spec"],
        model=task["model"],
        previous=task["previous"],
        inbox={"feedback": task["feedback"], "others": task["others"]},
        observation=task["observation"],
        context={},
        messages=[],
        attempts=[],
        retry_error=None,
        decision=None,
        flags=[],
        usage={},
    )


def operator_tasks(state: NegotiationState, scenario: Scenario) -> list[OperatorTask]:
    """One task per operator, each holding only what that operator may see."""
    last = state.get("proposals") or {}
    feedback = state.get("feedback") or {}
    observation = state.get("observation")
    topic = effective_topic(scenario, _capacity(observation))
    active = active_operators(scenario, state.get("trust"))
    seat = state.get("seat") or {}
    overrides, specs = seat.get("overrides") or {}, seat.get("specs") or {}
    tasks = [
        OperatorTask(
            agent=op.id,
            round=state["round"],
            max_rounds=scenario.rounds,
            epsilon=scenario.epsilon,
            topic=topic,
            spec=op.model_dump(mode="json") | specs.get(op.id, {}),
            model=op.model or scenario.model,
            previous=last[op.id]["value"] if op.id in last else None,
            feedback=feedback.get(op.id),
            others={
                o: {"value": p["value"], "reasoning": p["reasoning"]}
                for o, p in last.items()
                if o != op.id and o in active
            },
            observation=observation,
        )
        for op in scenario.operators
        if op.id in active  # an excluded operator takes no turn and its words reach nobody
    ]
    for task in tasks:  # a person's decision for this round replaces the agent's turn
        chosen = overrides.get(task["agent"]) or {}
        if chosen.get("round") == state["round"]:
            task["override"] = chosen["decision"]
    return tasks


def build_negotiation_graph(
    deps: NegotiationDeps | None = None,
    checkpointer: Any = None,
    seat: SeatHooks | None = None,
) -> Any:
    """Compile the negotiation graph; run it with `context=RunContext` (see `prepare_run`).

    `checkpointer` makes runs durable (a thread per run, graphs.checkpoints); `seat` adds a
    person's seat node (graphs.session).
    """
    deps = deps or NegotiationDeps()
    operator_pipeline = build_agent_pipeline(deps.operator_units())
    mediator_pipeline = build_agent_pipeline(deps.mediator_units())

    def prepare(state: NegotiationState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        ctx.deadline.restart()  # the run starts here, however it was started
        update: dict[str, Any] = {"round": 1, "status": "running", "reason": ""}
        _emit(
            {
                "event": "start",
                "scenario": ctx.scenario.name,
                "operators": [o.id for o in ctx.scenario.operators],
            }
        )
        update |= _observe(ctx, 1)
        if ctx.regulation is not None:  # the index loads while the first turns start
            ctx.regulation.prefetch(opening_query(ctx.scenario, update.get("observation")))
        return update

    def fan_out(state: NegotiationState, runtime: Runtime[RunContext]) -> list[Send] | str:
        if state.get("status") != "running":
            return "finish"
        if seat is not None and seat.pending(state, runtime.context, "before"):
            return "seat"
        return [Send("operator", task) for task in operator_tasks(state, runtime.context.scenario)]

    def after_operators(state: NegotiationState, runtime: Runtime[RunContext]) -> str:
        if seat is not None and seat.pending(state, runtime.context, "after"):
            return "seat"
        return "mediator"

    def after_seat(state: NegotiationState, runtime: Runtime[RunContext]) -> Any:
        if (state.get("seat") or {}).get("phase") == "after":
            return after_operators(state, runtime)
        return fan_out(state, runtime)

    def operator_turn(
        state: OperatorTask,  # this branch's Send
        runtime: Runtime[RunContext],
    ) -> dict[str, Any]:
        runtime.context.deadline.check(f"before {state['agent']}'s turn in round {state['round']}")
        if state.get("override"):  # the person's own proposal, validated by the seat
            result: dict[str, Any] = {"decision": state["override"], "flags": []}
        else:
            result = operator_pipeline.invoke(_turn(state), config={"recursion_limit": 50})
        # Nothing leaves the branch that quotes the operator's own private intent.
        decision, notes = outgoing(
            dict(result["decision"]), result.get("flags", []), state["spec"], state["round"]
        )
        decision["flags"] = notes
        _emit(
            {
                "event": "proposal",
                "round": state["round"],
                "agent": state["agent"],
                "value": decision["value"],
                "source": decision["source"],
                "flags": [f["code"] for f in decision["flags"]],
            }
        )
        return {
            "proposals": {state["agent"]: decision},
            "flags": decision["flags"],
            "usage": result.get("usage", {}),
        }

    def mediator_turn(state: NegotiationState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        scenario = ctx.scenario
        round_ = state["round"]
        ctx.deadline.check(f"before the mediator's turn in round {round_}")
        active = active_operators(scenario, state.get("trust"))
        proposals = {op: state["proposals"][op] for op in active}
        values = [p["value"] for p in proposals.values()]
        spread = max(values) - min(values)
        record: dict[str, Any] = {"round": round_, "proposals": proposals, "spread": spread}
        if state.get("observation") is not None:
            record["observation"] = state["observation"]
        update: dict[str, Any] = {}
        if spread <= scenario.epsilon:
            update = {
                "status": "consensus",
                "consensus": fmean(values),
                "reason": f"proposals within {scenario.epsilon:g} {scenario.topic.unit} in round {round_}",
            }
            blind = fallback_rounds([*state.get("history", []), record])
            if blind:
                which = ", ".join(str(r) for r in blind)
                update["status"] = "degraded"
                update["reason"] += (
                    f", but every decision of round {which} came from a fallback, not an agent"
                )
        elif round_ >= scenario.rounds:
            update = {
                "status": "round_cap",
                "consensus": None,
                "reason": f"no consensus after {round_} rounds (spread {spread:.3g} {scenario.topic.unit})",
            }
        else:
            inbox = {
                "proposals": {
                    op: {"value": p["value"], "reasoning": p["reasoning"]}
                    for op, p in proposals.items()
                },
                # Utilities are declared to the mediator (public); business intents never are.
                "declared": {
                    op.id: op.utility.model_dump(mode="json")
                    for op in scenario.operators
                    if op.id in active
                },
                **mediator_inbox_extras(state, active),
            }
            turn = AgentTurn(
                agent=MEDIATOR_ID,
                role="mediator",
                round=round_,
                max_rounds=scenario.rounds,
                epsilon=scenario.epsilon,
                topic=effective_topic(scenario, _capacity(state.get("observation"))),
                spec=scenario.mediator.model_dump(mode="json"),
                model=scenario.mediator.model or scenario.model,
                previous=None,
                inbox=inbox,
                observation=state.get("observation"),
                context={},
                messages=[],
                attempts=[],
                retry_error=None,
                decision=None,
                flags=[],
                usage={},
            )
            result = mediator_pipeline.invoke(turn, config={"recursion_limit": 50})
            decision = result["decision"]
            record["mediator"] = {**decision, "flags": result.get("flags", [])}
            update = {
                "feedback": decision["feedback"],
                "round": round_ + 1,
                "flags": result.get("flags", []),
                "usage": result.get("usage", {}),
            }
            judged = ((result.get("context") or {}).get("arbitral") or {}).get("facts")
        if "feedback" not in update:  # a last round: no mediator turn, the arbiter still judges
            judged = final_arbitration(ctx, state, proposals, round_)
        update = _enforce_at_consensus(ctx, update, record, list(proposals), round_)
        update = trust_update(update, record, judged, state, round_)
        _emit(
            {
                "event": "round",
                "round": round_,
                "spread": spread,
                "values": {op: p["value"] for op, p in proposals.items()},
                "mediator_value": (record.get("mediator") or {}).get("mediator_value"),
                **arbitral_event(record),
            }
        )
        update["history"] = [record]
        if update.get("round") and update.get("status", "running") == "running":
            seen = _observe(ctx, update["round"])
            update["flags"] = update.get("flags", []) + seen.pop("flags", [])
            update.update(seen)
        return update

    def _enforce_at_consensus(
        ctx: RunContext, update: dict[str, Any], record: dict[str, Any], ops: list[str], round_: int
    ) -> dict[str, Any]:
        """Through the orchestrator, a consensus is enforced at once (without a seat to
        approve it): refused by admission with rounds left, the operators hear why and the
        negotiation goes on; otherwise the record keeps what the network did."""
        link = ctx.network
        if update.get("status") != "consensus" or seat is not None or link is None:
            return update
        if not link.enforce or link.orchestrator is None:
            return update
        ctx.deadline.check("before the agreement was enforced")
        done = enforce_agreement(link, float(update["consensus"]))
        _emit({"event": "enforced", **done})
        record["enforcement"] = done
        ruled = rule_flags(done, round_)  # the slice rules adjusted or refused the policy
        if not done.get("admitted") and round_ < ctx.scenario.rounds:
            from maestro.agents.orchestrator_tools import refusal_round

            back = refusal_round(done, ops, round_)
            return {**back, "flags": back["flags"] + ruled}
        return {**update, "enforcement": done, "flags": update.get("flags", []) + ruled}

    def finish(state: NegotiationState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        update: dict[str, Any] = {"optimum": _optimum(ctx.scenario, state)}
        link = ctx.network
        status, agreed = state.get("status"), state.get("consensus")
        enforced = state.get("enforcement") is not None  # at consensus, by the orchestrator
        if status in ("consensus", "degraded") and agreed is not None and link and link.enforce:
            if enforced:  # the orchestrator path enforced it at consensus (mediator turn)
                return _finished(state, update)
            # Past the deadline nothing goes on the network, whatever the agents agreed.
            ctx.deadline.check("before the agreement was enforced")
            refused = seat.approve_enforcement(state, ctx, float(agreed)) if seat else None
            if refused is not None:  # the network operator said no (a LangGraph interrupt)
                update["enforcement"] = refused
            elif status == "consensus" or ctx.enforce_fallback:
                update["enforcement"] = enforce_agreement(link, float(agreed))
            else:  # nothing goes on the network for an agreement no agent made
                update["enforcement"] = {
                    "applied": False,
                    "ok": False,
                    "message": "the agreement rests on fallback decisions "
                    "(enforce_fallback / --enforce-fallback applies it anyway)",
                    "requested_mbps": state.get("consensus"),
                }
            _emit({"event": "enforced", **update["enforcement"]})
            update["flags"] = rule_flags(update["enforcement"], state.get("round", 1))
        return _finished(state, update)

    def _finished(state: NegotiationState, update: dict[str, Any]) -> dict[str, Any]:
        _emit(
            {"event": "finish", "status": state.get("status"), "consensus": state.get("consensus")}
        )
        return update

    graph = StateGraph(
        NegotiationState,
        context_schema=RunContext,
        input_schema=NegotiationInput,
        output_schema=NegotiationOutput,
    )
    graph.add_node("prepare", prepare)
    graph.add_node("operator", operator_turn)
    graph.add_node("mediator", mediator_turn)
    graph.add_node("finish", finish)
    graph.add_edge(START, "prepare")
    ends = ["operator", "finish"] + (["seat"] if seat is not None else [])
    graph.add_conditional_edges("prepare", fan_out, ends)
    if seat is not None:
        graph.add_node("seat", seat.node)
        graph.add_conditional_edges("operator", after_operators, ["seat", "mediator"])
        graph.add_conditional_edges("seat", after_seat, [*ends, "mediator"])
    else:
        graph.add_edge("operator", "mediator")
    graph.add_conditional_edges("mediator", fan_out, ends)
    graph.add_edge("finish", END)
    return graph.compile(name="negotiation", checkpointer=checkpointer)


def fallback_rounds(history: list[dict[str, Any]]) -> list[int]:
    """Rounds in which every decision (each proposal, and the mediator's feedback when it
    spoke) came from a fallback rather than from an agent's valid reply."""
    blind = []
    for record in history:
        sources = [p["source"] for p in record["proposals"].values()]
        if record.get("mediator"):
            sources.append(record["mediator"].get("source", "llm"))
        if sources and all(s in FALLBACK_SOURCES for s in sources):
            blind.append(record["round"])
    return blind


def _optimum(scenario: Scenario, state: NegotiationState) -> dict[str, Any] | None:
    """The theoretical consensus and how far each operator's final value ended from it,
    over the operators still in the negotiation (an excluded one agreed to nothing); None
    when every operator was excluded, since there is then nothing to measure against."""
    capacity = _capacity(state.get("observation"))
    active = active_operators(scenario, state.get("trust"))
    if not active:
        return None
    reference = theoretical_consensus(
        [op.utility for op in scenario.operators if op.id in active], scenario.topic, capacity
    )
    final = {op: p["value"] for op, p in (state.get("proposals") or {}).items() if op in active}
    return {**reference, **final_errors(final, reference["consensus"])}


def recursion_limit(scenario: Scenario) -> int:
    """Supersteps: prepare, then operators + mediator per round, then finish; with headroom."""
    return 3 * scenario.rounds + 10
