"""Domain manager API: latency under 50 concurrent clients, and agreement -> policy in force.

Prints:
- p50/p99 latency and throughput of GET /intents/{name}/status, dry-run submissions and real
  submissions (each a commit in an edge repository) with 50 concurrent clients on 127.0.0.1,
  against `maestro orchestrator serve` running as its own process; every phase is bounded
  in requests and in seconds, and says how many it completed;
- the time from an agreement to the RAN emulator CNF applying the new slice policy through
  the whole path (API, admission, hydration, git commit, the edge reconciler noticing,
  rolling the workload, the cell showing the policy), with the submission's share.

    .venv/bin/python benchmarks/bench_domain_api.py [--clients 50] [--agreements 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from maestro.agents.orchestrator_tools import OrchestratorEnforcer
from maestro.tools.orchestrator.client import OrchestratorClient
from maestro.tools.orchestrator.domain import init_domain

TOKEN = "bench-tenant-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def intent(name: str, message: str = "hello") -> dict[str, Any]:
    return {
        "name": name,
        "services": {
            "backend": {
                "package": "chain-backend",
                "edge": "edge-1",
                "resources": {"cpu": "10m", "memory": "8Mi"},
                "params": {"message": message},
            }
        },
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(
    url: str, clients: int, budget: int, seconds: float, request: Any
) -> tuple[list[float], int, float]:
    """`clients` workers share `budget` requests and stop at `seconds`; latencies of 2xx."""
    latencies: list[float] = []
    failures = 0
    issued = 0
    start = time.perf_counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=120, limits=limits) as http:

        async def worker(wid: int) -> None:
            nonlocal issued, failures
            while issued < budget and time.perf_counter() - start < seconds:
                issued += 1
                n = issued
                t0 = time.perf_counter()
                res = await request(http, wid, n)
                if res.status_code < 300:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures += 1

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return latencies, failures, time.perf_counter() - start


def report(name: str, result: tuple[list[float], int, float]) -> None:
    lat, failures, wall = result
    if not lat:
        print(f"{name:<28} no successful request ({failures} failed)")
        return
    print(
        f"{name:<28} n={len(lat):<4} failed={failures:<3} p50 {pct(lat, 0.5) * 1000:8.1f} ms  "
        f"p99 {pct(lat, 0.99) * 1000:8.1f} ms  {len(lat) / wall:7.1f} req/s"
    )


def serve(domain: Path, tokens: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maestro.cli",
            "orchestrator",
            "serve",
            "-d",
            str(domain),
            "--tokens",
            str(tokens),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the domain API did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--reads", type=int, default=1000, help="status requests (at most)")
    parser.add_argument("--submissions", type=int, default=100, help="real submissions (at most)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time bound per phase")
    parser.add_argument("--agreements", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-domain-") as tmp:
        root = Path(tmp) / "dom"
        init_domain(root, edges=2, cpu="64", memory="64Gi")
        tokens = Path(tmp) / "tokens.yaml"
        tokens.write_text(
            yaml.safe_dump({"tokens": [{"tenant": "bench", "role": "tenant", "token": TOKEN}]})
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = serve(root, tokens, port)
        try:
            httpx.post(f"{url}/intents", json=intent("watched"), headers=AUTH, timeout=60)
            print(f"{args.clients} concurrent clients, server in its own process on 127.0.0.1")

            async def status(http: httpx.AsyncClient, wid: int, n: int) -> httpx.Response:
                return await http.get("/intents/watched/status")

            async def dry(http: httpx.AsyncClient, wid: int, n: int) -> httpx.Response:
                return await http.post("/intents?dry_run=true", json=intent(f"dry-{n}"))

            async def submit(http: httpx.AsyncClient, wid: int, n: int) -> httpx.Response:
                return await http.put(f"/intents/c{wid}", json=intent(f"c{wid}", f"v{n}"))

            for name, fn, budget in (
                ("status", status, args.reads),
                ("submission (dry run)", dry, args.submissions),
                ("submission (commit)", submit, args.submissions),
            ):
                report(name, asyncio.run(load(url, args.clients, budget, args.seconds, fn)))
        finally:
            stop(proc)
        agreement_to_policy(root, tokens, args.agreements)


def agreement_to_policy(root: Path, tokens: Path, count: int) -> None:
    """Agreement -> intent -> commit -> reconciler -> workload rolled -> policy in force."""
    edge = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maestro.cli",
            "orchestrator",
            "edge",
            "edge-2",
            "-d",
            str(root),
            "--interval",
            "0.1",
            "--max-interval",
            "0.5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    proc = serve(root, tokens, port)
    try:
        with OrchestratorClient(f"http://127.0.0.1:{port}", TOKEN) as client:
            enforcer = OrchestratorEnforcer(client, intent="sla", edge="edge-2", timeout_s=60)
            totals, submits = [], []
            for i in range(count):
                value = 20.0 + 5 * i
                t0 = time.perf_counter()
                record = enforcer.enforce(value)
                total = time.perf_counter() - t0
                if not record["applied"]:
                    print(f"agreement {value:g} Mbps: NOT applied: {record.get('message')}")
                    continue
                totals.append(total)
                submits.append(record["submit_seconds"])
            if totals:
                print(
                    f"agreement -> RAN policy in force: median {statistics.median(totals):.2f} s, "
                    f"max {max(totals):.2f} s over {len(totals)} agreement(s); the submission "
                    f"(admission, hydration, commit) median {statistics.median(submits):.2f} s, "
                    "the rest is the reconciler's poll, the roll and the CNF's start"
                )
    finally:
        stop(proc)
        edge.send_signal(signal.SIGTERM)
        try:
            edge.wait(timeout=20)
        except subprocess.TimeoutExpired:
            edge.kill()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
