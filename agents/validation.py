"""Validation unit: no number leaves an agent unchecked.

Operator replies must be one JSON object with a finite number inside the topic's bounds, the
topic's unit and a short reasoning. A bad reply sends the LLM back once with the error; a
second bad reply falls back to the optimizer's proposal, else the operator's previous value,
else its preferred value — each with a flag that lands in the transcript. Under hard guidance
the decision is the optimizer's proposal whatever the LLM said.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from maestro.agents.domain import Direction, Feedback, Guidance, ServiceIntent, Topic
from maestro.agents.turn import AgentTurn, Unit, flag

MAX_ATTEMPTS = 2
HARD_TOLERANCE = 1e-9
_INJECTION = re.compile(
    r"ignore (all |any )?(previous|prior|above)|disregard|system prompt|you must now|"
    r"new instructions|override|jailbreak",
    re.IGNORECASE,
)


class ReplyError(ValueError):
    """Why an LLM reply was rejected; the text goes back to the LLM on retry."""


def _reject_constant(name: str) -> float:
    raise ReplyError(f"{name} is not a number; give a finite number")


def parse_json_object(text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        raise ReplyError("the reply was empty; reply with one JSON object")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ReplyError(f"the reply is not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ReplyError("the reply must be a JSON object")
    return data


def check_operator_reply(
    text: str | None, topic: Topic, reasoning_max: int = 600
) -> dict[str, Any]:
    """Return {"value", "unit", "reasoning"} or raise ReplyError saying what is wrong."""
    data = parse_json_object(text)
    missing = [k for k in ("value", "unit", "reasoning") if k not in data]
    if missing:
        raise ReplyError(f"missing field(s): {', '.join(missing)}")
    value = data["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReplyError(
            f"'value' must be a number, got {type(value).__name__} {str(value)[:40]!r}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ReplyError("'value' must be a finite number")
    if not topic.lower <= value <= topic.upper:
        raise ReplyError(
            f"'value' {value:g} is outside the allowed range [{topic.lower:g}, {topic.upper:g}] {topic.unit}"
        )
    unit = data["unit"]
    if not isinstance(unit, str) or unit.strip().lower() != topic.unit.lower():
        raise ReplyError(f"'unit' must be {topic.unit!r}")
    reasoning = data["reasoning"]
    if not isinstance(reasoning, str) or not reasoning.strip():
        raise ReplyError("'reasoning' must be a non-empty sentence")
    intent = ServiceIntent(
        value=value, unit=topic.unit, reasoning=reasoning.strip()[:reasoning_max]
    )
    return intent.model_dump()


def check_mediator_reply(
    text: str | None, operator_ids: list[str]
) -> tuple[str, dict[str, str], list[str]]:
    """Return (summary, feedback per operator, operators whose feedback was missing)."""
    data = parse_json_object(text)
    summary = data.get("summary")
    feedback = data.get("feedback")
    if not isinstance(summary, str) or not isinstance(feedback, dict):
        raise ReplyError("reply must have a string 'summary' and an object 'feedback'")
    good = {
        op: msg.strip()[:600]
        for op, msg in feedback.items()
        if op in operator_ids and isinstance(msg, str) and msg.strip()
    }
    missing = [op for op in operator_ids if op not in good]
    if len(missing) == len(operator_ids):
        raise ReplyError(f"'feedback' needs one sentence for each of: {', '.join(operator_ids)}")
    return summary.strip()[:600], good, missing


def _facts(turn: AgentTurn) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in (turn.get("context") or {}).values():
        merged.update(part.get("facts", {}))
    return merged


def _fallback(turn: AgentTurn, facts: dict[str, Any]) -> tuple[float, str]:
    if facts.get("optimizer_value") is not None:
        return float(facts["optimizer_value"]), "fallback_optimizer"
    if turn.get("previous") is not None:
        return float(turn["previous"]), "fallback_previous"
    return float(facts["target"]), "fallback_preferred"


def _validate_operator(turn: AgentTurn) -> dict[str, Any]:
    topic = Topic.model_validate(turn["topic"])
    attempts = turn.get("attempts") or []
    last = attempts[-1] if attempts else {"text": None, "error": "no reply"}
    facts = _facts(turn)
    flags: list[dict[str, Any]] = []
    try:
        if last.get("error"):
            flags.append(flag(turn, "model_error", last["error"]))
            raise ReplyError(f"the model call failed ({str(last['error'])[:120]})")
        decision: dict[str, Any] = {
            **check_operator_reply(last.get("text"), topic),
            "source": "llm",
        }
        if len(attempts) > 1:
            decision["source"] = "llm_retry"
    except ReplyError as exc:
        if len(attempts) < MAX_ATTEMPTS:
            flags.append(
                flag(turn, "invalid_output", f"attempt {len(attempts)}: {exc}; asked again")
            )
            return {"retry_error": str(exc), "flags": flags}
        value, code = _fallback(turn, facts)
        flags.append(
            flag(turn, code, f"reply rejected twice ({exc}); using {value:g} {topic.unit}")
        )
        decision = {
            "value": value,
            "unit": topic.unit,
            "reasoning": "The agent's reply was invalid; the validated fallback value stands.",
            "source": code.removeprefix("fallback_"),
        }
    if _INJECTION.search(decision["reasoning"]):
        flags.append(
            flag(
                turn, "suspicious_reasoning", "reasoning reads like an instruction to other agents"
            )
        )
    suggested = facts.get("suggested")
    guidance = Guidance(turn["spec"].get("guidance", "soft"))
    if (
        guidance is Guidance.HARD
        and suggested is not None
        and abs(decision["value"] - suggested) > HARD_TOLERANCE
    ):
        flags.append(
            flag(
                turn,
                "hard_guidance_override",
                f"LLM proposed {decision['value']:g}; hard guidance sets the optimizer's {suggested:g}",
            )
        )
        decision["llm_value"] = decision["value"]
        decision["value"] = float(suggested)
    decision["optimizer_value"] = facts.get("optimizer_value")
    return {"decision": decision, "flags": flags, "retry_error": None}


def direction(value: float, point: float | None, tolerance: float) -> Direction:
    if point is None or abs(value - point) <= tolerance:
        return "hold"
    return "decrease" if value > point else "increase"


def _validate_mediator(turn: AgentTurn) -> dict[str, Any]:
    attempts = turn.get("attempts") or []
    last = attempts[-1] if attempts else {"text": None, "error": "no reply"}
    facts = _facts(turn)
    proposals: dict[str, float] = facts.get("proposals", {})
    operator_ids = sorted(proposals)
    point = facts.get("mediator_value")
    flags: list[dict[str, Any]] = []
    try:
        if last.get("error"):
            flags.append(flag(turn, "model_error", last["error"]))
            raise ReplyError(f"the model call failed ({str(last['error'])[:120]})")
        summary, messages, missing = check_mediator_reply(last.get("text"), operator_ids)
    except ReplyError as exc:
        if len(attempts) < MAX_ATTEMPTS:
            flags.append(
                flag(turn, "invalid_output", f"attempt {len(attempts)}: {exc}; asked again")
            )
            return {"retry_error": str(exc), "flags": flags}
        summary, messages, missing = (
            "The mediator's reply was invalid; numeric guidance only.",
            {},
            operator_ids,
        )
    if missing:
        flags.append(
            flag(
                turn,
                "missing_feedback",
                f"no usable feedback for {', '.join(missing)}; numeric guidance given",
            )
        )
    tolerance = float(turn["epsilon"]) / 2
    feedback = {}
    for op in operator_ids:
        way = direction(proposals[op], point, tolerance)
        text = messages.get(op) or (
            f"Please {way} your proposal towards {point:g}."
            if way != "hold" and point is not None
            else "Please hold your proposal."
        )
        feedback[op] = Feedback(
            message=text,
            direction=way,
            target_value=point,
            price=(facts.get("prices") or {}).get(op),
            agreement_weight=facts.get("agreement_weight"),
        ).model_dump()
    return {
        "decision": {"summary": summary, "feedback": feedback, "mediator_value": point},
        "flags": flags,
        "retry_error": None,
    }


def make_validation_unit() -> Unit:
    def validation(turn: AgentTurn) -> dict[str, Any]:
        return _validate_mediator(turn) if turn["role"] == "mediator" else _validate_operator(turn)

    return Unit("validation", validation)
