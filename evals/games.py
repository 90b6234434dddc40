"""One negotiation game through the public API, and what every suite reads from its record."""

from __future__ import annotations

from typing import Any

from maestro.api import negotiate


def play_negotiation(
    scenario: dict[str, Any], model: str, seed: int, rounds: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run one negotiation; return the common result fields and the full record.

    Whatever happens in the run ends in its record (status `error` with the reason), so a
    failed game is a line like any other and the summary counts it as failed.
    """
    record = negotiate(scenario, model, seed=seed, rounds=rounds).to_json_dict()
    return basic_result(record), record


def basic_result(record: dict[str, Any]) -> dict[str, Any]:
    rounds = record.get("rounds") or []
    final = {op: p["value"] for op, p in (rounds[-1]["proposals"] if rounds else {}).items()}
    messages = 0
    for r in rounds:
        messages += len(r.get("proposals") or {})
        messages += len(((r.get("mediator") or {}).get("feedback")) or {})
    flags = [f.get("code") or "flag" for f in record.get("flags") or []]
    for r in rounds:
        for p in (r.get("proposals") or {}).values():
            flags.extend(f.get("code") or "flag" for f in p.get("flags") or [])
    return {
        "status": record.get("status"),
        "agreed": bool(record.get("agreed")),
        "consensus": record.get("consensus"),
        "rounds": len(rounds),
        "wall_s": (record.get("timings") or {}).get("wall_s"),
        "final": final,
        "messages": messages,
        "flags": sorted(set(flags)),
        "decisions": record.get("decisions"),
        "reason": record.get("reason", ""),
    }
