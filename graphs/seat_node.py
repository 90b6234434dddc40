"""The `seat` node of the session graph: a person's turn, one LangGraph `interrupt` per message.

Before the operators' turns it takes a manual seat's proposal (and, for the mediator's seat,
the review of the mediator agent's last point); after them it puts an approve seat's draft
before the person; before enforcement it asks the network operator (`approve_enforcement`).
Lines typed ahead (the seat's `inbox`, filled by a front end while the agents run) answer
the next question, one per step, so each has its own checkpoint. What the person reads is
`seat_view`: public proposals and reasoning, the mediator's feedback to this seat, the
optimizer's numbers; never another operator's business intent.
"""

from __future__ import annotations

import contextlib
import queue
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from maestro.agents.chat import Searcher, answer, answer_status, default_searcher
from maestro.agents.domain import MEDIATOR_ID
from maestro.agents.optimizer import theoretical_consensus
from maestro.agents.replies import ReplyError
from maestro.agents.roles import preferred_value
from maestro.agents.seat import (
    HELP_TEXT,
    explain_invalid,
    person_decision,
    read_message,
)
from maestro.graphs.context import RunContext
from maestro.graphs.negotiation import effective_topic
from maestro.graphs.network import SLA_SLICE

_NO = {"/reject", "reject", "no", "n", "deny", "refuse"}
_YES = {"/approve", "approve", "yes", "y", "ok", "apply"}


def _emit(event: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):
        get_stream_writer()(event)


def seat_view(state: dict[str, Any], ctx: RunContext, holder: str) -> dict[str, Any]:
    """What the person in `holder`'s seat may see: public proposals and reasoning, the
    mediator's feedback to this seat only, the optimizer's numbers. No business intents."""
    scenario = ctx.scenario
    capacity = (state.get("observation") or {}).get("capacity_mbps")
    topic = effective_topic(scenario, capacity)
    history = []
    for record in state.get("history") or []:
        seen: dict[str, Any] = {
            "round": record["round"],
            "spread": record.get("spread"),
            "proposals": {
                op: {
                    "value": p["value"],
                    "reasoning": p.get("reasoning", ""),
                    "source": p.get("source"),
                }
                for op, p in record["proposals"].items()
            },
        }
        mediator = record.get("mediator")
        if mediator:
            feedback = mediator.get("feedback") or {}
            mine = feedback if holder == MEDIATOR_ID else {holder: feedback.get(holder, "")}
            seen["mediator"] = {"mediator_value": mediator.get("mediator_value"), "feedback": mine}
        history.append(seen)
    optimizer: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        optimizer["consensus"] = theoretical_consensus(
            [op.utility for op in scenario.operators], scenario.topic, capacity
        )["consensus"]
    own = next((op for op in scenario.operators if op.id == holder), None)
    if own is not None:
        optimizer["own_best"] = preferred_value(own, scenario.topic)
    points = [h["mediator"]["mediator_value"] for h in history if h.get("mediator")]
    optimizer["mediator_point"] = points[-1] if points else None
    return {
        "agent": holder,
        "round": state.get("round", 1),
        "max_rounds": scenario.rounds,
        "status": state.get("status", "running"),
        "topic": topic,
        "history": history,
        "optimizer": optimizer,
    }


def prices_at(scenario: Any, point: float) -> dict[str, float]:
    """Eq. 1's price for each operator at `point` (lambda_i = -U_i'(point)): with it, each
    operator's own optimum is the point, as with the mediator agent's."""
    import numpy as np

    from maestro.tools.consensus import CostModel, parse_utility

    ids = [op.id for op in scenario.operators]
    try:
        model = CostModel([parse_utility(op.utility) for op in scenario.operators])
        grads = model.grad(np.full(len(ids), float(point)))
    except Exception:  # a utility the cost model cannot differentiate: no price, words only
        return {}
    return {op: float(-g) for op, g in zip(ids, grads, strict=True)}


def planned_policy(ctx: RunContext, agreed: float) -> dict[str, Any]:
    """The slice policy enforcing `agreed` would apply to the cell now (nothing applied).

    With a `regulation:` section this is the policy after the slice-policy rules, as
    enforcement will send it: adjusted (each change citing its rule) or refused (`policy`
    None, `refused` saying which rule), on the cell the agreement lands on."""
    from maestro.tools.ran import policy_for_throughput

    if ctx.network is None:
        return {"requested_mbps": agreed}
    if ctx.network.rules is not None:
        from maestro.graphs.slice_rules import planned_review

        return planned_review(ctx.network, agreed)
    try:
        cell = ctx.network.driver.cell_state()
        policy = policy_for_throughput(cell.cell, cell.cqi, {SLA_SLICE: agreed})
    except Exception as exc:
        return {"requested_mbps": agreed, "problem": str(exc)[:300]}
    return {
        "requested_mbps": agreed,
        "slice": SLA_SLICE,
        "cqi": cell.cqi,
        "policy": policy.model_dump(mode="json", by_alias=True),
    }


class SeatNode:
    """The `seat` node and its routing questions (graphs.negotiation.SeatHooks)."""

    def __init__(self, search: Searcher | None = None, searcher: bool = True) -> None:
        self.search = search if search is not None or not searcher else default_searcher()

    @staticmethod
    def seats(ctx: Any) -> dict[str, str]:
        return dict(getattr(ctx, "seats", None) or {})

    def _waiting(self, state: dict[str, Any], ctx: Any, phase: str) -> str | None:
        """The seat that needs the person in this phase of the round, if any."""
        round_ = state.get("round", 1)
        seat = state.get("seat") or {}
        for holder, mode in self.seats(ctx).items():
            if holder == MEDIATOR_ID:
                if phase == "before" and mode != "auto" and self._unreviewed_point(state):
                    return holder
                continue
            chosen = (seat.get("overrides") or {}).get(holder, {}).get("round")
            if phase == "before" and mode == "manual" and chosen != round_:
                return holder
            reviewed = (seat.get("reviewed") or {}).get(holder)
            if phase == "after" and mode == "approve" and reviewed != round_:
                return holder
        return None

    @staticmethod
    def _unreviewed_point(state: dict[str, Any]) -> dict[str, Any] | None:
        """The mediator's last turn, when the person in its seat has not reviewed it."""
        history = state.get("history") or []
        last = history[-1] if history else {}
        mediator = last.get("mediator")
        reviewed = ((state.get("seat") or {}).get("reviewed") or {}).get(MEDIATOR_ID)
        if not mediator or reviewed == last.get("round") or state.get("status") != "running":
            return None
        return {"round": last["round"], **mediator}

    def pending(self, state: Any, context: Any, phase: str) -> bool:
        if self._waiting(state, context, phase) is not None:
            return True
        # An auto seat's lines typed while the agents ran are interjections, read now; a
        # manual or approve seat's wait for its next question (they answer it).
        inbox = getattr(context, "inbox", None)
        auto = any(mode == "auto" for mode in self.seats(context).values())
        return phase == "before" and auto and inbox is not None and not inbox.empty()

    @staticmethod
    def _queued(ctx: Any) -> str | None:
        """The next line typed ahead, if any (one per step: each gets its checkpoint)."""
        inbox = getattr(ctx, "inbox", None)
        while inbox is not None:
            try:
                line = inbox.get_nowait()
            except queue.Empty:
                return None
            if isinstance(line, str):
                return line
        return None

    # -- the node ----------------------------------------------------------------------------
    def node(self, state: Any, runtime: Runtime[Any]) -> dict[str, Any]:
        ctx = runtime.context
        phase = "before" if self._waiting(state, ctx, "before") else "after"
        holder = self._waiting(state, ctx, phase)
        if holder is None:  # an auto seat's interjection, typed while the agents ran
            line = self._queued(ctx)
            if line is None:
                return {"seat": {"phase": "before"}}
            update = self._fold(
                state, ctx, next(iter(self.seats(ctx)), MEDIATOR_ID), "before", [line]
            )
            update["seat"] = {**update.get("seat", {}), "phase": "before"}
            return update
        round_ = state.get("round", 1)
        view = seat_view(state, ctx, holder)
        prompt: dict[str, Any] = {
            "kind": "proposal" if phase == "before" else "approve",
            "seat": holder,
            "round": round_,
            "topic": {k: view["topic"][k] for k in ("unit", "lower", "upper")},
        }
        point = self._unreviewed_point(state) if holder == MEDIATOR_ID else None
        if point is not None:
            value = point.get("mediator_value")
            prompt["kind"] = "mediate"
            prompt["draft"] = {
                "point": value,
                "feedback": {
                    op: f.get("message") for op, f in (point.get("feedback") or {}).items()
                },
            }
            prompt["question"] = (
                f"Round {point['round']}: the mediator points to {float(value or 0):g} "
                f"{view['topic']['unit']}. /approve, or type the point to steer to."
            )
        elif phase == "before":
            prompt["question"] = (
                f"Round {round_}: your proposal for {holder} "
                f"({view['topic']['lower']:g}-{view['topic']['upper']:g} {view['topic']['unit']})?"
            )
        else:
            draft = (state.get("proposals") or {}).get(holder, {})
            prompt["draft"] = {k: draft.get(k) for k in ("value", "unit", "reasoning", "source")}
            prompt["question"] = (
                f"Round {round_}: your agent drafted {draft.get('value', 0):g} "
                f"{view['topic']['unit']}. /approve, /reject, or type another value."
            )
        _emit({"event": "seat_prompt", **prompt})
        queued = self._queued(ctx)  # typed ahead: it answers this question
        reply = queued if queued is not None else interrupt(prompt)
        update = self._fold(state, ctx, holder, phase, [reply])
        update["seat"] = {**update.get("seat", {}), "phase": phase}
        return update

    def _fold(
        self, state: Any, ctx: Any, holder: str, phase: str, replies: list[Any]
    ) -> dict[str, Any]:
        """The update for the person's messages: answers, and any decision they made."""
        seat = dict(state.get("seat") or {})
        messages: list[Any] = []
        update: dict[str, Any] = {}
        for raw in replies:
            said, decided = self._one(state, ctx, holder, phase, raw, seat, update)
            reading = read_message(raw)
            shown = (
                reading.text
                if reading.kind not in ("binary", "too_long")
                else "(unreadable message)"
            )
            messages += [HumanMessage(content=shown, name=holder), AIMessage(content=said)]
            _emit({"event": "seat_reply", "seat": holder, "text": said})
            if decided:
                break
        update["messages"] = messages
        update["seat"] = {k: v for k, v in seat.items() if k != "phase"}
        return update

    def _one(
        self,
        state: Any,
        ctx: Any,
        holder: str,
        phase: str,
        raw: Any,
        seat: dict[str, Any],
        update: dict[str, Any],
    ) -> tuple[str, bool]:
        """Answer one message; return the answer and whether it settled this phase."""
        round_ = state.get("round", 1)
        reading = read_message(raw)
        view = seat_view(state, ctx, holder)
        topic = view["topic"]
        mode = self.seats(ctx).get(holder, "auto")
        if reading.problem:
            return f"{reading.problem[0].upper()}{reading.problem[1:]}. Nothing changed.", False
        if reading.kind == "command":
            word = reading.command
            if word == "/help":
                return HELP_TEXT, False
            if word == "/status":
                return answer_status(view), False
            if word == "/quit":
                return "The session is saved; resume it with `maestro sessions resume`.", False
            if holder == MEDIATOR_ID and word in ("/approve", "/reject"):
                return self._steer(state, ctx, reading, topic, seat, update)
            if word == "/approve" and phase == "after":
                seat["reviewed"] = {**(seat.get("reviewed") or {}), holder: round_}
                draft = (state.get("proposals") or {}).get(holder, {})
                return (
                    f"Approved: {draft.get('value', 0):g} {topic['unit']} goes to the mediator.",
                    True,
                )
            if word == "/reject" and phase == "after":
                return "Rejected. Type the value you want instead.", False
            return f"{word} has nothing to act on now. {HELP_TEXT}", False
        if reading.kind == "question":
            return answer(reading.text, view, self.search), False
        if holder == MEDIATOR_ID:
            return self._steer(state, ctx, reading, topic, seat, update)
        if reading.kind == "intent" and holder != MEDIATOR_ID:
            specs = dict(seat.get("specs") or {})
            specs[holder] = {"business_intent": reading.text[:300]}
            seat["specs"] = specs
            noted = "Noted: your agent argues from this business intent from its next turn."
            if reading.value is None or (mode == "auto" and phase == "before"):
                return noted, False
            said, settled = self._propose(state, holder, phase, reading, topic, seat, update)
            return f"{noted} {said}", settled
        if reading.kind in ("proposal", "intent") and holder != MEDIATOR_ID:
            return self._propose(state, holder, phase, reading, topic, seat, update)
        return "The mediator's seat watches and approves; it does not propose.", False

    def _steer(
        self,
        state: Any,
        ctx: Any,
        reading: Any,
        topic: dict[str, Any],
        seat: dict[str, Any],
        update: dict[str, Any],
    ) -> tuple[str, bool]:
        """The person in the mediator's seat approves the agent's point or sets another."""
        point = self._unreviewed_point(state)
        if point is None:
            return "The mediator's seat has nothing to review now.", False
        done = {**(seat.get("reviewed") or {}), MEDIATOR_ID: point["round"]}
        if reading.kind == "command" and reading.command == "/approve":
            seat["reviewed"] = done
            return (
                f"Approved: the operators steer to {float(point['mediator_value'] or 0):g}.",
                True,
            )
        if reading.kind == "command" and reading.command == "/reject":
            return "Rejected. Type the point the operators should steer to.", False
        if reading.value is None:
            return "Type a point (a number in the topic's unit), or /approve.", False
        try:  # the same bounds as any proposal
            target = float(person_decision(float(reading.value), reading.text, topic)["value"])
        except ReplyError as exc:
            return explain_invalid(float(reading.value), exc, topic), False
        last = state.get("proposals") or {}
        prices = prices_at(ctx.scenario, target)
        feedback = {}
        for op, old in (state.get("feedback") or point.get("feedback") or {}).items():
            mine = float((last.get(op) or {}).get("value", target))
            way = "hold" if abs(mine - target) <= 1e-9 else ("lower" if mine > target else "raise")
            feedback[op] = {
                **old,
                "message": f"The mediator asks you to {way} your proposal towards {target:g}.",
                "direction": way,
                "target_value": target,
                "price": prices.get(op),
            }
        update["feedback"] = feedback
        seat["reviewed"] = done
        seat["points"] = {**(seat.get("points") or {}), str(point["round"]): target}
        return f"Steered: the operators move towards {target:g} {topic['unit']}.", True

    @staticmethod
    def _propose(
        state: Any,
        holder: str,
        phase: str,
        reading: Any,
        topic: dict[str, Any],
        seat: dict[str, Any],
        update: dict[str, Any],
    ) -> tuple[str, bool]:
        round_ = state.get("round", 1)
        try:
            decision = person_decision(float(reading.value), reading.text, topic)
        except ReplyError as exc:
            return explain_invalid(float(reading.value), exc, topic), False
        if phase == "after":  # an edit of the agent's draft
            decision["flags"] = []
            update["proposals"] = {holder: decision}
            seat["reviewed"] = {**(seat.get("reviewed") or {}), holder: round_}
            return f"Edited: {decision['value']:g} {topic['unit']} goes to the mediator.", True
        seat["overrides"] = {
            **(seat.get("overrides") or {}),
            holder: {"round": round_, "decision": decision},
        }
        return (
            f"Accepted: {decision['value']:g} {topic['unit']} is your proposal for round {round_}.",
            True,
        )

    # -- enforcement -------------------------------------------------------------------------
    def approve_enforcement(self, state: Any, context: Any, agreed: float) -> dict[str, Any] | None:
        """None to go ahead; the enforcement record of a refusal otherwise."""
        if not getattr(context, "approve_enforcement", False):
            return None
        from maestro.graphs.slice_rules import review_note

        plan = planned_policy(context, agreed)
        note = review_note(plan)  # the rules' change or refusal, in the question itself
        payload: dict[str, Any] = {
            "kind": "enforcement",
            "agreed": agreed,
            "unit": context.scenario.topic.unit,
            "plan": plan,
            "question": f"Enforce {agreed:.4g} {context.scenario.topic.unit} on the cell? "
            + (f"{note} " if note else "")
            + "/approve or /reject",
        }
        _emit({"event": "seat_prompt", **payload})
        while True:  # each unreadable answer is asked again (one interrupt per answer)
            queued = self._queued(context)
            said = queued if queued is not None else interrupt(payload)
            word = str(said).strip().lower() if isinstance(said, str) else ""
            if word in _YES:
                return None
            if word in _NO:
                return {
                    "applied": False,
                    "ok": False,
                    "message": "the network operator rejected enforcement",
                    "requested_mbps": agreed,
                    "rejected": True,
                }
            payload = {**payload, "problem": "answer /approve or /reject"}


__all__ = ["SeatNode", "planned_policy", "prices_at", "seat_view"]
