"""The slice rules on the orchestrator path: the same check before the intent is submitted.

A policy the rules refuse never reaches the domain manager (no intent, no commit); an
adjusted one is what the network intent carries, and the RAN CNF applies exactly that
policy. The client here is a stand-in that records what would be submitted; the real API,
git and reconciler are in tests/orchestrator_api/test_api_slice_rules.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from maestro.agents.orchestrator_tools import OrchestratorEnforcer
from maestro.graphs.network import NetworkLink, enforce_agreement, network_link
from maestro.graphs.scenario import scenario_from_dict
from maestro.graphs.slice_rules import rule_flags
from maestro.tools.orchestrator.client import OrchestratorApiError
from maestro.tools.orchestrator.ran_slice import (
    apply_checked,
    cnf_cell,
    decode_policy,
    encode_policy,
    main,
)
from maestro.tools.ran import RanEmulator, throughput_mbps
from maestro.tools.ran.slices import SlicePolicy, SliceRatio
from tests.conftest import BASE_SCENARIO

CQI = 12  # the enforcer's (and so the CNF's) CQI
CAPACITY = throughput_mbps(cnf_cell(), CQI)
SUM_DOC = "ts28541-rrm-policy-ratio"
PUBLIC_SAFETY = {"id": "ps", "sst": 2}


class RecordingClient:
    """Records each intent submitted, then refuses it (no reconciler behind it)."""

    def __init__(self) -> None:
        self.submitted: list[dict[str, Any]] = []

    def apply(self, intent: dict[str, Any]) -> dict[str, Any]:
        self.submitted.append(intent)
        raise OrchestratorApiError(409, "recorded, not deployed")


def _link(**regulation: Any) -> tuple[NetworkLink, RecordingClient]:
    data = copy.deepcopy(BASE_SCENARIO)
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": CQI}
    data["regulation"] = {"k": 0, "reserved_slices": [PUBLIC_SAFETY]} | regulation
    link = network_link(scenario_from_dict(data))
    assert link is not None
    client = RecordingClient()
    link.orchestrator = OrchestratorEnforcer(client, intent="rules")  # type: ignore[arg-type]
    return link, client


def test_a_refused_policy_is_never_submitted() -> None:
    link, client = _link(enforce=False)
    try:
        done = enforce_agreement(link, 0.97 * CAPACITY)
    finally:
        link.close()
    assert client.submitted == []  # the domain manager never saw it: no intent, no commit
    assert done["path"] == "orchestrator" and done["intent"] == "rules"
    assert done["admitted"] is False and done["applied"] is False and done["ok"] is False
    assert done["regulation"]["action"] == "refused" and SUM_DOC in done["message"]
    flags = rule_flags(done, 2)
    assert [f["code"] for f in flags] == ["policy_refused_by_rule"]
    assert flags[0]["message"].startswith(SUM_DOC)


def test_an_adjusted_policy_is_what_the_intent_carries_and_the_cnf_runs() -> None:
    link, client = _link()
    try:
        done = enforce_agreement(link, 0.97 * CAPACITY)
    finally:
        link.close()
    assert len(client.submitted) == 1
    params = client.submitted[0]["services"]["ran"]["params"]
    policy = decode_policy(params["policy"])
    ratios = {s.slice_id: s.min_ratio for s in policy.slices}
    assert ratios == {"ps": 10, "sla": 90}  # the priority slice keeps its share
    assert done["regulation"]["action"] == "adjusted"
    assert "adjusted by the rules" in done["message"] and SUM_DOC in done["message"]
    assert done["guaranteed_mbps"] < done["requested_mbps"]
    # The CNF started from these parameters runs exactly the checked policy.
    cell = RanEmulator(cell=cnf_cell(), cqi=CQI)
    outcome = apply_checked(cell, policy, params["slice"], params["mbps"])
    assert outcome.ok and outcome.state.policy == policy
    assert outcome.state.slices["sla"].demand_mbps == pytest.approx(0.97 * CAPACITY, abs=1e-5)


def test_without_a_regulation_section_the_intent_is_unchanged() -> None:
    data = copy.deepcopy(BASE_SCENARIO) | {"network": {"cqi": CQI}}
    link = network_link(scenario_from_dict(data))
    assert link is not None
    client = RecordingClient()
    link.orchestrator = OrchestratorEnforcer(client, intent="plain")  # type: ignore[arg-type]
    try:
        enforce_agreement(link, 40.0)
    finally:
        link.close()
    assert "policy" not in client.submitted[0]["services"]["ran"]["params"]


def test_policy_text_round_trips_and_bad_text_is_refused() -> None:
    policy = SlicePolicy(
        slices=[
            SliceRatio(slice_id="public-safety", sst=2, sd="00000A", min_ratio=10, max_ratio=100),
            SliceRatio(slice_id="sla", sst=1, min_ratio=60, max_ratio=100, dedicated_ratio=5),
        ]
    )
    text = encode_policy(policy)
    assert text == "public-safety:2:10:100:0:00000A,sla:1:60:100:5"
    assert decode_policy(text) == policy
    for bad in ("sla:1:60", "sla:x:60:100:0", "a:1:70:100:0,b:1:70:100:0:zz"):
        with pytest.raises(ValueError):
            decode_policy(bad)


@pytest.mark.parametrize(
    "policy",
    ["sla:1:60", "ps:2:10:100:0", "ps:2:60:100:0,sla:1:60:100:0"],
)
def test_the_cnf_exits_2_on_a_policy_it_cannot_run(
    policy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--port", "1", "--mbps", "40", "--policy", policy])
    assert code == 2
    assert capsys.readouterr().err.startswith("ran-slice: ")
