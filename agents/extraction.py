"""Extraction unit: reads what reached the agent this round into prompt lines and facts.

It states the numbers only. Other agents' words are LLM text and may be hostile: they go to
the arbitral unit (`agents.arbitral_unit`), which judges and contains them; only its
contained copies reach a prompt.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from maestro.agents.domain import Topic
from maestro.agents.prompting import fmt
from maestro.agents.roles import OperatorSpec, preferred_value
from maestro.agents.turn import AgentTurn, Unit, contribution


def _operator_view(turn: AgentTurn, topic: Topic) -> dict[str, Any]:
    spec = OperatorSpec.model_validate(turn["spec"])
    target = preferred_value(spec, topic)
    inbox = turn.get("inbox") or {}
    previous = turn.get("previous")
    others = inbox.get("others") or {}
    if previous is None:
        lines = ["This is the opening round: no proposals have been made yet."]
    else:
        said = "; ".join(
            f"operator {op_id} proposed {fmt(others[op_id]['value'])} {topic.unit}"
            for op_id in sorted(others)
        )
        lines = [
            f"Last round you proposed {fmt(previous)} {topic.unit}"
            + (f"; {said}." if said else ".")
        ]
    feedback = inbox.get("feedback")
    feedback_point = None
    if feedback:
        feedback_point = feedback.get("target_value")
        point = (
            ""
            if feedback_point is None
            else f"; consensus point {fmt(feedback_point)} {topic.unit}"
        )
        lines.append(f"Mediator's feedback to you: direction {feedback['direction']}{point}.")
    return contribution(lines, target=target, previous=previous, feedback_point=feedback_point)


def _mediator_view(turn: AgentTurn, topic: Topic) -> dict[str, Any]:
    proposals = turn["inbox"]["proposals"]
    values = {op: float(p["value"]) for op, p in proposals.items()}
    spread = max(values.values()) - min(values.values()) if values else 0.0
    return contribution(
        [f"The proposals are {fmt(spread)} {topic.unit} apart."],
        proposals=values,
        spread=spread,
        mean=fmean(values.values()) if values else None,
    )


def make_extraction_unit() -> Unit:
    def extraction(turn: AgentTurn) -> dict[str, Any]:
        topic = Topic.model_validate(turn["topic"])
        view = (
            _mediator_view(turn, topic)
            if turn["role"] == "mediator"
            else _operator_view(turn, topic)
        )
        return {"context": {"extraction": view}}

    return Unit("extraction", extraction)
