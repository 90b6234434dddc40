"""Integration: the observability unit reads the cell back from a real Prometheus (PromQL)
while the agreement is enforced through the HTTP driver of a served emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import maestro
from maestro.tools.ran import PromQLClient, RanEmulator, RanServer
from tests.tools.test_ran_prometheus import prometheus, wait_for  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


def test_negotiation_observes_through_promql_and_enforces_over_http(
    prometheus: Callable[[str], PromQLClient],  # noqa: F811
    scenario_dict: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = RanEmulator(cqi=7)  # 36.06 Mbps on the testbed cell
    with RanServer(emulator) as server:
        monkeypatch.setenv("MAESTRO_RAN_TOKEN", server.token)  # the driver reads it from here
        client = prometheus(server.url.removeprefix("http://"))
        wait_for(lambda: client.scalar("maestro_ran_cqi"), 30, "the first scrape")
        scenario_dict["network"] = {"prometheus_url": client.url, "driver_url": server.url}
        for op in scenario_dict["operators"]:
            op["guidance"] = "soft"
        scenario_dict["mediator"]["guidance"] = "soft"
        result = maestro.negotiate(scenario_dict)
    observation = result.rounds[0].observation
    assert observation is not None and observation["source"].startswith("prometheus")
    assert observation["cqi"] == 7 and observation["capacity_mbps"] == pytest.approx(
        36.06, abs=0.01
    )
    # The capacity read from Prometheus re-targets the topic and caps the consensus.
    assert result.agreed and result.consensus == pytest.approx(
        observation["capacity_mbps"], abs=1e-6
    )
    assert result.enforcement is not None and result.enforcement["ok"]
    state = emulator.cell_state()
    assert state.policy is not None and "sla" in state.slices
