"""The negotiation's side of the arbitral unit: trust state, exclusion, what the record shows.

The mediator's arbitral unit (`agents.arbitral_unit`) judges every proposal and returns each
operator's new trust state (score, offences, action, weight). This module carries that state
from round to round in the graph state (`trust`), writes it into the round record, flags
penalties and exclusions, and decides who still takes part: an excluded operator gets no
turn, its words reach nobody and its last proposal counts for nothing. A round that ends
without a mediator turn (consensus, round cap) is still judged, so trust is updated every
round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from maestro.agents.arbitral_unit import arbitrate, observed_facts, policy_of
from maestro.agents.domain import flag_record

EXCLUDED = "exclude"
PENALTY = "penalise"


def active_operators(scenario: Any, trust: dict[str, dict[str, Any]] | None) -> list[str]:
    """The operators still in the negotiation, in the scenario's order."""
    trust = trust or {}
    return [
        op.id for op in scenario.operators if (trust.get(op.id) or {}).get("action") != EXCLUDED
    ]


def _history(state: Mapping[str, Any], active: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each operator's earlier turns, oldest first (for the contradiction checks)."""
    out: dict[str, list[dict[str, Any]]] = {op: [] for op in active}
    for record in state.get("history") or []:
        for op, proposal in (record.get("proposals") or {}).items():
            if op in out:
                out[op].append(
                    {"value": float(proposal["value"]), "text": str(proposal.get("reasoning", ""))}
                )
    return out


def _previous_point(state: Mapping[str, Any]) -> float | None:
    for record in reversed(state.get("history") or []):
        point = (record.get("mediator") or {}).get("mediator_value")
        if point is not None:
            return float(point)
    return None


def mediator_inbox_extras(state: Mapping[str, Any], active: list[str]) -> dict[str, Any]:
    """What the mediator's arbitral unit needs beyond the proposals."""
    trust = state.get("trust") or {}
    return {
        "trust": {op: trust[op] for op in active if op in trust},
        "history": _history(state, active),
        "previous_point": _previous_point(state),
    }


def final_arbitration(
    ctx: Any, state: Mapping[str, Any], proposals: dict[str, Any], round_: int
) -> dict[str, Any]:
    """The mediator's arbitral stage for a round that ends the run, by the rules alone (no
    model call after the agents have finished)."""
    extras = mediator_inbox_extras(state, list(proposals))
    return arbitrate(
        {
            op: {"value": p["value"], "reasoning": p.get("reasoning", "")}
            for op, p in proposals.items()
        },
        extras["trust"],
        extras["history"],
        extras["previous_point"],
        observed_facts({"observation": state.get("observation")}),
        policy_of(ctx),
        None,
        round_,
        ctx.scenario.topic.unit,
    )


def trust_update(
    update: dict[str, Any],
    record: dict[str, Any],
    judged: dict[str, Any] | None,
    state: Mapping[str, Any],
    round_: int,
) -> dict[str, Any]:
    """Fold one round's arbitral facts into the state update and the round record."""
    if not judged:
        return update
    before = state.get("trust") or {}
    after = {**before, **(judged.get("trust") or {})}
    flags: list[dict[str, Any]] = (
        list(judged.get("flags") or []) if "feedback" not in update else []
    )
    for op, now in (judged.get("trust") or {}).items():
        was = (before.get(op) or {}).get("action")
        action = now.get("action")
        if action == EXCLUDED and was != EXCLUDED:
            reason = now.get("reason") or f"{now.get('offences')} offences"
            now["reason"] = f"excluded in round {round_}: {reason}"
            flags.append(flag_record("operator_excluded", op, round_, now["reason"]))
        elif action == PENALTY and was != PENALTY:
            flags.append(
                flag_record(
                    "trust_penalty",
                    op,
                    round_,
                    f"weight in the consensus point reduced to {now.get('weight', 1.0):g} "
                    f"(trust {now.get('score', 1.0):.2f}, {now.get('offences')} offences)",
                )
            )
    record["arbitral"] = {
        "verdicts": judged.get("verdicts") or {},
        "warnings": judged.get("warnings") or {},
    }
    record["trust"] = {op: dict(v) for op, v in after.items()}
    update["trust"] = after
    update["flags"] = [*update.get("flags", []), *flags]
    if update.get("status", "running") == "running" and update.get("round"):
        left = [op for op, v in after.items() if v.get("action") != EXCLUDED]
        if len(after) >= 2 and len(left) < 2:
            update.update(
                {
                    "status": "halted",
                    "consensus": None,
                    "reason": f"fewer than two operators left after exclusions in round {round_}",
                }
            )
    return update


def arbitral_event(record: dict[str, Any]) -> dict[str, Any]:
    """The live progress's part: trust scores and who is excluded."""
    trust = record.get("trust")
    if not trust:
        return {}
    return {
        "trust": {op: v.get("score") for op, v in trust.items()},
        "excluded": sorted(op for op, v in trust.items() if v.get("action") == EXCLUDED),
    }


__all__ = [
    "active_operators",
    "arbitral_event",
    "final_arbitration",
    "mediator_inbox_extras",
    "trust_update",
]
