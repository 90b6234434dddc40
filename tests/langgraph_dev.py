"""`langgraph dev` on this checkout's langgraph.json, for the tests that drive it with the
SDK: started once per module, on a free loopback port, with the caller's extra settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.agents.test_providers_openai import free_port
from tests.conftest import ROOT


@contextmanager
def langgraph_dev(log_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The server's URL while the block runs; skips without langgraph-cli, fails with the
    server's log when it exits or does not answer within 120 s."""
    cli = Path(sys.executable).with_name("langgraph")
    if not cli.exists():
        pytest.skip("langgraph-cli[inmem] is not installed (pip install -e '.[dev]')")
    port = free_port()
    log = log_dir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAESTRO_", "OPENAI_"))}
    env["LANGGRAPH_CLI_NO_ANALYTICS"] = "1"
    env.update(extra_env or {})
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(cli), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1"]
            + ["--port", str(port)],
            cwd=ROOT,  # paths in langgraph.json are relative to it
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"langgraph dev exited: {log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not start in 120 s: {log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
