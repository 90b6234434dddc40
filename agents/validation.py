"""Validation unit: no number leaves an agent unchecked.

A reply is checked against the turn's reply model (`maestro.agents.replies`): one JSON object,
a finite number inside the topic's (capacity-capped) bounds, the topic's unit, a short
reasoning. A bad reply sends the LLM back once with what was wrong; a second bad reply falls
back to the optimizer's proposal, else the operator's previous value, else its preferred
value — each with a flag that lands in the transcript, and the decision's `source` says what
made it. Under hard guidance the decision is the optimizer's proposal whatever the LLM said.

Regulation: a value outside a constraint the regulatory unit attached is sent back once with
the violation as the message; if it stays outside, it is clamped to the bound (`enforce:
true`, source `regulation`) or kept (`enforce: false`), with a `constraint_violation` flag
citing the document and clause either way. Malicious reasoning is the arbitral unit's to
judge (`agents.arbitral_unit`), where texts cross between agents.
"""

from __future__ import annotations

from typing import Any

from maestro.agents.domain import Direction, Feedback, Guidance, ServiceIntent, Topic
from maestro.agents.regulatory import within_constraints
from maestro.agents.replies import ReplyError, parse_reply, reply_model
from maestro.agents.turn import AgentTurn, Unit, flag, mediator_point, unit_fact

MAX_ATTEMPTS = 2
HARD_TOLERANCE = 1e-9
FALLBACK_REASONING = "The agent's reply was invalid; the validated fallback value stands."


def _last_attempt(turn: AgentTurn) -> tuple[int, dict[str, Any]]:
    attempts = turn.get("attempts") or []
    return len(attempts), (attempts[-1] if attempts else {"text": None})


def _check(turn: AgentTurn, model: Any, last: dict[str, Any]) -> Any:
    return parse_reply(model, last.get("text"))


def _fallback(turn: AgentTurn) -> tuple[float, str]:
    optimizer_value = unit_fact(turn, "optimizer", "optimizer_value")
    if optimizer_value is not None:
        return float(optimizer_value), "fallback_optimizer"
    previous = turn.get("previous")
    if previous is not None:
        return float(previous), "fallback_previous"
    return float(unit_fact(turn, "extraction", "target")), "fallback_preferred"


def _retry(turn: AgentTurn, attempt: int, exc: ReplyError) -> dict[str, Any]:
    note = flag(turn, "invalid_output", f"attempt {attempt}: {exc}; asked again")
    return {"retry_error": str(exc), "flags": [note]}


def _validate_operator(turn: AgentTurn, model: Any) -> dict[str, Any]:
    topic = Topic.model_validate(turn["topic"])
    attempt, last = _last_attempt(turn)
    flags: list[dict[str, Any]] = []
    try:
        reply = _check(turn, model, last)
        intent = ServiceIntent.model_validate(reply.model_dump())
        decision: dict[str, Any] = {
            **intent.model_dump(),
            "source": "llm_retry" if attempt > 1 else "llm",
        }
    except ReplyError as exc:
        if attempt < MAX_ATTEMPTS:
            return _retry(turn, attempt, exc)
        value, code = _fallback(turn)
        flags.append(
            flag(turn, code, f"reply rejected twice ({exc}); using {value:g} {topic.unit}")
        )
        decision = {
            "value": value,
            "unit": topic.unit,
            "reasoning": FALLBACK_REASONING,
            "source": code.removeprefix("fallback_"),
        }
    suggested = unit_fact(turn, "optimizer", "suggested")
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
        if decision["source"].startswith("llm"):
            decision["source"] = "hard_guidance"  # the optimizer made this number, not the LLM
    ruled = _regulate(turn, decision, attempt, topic.unit)
    if "retry_error" in ruled:
        return ruled
    flags.extend(ruled["flags"])
    decision["optimizer_value"] = unit_fact(turn, "optimizer", "optimizer_value")
    _attach_units(turn, decision, ruled.get("violations", []))
    return {"decision": decision, "flags": flags, "retry_error": None}


def _regulate(turn: AgentTurn, decision: dict[str, Any], attempt: int, unit: str) -> dict[str, Any]:
    """Check the decision against the regulatory constraints: retry the LLM once with the
    violation, then clamp (enforce) or keep the value, flagged with the citation."""
    value = float(decision["value"])
    moved, broken = within_constraints(turn, value)
    if not broken:
        return {"flags": []}
    why = "; ".join(v.message for v in broken)
    if decision["source"] == "llm" and attempt < MAX_ATTEMPTS:
        note = flag(turn, "constraint_violation", f"attempt {attempt}: {why}; asked again")
        return {"retry_error": f"{why}. Propose a value that respects the rule.", "flags": [note]}
    cited = [{"document": v.document, "source": v.source, "bound": v.bound} for v in broken]
    enforce = bool(unit_fact(turn, "regulatory", "enforce"))
    if enforce:
        decision.setdefault("llm_value", value)
        decision["value"] = moved
        decision["source"] = "regulation"  # the rule made this number, not the agent
        action = f"clamped to {moved:g} {unit}"
    else:
        action = "kept (enforce: false)"
    note = flag(turn, "constraint_violation", f"{why}; {action}")
    return {"flags": [note], "violations": cited}


def _attach_units(turn: AgentTurn, decision: dict[str, Any], broken: list[dict[str, Any]]) -> None:
    """What the regulatory and arbitral units contributed, for the record."""
    constraints = unit_fact(turn, "regulatory", "constraints")
    if constraints is not None:
        decision["regulation"] = {
            "constraints": constraints,
            "passages": unit_fact(turn, "regulatory", "passages") or [],
            "violations": broken,
        }
    verdicts = unit_fact(turn, "arbitral", "verdicts")
    if verdicts is not None:
        decision["arbitral"] = verdicts


def direction(value: float, point: float | None, tolerance: float) -> Direction:
    if point is None or abs(value - point) <= tolerance:
        return "hold"
    return "decrease" if value > point else "increase"


def _validate_mediator(turn: AgentTurn, model: Any) -> dict[str, Any]:
    attempt, last = _last_attempt(turn)
    proposals: dict[str, float] = unit_fact(turn, "extraction", "proposals") or {}
    operator_ids = sorted(proposals)
    point = mediator_point(turn)
    flags: list[dict[str, Any]] = []
    messages: dict[str, str] = {}
    try:
        reply = _check(turn, model, last)
        data = reply.model_dump(by_alias=True)
        summary, messages = data["summary"], data["feedback"]
        source = "llm_retry" if attempt > 1 else "llm"
    except ReplyError as exc:
        if attempt < MAX_ATTEMPTS:
            return _retry(turn, attempt, exc)
        summary, source = "The mediator's reply was invalid; numeric guidance only.", "fallback"
        flags.append(
            flag(turn, "missing_feedback", f"reply rejected twice ({exc}); numeric guidance only")
        )
    tolerance = float(turn["epsilon"]) / 2
    feedback = {}
    warnings: dict[str, str] = unit_fact(turn, "arbitral", "warnings") or {}
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
            price=(unit_fact(turn, "optimizer", "prices") or {}).get(op),
            agreement_weight=unit_fact(turn, "optimizer", "agreement_weight"),
            warning=(warnings.get(op) or None) and warnings[op][:600],
        ).model_dump()
    decision: dict[str, Any] = {
        "summary": summary,
        "feedback": feedback,
        "mediator_value": point,
        "source": source,
    }
    _attach_units(turn, decision, [])
    return {
        "decision": decision,
        "flags": flags,
        "retry_error": None,
    }


def make_validation_unit() -> Unit:
    def validation(turn: AgentTurn) -> dict[str, Any]:
        model = reply_model(turn)
        if turn["role"] == "mediator":
            return _validate_mediator(turn, model)
        return _validate_operator(turn, model)

    return Unit("validation", validation)
