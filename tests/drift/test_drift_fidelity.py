"""The paper's numbers the drift calculator used to miss (issue 17, fidelity fixes)."""

import math
from typing import Any

import pytest

from maestro.tools.drift import (
    AggregatePolicy,
    agent_health,
    aggregate,
    assess_documents,
    composite_service_health,
    load_policy,
    redundancy_needed,
)

KPIS = {
    "cpu": {"range": [40, 70]},
    "ram": {"range": [40, 70]},
    "storage": {"range": [40, 70]},
    "net": {"equals": 100},
    "status": {"equals": 100},
}
TARGETS: dict[str, Any] = {
    "service": "netflow-west",
    "availability": {"target": 0.9999, "resource": 0.999},
    "kpis": KPIS,
    "subservices": {"collector1": {"type": "collector"}, "collector2": {"type": "collector"}},
}
HEALTHY = {"cpu": 60, "ram": 60, "storage": 50, "net": 100, "status": 100}
FAILED = {"cpu": 0, "ram": 0, "storage": 0, "net": 0, "status": 0}


def _table_iii(down_minutes: float = 2) -> dict[str, Any]:
    return {
        "subservices": {
            "collector1": {
                "kpis": HEALTHY,
                "software": 1,
                "agents": [{"resource": 1, "software": 1, "net": 1}],
            },
            "collector2": {
                "kpis": FAILED,
                "software": 0,
                "agents": [{"resource": 1, "software": 1, "net": 0}],
            },
        },
        "downtime": {"planned_days": 30, "down_minutes": down_minutes},
    }


def test_composite_health_vector_of_table_iii_is_minus1_0_0() -> None:
    r = assess_documents(TARGETS, _table_iii())
    c = r.composite_health
    assert (c.resource, c.software, c.network) == (-1, 0, 0)  # the paper's {-1, 0, 0}
    assert c.service == -1  # eq. 10 with f = min
    assert r.service_health_pct == 50.0  # eq. 13 stays the percent view
    assert r.to_json()["composite_health"] == {
        "resource": -1,
        "software": 0,
        "network": 0,
        "service": -1,
    }


def test_composite_health_of_a_healthy_service_is_all_ones() -> None:
    obs = {"subservices": {"collector1": HEALTHY, "collector2": HEALTHY}}
    c = assess_documents(TARGETS, obs).composite_health
    assert (c.resource, c.software, c.network, c.service) == (1, 1, 1, 1)


def test_composite_resource_health_policy_is_used() -> None:
    lenient = load_policy({"composite_resource_health": {"policy": "lenient"}})
    r = assess_documents(TARGETS, _table_iii(), lenient)
    # one collector's resource is healthy: the lenient (max) composite says 1
    assert r.composite_health.resource == 1
    assert r.composite_health.service == 0  # min(1, 0, 0)


def test_composite_service_health_function() -> None:
    assert composite_service_health(-1, 0, 0) == -1
    assert composite_service_health(1, 0, 1) == 0
    assert composite_service_health(-1, 0, 0, "lenient") == 0


def test_relative_average_quantizes_the_sum_not_the_mean() -> None:
    # Q(sum): with at least 3 net healthy agents normal, below 0 critical
    q = AggregatePolicy(policy="relative_average", normal_at=3, critical_below=0)
    six_good_one_bad = [1] * 6 + [-1]
    assert aggregate(six_good_one_bad, q) == 1  # sum 5 >= 3 (a mean of 0.71 is not)
    assert aggregate([1, 1, 0, 0], q) == 0  # sum 2
    assert aggregate([1, -1, -1], q) == -1  # sum -1
    # default thresholds: one agent's quantized sum is its own state
    for s in (-1, 0, 1):
        assert agent_health([(1, 1, s)], "relative_average") == s
    assert aggregate([1, 0, 0], "relative_average") == 1  # sum 1 >= 0.5 (mean 0.33 is not)


def test_availability_gradient_of_table_iii() -> None:
    met = assess_documents(TARGETS, _table_iii(down_minutes=2))
    assert met.availability.met and met.drift.availability_gradient == 0  # Table III: ∇ = 0
    lost = assess_documents(TARGETS, _table_iii(down_minutes=60))
    a = lost.availability
    assert not a.met
    expected = 2 * (a.measured - 0.9999) / 0.9999
    assert lost.drift.availability_gradient == pytest.approx(expected)
    assert lost.drift.availability_gradient < 0
    assert lost.to_json()["drift"]["availability_gradient"] == pytest.approx(expected)


def test_redundancy_ratio_is_four_thirds_rounded_up() -> None:
    ratio = math.log(1 - 0.9999) / math.log(1 - 0.999)
    assert ratio == pytest.approx(4 / 3)
    assert redundancy_needed(0.9999, 0.999) == 2
