"""End to end with real processes: a domain of two edges, a chain of three services applied,
observed running, a workload killed, the intent changed, the reconciler killed and
restarted, the intent terminated."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from maestro.tools.orchestrator import DomainManager
from maestro.tools.orchestrator.reconciler import EdgeReconciler
from maestro.tools.orchestrator.runtime import MARK_STATE, MARK_WORKLOAD

from .helpers import chain

WAIT = 90.0  # generous: CI machines are shared; the loop ends as soon as the state is reached


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, ValueError, KeyError):
            last = None
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def marked(state_dir: Path) -> dict[str, list[int]]:
    """Workload processes (group leaders) carrying this edge runtime's marker."""
    mark = f"{MARK_STATE}={(state_dir / 'runtime').resolve()}".encode()
    out: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if mark in env and stat[0] != "Z" and stat[2] == entry.name:
            key = next(
                e.decode().split("=", 1)[1]
                for e in env
                if e.startswith(f"{MARK_WORKLOAD}=".encode())
            )
            out.setdefault(key, []).append(int(entry.name))
    return out


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return json.loads(resp.read())


class Edges:
    def __init__(self, root: Path):
        self.root = root
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, edge: str) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{edge}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "maestro.cli",
                "orchestrator",
                "edge",
                edge,
                "--domain",
                str(self.root),
                "--interval",
                "0.2",
                "--max-interval",
                "0.6",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.procs[edge] = proc
        return proc

    def state(self, edge: str) -> Path:
        return self.root / "edges" / edge

    def cleanup(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for edge in ("edge-1", "edge-2"):
            for pids in marked(self.state(edge)).values():
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def edges(domain: Path) -> Iterator[Edges]:
    running = Edges(domain)
    try:
        yield running
    finally:
        running.cleanup()


def workloads(manager: DomainManager) -> dict[str, Any]:
    status = manager.status()
    return {w.key: (e.id, w) for e in status.edges for w in e.workloads}


def all_running(manager: DomainManager, count: int) -> dict[str, Any] | None:
    status = manager.status()
    if not all(e.in_sync for e in status.edges):
        return None
    found = {w.key: w for e in status.edges for w in e.workloads}
    ok = len(found) == count and all(w.state == "running" for w in found.values())
    return found if ok else None


def test_chain_of_three_over_two_edges_end_to_end(manager: DomainManager, edges: Edges) -> None:
    result = manager.apply(chain())
    urls = {s.name: s.outputs["url"] for s in result.services}
    edges.start("edge-1")
    edges.start("edge-2")

    running = wait_for("three workloads running", lambda: all_running(manager, 3))
    assert get(urls["frontend"] + "/")["upstream"]["message"] == "hello"
    wait_for(
        "the probe reaching the frontend",
        lambda: get(urls["probe"] + "/")["last"].get("code") == 200,
    )

    # Kill a workload: the reconciler restarts it.
    old = running["demo/backend"].pid
    # On a loaded machine the workload may already have been replaced (a failed health check)
    # between the status read and the kill: the restart checked below covers both.
    with contextlib.suppress(ProcessLookupError):
        os.kill(old, signal.SIGKILL)
    restarted = wait_for(
        "backend restarted",
        lambda: (
            (w := workloads(manager)["demo/backend"][1]).state == "running" and w.pid != old and w
        ),
    )
    assert restarted.restarts >= 1

    # Push a change: the backend is rolled and serves the new message through the chain.
    manager.apply(
        chain(backend={"package": "chain-backend", "edge": "edge-1", "params": {"message": "v2"}})
    )
    wait_for(
        "the change rolled out", lambda: get(urls["frontend"] + "/")["upstream"]["message"] == "v2"
    )
    assert len(marked(edges.state("edge-1"))["demo/backend"]) == 1

    # Kill the reconciler and start it again: it adopts the workloads, no duplicates.
    adopted = wait_for("backend running", lambda: all_running(manager, 3))["demo/backend"].pid
    edges.procs["edge-1"].kill()
    edges.procs["edge-1"].wait()
    edges.start("edge-1")
    wait_for(
        "edge-1 reporting again",
        lambda: (
            (s := json.loads((edges.state("edge-1") / "status.json").read_text()))["reconciler_pid"]
            == edges.procs["edge-1"].pid
            and s["workloads"]
        ),
    )
    after = wait_for("all running after the restart", lambda: all_running(manager, 3))
    assert after["demo/backend"].pid == adopted
    assert marked(edges.state("edge-1")) == {"demo/backend": [adopted]}

    # Terminate: the packages leave the repositories and the workloads stop.
    manager.delete("demo")
    wait_for(
        "workloads stopped",
        lambda: (
            all_running(manager, 0) is not None
            and not marked(edges.state("edge-1"))
            and not marked(edges.state("edge-2"))
        ),
    )

    # A clean stop of the reconciler ends with exit code 0.
    for proc in edges.procs.values():
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_stopping_the_reconciler_stops_its_workloads(manager: DomainManager, edges: Edges) -> None:
    manager.apply(
        {"name": "one", "services": {"b": {"package": "chain-backend", "edge": "edge-1"}}}
    )
    proc = edges.start("edge-1")
    wait_for("backend running", lambda: marked(edges.state("edge-1")).get("one/b"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert marked(edges.state("edge-1")) == {}


def test_a_stray_workload_process_is_killed_on_adoption(domain: Path, tmp_path: Path) -> None:
    state = tmp_path / "edge"
    runtime_dir = (state / "runtime").resolve()
    runtime_dir.mkdir(parents=True)
    env = {**os.environ, MARK_STATE: str(runtime_dir), MARK_WORKLOAD: "x/stray"}
    stray = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], env=env, start_new_session=True
    )
    try:
        reconciler = EdgeReconciler("edge-1", str(domain / "repos" / "edge-1.git"), state)
        wait_for("the stray to start", lambda: marked(state).get("x/stray"))
        reconciler.adopt()
        assert stray.wait(timeout=10) != 0
        assert any("orphan x/stray" in e for e in reconciler.events)
    finally:
        if stray.poll() is None:
            stray.kill()


def test_a_workload_whose_program_is_missing_is_reported_not_fatal(
    manager: DomainManager, domain: Path, tmp_path: Path
) -> None:
    manager.apply(
        {"name": "one", "services": {"b": {"package": "chain-backend", "edge": "edge-1"}}}
    )
    images = {"maestro/chain-backend": {"command": [str(tmp_path / "not-installed")]}}
    reconciler = EdgeReconciler(
        "edge-1", str(domain / "repos" / "edge-1.git"), tmp_path / "edge", images=images
    )
    reconciler.run_once()
    reconciler.run_once()
    status = json.loads((tmp_path / "edge" / "status.json").read_text())
    (work,) = status["workloads"]
    assert work["key"] == "one/b" and work["state"] == "error"
    assert "cannot start" in work["message"] and not work["healthy"]
