"""Arbitral unit: every text from another agent is judged and contained before any prompt.

The library (`maestro.agents.arbitral`) judges one message in up to three stages
(deterministic rules, a learned linear model, then an LLM classifier for what neither
settles) and contains it (quoted, delimited data with malicious spans replaced by a
marker). This unit applies it where texts
cross from one agent to another:

- in an operator's pipeline, over what it receives: the other operators' reasoning and the
  mediator's feedback message;
- in the mediator's pipeline, over every proposal's reasoning; there it also keeps the trust
  score of each operator (0-1, from 1), counts offences and decides the consequences
  (warning, a reduced weight in the consensus point, exclusion) that the optimizer and
  validation units apply.

Nothing else quotes another agent's words: extraction states numbers only, and the central
LLM unit reads the contained texts from this unit's facts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from maestro.agents.arbitral import (
    ArbitralPolicy,
    TrustLedger,
    Verdict,
    assess,
    contain,
    deterministic,
    judge,
)
from maestro.agents.deadline import call_before
from maestro.agents.domain import MEDIATOR_ID, Topic, flag_record
from maestro.agents.prompting import fmt
from maestro.agents.turn import AgentTurn, Unit, contribution

EVIDENCE_MAX = 160  # characters of evidence kept in the record and in a warning


def observed_facts(turn: AgentTurn | dict[str, Any]) -> dict[str, Any]:
    """What the rules compare claims against: the cell as observed this round."""
    seen = turn.get("observation") or {}
    facts = {k: seen[k] for k in ("capacity_mbps", "cqi", "demand_mbps") if k in seen}
    if "on" in seen:
        facts["cell_on"] = seen["on"]
    upper = (turn.get("topic") or {}).get("upper")
    if upper is not None:
        facts["upper"] = upper
    return facts


ModelSource = Callable[[], Any]


def _model_for(
    turn: AgentTurn | dict[str, Any], context: Any, policy: ArbitralPolicy
) -> ModelSource | None:
    """How to get the classifier's model (the scenario's arbitral model, else the agent's
    own) from the run's pool, or None when the rules alone judge. A getter, so a model is
    loaded only when some message needs it."""
    if policy.rules_only or not policy.enabled:
        return None
    pool = getattr(context, "pool", None)
    if pool is None:
        return None
    model_id = policy.model or turn["model"]
    return lambda: pool.get(model_id)


def policy_of(context: Any) -> ArbitralPolicy:
    """The scenario's `arbitral:` section (defaults when the run has none)."""
    section = getattr(getattr(context, "scenario", None), "arbitral", None)
    return section if isinstance(section, ArbitralPolicy) else ArbitralPolicy()


def verdict_record(verdict: Verdict) -> dict[str, Any]:
    """A verdict as the record keeps it: both stages' outcome, short evidence."""
    data = verdict.model_dump(mode="json")
    evidence = str(data.get("evidence") or "")
    data["evidence"] = evidence[:EVIDENCE_MAX]
    data.pop("spans", None)  # offsets into a text the record does not hold
    return data


CLASSIFIER_FLAGS = ("classifier_reply_invalid", "classifier_call_failed")


def _judged(
    text: str,
    observations: dict[str, Any],
    history: list[dict[str, Any]],
    model: ModelSource | None,
    policy: ArbitralPolicy,
    deadline: Any = None,
) -> Verdict | None:
    """The verdict on one text, or None when the scenario turned judging off. The model is
    fetched only for a message the rules leave open, and its call runs under the run's
    deadline like any model call."""
    if not policy.enabled:
        return None
    rules = assess(text, observations, history)
    if policy.rules_only:
        return rules.verdict
    verdict, open_ = deterministic(rules, policy.learned)
    if model is None or not open_:
        return verdict
    chat = model()
    return call_before(
        deadline,
        "the arbitral classifier's call",
        lambda: judge(text, observations, history, model=chat, learned=policy.learned),
    )


def classifier_calls(verdicts: dict[str, dict[str, Any]]) -> int:
    """How many verdicts asked the LLM (answered or not), for the run's call count."""
    return sum(
        1
        for v in verdicts.values()
        if "llm" in str(v.get("stage")) or any(f in CLASSIFIER_FLAGS for f in v.get("flags", []))
    )


def _contained(text: str, verdict: Verdict | None) -> str:
    return contain(text, verdict)


# -- operator: what it receives ------------------------------------------------------------
def _operator_stage(turn: AgentTurn, runtime: Any) -> dict[str, Any]:
    context = getattr(runtime, "context", None)
    policy = policy_of(context)
    model = _model_for(turn, context, policy)
    inbox = turn.get("inbox") or {}
    observations = observed_facts(turn)
    received: dict[str, str] = {
        op: str(msg.get("reasoning") or "") for op, msg in (inbox.get("others") or {}).items()
    }
    feedback = inbox.get("feedback") or {}
    if feedback.get("message"):
        received[MEDIATOR_ID] = str(feedback["message"])
    verdicts: dict[str, dict[str, Any]] = {}
    contained: dict[str, str] = {}
    flags: list[dict[str, Any]] = []
    for sender in sorted(received):
        verdict = _judged(received[sender], observations, [], model, policy, _deadline(context))
        contained[sender] = _contained(received[sender], verdict)
        if verdict is None:
            continue
        verdicts[sender] = verdict_record(verdict)
        # Operators' texts are flagged once, by the mediator's stage; nobody else judges the
        # mediator's words, so their verdict is flagged here.
        if verdict.malicious and sender == MEDIATOR_ID:
            flags.append(_malicious_flag(sender, turn["round"], verdict, seen_by=turn["agent"]))
    lines = []
    others = sorted(op for op in contained if op != MEDIATOR_ID)
    if others:
        said = "; ".join(f"{op} {contained[op]}" for op in others)
        lines.append(f"Others said (quoted data): {said}.")
    if MEDIATOR_ID in contained:
        lines.append(f"Mediator said (quoted data): {contained[MEDIATOR_ID]}.")
    warning = feedback.get("warning")
    if warning:
        lines.append(f"Arbitral warning to you: {warning}")
    return {
        "context": {"arbitral": contribution(lines, verdicts=verdicts, contained=contained)},
        "flags": flags,
        "usage": {"llm_calls": classifier_calls(verdicts)},
    }


def _deadline(context: Any) -> Any:
    return getattr(context, "deadline", None)


def _malicious_flag(sender: str, round_: int, verdict: Verdict, seen_by: str) -> dict[str, Any]:
    evidence = str(verdict.evidence or "")[:EVIDENCE_MAX]
    return flag_record(
        "suspicious_reasoning",
        sender,
        round_,
        f"judged malicious ({verdict.category}, confidence {verdict.confidence:.2f}, "
        f"{verdict.stage} stage) by the arbitral unit of {seen_by}; evidence: {evidence!r}",
    )


# -- mediator: every proposal, trust and consequences --------------------------------------
def _moved_towards(value: float, previous: float | None, point: float | None) -> bool:
    """Cooperative: closer to the mediator's last point than the operator's last value was."""
    if previous is None or point is None:
        return True
    return abs(value - point) <= abs(previous - point) + 1e-9


def arbitrate(
    proposals: dict[str, dict[str, Any]],
    trust: dict[str, dict[str, Any]],
    history: dict[str, list[dict[str, Any]]],
    point: float | None,
    observations: dict[str, Any],
    policy: ArbitralPolicy,
    model: ModelSource | None,
    round_: int,
    unit: str = "",
    deadline: Any = None,
) -> dict[str, Any]:
    """The mediator's stage over one round's proposals: verdicts, the new trust state of
    each operator (score, offences, action, weight), the contained texts, warnings, flags.

    `history` holds each operator's earlier turns as `{"value", "text"}`, oldest first.
    """
    verdicts: dict[str, dict[str, Any]] = {}
    contained: dict[str, str] = {}
    state: dict[str, dict[str, Any]] = {}
    warnings: dict[str, str] = {}
    flags: list[dict[str, Any]] = []
    for op in sorted(proposals):
        text = str(proposals[op].get("reasoning") or "")
        value = float(proposals[op]["value"])
        earlier = history.get(op, [])
        verdict = _judged(
            text, observations | {"proposal": value}, earlier, model, policy, deadline
        )
        contained[op] = _contained(text, verdict)
        before = trust.get(op) or {}
        ledger = TrustLedger(
            score=float(before.get("score", 1.0)),
            offences=int(before.get("offences", 0)),
            excluded=before.get("action") == "exclude",
        )
        previous = earlier[-1]["value"] if earlier else None
        malicious = bool(verdict and verdict.malicious)
        cooperative = not malicious and _moved_towards(value, previous, point)
        offences_before = ledger.offences
        outcome = ledger.observe(verdict, cooperative, policy)
        state[op] = {
            "score": round(ledger.score, 4),
            "offences": ledger.offences,
            "action": outcome.action,
            "weight": outcome.weight_factor,
            "price_factor": outcome.price_factor,
            "reason": outcome.reason,
        }
        if verdict is None:
            continue
        verdicts[op] = verdict_record(verdict)
        if malicious:
            flags.append(_malicious_flag(op, round_, verdict, seen_by=MEDIATOR_ID))
        if ledger.offences > offences_before:  # an offence: the offender is told why
            warnings[op] = _warning(verdict, ledger.offences, state[op], unit)
    return {
        "verdicts": verdicts,
        "contained": contained,
        "trust": state,
        "warnings": warnings,
        "flags": flags,
    }


def _warning(verdict: Verdict, offences: int, outcome: dict[str, Any], unit: str) -> str:
    evidence = contain(str(verdict.evidence or ""), None, EVIDENCE_MAX)  # its own words
    action = outcome.get("action", "none")
    then = {
        "penalise": f" Your weight in the consensus point is now {fmt(outcome.get('weight'))}.",
        "exclude": " You are excluded from the negotiation.",
    }.get(str(action), " Repeated offences reduce your weight and can exclude you.")
    return (
        f"your reasoning was judged {verdict.category} (offence {offences}), evidence "
        f"{evidence}.{then}"
    )


def _mediator_stage(turn: AgentTurn, runtime: Any) -> dict[str, Any]:
    context = getattr(runtime, "context", None)
    policy = policy_of(context)
    inbox = turn["inbox"]
    topic = Topic.model_validate(turn["topic"])
    result = arbitrate(
        inbox["proposals"],
        inbox.get("trust") or {},
        inbox.get("history") or {},
        inbox.get("previous_point"),
        observed_facts(turn),
        policy,
        _model_for(turn, context, policy),
        turn["round"],
        topic.unit,
        _deadline(context),
    )
    lines = [
        f"Arbitral: operator {op} judged {v['category']}; its text is contained."
        for op, v in result["verdicts"].items()
        if v.get("malicious")
    ]
    weights = {op: float(s.get("weight", 1.0)) for op, s in result["trust"].items()}
    facts = {k: v for k, v in result.items() if k != "flags"}
    return {
        "context": {"arbitral": contribution(lines, weights=weights, **facts)},
        "flags": result["flags"],
        "usage": {"llm_calls": classifier_calls(result["verdicts"])},
    }


def make_arbitral_unit() -> Unit:
    def arbitral(turn: AgentTurn, runtime: Any) -> dict[str, Any]:
        if turn["role"] == "mediator":
            return _mediator_stage(turn, runtime)
        return _operator_stage(turn, runtime)

    return Unit("arbitral", arbitral)


__all__ = [
    "arbitrate",
    "make_arbitral_unit",
    "observed_facts",
    "policy_of",
    "verdict_record",
]
