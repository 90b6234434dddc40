"""Negotiations grounded in the cell: observation, re-targeting, halting, enforcement."""

from __future__ import annotations

from typing import Any

import pytest

import maestro
from maestro.tools.ran import (
    CellConfig,
    CellState,
    PolicyOutcome,
    RanEmulator,
    SlicePolicy,
    throughput_mbps,
)


def _with_network(scenario: dict[str, Any], cqi: int = 15) -> dict[str, Any]:
    scenario["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": cqi}
    for op in scenario["operators"]:
        op["guidance"] = "soft"
    scenario["mediator"]["guidance"] = "soft"
    return scenario


def test_agreement_is_enforced_as_a_slice_policy(scenario_dict: dict[str, Any]) -> None:
    result = maestro.negotiate(_with_network(scenario_dict))
    assert result.agreed and result.consensus == pytest.approx(60.0)
    enforcement = result.enforcement
    assert enforcement is not None and enforcement["ok"]
    ratio = enforcement["policy"]["slices"][0]
    assert (
        0
        <= ratio["rRMPolicyDedicatedRatio"]
        <= ratio["rRMPolicyMinRatio"]
        <= ratio["rRMPolicyMaxRatio"]
        <= 100
    )
    assert enforcement["achieved_mbps"] == pytest.approx(60.0, rel=0.02)
    # Every round records what the agents saw of the cell.
    assert result.rounds[0].observation is not None
    assert result.rounds[0].observation["capacity_mbps"] == pytest.approx(134.36, abs=0.01)


def test_low_capacity_retargets_the_topic(scenario_dict: dict[str, Any]) -> None:
    scenario = _with_network(scenario_dict, cqi=7)  # 36.06 Mbps on the testbed cell
    result = maestro.negotiate(scenario)
    capacity = throughput_mbps(CellConfig.oai_band78(), 7)
    assert result.optimum is not None and result.optimum["consensus"] == pytest.approx(
        capacity, abs=1e-6
    )
    assert result.agreed and result.consensus == pytest.approx(capacity, abs=1e-6)
    assert all(p.value <= capacity + 1e-9 for r in result.rounds for p in r.proposals.values())


def test_capacity_below_an_operators_minimum_halts(scenario_dict: dict[str, Any]) -> None:
    scenario = _with_network(scenario_dict, cqi=7)
    scenario["operators"][1]["minimum"] = 50
    result = maestro.negotiate(scenario)
    assert result.status == "halted" and not result.agreed and result.rounds == []
    assert "qos cannot accept less than 50" in result.reason
    assert result.enforcement is None


def test_cell_switched_off_mid_run_halts_the_negotiation(scenario_dict: dict[str, Any]) -> None:
    emulator = RanEmulator(cell=CellConfig.oai_band78(), cqi=15)
    scenario = _with_network(scenario_dict)
    scenario["model"] = "scripted:stubborn"  # would run to the round cap

    def switch_off_after_round_one(event: dict[str, Any]) -> None:
        if event.get("event") == "round" and event["round"] == 1:
            emulator.set_cell_on(False)

    result = maestro.negotiate(scenario, driver=emulator, on_event=switch_off_after_round_one)
    # Events reach the caller while the graph runs on, so the halt lands after round 1 or 2,
    # well before the stubborn agents' round cap of 5.
    assert result.status == "halted" and 1 <= len(result.rounds) <= 2
    assert "switched off" in result.reason
    assert any(f["code"] == "topic_void" for f in result.flags)


def test_a_cell_the_nr_tables_do_not_know_is_a_scenario_error(
    scenario_dict: dict[str, Any],
) -> None:
    scenario = _with_network(scenario_dict)
    scenario["network"]["bandwidth_mhz"] = 7  # no NR channel is 7 MHz wide
    with pytest.raises(maestro.ScenarioError, match="network"):
        maestro.negotiate(scenario)


class CountingDriver:
    """A driver in front of an emulated cell: counts reads; can fade or lose monitoring."""

    def __init__(self, fading: bool = False, down: bool = False) -> None:
        self.cell = RanEmulator(cell=CellConfig.oai_band78(), cqi=15)
        self.reads = 0
        self.fading = fading
        self.down = down

    def cell_state(self) -> CellState:
        self.reads += 1
        if self.down:
            raise ConnectionError("monitoring is down")
        if self.fading:
            self.cell.set_cqi(max(15 - self.reads, 1))
        return self.cell.cell_state()

    def apply_policy(self, policy: SlicePolicy) -> PolicyOutcome:
        return self.cell.apply_policy(policy)

    def set_cell_on(self, on: bool) -> CellState:
        return self.cell.set_cell_on(on)

    def set_demand(self, slice_id: str, mbps: float) -> None:
        self.cell.set_demand(slice_id, mbps)

    def advance(self, seconds: float = 1.0) -> CellState:
        return self.cell.advance(seconds)


def test_the_cell_is_observed_once_per_round(scenario_dict: dict[str, Any]) -> None:
    cell = CountingDriver(fading=True)
    scenario = _with_network(scenario_dict)
    scenario["model"] = "scripted:stubborn"
    result = maestro.negotiate(scenario, rounds=3, driver=cell)
    assert result.status == "round_cap" and cell.reads == 3  # was 11: once per agent turn too
    # Every agent of a round saw the capacity the round recorded, though the cell faded.
    capacities = [r.observation["capacity_mbps"] for r in result.rounds if r.observation]
    assert len(capacities) == 3 and capacities[0] > capacities[1] > capacities[2]


def test_a_monitoring_outage_is_not_a_void_topic(scenario_dict: dict[str, Any]) -> None:
    cell = CountingDriver(down=True)
    result = maestro.negotiate(_with_network(scenario_dict), driver=cell)
    codes = {f["code"] for f in result.flags}
    assert "monitoring_unavailable" in codes and "topic_void" not in codes
    assert result.agreed and all(r.observation is None for r in result.rounds)
