"""Assurance: evaluate a service against its intent and rank the actions that restore it.

This is the paper's assurance analysis made deterministic, so that the LLM reasons over
numbers it did not have to compute: quantize each sub-service's KPIs, derive resource,
sub-service and service health, the drift vector and the availability, then offer each
corrective action of the policy with its penalty (penalty factor x |sub-service gradient|)
and whether the intent survives it, cheapest restoring action first. In the paper's Table
III scenario (collector 2 down, collector 1 healthy) the service health is 50 %, the
availability still holds, and restart (1x) ranks above recreate (2x).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .drift import evaluate_kpis
from .health import (
    agent_health,
    aggregate,
    availability_from_health,
    composite_resource_health,
    composite_service_health,
    downtime_budget,
    intent_health,
    measured_availability,
    parallel_availability,
    redundancy_needed,
    resource_health,
    service_health_pct,
    sub_service_health,
)
from .policy import DriftPolicy, load_policy
from .quantize import P3_LABELS, P9_LABELS
from .report import (
    ActionCandidate,
    AssuranceGraph,
    AssuranceReport,
    AvailabilityReport,
    CompositeHealth,
    DependencyRef,
    DriftSummary,
    KpiResult,
    SubServiceNode,
    Symptom,
)
from .service import (
    ServiceObservation,
    ServiceTargets,
    SubServiceTargets,
    parse_observation,
    parse_service_targets,
)

__all__ = ["assess", "assess_documents"]


def _symptom_weight(policy: DriftPolicy, state: int) -> int:
    """Weight of a non-KPI symptom (software, agents): as far below 100 as the state scores."""
    return max(1, 100 - policy.health_scores[state])


def _evaluate_sub(
    sub: SubServiceTargets,
    obs: Any,
    policy: DriftPolicy,
    key: Any,
) -> tuple[SubServiceNode, list[KpiResult], np.ndarray]:
    """One sub-service: per-KPI results, its node in the graph, and its ΔK series (T, n)."""
    if obs is None:
        node = SubServiceNode(
            type=sub.type, id=sub.name, state=None, health_score=-1,
            symptoms=[Symptom(id="no-data", description=f"no operational data for {sub.name}",
                              health_score_weight=100)],
            components={"resource": None, "software": None, "agents": None},
        )
        return node, [], np.zeros((1, 0))

    series = obs.series()
    ev = evaluate_kpis(series, sub.kpis, policy)
    drift = ev.drift()
    grad = ev.gradient(policy.gradient)
    results: list[KpiResult] = []
    symptoms: list[Symptom] = []
    for i, (name, target) in enumerate(sub.kpis.items()):
        p9, p3 = int(ev.p9[-1, i]), int(ev.p3[-1, i])
        value = float(series[name][-1])
        results.append(KpiResult(
            subservice=sub.name, kpi=name, value=value, target=target.describe(), p9=p9, p3=p3,
            label=f"{P9_LABELS[p9]}, {P3_LABELS[p3]}",
            delta=float(ev.delta[-1, i]), gradient=float(grad[-1, i]),
            raw_gradient=float(ev.raw_gradient[-1, i]),
            scaled_gradient=float(ev.scaled_gradient[-1, i]),
            drift=float(drift[-1, i]) if len(drift) else None, samples=len(series[name]),
        ))
        if p3 < 1:
            side = "high" if p9 > 0 else "low"
            symptoms.append(Symptom(
                id=f"{name}-{side}",
                description=f"{name} {value:g} is {P9_LABELS[p9]}, target {target.describe()}",
                health_score_weight=policy.symptom_weights[abs(p9)],
            ))

    h_r = resource_health(ev.p3[-1], policy.resource_health)
    h_a = agent_health(obs.agents, policy.agent_health)
    h_sw = int(obs.software)
    h_s = sub_service_health(h_r, h_sw, h_a, policy.sub_service_health)
    for part, state in (("software", h_sw), ("agents", h_a)):
        if state < 1:
            symptoms.append(Symptom(
                id=f"{part}-{P3_LABELS[state]}",
                description=f"{part} health of {sub.name} is {P3_LABELS[state]}",
                health_score_weight=_symptom_weight(policy, state),
            ))
    score = policy.health_scores[h_s]
    if score < 100 and not symptoms:  # RFC 9418: a score below 100 always has a cause
        symptoms.append(Symptom(id="degraded", description=f"{sub.name} health is "
                                f"{P3_LABELS[h_s]}", health_score_weight=100 - score))
    node = SubServiceNode(
        type=sub.type, id=sub.name, state=h_s, health_score=score, symptoms=symptoms,
        dependencies=[
            DependencyRef(type=key[d.id], id=d.id, dependency_type=d.type)
            for d in sub.dependencies
        ],
        components={"resource": h_r, "software": h_sw, "agents": h_a},
        gradient=2.0 * (h_s - 1),
    )
    return node, results, ev.delta


def assess(
    targets: ServiceTargets,
    observed: ServiceObservation,
    policy: DriftPolicy | None = None,
) -> AssuranceReport:
    """Evaluate a service against its intent: health, drift, availability, actions."""
    pol = load_policy(policy)
    types = {s.name: s.type for s in targets.subservices}
    nodes: list[SubServiceNode] = []
    kpis: dict[str, KpiResult] = {}
    deltas: list[np.ndarray] = []
    for sub in targets.subservices:
        node, results, delta = _evaluate_sub(sub, observed.subservices.get(sub.name), pol, types)
        nodes.append(node)
        for r in results:
            kpis[r.kpi if targets.implicit else f"{sub.name}/{r.kpi}"] = r
        if delta.size:
            deltas.append(delta)

    # ΔK of the whole intent: every KPI of every sub-service; series padded to one length.
    t_max = max((d.shape[0] for d in deltas), default=1)
    full = np.concatenate([np.broadcast_to(d[-1:], (t_max, d.shape[1])) if d.shape[0] == 1
                           else np.vstack([np.repeat(d[:1], t_max - d.shape[0], 0), d])
                           for d in deltas], axis=1) if deltas else np.zeros((1, 0))
    err_series = np.einsum("ti,ti->t", full, full)
    states: list[int] = [pol.unknown_as if n.state is None else n.state for n in nodes]
    health_pct = service_health_pct(states, pol.normalize)

    availability = _availability(targets, observed, pol, states)
    intent = 1 if availability.met else 0
    composite = _composite(nodes, pol)
    service_symptoms = [
        Symptom(id=f"{n.id}-{'unknown' if n.state is None else P3_LABELS[n.state]}",
                description=f"sub-service {n.id} is "
                            f"{'unknown' if n.state is None else P3_LABELS[n.state]}",
                health_score_weight=max(1, round((100 - max(n.health_score, 0)) / len(nodes))))
        for n in nodes if n.health_score < 100
    ]
    service_score = int(round(health_pct))
    if service_score < 100 and not service_symptoms:
        service_symptoms.append(Symptom(id="degraded", description="service health below 100",
                                        health_score_weight=100 - service_score))
    service_node = SubServiceNode(
        type="service", id=targets.name, health_score=service_score,
        state=1 if health_pct >= 100 else (-1 if health_pct <= 0 else 0),
        symptoms=service_symptoms,
        dependencies=[DependencyRef(type=n.type, id=n.id, dependency_type="impacting")
                      for n in nodes],
        gradient=2.0 * (health_pct - 100.0) / 100.0,
    )
    drift = DriftSummary(
        gradient=pol.gradient,
        vector={k: r.gradient for k, r in kpis.items()},
        distance=float(np.sqrt(err_series[-1])),
        error=float(err_series[-1]),
        distance_series=[float(x) for x in np.sqrt(err_series)],
        subservice_gradients={n.id: n.gradient for n in nodes},
        service_health_gradient=2.0 * (health_pct - 100.0) / 100.0,
        availability_gradient=_availability_gradient(availability),
    )
    return AssuranceReport(
        service=targets.name, policy=pol.name, kpis=kpis, distance=drift.distance,
        error=drift.error, service_health_pct=health_pct, composite_health=composite,
        intent_health=intent,
        availability=availability, drift=drift,
        assurance_graph=AssuranceGraph(service=service_node, subservices=nodes),
        actions=_actions(nodes, states, availability, pol),
    )


def _composite(nodes: Sequence[SubServiceNode], pol: DriftPolicy) -> CompositeHealth:
    """Eqs. 9-10: each component over every sub-service, then the service over the three.

    A sub-service without data counts as ``unknown_as`` in every component, as it does in
    the percent health.
    """

    def part(name: str) -> list[int]:
        out = []
        for n in nodes:
            value = n.components.get(name)
            out.append(pol.unknown_as if n.state is None or value is None else int(value))
        return out

    k_hr = composite_resource_health(part("resource"), pol.composite_resource_health)
    k_hsw = aggregate(part("software"), pol.composite_software_health)
    k_hnet = aggregate(part("agents"), pol.composite_network_health)
    k_hs = composite_service_health(k_hr, k_hsw, k_hnet, pol.composite_service_health)
    return CompositeHealth(resource=k_hr, software=k_hsw, network=k_hnet, service=k_hs)


def _availability_gradient(a: AvailabilityReport) -> float:
    """0 while the availability target holds; else scaled by the violated bound, like KPIs."""
    if a.met:
        return 0.0
    value = a.measured if a.measured is not None else a.current
    return 2.0 * (value - a.target) / a.target


def _availability(
    targets: ServiceTargets, observed: ServiceObservation, pol: DriftPolicy,
    states: Sequence[int],
) -> AvailabilityReport:
    target = targets.availability_target or pol.availability.target
    per = targets.resource_availability or pol.availability.resource
    n = len(states)
    current = parallel_availability([availability_from_health(s) for s in states])
    dt = observed.downtime
    measured = budget = remaining = None
    if dt is not None:
        measured = measured_availability(dt.planned_s, dt.down_s)
        budget = downtime_budget(target, dt.planned_s)
        remaining = budget - dt.down_s
        met = bool(intent_health(measured, target))
    else:  # no downtime counter: the intent holds while the service is up right now
        met = current >= 1.0
    return AvailabilityReport(
        target=target, per_resource=per, resources=n,
        healthy_resources=sum(1 for s in states if s >= 0),
        redundancy_needed=redundancy_needed(target, per),
        designed=parallel_availability([per] * n), current=current, measured=measured,
        planned_s=None if dt is None else dt.planned_s, down_s=None if dt is None else dt.down_s,
        budget_s=None if budget is None else round(budget, 6),
        remaining_budget_s=None if remaining is None else round(remaining, 6),
        yearly_budget_min=round(
            downtime_budget(target, pol.availability.period_days * 86400) / 60, 6),
        met=met,
    )


def _actions(
    nodes: list[SubServiceNode], states: Sequence[int], avail: AvailabilityReport,
    pol: DriftPolicy,
) -> list[ActionCandidate]:
    """Every policy action for every sub-service in one of its `when` states, ranked."""
    found: list[dict[str, Any]] = []
    for i, node in enumerate(nodes):
        state = states[i]
        others_up = any(s >= 0 for j, s in enumerate(states) if j != i)
        after = service_health_pct([1 if j == i else s for j, s in enumerate(states)],
                                   pol.normalize)
        for act in pol.actions:
            if state not in act.when:
                continue
            predicted = None
            restores = True
            if avail.planned_s is not None and avail.down_s is not None:
                # the service is down during the action only if no redundant peer is up
                extra = 0.0 if others_up else act.downtime_s
                down = min(avail.down_s + extra, avail.planned_s)
                predicted = measured_availability(avail.planned_s, down)
                restores = bool(intent_health(predicted, avail.target))
            found.append({
                "action": act.name, "subservice": node.id,
                "penalty": act.penalty_factor * abs(2.0 * (state - 1)),
                "penalty_factor": act.penalty_factor, "downtime_s": act.downtime_s,
                "restores_intent": restores, "predicted_availability": predicted,
                "service_health_after_pct": after, "description": act.description,
            })
    found.sort(key=lambda a: (not a["restores_intent"], a["penalty"], a["downtime_s"],
                              a["subservice"], a["action"]))
    return [ActionCandidate(rank=i + 1, **a) for i, a in enumerate(found)]


def assess_documents(
    targets: Mapping[str, Any] | Any,
    operational: Mapping[str, Any] | Any,
    policy: DriftPolicy | str | Mapping[str, Any] | None = None,
) -> AssuranceReport:
    """Parse the two documents (see :mod:`.service`) and assess; raises DriftInputError."""
    t = parse_service_targets(targets)
    return assess(t, parse_observation(operational, t), load_policy(policy))
