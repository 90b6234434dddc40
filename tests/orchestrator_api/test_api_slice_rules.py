"""A negotiation enforced through the real orchestrator under the slice rules.

With reserved slices, the network intent carries the whole checked policy and the RAN CNF
the edge runs shows it (the priority slice at its share); a policy the rules refuse is never
submitted: no intent, no commit, and the run's flags say which rule. Real git, a real
reconciler process, the real API on 127.0.0.1 (the fixtures of test_api_enforce).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from maestro.api import negotiate
from maestro.tools.orchestrator.client import OrchestratorClient
from tests.orchestrator_api.helpers import TENANT_A
from tests.orchestrator_api.test_api_enforce import api, edge_domain, git  # noqa: F401

SHARE_DOC = "maestro-priority-slice-policy"
FLOOR_RULE = """---
id: test-shared-slice-floor
title: Test rule - the shared slice keeps 95 percent of the PRBs
source: Test notice 1 clause 2
jurisdiction: global
topics: [slicing, min_share]
constraints:
  - {kind: min_share, slice_sst: 1, value: 0.95}
---
# Floor

The shared eMBB slice keeps at least 95 percent of the cell's PRBs as its minimum ratio.
"""


def _network(url: str, intent: str) -> dict[str, Any]:
    return {"cqi": 12, "orchestrator_url": url, "orchestrator_intent": intent,
            "orchestrator_edge": "edge-1"}  # fmt: skip


def test_the_cnf_runs_the_checked_policy_with_the_reserved_slice(
    api: OrchestratorClient,  # noqa: F811
    scenario_dict: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_A)
    scenario_dict["network"] = _network(api.url, "ruled-sla")
    scenario_dict["regulation"] = {"k": 0, "reserved_slices": [{"id": "ps", "sst": 2}]}
    record = negotiate(scenario_dict).model_dump()
    enforcement = record["enforcement"]
    assert enforcement["path"] == "orchestrator" and enforcement["applied"], enforcement
    assert enforcement["regulation"]["action"] == "none"
    url = api.status("ruled-sla")["services"]["ran"]["url"]
    cell = httpx.get(f"{url}/state").json()
    ratios = {s["slice_id"]: s["rRMPolicyMinRatio"] for s in cell["policy"]["slices"]}
    assert ratios["ps"] == 10 and "sla" in ratios and sum(ratios.values()) <= 100


def test_a_refused_policy_is_never_submitted_to_the_domain(
    api: OrchestratorClient,  # noqa: F811
    edge_domain: Path,  # noqa: F811
    scenario_dict: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_A)
    (tmp_path / "floor.md").write_text(FLOOR_RULE, encoding="utf-8")
    scenario_dict["rounds"] = 3
    scenario_dict["network"] = _network(api.url, "ruled-refused")
    scenario_dict["regulation"] = {
        "k": 0,
        "enforce": False,
        "documents": [str(tmp_path / "floor.md")],
    }
    repo = edge_domain / "repos" / "edge-1.git"
    before = git(repo, "rev-parse", "main")
    events: list[dict[str, Any]] = []
    record = negotiate(scenario_dict, on_event=events.append).model_dump()
    # A refusal with rounds left goes back to the operators (as an admission refusal does).
    told = [e for e in events if e.get("event") == "enforced"]
    assert told and not any(e["applied"] or e["admitted"] for e in told)
    assert all(e["regulation"]["action"] == "refused" for e in told)
    assert "test-shared-slice-floor" in told[0]["message"]
    assert all(i["name"] != "ruled-refused" for i in api.intents())
    assert git(repo, "rev-parse", "main") == before  # nothing committed
    ruled = [f for f in record["flags"] if f["code"] == "policy_refused_by_rule"]
    assert len(ruled) == len(told) and ruled[0]["message"].startswith("test-shared-slice-floor")
