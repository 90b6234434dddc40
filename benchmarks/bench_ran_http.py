"""RAN driver over HTTP and trace replay: latency under load, and how fast the clock can run.

Prints:
- HTTP latency p50/p99 of GET /state, GET /metrics and POST /demand with 200 concurrent
  requests on loopback, against `maestro ran serve` running as its own process;
- trace replay speed: emulated seconds per wall second when stepping as fast as possible
  (synthetic and real Raca et al. trace, three slices scheduled each step), and the pacing
  of the background replay at 1x and 100x.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from maestro.tools.ran import (
    TOKEN_ENV,
    RanEmulator,
    SlicePolicy,
    SliceRatio,
    load_raca_trace,
    synthetic_trace,
)

CONCURRENCY = 200
ROUNDS = 10
RACA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raca-5g"
POLICY = SlicePolicy(
    slices=[
        SliceRatio(slice_id="embb", min_ratio=40, max_ratio=80, dedicated_ratio=10),
        SliceRatio(slice_id="urllc", min_ratio=20, max_ratio=40, dedicated_ratio=20),
        SliceRatio(slice_id="mmtc", min_ratio=5, max_ratio=100),
    ]
)
DEMANDS = {"embb": 70.0, "urllc": 20.0, "mmtc": 15.0}
TOKEN = "bench-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maestro.cli",
            "ran",
            "serve",
            "--cqi",
            "12",
            "--speed",
            "0",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1", TOKEN_ENV: TOKEN},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("RAN server did not start")


async def _connection(host: str, port: int, request: bytes, n: int) -> list[float]:
    """One keep-alive connection sending `n` requests back to back; latency of each."""
    reader, writer = await asyncio.open_connection(host, port)
    out: list[float] = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            out.append(time.perf_counter() - t0)
            if status != 200:
                raise SystemExit(f"server answered {status}")
    finally:
        writer.close()
    return out


async def burst_latencies(port: int, method: str, path: str, body: bytes) -> list[float]:
    """CONCURRENCY connections at once, each sending ROUNDS requests (a lean raw client, so
    that the figures measure the server rather than the client library)."""
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    results = await asyncio.gather(
        *(_connection("127.0.0.1", port, request, ROUNDS) for _ in range(CONCURRENCY))
    )
    return [x for r in results for x in r]


def bench_http() -> None:
    port = free_port()
    proc = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        policy = POLICY.model_dump(mode="json", by_alias=True)
        httpx.post(f"{url}/policy", json=policy, headers=AUTH).raise_for_status()
        for sid, mbps in DEMANDS.items():
            body = {"slice_id": sid, "mbps": mbps}
            httpx.post(f"{url}/demand", json=body, headers=AUTH).raise_for_status()
        print(
            f"HTTP, {CONCURRENCY} concurrent requests x {ROUNDS} rounds, server in its own "
            "process on loopback:"
        )
        for method, path, body in (
            ("GET", "/state", b""),
            ("GET", "/metrics", b""),
            ("POST", "/demand", b'{"slice_id": "embb", "mbps": 60.0}'),
        ):
            t0 = time.perf_counter()
            lat = np.array(asyncio.run(burst_latencies(port, method, path, body))) * 1e3
            wall = time.perf_counter() - t0
            print(
                f"  {method:4} {path:9} p50 {np.percentile(lat, 50):7.1f} ms   "
                f"p99 {np.percentile(lat, 99):7.1f} ms   "
                f"{len(lat) / wall:7.0f} req/s ({len(lat)} requests)"
            )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def replay_speed(emulator: RanEmulator, steps: int) -> float:
    emulator.apply_policy(POLICY)
    for sid, mbps in DEMANDS.items():
        emulator.set_demand(sid, mbps)
    t0 = time.perf_counter()
    for _ in range(steps):
        emulator.advance(1.0)
    return steps / (time.perf_counter() - t0)


def bench_replay() -> None:
    print("Trace replay (3 slices scheduled every emulated second):")
    synth = synthetic_trace(seed=0, duration_s=600)
    rate = replay_speed(RanEmulator(trace=synth), 3000)
    print(f"  synthetic trace, manual advance:  {rate:9.0f} emulated s per wall s")
    files = sorted(RACA.glob("*.csv"))
    if files:
        t0 = time.perf_counter()
        real = load_raca_trace(files[0])
        load_ms = (time.perf_counter() - t0) * 1e3
        rate = replay_speed(RanEmulator(trace=real), 3000)
        print(
            f"  {files[0].name} ({len(real)} s, loaded in {load_ms:.0f} ms): "
            f"{rate:9.0f} emulated s per wall s"
        )
    for speed, wall in ((1.0, 5.0), (100.0, 3.0)):
        emulator = RanEmulator(trace=synth)
        emulator.start(speed=speed)
        time.sleep(wall + 0.5 / speed)  # read between two steps, not on one
        emulator.stop()
        emulated = emulator.cell_state().t_s
        print(
            f"  background replay at {speed:5g}x: {emulated:5.0f} emulated s in {wall:g} wall s "
            f"(expected {wall * speed:g})"
        )


def main() -> None:
    bench_http()
    bench_replay()


if __name__ == "__main__":
    main()
