"""Enforcement under the slice-policy rules: the agreed slice, the reserved ones, checked first.

With a `regulation:` section, an agreement becomes a policy for every slice on the cell: the
slices the cell already carries (kept), the scenario's `regulation.reserved_slices` (at the
share their SST's rules demand) and the agreed `sla` slice. Before anything is sent, the
policy is checked against the `sum_at_most` and `min_share` rules of the corpus. A policy
that breaks one is moved inside them under `enforce: true` (the priority slices keep their
share, the others' minimum ratios are scaled down; the record cites each change's rule) and
refused under `enforce: false`: the cell is not touched, and the record says which rule.

The same plan serves every path: the network operator's review before approval
(`planned_review`), enforcement on the driver (`enforce_under_rules`) and enforcement
through the orchestrator (`enforce_via_orchestrator`: a refused policy is never submitted,
an adjusted one is what the RAN CNF's package carries). `rule_flags` turns an adjusted or
refused policy into run-level flags citing each document and clause.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from maestro.graphs.network import SLA_SLICE
from maestro.graphs.scenario import RegulationSpec
from maestro.tools.ran import CellState, RanDriver
from maestro.tools.ran.cell import InfeasibleRequest
from maestro.tools.ran.driver import check_demand
from maestro.tools.ran.slices import SlicePolicy, SliceRatio, mbps_at_ratio, min_ratios


class PolicyRules:
    """The run's slice-policy rules and reserved slices (the documents read once)."""

    def __init__(self, spec: RegulationSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._rules: list[Any] | None = None

    def rules(self) -> list[Any]:
        with self._lock:
            if self._rules is None:
                from maestro.graphs.regulation_access import parsed_documents
                from maestro.knowledge.policy_check import policy_constraints
                from maestro.knowledge.store import corpus_paths

                documents = parsed_documents(corpus_paths(self.spec.documents))
                self._rules = policy_constraints(self.spec.jurisdiction, documents)
            return self._rules


def planned_rows(
    current: SlicePolicy | None, spec: RegulationSpec, rules: list[Any], sla_ratio: int
) -> list[dict[str, Any]]:
    """The policy enforcement would send, before any rule is checked."""
    from maestro.knowledge.policy_check import share_floor

    reserved = {s.id: s for s in spec.reserved_slices}
    rows = [
        s.model_dump(by_alias=False, exclude={"sd"} if s.sd is None else set())
        for s in (current.slices if current else [])
        if s.slice_id != SLA_SLICE and s.slice_id not in reserved
    ]
    for s in spec.reserved_slices:
        floor = share_floor(s.sst, s.min_share, rules)
        row = {"slice_id": s.id, "sst": s.sst, "min_ratio": floor, "max_ratio": 100}
        rows.append(row | ({"sd": s.sd} if s.sd else {}))
    rows.append(
        {"slice_id": SLA_SLICE, "sst": 1, "sd": "000001", "min_ratio": sla_ratio, "max_ratio": 100}
    )
    for row in rows:
        row.setdefault("dedicated_ratio", 0)
    return rows


def _refused(value: float, message: str, **extra: Any) -> dict[str, Any]:
    return {"applied": False, "ok": False, "message": message, "requested_mbps": value, **extra}


def plan_under_rules(state: CellState, value: float, rules: PolicyRules) -> dict[str, Any]:
    """What enforcing `value` would send, checked (nothing is sent): `policy` (None when
    refused), `rows` as planned, `regulation` (rules, violations, action, adjustments) and,
    when refused, `refused` with the reason. A seat's review can show this before approval."""
    from maestro.knowledge.policy_check import cite_all, fit_policy, policy_violations

    sla_ratio = min_ratios(state.cell, state.cqi, {SLA_SLICE: value})[SLA_SLICE]
    applied = rules.rules()
    rows = planned_rows(state.policy, rules.spec, applied, sla_ratio)
    broken = policy_violations(rows, applied)
    regulation: dict[str, Any] = {
        "rules": [
            {
                "document": a.document,
                "source": a.source,
                **a.constraint.model_dump(exclude_none=True),
            }
            for a in applied
        ],
        "violations": [v.model_dump(exclude={"message"}) | {"message": v.message} for v in broken],
        "action": "none",
    }
    plan: dict[str, Any] = {"policy": None, "rows": rows, "regulation": regulation}
    if broken:
        fitted = fit_policy(rows, applied) if rules.spec.enforce else None
        if fitted is None:
            regulation["action"] = "refused"
            why = (
                "no policy on this cell keeps the rules"
                if rules.spec.enforce
                else "nothing sent to the cell (regulation.enforce: false)"
            )
            return plan | {"refused": f"refused, {why}: {cite_all(broken)}"}
        rows, changes = fitted
        regulation |= {"action": "adjusted", "adjustments": changes}
    try:
        policy = SlicePolicy(slices=[SliceRatio(**row) for row in rows])
    except ValueError as exc:  # a cell policy the rules do not cover but 28.541 forbids
        regulation["action"] = "refused"
        return plan | {"refused": f"refused: {' '.join(str(exc).split())[:300]}"}
    return plan | {"policy": policy, "rows": rows}


def enforce_under_rules(driver: RanDriver, value: float, rules: PolicyRules) -> dict[str, Any]:
    """Apply the agreed Mbps as the `sla` slice of a policy that keeps the rules; the
    enforcement record (graphs.network.enforce_agreement's shape, plus `regulation`)."""
    check_demand(SLA_SLICE, value)
    state = driver.cell_state()
    if not state.on:
        return _refused(value, "cell is off: policy not applied")
    try:
        plan = plan_under_rules(state, value, rules)
    except InfeasibleRequest as exc:
        return _refused(value, f"infeasible: {exc.reason}")
    regulation, policy = plan["regulation"], plan["policy"]
    if policy is None:
        return _refused(value, plan["refused"], planned=plan["rows"], regulation=regulation)
    outcome = driver.apply_policy(policy)
    if outcome.ok:
        driver.set_demand(SLA_SLICE, value)
        outcome = outcome.model_copy(update={"state": driver.cell_state()})
    sla = policy.get(SLA_SLICE)
    guaranteed = mbps_at_ratio(state.cell, state.cqi, sla.min_ratio) if sla else None
    message = outcome.message
    if regulation["action"] == "adjusted":
        message += "; adjusted by the rules: " + "; ".join(
            f"{c['change']} ({c['document']}: {c['source']})" for c in regulation["adjustments"]
        )
    slice_state = outcome.state.slices.get(SLA_SLICE)
    return {
        "applied": outcome.ok,
        "ok": outcome.ok,
        "message": message,
        "requested_mbps": value,
        "guaranteed_mbps": None if guaranteed is None else round(guaranteed, 3),
        "policy": policy.model_dump(mode="json", by_alias=True),
        "achieved_mbps": slice_state.mbps if slice_state else None,
        "cqi": outcome.state.cqi,
        "capacity_mbps": outcome.state.capacity_mbps,
        "regulation": regulation,
    }


def target_cell(link: Any) -> CellState:
    """The cell a policy lands on: the orchestrator's RAN CNF, which starts a fresh cell from
    its package parameters (so nothing but the policy it is given), or the driver's cell."""
    enforcer = getattr(link, "orchestrator", None)
    if enforcer is not None:
        from maestro.tools.orchestrator.ran_slice import cnf_cell_state

        return cnf_cell_state(cqi=enforcer.cqi, seed=enforcer.seed)
    state: CellState = link.driver.cell_state()
    return state


def planned_review(link: Any, value: float) -> dict[str, Any]:
    """What enforcing `value` over `link` would send, checked under the link's rules and
    nothing applied: what a seat's review shows before the network operator approves."""
    review: dict[str, Any] = {"requested_mbps": value, "slice": SLA_SLICE}
    try:
        check_demand(SLA_SLICE, value)
        state = target_cell(link)
        plan = plan_under_rules(state, value, link.rules)
    except InfeasibleRequest as exc:
        return review | {"problem": f"infeasible: {exc.reason}"}
    except Exception as exc:  # the review must not crash the session: it says the problem
        return review | {"problem": " ".join(str(exc).split())[:300]}
    policy = plan["policy"]
    review |= {
        "cqi": state.cqi,
        "policy": None if policy is None else policy.model_dump(mode="json", by_alias=True),
        "regulation": plan["regulation"],
    }
    if policy is None:
        review |= {"refused": plan["refused"], "planned": plan["rows"]}
    return review


def review_note(review: dict[str, Any]) -> str:
    """One sentence for the approval question when the rules change or refuse the policy."""
    regulation = review.get("regulation") or {}
    if regulation.get("action") == "adjusted":
        changes = "; ".join(
            f"{c['change']} ({c['document']}: {c['source']})" for c in regulation["adjustments"]
        )
        return f"The rules adjust the policy: {changes}."
    if regulation.get("action") == "refused":
        broken = "; ".join(v["message"] for v in regulation.get("violations") or [])
        reason = broken or str(review.get("refused", ""))
        return f"The rules refuse this policy, so approving sends nothing: {reason}."
    return ""


def enforce_via_orchestrator(enforcer: Any, value: float, rules: PolicyRules) -> dict[str, Any]:
    """The orchestrator path under the same rules: the policy is planned on the CNF's cell
    and checked; refused, nothing is submitted (no intent, no commit); otherwise the checked
    policy goes into the network intent, so the cell runs exactly what was checked."""
    record: dict[str, Any] = {
        "path": "orchestrator",
        "intent": enforcer.intent,
        "requested_mbps": value,
        "applied": False,
        "ok": False,
        "admitted": False,
    }
    try:
        check_demand(SLA_SLICE, value)
        state = target_cell(SimpleNamespace(orchestrator=enforcer))
        plan = plan_under_rules(state, value, rules)
    except InfeasibleRequest as exc:
        return record | {"message": f"infeasible: {exc.reason}"}
    except ValueError as exc:
        return record | {"message": " ".join(str(exc).split())[:300]}
    regulation, policy = plan["regulation"], plan["policy"]
    if policy is None:  # refused by the rules: the domain manager never sees it
        return record | {
            "message": plan["refused"],
            "planned": plan["rows"],
            "regulation": regulation,
        }
    done = dict(enforcer.enforce(value, policy=policy))
    done["regulation"] = regulation
    if regulation["action"] == "adjusted":
        done["message"] = f"{done.get('message', '')}; adjusted by the rules: " + "; ".join(
            f"{c['change']} ({c['document']}: {c['source']})" for c in regulation["adjustments"]
        )
    sla = policy.get(SLA_SLICE)
    if sla is not None:  # what the policy guarantees, which an adjustment may have cut
        done["guaranteed_mbps"] = round(mbps_at_ratio(state.cell, state.cqi, sla.min_ratio), 3)
    return done


FLAG_CODES = {"adjusted": "policy_adjusted_by_rule", "refused": "policy_refused_by_rule"}


def rule_flags(record: dict[str, Any] | None, round_: int) -> list[dict[str, Any]]:
    """Run-level flags for an enforcement the rules adjusted or refused: one per document
    and clause, saying what it changed or why it refused (empty otherwise)."""
    from maestro.agents.domain import flag_record

    regulation = (record or {}).get("regulation") or {}
    code = FLAG_CODES.get(regulation.get("action", ""))
    if code is None:
        return []
    items = (
        [(c["document"], c["source"], c["change"]) for c in regulation.get("adjustments", [])]
        if code == "policy_adjusted_by_rule"
        else [(v["document"], v["source"], v["message"]) for v in regulation.get("violations", [])]
    )
    cited: dict[tuple[str, str], list[str]] = {}
    for document, source, what in items:  # the citation leads the flag: not again at the end
        cited.setdefault((document, source), []).append(
            what.removesuffix(f" ({document}: {source})")
        )
    if not cited:  # refused without a rule to cite (a policy TS 28.541 itself forbids)
        return [flag_record(code, "enforcement", round_, str((record or {}).get("message", "")))]
    verb = "adjusted" if code == "policy_adjusted_by_rule" else "refused"
    return [
        flag_record(
            code, "enforcement", round_, f"{document} ({source}): {verb}: {'; '.join(whats)}"
        )
        for (document, source), whats in cited.items()
    ]


__all__ = [
    "FLAG_CODES",
    "PolicyRules",
    "enforce_under_rules",
    "enforce_via_orchestrator",
    "plan_under_rules",
    "planned_review",
    "planned_rows",
    "review_note",
    "rule_flags",
    "target_cell",
]
