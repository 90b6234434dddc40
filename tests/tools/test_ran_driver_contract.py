"""One contract for every RanDriver: the in-process emulator and the HTTP client on loopback.

The cell is the MAESTRO testbed cell (40 MHz, 30 kHz, 106 PRB) replaying a scripted trace:
CQI 15 for 10 s, CQI 7 for 10 s, then CQI 0 (out of range) for 5 s.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

from maestro.tools.ran import (
    CellConfig,
    CellState,
    HttpRanDriver,
    PolicyOutcome,
    RadioTrace,
    RanDriver,
    RanEmulator,
    RanServer,
    SlicePolicy,
    SliceRatio,
    enforce_throughput,
    observe,
    prbs_for_throughput,
    throughput_mbps,
)

CELL = CellConfig.oai_band78()
CQI = [15] * 10 + [7] * 10 + [0] * 5


def scripted_trace() -> RadioTrace:
    n = len(CQI)
    cqi = np.array(CQI, dtype=np.int64)
    return RadioTrace(
        t_s=np.arange(n, dtype=np.float64),
        cqi=cqi,
        dl_mbps=np.array([throughput_mbps(CELL, int(c)) for c in cqi]),
        source="scripted",
    )


def policy(*ratios: tuple[str, int, int, int]) -> SlicePolicy:
    return SlicePolicy(
        slices=[
            SliceRatio(slice_id=sid, min_ratio=lo, max_ratio=hi, dedicated_ratio=ded)
            for sid, lo, hi, ded in ratios
        ]
    )


@pytest.fixture(params=["emulator", "http"])
def driver(request: pytest.FixtureRequest) -> Iterator[RanDriver]:
    emulator = RanEmulator(cell=CELL, trace=scripted_trace())
    if request.param == "emulator":
        yield emulator
        return
    with RanServer(emulator) as server, HttpRanDriver(server.url, token=server.token) as client:
        yield client


def test_both_implement_the_protocol(driver: RanDriver) -> None:
    assert isinstance(driver, RanDriver)


def test_initial_state_is_the_paper_cell_at_cqi_15(driver: RanDriver) -> None:
    state = driver.cell_state()
    assert isinstance(state, CellState)
    assert state.on and state.cqi == 15 and state.n_prb == 106
    assert state.capacity_mbps == pytest.approx(134.36, abs=0.01)
    assert state.prbs_used == 0 and state.demand_mbps == 0 and state.slices == {}
    assert state.policy is None and state.t_s == 0
    assert state.cell == CELL


def test_best_effort_slice_gets_the_prbs_its_load_needs(driver: RanDriver) -> None:
    driver.set_demand("embb", 50.0)
    state = driver.cell_state()
    s = state.slices["embb"]
    assert s.demand_mbps == 50.0 and s.mbps == pytest.approx(50.0)
    assert s.prbs == prbs_for_throughput(CELL, 15, 50.0) == state.prbs_used
    assert state.demand_mbps == 50.0


def test_load_beyond_capacity_is_capped_at_the_cell(driver: RanDriver) -> None:
    driver.set_demand("embb", 500.0)
    s = driver.cell_state().slices["embb"]
    assert s.prbs == 106
    assert s.mbps == pytest.approx(134.36, abs=0.01)


def test_max_ratio_of_half_the_cell_carries_67_mbps(driver: RanDriver) -> None:
    outcome = driver.apply_policy(policy(("a", 0, 50, 0), ("b", 0, 100, 0)))
    assert isinstance(outcome, PolicyOutcome) and outcome.ok
    driver.set_demand("a", 200.0)
    a = driver.cell_state().slices["a"]
    assert a.prbs == 53  # 50 % of 106 PRB
    assert a.mbps == pytest.approx(67.23, abs=0.01)  # TBS(53 PRB) = 42016 bits x 1600 /s


def test_min_ratio_is_guaranteed_under_contention(driver: RanDriver) -> None:
    driver.apply_policy(policy(("a", 60, 100, 0), ("b", 10, 100, 0)))
    driver.set_demand("a", 200.0)
    driver.set_demand("b", 200.0)
    state = driver.cell_state()
    a, b = state.slices["a"], state.slices["b"]
    assert a.prbs >= math.floor(0.6 * 106)
    assert b.prbs >= math.floor(0.1 * 106)
    assert a.prbs + b.prbs == state.prbs_used <= 106
    assert a.mbps + b.mbps <= state.capacity_mbps + 1e-6


def test_policy_in_force_is_reported(driver: RanDriver) -> None:
    p = policy(("a", 20, 80, 10))
    outcome = driver.apply_policy(p)
    assert outcome.ok and outcome.state.policy == p
    assert driver.cell_state().policy == p
    assert set(driver.cell_state().slices) == {"a"}


def test_switched_off_cell_has_no_capacity_and_refuses_policies(driver: RanDriver) -> None:
    driver.set_demand("a", 30.0)
    off = driver.set_cell_on(False)
    assert not off.on and off.cqi == 0 and off.capacity_mbps == 0
    assert off.slices["a"].mbps == 0 and off.prbs_used == 0
    refused = driver.apply_policy(policy(("a", 10, 100, 0)))
    assert not refused.ok and "off" in refused.message
    assert refused.state.policy is None
    on = driver.set_cell_on(True)
    assert on.on and on.capacity_mbps == pytest.approx(134.36, abs=0.01)
    assert on.slices["a"].mbps == pytest.approx(30.0)


def test_advance_follows_the_trace(driver: RanDriver) -> None:
    driver.set_demand("a", 50.0)
    mid = driver.advance(10.0)
    assert mid.t_s == 10.0 and mid.cqi == 7
    assert mid.capacity_mbps == pytest.approx(36.06, abs=0.01)
    assert mid.slices["a"].mbps == pytest.approx(36.06, abs=0.01)  # starved by the radio
    assert driver.advance().t_s == 11.0
    dark = driver.advance(10.0)
    assert dark.cqi == 0 and dark.capacity_mbps == 0 and dark.slices["a"].mbps == 0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda d: d.set_demand("", 1.0), "slice_id"),
        (lambda d: d.set_demand("a", -1.0), "mbps"),
        (lambda d: d.set_demand("a", float("nan")), "mbps"),
        (lambda d: d.set_demand("a", "ten"), "mbps"),
        (lambda d: d.set_demand("a", 1e308), "mbps"),  # the HTTP server refuses it too
        (lambda d: d.advance(0), "seconds"),
        (lambda d: d.advance(-2.0), "seconds"),
        (lambda d: d.set_cell_on("yes"), "on"),
        (lambda d: d.apply_policy({"slices": []}), "policy"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_field(driver: RanDriver, call, field) -> None:
    with pytest.raises(ValueError, match=field):
        call(driver)
    assert driver.cell_state().t_s == 0  # nothing changed


def test_enforcing_an_agreement_achieves_its_throughput(driver: RanDriver) -> None:
    outcome = enforce_throughput(driver, {"op1": 40.0, "op2": 30.0})
    assert outcome.ok, outcome.message
    state = outcome.state
    assert state.policy is not None
    assert {s.slice_id for s in state.policy.slices} == {"op1", "op2"}
    assert state.slices["op1"].mbps == pytest.approx(40.0)
    assert state.slices["op2"].mbps == pytest.approx(30.0)
    # Each slice is guaranteed at least the PRBs its agreed rate needs at this CQI.
    for sid, mbps in (("op1", 40.0), ("op2", 30.0)):
        ratio = next(r for r in state.policy.slices if r.slice_id == sid)
        assert ratio.min_ratio / 100 * 106 >= prbs_for_throughput(CELL, 15, mbps) - 1


def test_infeasible_agreement_is_refused_with_the_reason(driver: RanDriver) -> None:
    outcome = enforce_throughput(driver, {"op1": 100.0, "op2": 100.0})
    assert not outcome.ok and "infeasible" in outcome.message
    assert driver.cell_state().policy is None
    driver.set_cell_on(False)
    off = enforce_throughput(driver, {"op1": 10.0})
    assert not off.ok and "off" in off.message


def test_observation_for_the_agents(driver: RanDriver) -> None:
    driver.set_demand("a", 20.0)
    seen = observe(driver)
    assert seen.on and seen.cqi == 15 and seen.void_reason is None
    assert seen.capacity_mbps == pytest.approx(134.36, abs=0.01)
    assert seen.demand_mbps == 20.0 and seen.throughput_mbps == pytest.approx(20.0)
    assert seen.slice_throughput_mbps == {"a": pytest.approx(20.0)}
    driver.set_cell_on(False)
    assert observe(driver).void_reason == "the cell is switched off"
    driver.set_cell_on(True)
    driver.advance(21.0)
    assert "no capacity" in (observe(driver).void_reason or "")
