"""Assurance end to end: the paper's Table III scenario and the RFC 9418 invariants."""

from typing import Any

import pytest

from maestro.tools.drift import (
    AssuranceReport,
    DriftInputError,
    KpiError,
    assess_documents,
    load_policy,
)

TARGETS: dict[str, Any] = {
    "service": "netflow-west",
    "availability": {"target": 0.9999, "resource": 0.999},
    "kpis": {
        "cpu": {"range": [40, 70]}, "ram": {"range": [40, 70]}, "storage": {"range": [40, 70]},
        "net": {"equals": 100}, "status": {"equals": 100},
    },
    "subservices": {"collector1": {"type": "collector"}, "collector2": {"type": "collector"}},
}
HEALTHY = {"cpu": 60, "ram": 60, "storage": 50, "net": 100, "status": 100}
FAILED = {"cpu": 0, "ram": 0, "storage": 0, "net": 0, "status": 0}


def table_iii(down_minutes: float = 2) -> dict[str, Any]:
    return {
        "subservices": {
            "collector1": {"kpis": HEALTHY, "software": 1,
                           "agents": [{"resource": 1, "software": 1, "net": 1}]},
            "collector2": {"kpis": FAILED, "software": 0,
                           "agents": [{"resource": 1, "software": 1, "net": 0}]},
        },
        "downtime": {"planned_days": 30, "down_minutes": down_minutes},
    }


def _rfc_invariants(report: AssuranceReport) -> None:
    graph = report.to_json()["assurance-graph"]
    nodes = [graph["service"], *graph["subservices"]]
    ids = {n["id"] for n in graph["subservices"]}
    for node in nodes:
        assert -1 <= node["health-score"] <= 100
        if node["health-score"] < 100:
            assert node["symptoms"], node["id"]
        for s in node["symptoms"]:
            assert 0 < s["health-score-weight"] <= 100
        for d in node["dependencies"]:
            assert d["dependency-type"] in ("impacting", "informational")
            assert d["id"] in ids


def test_table_iii_end_to_end() -> None:
    r = assess_documents(TARGETS, table_iii())
    # collector 2: critical resource, gradient -2 per KPI; sub-service gradient 2 (-1 - 1)
    for kpi in HEALTHY:
        assert r.kpis[f"collector2/{kpi}"].gradient == -2
        assert r.kpis[f"collector2/{kpi}"].p3 == -1
        assert r.kpis[f"collector1/{kpi}"].gradient == 0
    sub = {n.id: n for n in r.assurance_graph.subservices}
    assert sub["collector2"].components == {"resource": -1, "software": 0, "agents": 0}
    assert sub["collector2"].state == -1 and sub["collector2"].health_score == 0
    assert sub["collector2"].gradient == -4
    assert sub["collector1"].state == 1 and sub["collector1"].health_score == 100
    # service health 50 %, its gradient 2 (50 - 100) / 100 = -1
    assert r.service_health_pct == 50.0
    assert r.assurance_graph.service.health_score == 50
    assert r.drift.service_health_gradient == -1
    # availability still met: 2 min down in 30 days, and the redundant collector is up
    a = r.availability
    assert a.met and r.intent_health == 1
    assert a.measured == pytest.approx(1 - 120 / (30 * 86400))
    assert a.redundancy_needed == 2 and a.resources == 2 and a.healthy_resources == 1
    assert a.designed == pytest.approx(0.999999)
    assert a.yearly_budget_min == pytest.approx(52.56, abs=0.01)
    # restart (1x) chosen over recreate (2x)
    first, second = r.actions
    assert (first.action, first.subservice, first.rank) == ("restart", "collector2", 1)
    assert (second.action, second.rank) == ("recreate", 2)
    assert first.penalty == 4 and second.penalty == 8
    assert first.restores_intent and first.service_health_after_pct == 100
    _rfc_invariants(r)


def test_table_iii_json_uses_the_rfc_field_names() -> None:
    out = assess_documents(TARGETS, table_iii()).to_json()
    node = out["assurance-graph"]["subservices"][1]
    assert {"health-score", "symptoms", "dependencies"} <= set(node)
    assert "health-score-weight" in node["symptoms"][0]
    assert out["assurance-graph"]["service"]["dependencies"][0]["dependency-type"] == "impacting"
    assert out["kpis"]["collector2/cpu"]["sub-service"] == "collector2"
    assert set(out["kpis"]["collector2/cpu"]) >= {"p9", "p3", "delta", "gradient"}


def test_cheaper_action_that_breaks_the_intent_ranks_after_one_that_restores() -> None:
    # a single sub-service: the action's downtime is service downtime
    policy = load_policy({"actions": [
        {"name": "restart", "penalty_factor": 1, "downtime_s": 300},
        {"name": "failover", "penalty_factor": 3, "downtime_s": 5},
    ]})
    targets = {k: v for k, v in TARGETS.items() if k != "subservices"}
    obs = {"kpis": FAILED, "downtime": {"planned_days": 30, "down_minutes": 2}}
    r = assess_documents(targets, obs, policy)
    assert [a.action for a in r.actions] == ["failover", "restart"]
    assert r.actions[0].restores_intent and not r.actions[1].restores_intent
    assert r.actions[0].penalty > r.actions[1].penalty


def test_availability_lost_when_downtime_exceeds_the_budget() -> None:
    r = assess_documents(TARGETS, table_iii(down_minutes=5))  # budget is 4.32 min in 30 days
    assert not r.availability.met and r.intent_health == 0
    assert r.availability.remaining_budget_s == pytest.approx(259.2 - 300)


def test_flat_single_resource_vm_example() -> None:
    r = assess_documents(
        {"cpu": [40, 70], "ram": [40, 70], "storage": [40, 70], "net": 100, "status": 100},
        {"cpu": 90, "ram": 55, "storage": 80, "net": 100, "status": 100},
    )
    assert set(r.kpis) == {"cpu", "ram", "storage", "net", "status"}
    assert r.drift.vector["cpu"] == pytest.approx(0.571, abs=5e-4)
    assert r.drift.vector["storage"] == pytest.approx(0.286, abs=5e-4)
    node = r.assurance_graph.subservices[0]
    assert {s.id for s in node.symptoms} == {"cpu-high", "storage-high"}
    weights = {s.id: s.health_score_weight for s in node.symptoms}
    assert weights == {"cpu-high": 100, "storage-high": 50}
    _rfc_invariants(r)


def test_healthy_service_has_no_actions_and_full_scores() -> None:
    obs = {"subservices": {"collector1": HEALTHY, "collector2": HEALTHY}}
    r = assess_documents(TARGETS, obs)
    assert r.service_health_pct == 100 and r.distance == 0 and r.actions == []
    assert all(n.symptoms == [] for n in r.assurance_graph.subservices)
    assert r.intent_health == 1  # no downtime counter: the service is up now


def test_unknown_sub_service_scores_minus_one() -> None:
    r = assess_documents(TARGETS, {"subservices": {"collector1": HEALTHY}})
    node = r.assurance_graph.subservices[1]
    assert node.health_score == -1 and node.state is None
    assert node.symptoms[0].id == "no-data"
    assert r.service_health_pct == 50.0  # unknown counts as critical by default
    assert r.actions[0].action == "restart"
    _rfc_invariants(r)


def test_time_series_drift_and_dependencies() -> None:
    targets = {**TARGETS, "subservices": {
        "collector1": {"type": "collector"},
        "collector2": {"type": "collector",
                       "dependencies": [{"id": "collector1", "type": "informational"}]},
    }}
    obs = {"subservices": {
        "collector1": HEALTHY,
        "collector2": {"kpis": {"cpu": [60, 30, 0], "ram": 50, "storage": 50, "net": 100,
                                "status": 100}},
    }}
    r = assess_documents(targets, obs)
    cpu = r.kpis["collector2/cpu"]
    assert cpu.samples == 3 and cpu.delta == -40 and cpu.drift == -30
    assert r.drift.distance_series == [0, 10, 40]
    dep = r.assurance_graph.subservices[1].dependencies[0]
    assert (dep.id, dep.type, dep.dependency_type) == ("collector1", "collector", "informational")
    _rfc_invariants(r)


@pytest.mark.parametrize(
    ("targets", "obs", "needle"),
    [
        (TARGETS, {"subservices": {"collector3": HEALTHY}}, "subservices.collector3"),
        (TARGETS, {"subservices": {"collector1": {**HEALTHY, "disk": 3}}}, "KPI 'disk'"),
        (TARGETS, {"subservices": {"collector1": {"kpis": HEALTHY, "software": 2}}},
         "subservices.collector1.software"),
        (TARGETS, {"subservices": {"collector1": {"kpis": HEALTHY, "agents": [{"cpu": 1}]}}},
         "subservices.collector1.agents[0].cpu"),
        (TARGETS, {"subservices": {}, "downtime": {"planned_days": 1}}, "down_"),
        (TARGETS, HEALTHY, "several sub-services"),
        ({**TARGETS, "availability": {"target": 99.99}}, {}, "availability.target"),
        ({**TARGETS, "subservices": {"c1": {"dependencies": ["c9"]}}}, {}, "dependencies[0]"),
        ({**TARGETS, "kpis": {"cpu": {"range": [70, 40]}}}, {}, "KPI 'cpu'"),
    ],
)
def test_input_errors_name_the_field(targets: Any, obs: Any, needle: str) -> None:
    with pytest.raises(DriftInputError) as info:
        assess_documents(targets, obs)
    assert needle in str(info.value)


def test_missing_kpi_in_a_sub_service_names_both() -> None:
    partial = {k: v for k, v in HEALTHY.items() if k != "ram"}
    with pytest.raises(KpiError) as info:
        assess_documents(TARGETS, {"subservices": {"collector1": partial}})
    assert info.value.kpi == "ram" and "collector1" in str(info.value)
