"""Integration: the graph served by `langgraph dev`, driven through the LangGraph SDK.

The server runs this checkout's langgraph.json on loopback; the records it returns match the
Python API's on the same scenarios, and the task inputs a client can stream show each
operator's branch carrying only that operator's private intent.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import maestro
from tests.agents.test_providers_openai import free_port
from tests.conftest import BASE_SCENARIO, ROOT
from tests.graphs.test_langgraph_entry import SCENARIOS, comparable

pytestmark = pytest.mark.integration
langgraph_sdk = pytest.importorskip("langgraph_sdk")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cli = Path(sys.executable).with_name("langgraph")
    if not cli.exists():
        pytest.skip("langgraph-cli[inmem] is not installed (pip install -e '.[dev]')")
    port = free_port()
    log = tmp_path_factory.mktemp("langgraph") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAESTRO_", "OPENAI_"))}
    env["LANGGRAPH_CLI_NO_ANALYTICS"] = "1"
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


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _wait(url: str, scenario: dict[str, Any]) -> dict[str, Any]:
    client = langgraph_sdk.get_client(url=url)
    thread = await client.threads.create()
    out = await client.runs.wait(thread["thread_id"], "negotiation", input={"scenario": scenario})
    assert isinstance(out, dict)
    return out


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_served_records_match_the_api(server: str, name: str) -> None:
    scenario = SCENARIOS[name]
    served = _run(_wait(server, copy.deepcopy(scenario)))["record"]
    api = json.loads(json.dumps(maestro.negotiate(copy.deepcopy(scenario)).to_json_dict()))
    assert comparable(served) == comparable(api)
    if name == "cqi7-minimum50":
        assert served["status"] == "halted" and served["enforcement"] is None


async def _task_inputs(url: str, scenario: dict[str, Any]) -> list[dict[str, Any]]:
    client = langgraph_sdk.get_client(url=url)
    inputs = []
    async for part in client.runs.stream(
        None,
        "negotiation",
        input={"scenario": scenario},
        stream_mode="tasks",
        stream_subgraphs=True,
    ):
        data = part.data
        if isinstance(data, dict) and data.get("name") == "operator" and "input" in data:
            inputs.append(data["input"])
    return inputs


def test_a_client_streaming_tasks_sees_each_intent_only_in_its_own_branch(server: str) -> None:
    scenario = copy.deepcopy(BASE_SCENARIO)
    secrets = {op["id"]: op["business_intent"] for op in scenario["operators"]}
    inputs = _run(_task_inputs(server, scenario))
    assert len(inputs) == 4  # two operators, two rounds
    for task in inputs:
        text = json.dumps(task)
        assert {op for op, s in secrets.items() if s in text} == {task["agent"]}
