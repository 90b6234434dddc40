"""The loop through the orchestrator: collectors deployed as CNFs on an edge by the domain
manager, run by a real reconciler process, monitored through its status, rolled on restart."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from maestro.agents.assurance_scripts import scripted_models
from maestro.graphs.assurance_run import run_assurance
from maestro.graphs.executor_orchestrator import OrchestratorExecutor
from maestro.tools.intent import IntentSpec
from maestro.tools.orchestrator import DomainManager, init_domain


@pytest.fixture
def edge_domain(tmp_path: Path) -> Iterator[DomainManager]:
    root = tmp_path / "dom"
    init_domain(root, edges=1, cpu="2", memory="2Gi")
    log = open(tmp_path / "edge-1.log", "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maestro.cli",
            "orchestrator",
            "edge",
            "edge-1",
            "--domain",
            str(root),
            "--interval",
            "0.2",
            "--max-interval",
            "0.6",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield DomainManager(root)
    finally:
        proc.send_signal(signal.SIGTERM)  # a clean stop also stops its workloads
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_fulfilment_and_restart_through_the_domain_manager(
    paper_intent: IntentSpec, edge_domain: DomainManager, fast: Callable[..., Any]
) -> None:
    ex = OrchestratorExecutor(edge_domain, intent_name="netflow", ready_timeout_s=60)
    try:
        rec = run_assurance(
            paper_intent,
            scripted_models()["scripted:assurance"],
            "scripted:assurance",
            ex,
            settings=fast(periods=2),
        )
        assert rec["status"] == "fulfilled", rec["reason"]
        assert rec["service_health_pct"] == 100
        create = next(p for p in rec["policies"] if p["api"] == "create")
        assert [c["edge"] for c in create["state"]] == ["edge-1", "edge-1"]
        # the intent's two collectors are CNFs the reconciler runs
        workloads = {w.key: w for e in edge_domain.status().edges for w in e.workloads}
        assert {"netflow/collector1", "netflow/collector2"} <= set(workloads)
        old = workloads["netflow/collector2"].pid
        # restart rolls the collector's package: a new process serves it
        result = ex.call("restart", {"name": "collector2"})
        assert result.success, result.error
        new = {w.key: w for e in edge_domain.status().edges for w in e.workloads}
        assert new["netflow/collector2"].pid != old
        assert ex.observe()["subservices"]["collector2"]["software"] == 1
    finally:
        ex.close()
