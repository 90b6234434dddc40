"""An agreement becomes a network intent: admitted, committed, reconciled, in force on the
cell because git changed — or refused, and then not enforced. Real git, a real reconciler
process, the real API on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from maestro.agents.orchestrator_tools import (
    OrchestratorEnforcer,
    deployment_view,
    refusal_note,
)
from maestro.api import negotiate
from maestro.tools.orchestrator.apiserver import ApiServer
from maestro.tools.orchestrator.auth import TokenStore
from maestro.tools.orchestrator.client import OrchestratorClient
from maestro.tools.orchestrator.domain import init_domain
from tests.orchestrator_api.helpers import TENANT_A, TOKENS


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def edge_domain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A one-edge domain whose reconciler runs as its own process."""
    root = tmp_path_factory.mktemp("enforce") / "dom"
    init_domain(root, edges=1, cpu="1", memory="1Gi")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maestro.cli",
            "orchestrator",
            "edge",
            "edge-1",
            "-d",
            str(root),
            "--interval",
            "0.1",
            "--max-interval",
            "0.3",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        yield root
    finally:
        proc.send_signal(signal.SIGTERM)  # the reconciler stops its workloads on the way out
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def api(edge_domain: Path) -> Iterator[OrchestratorClient]:
    with (
        ApiServer(edge_domain, TokenStore.from_data(TOKENS)) as srv,
        OrchestratorClient(srv.url, TENANT_A) as client,
    ):
        yield client


def test_agreement_to_policy_in_force_through_git(
    api: OrchestratorClient, edge_domain: Path
) -> None:
    enforcer = OrchestratorEnforcer(api, intent="sla-a", edge="edge-1", timeout_s=90)
    first = enforcer.enforce(40.0)
    assert first["applied"] and first["ok"] and first["admitted"], first
    assert first["reconciled"] and first["state"] == "running"
    assert first["achieved_mbps"] == pytest.approx(40.0)
    assert first["policy"]["slices"][0]["slice_id"] == "sla"
    repo = edge_domain / "repos" / "edge-1.git"
    assert first["commit"] == git(repo, "rev-parse", "main")
    assert "intent sla-a" in git(repo, "log", "-1", "--format=%B", "main")
    values = yaml.safe_load(git(repo, "show", "main:sla-a/ran/setters.yaml"))["data"]
    assert float(values["mbps"]) == 40.0 and values["slice"] == "sla"

    second = enforcer.enforce(25.0)  # a new agreement: a new commit, the workload rolled
    assert second["applied"], second
    assert second["commit"] != first["commit"]
    assert second["applied_commit"] == second["commit"]
    url = api.status("sla-a")["services"]["ran"]["url"]
    cell = httpx.get(f"{url}/state").json()
    assert cell["slices"]["sla"]["demand_mbps"] == pytest.approx(25.0)
    assert refusal_note(second) is None

    view = deployment_view(api)
    assert view["facts"]["intents"] == {"sla-a": "running"}
    assert any(line.startswith("Edge edge-1:") for line in view["lines"])


def test_refused_agreement_is_not_enforced(api: OrchestratorClient, edge_domain: Path) -> None:
    repo = edge_domain / "repos" / "edge-1.git"
    before = git(repo, "rev-parse", "main")
    enforcer = OrchestratorEnforcer(api, intent="sla-big", edge="edge-1", cpu="64")
    record = enforcer.enforce(30.0)
    assert record["admitted"] is False and record["applied"] is False and record["ok"] is False
    assert "HTTP 409" in record["message"] and "edge-1" in record["message"]
    assert "commit" not in record
    assert git(repo, "rev-parse", "main") == before
    note = refusal_note(record)
    assert note is not None and "did not enforce the agreed 30 Mbps" in note


def test_negotiation_enforces_through_the_orchestrator(
    api: OrchestratorClient,
    edge_domain: Path,
    scenario_dict: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_A)
    scenario_dict["network"] = {
        "cqi": 12,
        "orchestrator_url": api.url,
        "orchestrator_intent": "neg-sla",
        "orchestrator_edge": "edge-1",
    }
    record = negotiate(scenario_dict).model_dump()
    assert record["status"] == "consensus"
    seen = [r.get("observation") or {} for r in record["rounds"]]
    # every agent of a round saw the edges and deployments, read through the API
    assert any("Edge edge-1:" in " ".join(s.get("deployments", {}).get("lines", [])) for s in seen)
    enforcement = record["enforcement"]
    assert enforcement["path"] == "orchestrator" and enforcement["applied"], enforcement
    assert enforcement["intent"] == "neg-sla" and enforcement["reconciled"]
    repo = edge_domain / "repos" / "edge-1.git"
    assert enforcement["commit"] == git(repo, "log", "-1", "--format=%H", "main", "--", "neg-sla")
    assert enforcement["requested_mbps"] == pytest.approx(record["consensus"])
    url = api.status("neg-sla")["services"]["ran"]["url"]
    cell = httpx.get(f"{url}/state").json()
    assert cell["slices"]["sla"]["demand_mbps"] == pytest.approx(record["consensus"])


def test_refused_agreement_goes_back_to_the_operators(
    api: OrchestratorClient,
    scenario_dict: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_A)
    scenario_dict["rounds"] = 8
    scenario_dict["network"] = {
        "cqi": 12,
        "orchestrator_url": api.url,
        "orchestrator_intent": "neg-refused",
        "orchestrator_edge": "edge-9",  # no such edge: the domain manager refuses the intent
    }
    events: list[dict[str, Any]] = []
    record = negotiate(scenario_dict, on_event=events.append).model_dump()
    enforcement = record["enforcement"]
    assert enforcement["admitted"] is False and enforcement["applied"] is False
    assert "edge-9" in enforcement["message"]
    refusals = [f for f in record["flags"] if f["code"] == "enforcement_refused"]
    assert refusals, record["flags"]
    first = refusals[0]["round"]
    assert len(record["rounds"]) > first  # the negotiation went on after the refusal
    told = [e for e in events if e.get("event") == "enforced"]
    assert len(told) >= 2 and not any(e["applied"] for e in told)
    assert api.intents() == [i for i in api.intents() if i["name"] != "neg-refused"]
