"""Slice policies: TS 28.541 constraints and names, FlexRIC NVS form, and the scheduling step."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from maestro.tools.ran.cell import CellConfig, InfeasibleRequest, throughput_mbps
from maestro.tools.ran.slices import (
    SlicePolicy,
    SliceRatio,
    allocate_prbs,
    from_nvs,
    policy_for_throughput,
    slice_throughputs,
    to_nvs,
)

CELL = CellConfig.oai_band78()


def _policy(*rows: tuple[str, int, int, int]) -> SlicePolicy:
    return SlicePolicy(
        slices=[
            SliceRatio(slice_id=s, min_ratio=lo, max_ratio=hi, dedicated_ratio=ded)
            for s, lo, hi, ded in rows
        ]
    )


# --- model and TS 28.541 constraints ----------------------------------------------------------


def test_serialises_with_28541_names_and_reads_both():
    ratio = SliceRatio(slice_id="embb", sd="00000A", min_ratio=30, max_ratio=80,
                       dedicated_ratio=10)
    dumped = ratio.model_dump()
    assert dumped["rRMPolicyMinRatio"] == 30
    assert dumped["rRMPolicyMaxRatio"] == 80
    assert dumped["rRMPolicyDedicatedRatio"] == 10
    assert "min_ratio" not in dumped
    assert SliceRatio.model_validate(dumped) == ratio
    policy = SlicePolicy(slices=[ratio], resource_type="PRB")
    text = policy.model_dump_json()
    assert json.loads(text)["resourceType"] == "PRB"
    assert SlicePolicy.model_validate_json(text) == policy


def test_to_28541_member_list():
    ratio = SliceRatio(slice_id="urllc", sst=2, sd="ABCDEF", min_ratio=20, max_ratio=40)
    out = _policy_from(ratio).to_28541(plmn_id={"mcc": "208", "mnc": "95"})
    assert out == [{
        "resourceType": "PRB_DL",
        "id": "urllc",
        "rRMPolicyMemberList": [{"snssai": {"sst": 2, "sd": "ABCDEF"},
                                 "plmnId": {"mcc": "208", "mnc": "95"}}],
        "rRMPolicyMinRatio": 20, "rRMPolicyMaxRatio": 40, "rRMPolicyDedicatedRatio": 0,
    }]


def _policy_from(*ratios: SliceRatio) -> SlicePolicy:
    return SlicePolicy(slices=list(ratios))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"min_ratio": 30, "max_ratio": 20}, "min_ratio (30) must be <= max_ratio (20)"),
        ({"min_ratio": 30, "max_ratio": 50, "dedicated_ratio": 40},
         "dedicated_ratio (40) must be <= min_ratio (30)"),
        ({"min_ratio": 30, "max_ratio": 101}, "max_ratio"),
        ({"min_ratio": -1, "max_ratio": 10}, "min_ratio"),
        ({"min_ratio": 10.5, "max_ratio": 20}, "min_ratio"),
        ({"min_ratio": 10, "max_ratio": 20, "sd": "xyz"}, "sd"),
        ({"min_ratio": 10, "max_ratio": 20, "sst": 256}, "sst"),
        ({"min_ratio": 10, "max_ratio": 20, "colour": "red"}, "colour"),
    ],
)
def test_slice_ratio_constraints(kwargs, needle):
    with pytest.raises(ValidationError) as info:
        SliceRatio(slice_id="a", **kwargs)
    assert needle in str(info.value)


def test_policy_sum_of_min_and_unique_ids():
    with pytest.raises(ValidationError, match=r"sum of min_ratio must be <= 100, got 110"):
        _policy(("a", 60, 100, 0), ("b", 50, 100, 0))
    with pytest.raises(ValidationError, match="appears more than once"):
        _policy(("a", 10, 100, 0), ("a", 20, 100, 0))
    with pytest.raises(ValidationError, match="resource"):
        SlicePolicy(slices=[], resource_type="CPU")
    assert _policy(("a", 60, 100, 0), ("b", 40, 100, 40)).slice_ids == ["a", "b"]


# --- throughput -> policy ---------------------------------------------------------------------


def test_policy_for_throughput_guarantees_the_agreement():
    policy = policy_for_throughput(CELL, 12, {"cost": 20.0, "qos": 50.0})
    for sid, mbps in (("cost", 20.0), ("qos", 50.0)):
        ratio = policy.get(sid)
        assert ratio is not None and ratio.max_ratio == 100 and ratio.dedicated_ratio == 0
        prbs = ratio.min_ratio * CELL.n_prb // 100
        assert throughput_mbps(CELL, 12, prbs) >= mbps
        # One percent less would not carry it: the ratio is the smallest that does.
        assert throughput_mbps(CELL, 12, (ratio.min_ratio - 1) * CELL.n_prb // 100) < mbps


def test_policy_for_throughput_options():
    capped = policy_for_throughput(CELL, 15, {"a": 51}, share_leftover=False, dedicated=True)
    ratio = capped.slices[0]
    assert ratio.min_ratio == ratio.max_ratio == ratio.dedicated_ratio
    empty = policy_for_throughput(CELL, 15, {"idle": 0})
    assert empty.slices[0].min_ratio == 0


def test_policy_for_throughput_refuses_with_reason():
    with pytest.raises(InfeasibleRequest) as info:
        policy_for_throughput(CELL, 12, {"a": 60, "b": 50})
    assert "CQI 12" in info.value.reason and "95.09" in info.value.reason
    assert "a 60 Mbps" in info.value.reason
    with pytest.raises(InfeasibleRequest, match="slice 'big'"):
        policy_for_throughput(CELL, 10, {"big": 100})
    with pytest.raises(InfeasibleRequest, match="out of range"):
        policy_for_throughput(CELL, 0, {"a": 1})
    with pytest.raises(ValueError, match=r"demands_mbps\['a'\]"):
        policy_for_throughput(CELL, 12, {"a": -3})
    with pytest.raises(ValueError, match="cqi"):
        policy_for_throughput(CELL, 16, {})


def test_sla_use_case_fits_at_high_cqi_not_at_low():
    # 51 Mbps for one operator fits the cell at CQI 12; at CQI 7 (36 Mbps max) it cannot.
    assert policy_for_throughput(CELL, 12, {"op": 51}).slices[0].min_ratio <= 100
    with pytest.raises(InfeasibleRequest):
        policy_for_throughput(CELL, 7, {"op": 51})


# --- FlexRIC NVS form --------------------------------------------------------------------------


def test_nvs_capacity_round_trip():
    policy = _policy(("embb", 54, 100, 0), ("mtc", 22, 100, 0))
    nvs = to_nvs(policy)
    assert nvs[0] == {"id": 0, "label": "embb", "ue_sched_algo": "PF",
                      "type": "SLICE_SM_NVS_V0_CAPACITY", "pct_reserved": 0.54}
    back = from_nvs(nvs)
    assert [(s.slice_id, s.min_ratio, s.max_ratio) for s in back.slices] == [
        ("embb", 54, 100), ("mtc", 22, 100)
    ]


def test_nvs_rate_form_with_a_cell():
    policy = _policy(("embb", 50, 100, 0))
    nvs = to_nvs(policy, CELL)
    assert nvs[0]["type"] == "SLICE_SM_NVS_V0_RATE"
    assert nvs[0]["mbps_reference"] == pytest.approx(134.3616)
    assert nvs[0]["mbps_required"] == pytest.approx(67.1808)
    assert from_nvs(nvs).slices[0].min_ratio == 50


def test_from_nvs_accepts_short_flexric_keys():
    policy = from_nvs([
        {"id": 0, "label": "s1", "type": "SLICE_SM_NVS_V0_CAPACITY", "pct_rsvd": 0.5},
        {"id": 1, "label": "s2", "type": "SLICE_SM_NVS_V0_RATE", "mbps_rsvd": 30,
         "mbps_ref": 120},
        {"id": 2, "pct_reserved": 0.1},
    ])
    assert [(s.slice_id, s.min_ratio) for s in policy.slices] == [("s1", 50), ("s2", 25),
                                                                  ("2", 10)]


@pytest.mark.parametrize(
    ("slices", "needle"),
    [
        ([{"label": "a", "pct_reserved": 1.5}], r"slices\[0\]\.pct_reserved"),
        ([{"label": "a", "pct_reserved": "half"}], r"slices\[0\]\.pct_reserved"),
        ([{"label": "a", "mbps_required": 10, "mbps_reference": 0}], "mbps_reference"),
        ([{"label": "a", "mbps_required": 50, "mbps_reference": 10}], "exceeds"),
        ([{"label": "a", "type": "SLICE_SM_NVS_V0_RATE"}], r"slices\[0\] is neither"),
        ([{"pct_reserved": 0.1}], r"slices\[0\] needs a label"),
        (["a"], r"slices\[0\] must be an object"),
        ({"label": "a"}, "must be a list"),
        ([{"label": "a", "pct_reserved": 0.6}, {"label": "b", "pct_reserved": 0.6}],
         "sum of min_ratio"),
    ],
)
def test_from_nvs_errors_name_the_entry(slices, needle):
    with pytest.raises(ValueError, match=needle):
        from_nvs(slices)


# --- one scheduling step ------------------------------------------------------------------------


def test_all_busy_slices_get_min_then_share_fairly():
    policy = _policy(("a", 50, 100, 0), ("b", 20, 100, 0))
    got = allocate_prbs(policy, 106, {"a": 106, "b": 106})
    # Guarantees 53 and 21, the remaining 32 split evenly.
    assert got == {"a": 69, "b": 37}


def test_idle_minimum_is_lent_but_idle_dedicated_is_not():
    lent = _policy(("a", 50, 100, 0), ("b", 20, 100, 0))
    assert allocate_prbs(lent, 100, {"a": 0, "b": 100}) == {"a": 0, "b": 100}
    reserved = _policy(("a", 50, 100, 30), ("b", 20, 100, 0))
    assert allocate_prbs(reserved, 100, {"a": 10, "b": 100}) == {"a": 10, "b": 70}


def test_max_ratio_caps_a_slice():
    policy = _policy(("a", 10, 30, 0), ("b", 10, 100, 0))
    assert allocate_prbs(policy, 100, {"a": 100, "b": 20}) == {"a": 30, "b": 20}


def test_unnamed_traffic_uses_the_shared_pool_only():
    policy = _policy(("a", 60, 100, 0))
    got = allocate_prbs(policy, 100, {"a": 100, "other": 100})
    assert got == {"a": 80, "other": 20}
    assert allocate_prbs(SlicePolicy(), 50, {"x": 10}) == {"x": 10}


def test_demands_are_capped_and_validated():
    policy = _policy(("a", 50, 100, 0))
    assert allocate_prbs(policy, 106, {"a": 1000}) == {"a": 106}
    assert allocate_prbs(policy, 106, {}) == {"a": 0}
    with pytest.raises(ValueError, match=r"demand_prbs\['a'\]"):
        allocate_prbs(policy, 106, {"a": -1})
    with pytest.raises(ValueError, match="n_prb"):
        allocate_prbs(policy, -5, {"a": 1})


def test_allocation_invariants_on_random_policies():
    rng = np.random.default_rng(7)
    for _ in range(300):
        k = int(rng.integers(1, 5))
        mins = rng.multinomial(int(rng.integers(0, 101)), np.ones(k + 1) / (k + 1))[:k]
        rows = []
        for i, m in enumerate(mins):
            hi = int(rng.integers(m, 101))
            rows.append((f"s{i}", int(m), hi, int(rng.integers(0, m + 1))))
        policy = _policy(*rows)
        n = int(rng.integers(1, 274))
        demand = {f"s{i}": int(rng.integers(0, n + 20)) for i in range(k)}
        got = allocate_prbs(policy, n, demand)
        assert sum(got.values()) <= n
        for sid, lo, hi, _ in rows:
            want = min(demand[sid], n)
            assert 0 <= got[sid] <= want
            assert got[sid] <= hi * n // 100
            assert got[sid] >= min(want, lo * n // 100)
        # Work-conserving: PRBs stay idle only when nobody can take them.
        idle_ded = sum(max(0, ded * n // 100 - got[s]) for s, _, _, ded in rows)
        if sum(got.values()) + idle_ded < n:
            for sid, _, hi, _ in rows:
                assert got[sid] == min(demand[sid], n, hi * n // 100)


def test_slice_throughputs():
    got = slice_throughputs(CELL, 15, {"a": 53, "b": 0})
    assert got["a"] == pytest.approx(67.2256) and got["b"] == 0
