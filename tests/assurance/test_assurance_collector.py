"""The collector workload: answers /health, and never outlives the loop that started it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

SPAWN = (
    "import subprocess, sys\n"
    "p = subprocess.Popen([sys.executable, '-m', 'maestro.graphs.collector', '--name', 'c9'],"
    " stdout=subprocess.PIPE, text=True)\n"
    "print(p.pid, p.stdout.readline().strip(), flush=True)\n"
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "State:\tZ" not in fh.read()
    except OSError:
        return False


def test_collector_serves_health_and_exits_with_its_parent() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SPAWN], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    pid, port = int(out[0]), int(out[1])
    try:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                health = json.loads(r.read())
            assert health["name"] == "c9" and health["status"] == "up"
        except OSError:
            pass  # it may already have noticed its parent is gone: that is the point
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "the orphaned collector kept running"
    finally:
        if _alive(pid):
            os.kill(pid, 9)
