"""The slice-policy rules (`sum_at_most`, `min_share`) checked on a cell's planned policy.

These rules bound the PRB ratios of all slices on a cell, not the negotiated number, so they
are checked where enforcement has built the policy and before it is sent: `policy_violations`
says which rules it breaks (each citing its document and clause) and `fit_policy` makes it
comply by raising every priority slice to its share and scaling the other slices' minimum
(and dedicated) ratios down. Rows are plain dicts with the TS 28.541 meanings: `slice_id`,
`sst`, `min_ratio`, `max_ratio`, `dedicated_ratio` (whole percent), so this module needs
nothing from the RAN tools.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from maestro.knowledge.constraints import AppliedConstraint, MinShare, SumAtMost, Violation, check

POLICY_KINDS = ("sum_at_most", "min_share")
# The 28.541 attribute a `sum_at_most` rule names, as a row's key.
FIELDS = {
    "rRMPolicyMinRatio": "min_ratio",
    "rRMPolicyDedicatedRatio": "dedicated_ratio",
    "rRMPolicyMaxRatio": "max_ratio",
}

Row = dict[str, Any]


def policy_rules(applied: Sequence[AppliedConstraint]) -> list[AppliedConstraint]:
    """The constraints among `applied` that bound a slice policy."""
    return [a for a in applied if a.kind in POLICY_KINDS]


def share_floor(sst: int, own_share: float, rules: Sequence[AppliedConstraint]) -> int:
    """The minimum ratio (percent) a slice of `sst` must keep: its own share or what a
    `min_share` rule for its SST demands, whichever is larger."""
    shares = [own_share] + [
        a.constraint.value
        for a in rules
        if isinstance(a.constraint, MinShare) and a.constraint.slice_sst == sst
    ]
    return min(100, math.ceil(100 * max(shares) - 1e-9))


def policy_violations(
    rows: Sequence[Mapping[str, Any]], rules: Sequence[AppliedConstraint]
) -> list[Violation]:
    """The rules the planned policy breaks, each with its citation (empty: it complies)."""
    found: list[Violation] = []
    for rule in rules:
        c = rule.constraint
        if isinstance(c, SumAtMost):
            key = FIELDS.get(c.field)
            if key is None:
                continue  # a field a slice policy does not carry
            broken = check(rule, float(sum(int(r.get(key, 0)) for r in rows)))
            if broken is not None:
                found.append(broken)
        elif isinstance(c, MinShare):
            for r in rows:
                if int(r.get("sst", 1)) == c.slice_sst:
                    broken = check(rule, int(r["min_ratio"]) / 100)
                    if broken is not None:
                        found.append(
                            broken.model_copy(
                                update={"message": f"slice {r['slice_id']}: {broken.message}"}
                            )
                        )
    return found


def _scale(rows: list[Row], key: str, bound: int, fixed: set[str]) -> list[str] | None:
    """Scale `key` of the rows not in `fixed` down so the total is at most `bound`; None
    when the fixed rows alone exceed it."""
    total = sum(int(r[key]) for r in rows)
    if total <= bound:
        return []
    kept = sum(int(r[key]) for r in rows if r["slice_id"] in fixed)
    others = total - kept
    if kept > bound or others == 0:
        return None
    factor = (bound - kept) / others
    notes = []
    for r in rows:
        if r["slice_id"] in fixed or not r[key]:
            continue
        new = math.floor(int(r[key]) * factor)
        notes.append(f"slice {r['slice_id']} {key} {r[key]} -> {new}")
        r[key] = new
    return notes


def fit_policy(
    rows: Sequence[Mapping[str, Any]], rules: Sequence[AppliedConstraint]
) -> tuple[list[Row], list[dict[str, Any]]] | None:
    """The policy moved inside the rules and what was changed (each change citing the rule
    that made it), or None when no policy can comply (the priority slices alone need more
    than the cell)."""
    out = [dict(r) for r in rows]
    changes: list[dict[str, Any]] = []
    priority: set[str] = set()
    because: list[str] = []  # the documents that make a slice a priority slice
    for rule in rules:
        c = rule.constraint
        if not isinstance(c, MinShare):
            continue
        need = share_floor(c.slice_sst, 0.0, [rule])
        for r in out:
            if int(r.get("sst", 1)) != c.slice_sst:
                continue
            priority.add(r["slice_id"])
            if rule.document not in because:
                because.append(rule.document)
            if int(r["min_ratio"]) < need:
                what = f"slice {r['slice_id']} min_ratio {r['min_ratio']} -> {need}"
                r["min_ratio"] = need
                r["max_ratio"] = max(int(r.get("max_ratio", 100)), need)
                changes.append({"change": what, "document": rule.document, "source": rule.source})
    for rule in rules:
        c = rule.constraint
        if not isinstance(c, SumAtMost):
            continue
        key = FIELDS.get(c.field)
        if key is None or key == "max_ratio":
            continue  # maximum ratios are ceilings: they may sum past 100
        notes = _scale(out, key, math.floor(c.value), priority)
        if notes is None:
            return None
        why = (
            f"so that the priority slices keep their share ({', '.join(because)})"
            if priority
            else "to fit the cell"
        )
        changes += [
            {"change": f"{n} {why}", "document": rule.document, "source": rule.source}
            for n in notes
        ]
    for r in out:  # dedicated <= min <= max must still hold after scaling
        r["dedicated_ratio"] = min(int(r.get("dedicated_ratio", 0)), int(r["min_ratio"]))
    if policy_violations(out, rules):
        return None
    return out, changes


def cite_all(violations: Sequence[Violation]) -> str:
    """One line naming every broken rule with its document and clause."""
    return "; ".join(v.message for v in violations)


__all__ = [
    "FIELDS",
    "POLICY_KINDS",
    "cite_all",
    "fit_policy",
    "policy_constraints",
    "policy_rules",
    "policy_violations",
    "share_floor",
]


def policy_constraints(
    jurisdiction: str | None, documents: Sequence[Any]
) -> list[AppliedConstraint]:
    """Every slice-policy rule of `documents` that holds in `jurisdiction`, whatever the
    documents' topics: a policy's ratios are bounded by all of them at once."""
    from maestro.knowledge.constraints import applicable_jurisdictions

    allowed = applicable_jurisdictions(jurisdiction)
    return [
        AppliedConstraint(
            constraint=rule, document=doc.id, source=doc.source, jurisdiction=doc.jurisdiction
        )
        for doc in documents
        if allowed is None or doc.jurisdiction in allowed
        for rule in doc.constraints
        if rule.kind in POLICY_KINDS
    ]
