"""The slice-policy rules where they bite: on the policy enforcement sends to the cell.

`sum_at_most` (TS 28.541: minimum and dedicated ratios of a cell's slices sum to 100 at most)
and `min_share` (the project's priority-slice policy: an SST 2 slice keeps 10 %) are checked
on the planned policy before anything reaches the RAN emulator; a breaking policy is adjusted
under `enforce: true` (the record cites the rule) and refused under `enforce: false` (the
cell is untouched). The mediator's point stays inside the room the reserved slices leave.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import maestro
from maestro.agents.providers import ScriptedChatModel
from maestro.agents.providers.scripted import follow_optimizer
from maestro.graphs.network import enforce_agreement, network_link
from maestro.graphs.scenario import RegulationSpec, ScenarioError, scenario_from_dict
from maestro.graphs.slice_rules import PolicyRules, enforce_under_rules
from maestro.knowledge.policy_check import fit_policy, policy_violations
from maestro.tools.ran import CellConfig, RanEmulator, throughput_mbps
from maestro.tools.ran.slices import SlicePolicy, SliceRatio, mbps_at_ratio, min_ratios
from tests.conftest import BASE_SCENARIO, deps_with

CELL = CellConfig.oai_band78()
CAPACITY = throughput_mbps(CELL, 15)
SUM_DOC, SUM_CLAUSE = "ts28541-rrm-policy-ratio", "TS 28.541 clause 4.3.36"
SHARE_DOC = "maestro-priority-slice-policy"


def _rules(**spec: Any) -> PolicyRules:
    return PolicyRules(RegulationSpec.model_validate({"jurisdiction": "DE", "k": 0} | spec))


def _emulator(policy: SlicePolicy | None = None) -> RanEmulator:
    emulator = RanEmulator(cell=CELL, cqi=15)
    if policy is not None:
        assert emulator.apply_policy(policy).ok
    return emulator


PUBLIC_SAFETY = {"id": "ps", "sst": 2}


def test_a_policy_over_the_total_is_refused_and_nothing_reaches_the_cell() -> None:
    cell = _emulator()
    done = enforce_under_rules(
        cell, 0.97 * CAPACITY, _rules(enforce=False, reserved_slices=[PUBLIC_SAFETY])
    )
    assert done["applied"] is False and done["ok"] is False
    assert cell.cell_state().policy is None  # nothing was sent
    assert SUM_DOC in done["message"] and SUM_CLAUSE in done["message"]
    assert done["regulation"]["action"] == "refused"
    broken = done["regulation"]["violations"]
    assert [v["document"] for v in broken] == [SUM_DOC] and broken[0]["value"] > 100


def test_a_policy_over_the_total_is_adjusted_so_the_priority_slice_keeps_its_share() -> None:
    cell = _emulator()
    done = enforce_under_rules(cell, 0.97 * CAPACITY, _rules(reserved_slices=[PUBLIC_SAFETY]))
    applied = cell.cell_state().policy
    assert done["applied"] is True and applied is not None
    ps, sla = applied.get("ps"), applied.get("sla")
    assert ps is not None and ps.sst == 2 and ps.min_ratio == 10
    assert sla is not None and sla.min_ratio == 90
    assert done["regulation"]["action"] == "adjusted"
    change = done["regulation"]["adjustments"][0]
    assert change["document"] == SUM_DOC and SHARE_DOC in change["change"]
    assert "adjusted by the rules" in done["message"] and SUM_DOC in done["message"]
    # The record does not pretend the agreement is guaranteed in full.
    assert done["guaranteed_mbps"] == pytest.approx(mbps_at_ratio(CELL, 15, 90), abs=1e-3)
    assert done["guaranteed_mbps"] < done["requested_mbps"]


def test_a_priority_slice_on_the_cell_below_its_share_is_caught() -> None:
    existing = SlicePolicy(
        slices=[SliceRatio(slice_id="ambulance", sst=2, min_ratio=5, max_ratio=100)]
    )
    refused_cell = _emulator(existing)
    done = enforce_under_rules(refused_cell, 20.0, _rules(enforce=False))
    assert done["applied"] is False and SHARE_DOC in done["message"]
    assert refused_cell.cell_state().policy == existing  # untouched
    fixed_cell = _emulator(existing)
    done = enforce_under_rules(fixed_cell, 20.0, _rules())
    applied = fixed_cell.cell_state().policy
    assert applied is not None and applied.get("ambulance").min_ratio == 10  # type: ignore[union-attr]
    assert done["regulation"]["adjustments"][0]["document"] == SHARE_DOC


def test_a_policy_inside_the_rules_goes_through_unchanged() -> None:
    cell = _emulator()
    done = enforce_under_rules(cell, 40.0, _rules(reserved_slices=[PUBLIC_SAFETY]))
    assert done["ok"] and done["regulation"]["action"] == "none"
    applied = cell.cell_state().policy
    assert applied is not None
    ratios = {s.slice_id: s.min_ratio for s in applied.slices}
    assert ratios == {
        "ps": 10,
        "sla": min_ratios(CELL, 15, {"sla": 40.0})["sla"],
    }  # ps: its SST's share


def test_dedicated_ratios_over_the_total_are_scaled_down() -> None:
    rows = [
        {"slice_id": "a", "sst": 1, "min_ratio": 50, "max_ratio": 100, "dedicated_ratio": 50},
        {"slice_id": "b", "sst": 1, "min_ratio": 50, "max_ratio": 100, "dedicated_ratio": 60},
    ]
    rules = _rules().rules()
    broken = policy_violations(rows, rules)
    assert any(v.document == SUM_DOC and v.value == 110 for v in broken)
    fitted = fit_policy(rows, rules)
    assert fitted is not None
    assert sum(r["dedicated_ratio"] for r in fitted[0]) <= 100
    assert not policy_violations(fitted[0], rules)


def test_priority_slices_that_alone_exceed_the_cell_are_refused_even_under_enforce() -> None:
    rules = _rules().rules()
    rows = [{"slice_id": f"p{i}", "sst": 2, "min_ratio": 60, "max_ratio": 100} for i in range(2)]
    assert fit_policy(rows, rules) is None


def test_a_negotiation_leaves_the_reserved_slice_its_room_and_enforces_it() -> None:
    scenario = copy.deepcopy(BASE_SCENARIO)
    # Both want most of the cell: eq. 1's point between 134 and 112 is 123 Mbps, above the
    # 121.3 Mbps that 90 % of the PRBs carry once the SST 2 slice keeps its 10 %.
    for op, target in zip(scenario["operators"], (134, 112), strict=True):
        op["utility"]["target"] = target
    scenario |= {
        "model": "scripted:custom",
        "mediator": {"guidance": "soft"},
        "network": {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15},
        "regulation": {"jurisdiction": "DE", "k": 0, "reserved_slices": [PUBLIC_SAFETY]},
    }
    result = maestro.negotiate(scenario, deps=deps_with(ScriptedChatModel(script=follow_optimizer)))
    room = mbps_at_ratio(CELL, 15, 90)
    mediator = result.rounds[0].mediator
    assert mediator is not None and mediator.mediator_value is not None
    assert mediator.mediator_value <= room + 1e-6
    assert result.consensus is not None and result.consensus <= room + 1e-6
    assert result.regulation is not None
    assert any(c.get("value_from") == "slice_room" for c in result.regulation["constraints"])
    enforcement = result.enforcement
    assert enforcement is not None and enforcement["ok"], enforcement
    slices = {s["slice_id"]: s for s in enforcement["policy"]["slices"]}
    assert slices["ps"]["rRMPolicyMinRatio"] == 10
    assert enforcement["regulation"]["action"] == "none"  # the agreement already fit


def test_enforce_agreement_uses_the_rules_of_the_scenario() -> None:
    scenario = scenario_from_dict(
        copy.deepcopy(BASE_SCENARIO)
        | {
            "network": {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15},
            "regulation": {"k": 0, "enforce": False, "reserved_slices": [PUBLIC_SAFETY]},
        }
    )
    link = network_link(scenario)
    assert link is not None
    try:
        done = enforce_agreement(link, 0.97 * CAPACITY)
        assert done["applied"] is False and SUM_DOC in done["message"]
        assert link.driver.cell_state().policy is None
    finally:
        link.close()


@pytest.mark.parametrize(
    "reserved",
    [
        [{"id": "sla", "sst": 2}],
        [PUBLIC_SAFETY, PUBLIC_SAFETY],
        [{"id": "x", "sst": 2, "min_share": 2}],
    ],
)
def test_bad_reserved_slices_are_the_users_mistake(reserved: list[dict[str, Any]]) -> None:
    with pytest.raises(ScenarioError, match="reserved_slices"):
        scenario_from_dict(
            copy.deepcopy(BASE_SCENARIO) | {"regulation": {"reserved_slices": reserved}}
        )


def test_the_priority_slice_example_runs_as_the_readme_says() -> None:
    from tests.conftest import ROOT

    result = maestro.negotiate(
        ROOT / "examples" / "priority-slice.yaml", model="scripted:optimizer"
    )
    assert result.status == "consensus" and result.consensus is not None
    assert result.consensus <= mbps_at_ratio(CELL, 15, 90) + 1e-6
    enforcement = result.enforcement
    assert enforcement is not None and enforcement["ok"]
    ratios = {s["slice_id"]: s["rRMPolicyMinRatio"] for s in enforcement["policy"]["slices"]}
    assert ratios["public-safety"] == 10 and sum(ratios.values()) <= 100
