"""Health policies, service health and availability: the paper's numbers."""

import math

import pytest

from maestro.tools.drift import (
    AgentHealth,
    AggregatePolicy,
    agent_health,
    aggregate,
    availability_from_health,
    composite_resource_health,
    downtime_budget,
    intent_health,
    measured_availability,
    normalize,
    parallel_availability,
    redundancy_needed,
    resource_health,
    service_health_pct,
    sub_service_health,
)


def test_resource_health_is_kleene_conjunction() -> None:
    assert resource_health([1, 1, 1, 1, 1]) == 1
    assert resource_health([1, 0, 1, 1, 1]) == 0
    assert resource_health([-1, 1, 0, 1, 1]) == -1
    assert composite_resource_health([1, -1]) == -1
    assert composite_resource_health([1, -1], "lenient") == 1


def test_sub_service_health_of_table_iii() -> None:
    # collector 1: everything healthy; collector 2: h_r -1, h_sw 0, h_a 0
    assert sub_service_health(1, 1, 1) == 1
    assert sub_service_health(-1, 0, 0) == -1
    assert sub_service_health(1, 0, 1) == 0


def test_agent_health_policies() -> None:
    # Table III: collector 2's agents have resource 1, software 1, net 0
    assert agent_health([AgentHealth(resource=1, software=1, net=0)]) == 0
    agents = [{"resource": 1, "software": 1, "net": 1}] * 6 + [(1, 1, -1)]
    assert agent_health(agents, "strict") == -1
    assert agent_health(agents, "relative_average") == 1  # mean 5/7 >= 0.5
    assert agent_health(agents, AggregatePolicy(policy="k_of_n", k=5, mode="margin")) == 1
    assert agent_health(agents, AggregatePolicy(policy="k_of_n", k=6, mode="margin")) == -1
    assert agent_health(agents, AggregatePolicy(policy="k_of_n", k=6)) == 1  # g = 6 >= 6
    assert agent_health(agents, AggregatePolicy(policy="k_of_n", k=7)) == -1
    assert agent_health([]) == 1


def test_relative_average_thresholds() -> None:
    p = AggregatePolicy(policy="relative_average", normal_at=0.5, critical_below=-0.5)
    assert aggregate([1, 1, 0], p) == 1
    assert aggregate([1, 0, -1], p) == 0
    assert aggregate([-1, -1, 0], p) == -1
    with pytest.raises(ValueError):
        AggregatePolicy(policy="relative_average", normal_at=-1, critical_below=0)
    with pytest.raises(ValueError):
        aggregate([])


def test_service_health_two_collectors_one_failed_is_50() -> None:
    assert normalize(1) == normalize(0) == 1 and normalize(-1) == 0
    assert service_health_pct([1, -1]) == 50.0
    assert service_health_pct([1, 1]) == 100.0
    assert service_health_pct([0, 1]) == 100.0


def test_availability_by_redundancy() -> None:
    assert parallel_availability([0.999, 0.999]) == pytest.approx(0.999999)
    assert parallel_availability([0.999]) == pytest.approx(0.999)
    # 2 collectors of 99.9 % for a 99.99 % target: log(1e-4) / log(1e-3) = 1.33, rounded up
    assert redundancy_needed(0.9999, 0.999) == 2
    assert redundancy_needed(0.99999, 0.999) == 2
    assert redundancy_needed(0.999999, 0.999) == 2
    assert redundancy_needed(0.9999999, 0.999) == 3
    assert redundancy_needed(0.99, 0.999) == 1
    with pytest.raises(ValueError, match="fraction"):
        redundancy_needed(99.99, 0.999)


def test_measured_availability_and_budget() -> None:
    # the paper: 30 days (720 h) monitored, about 2 min (0.03 h) down
    a = measured_availability(720, 0.03)
    assert a == pytest.approx((720 - 0.03) / 720)
    assert intent_health(a, 0.9999) == 1
    assert intent_health(measured_availability(720, 0.1), 0.9999) == 0
    assert downtime_budget(0.9999) / 60 == pytest.approx(52.56, abs=0.01)  # about 52.6 min
    assert downtime_budget(0.9999, 30 * 86400) == pytest.approx(259.2)
    assert intent_health(0.9999, 0.9999) == 1
    with pytest.raises(ValueError, match="exceeds"):
        measured_availability(10, 11)
    with pytest.raises(ValueError):
        measured_availability(0, 0)
    assert math.isclose(availability_from_health(0), 1.0)
    assert availability_from_health(-1) == 0.0
