"""Orchestrator: time from a deployment intent to every workload running, and where it goes.

For chains of 1, 10 and 100 services (chain backends over two edges, each `after` the one
before), prints:
- the phases of `apply`: ordering (graphlib), hydration (kpt setters with ruamel.yaml),
  admission (capacity from the repositories), git (clone/fetch, commit, push);
- reconciliation: from the pushed commits to every workload answering its readiness probe,
  with the two reconcilers already running (they poll with back-off, so this includes up to
  one poll interval);
- git repository growth: bytes the deployment repositories grow for the intent, and for a
  change of one service's parameter afterwards;
- reconciler CPU when idle (all workloads running, no change), from /proc: a reconciler
  that spins shows ~100 %.

Usage: python benchmarks/bench_orchestrator.py [--sizes 1,10,100] [--idle 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from maestro.tools.orchestrator import DomainManager, init_domain
from maestro.tools.orchestrator.gitrepo import repo_size

TICK = os.sysconf("SC_CLK_TCK")


def chain_intent(n: int, message: str = "hello") -> dict[str, Any]:
    services: dict[str, Any] = {}
    for i in range(n):
        services[f"s{i}"] = {
            "package": "chain-backend",
            "edge": f"edge-{1 + i % 2}",
            "resources": {"cpu": "10m", "memory": "16Mi"},
            "params": {"message": message if i == 0 else f"service {i}"},
            **({"after": [f"s{i - 1}"]} if i else {}),
        }
    return {"name": f"bench-{n}", "services": services}


def cpu_seconds(pid: int) -> float:
    """User and system time of the reconciler and its reaped children (its git polls; the
    workloads it runs are reaped only when they exit, so idle time does not count them)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICK


def wait_running(manager: DomainManager, n: int, timeout: float = 600) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        status = manager.status()
        ready = sum(w.state == "running" for e in status.edges for w in e.workloads)
        if all(e.in_sync for e in status.edges) and ready == n:
            return time.perf_counter()
        time.sleep(0.1)
    raise SystemExit(f"timed out: {n} workloads not running after {timeout} s")


def repos_bytes(root: Path) -> int:
    return sum(repo_size(p) for p in (root / "repos").glob("edge-*.git"))


def run(n: int, base: Path, idle: float) -> dict[str, Any]:
    root = base / f"domain-{n}"
    init_domain(root, cpu="64", memory="64Gi")
    manager = DomainManager(root)
    logs = open(root / "edges.log", "ab")  # noqa: SIM115
    edges = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "maestro.cli",
                "orchestrator",
                "edge",
                e,
                "--domain",
                str(root),
                "--interval",
                "0.2",
                "--max-interval",
                "1",
            ],
            stdout=logs,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for e in ("edge-1", "edge-2")
    ]
    try:
        time.sleep(1.0)
        size0 = repos_bytes(root)
        t0 = time.perf_counter()
        result = manager.apply(chain_intent(n))
        t_commit = time.perf_counter()
        t_running = wait_running(manager, n)
        size1 = repos_bytes(root)
        manager.apply(chain_intent(n, message="changed"))
        size2 = repos_bytes(root)
        wait_running(manager, n)
        time.sleep(2.0)  # let the pollers back off to their longest interval
        before = [cpu_seconds(p.pid) for p in edges]
        time.sleep(idle)
        used = [cpu_seconds(p.pid) - b for p, b in zip(edges, before, strict=True)]
        manager.delete(f"bench-{n}")
        return {
            "n": n,
            "apply": t_commit - t0,
            **result.timings,
            "reconcile": t_running - t_commit,
            "total": t_running - t0,
            "growth_intent": size1 - size0,
            "growth_change": size2 - size1,
            "idle_cpu_pct": 100 * max(used) / idle,
        }
    finally:
        for p in edges:
            p.send_signal(signal.SIGTERM)
        for p in edges:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        logs.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measurement")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-orch-") as tmp:
        for n in sizes:
            rows.append(run(n, Path(tmp), args.idle))
            r = rows[-1]
            print(f"{n} services: {r['total']:.2f} s from intent to all running", flush=True)
    print()
    print(
        f"{'services':>8} {'total s':>8} {'order':>7} {'hydrate':>8} {'admit':>7} {'git':>7} "
        f"{'reconcile':>9} {'repo +KiB':>9} {'change +KiB':>11} {'idle CPU':>8}"
    )
    for r in rows:
        print(
            f"{r['n']:>8} {r['total']:>8.2f} {r['ordering']:>7.3f} {r['hydration']:>8.2f} "
            f"{r['admission']:>7.3f} {r['git']:>7.2f} {r['reconcile']:>9.2f} "
            f"{r['growth_intent'] / 1024:>9.1f} {r['growth_change'] / 1024:>11.1f} "
            f"{r['idle_cpu_pct']:>7.2f}%"
        )
    print(
        "\nrepo +KiB: growth of the two deployment repositories (loose objects, before gc) "
        "for the intent; change +KiB: for one parameter of one service changed."
    )


if __name__ == "__main__":
    main()
