"""Integration: the graph served by `langgraph dev`, driven through the LangGraph SDK.

The server runs this checkout's langgraph.json on loopback; the records it returns match the
Python API's on the same scenarios, and the task inputs a client can stream show each
operator's branch carrying only that operator's private intent.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

import maestro
from tests.conftest import BASE_SCENARIO
from tests.graphs.test_langgraph_entry import SCENARIOS, comparable
from tests.langgraph_dev import langgraph_dev

pytestmark = pytest.mark.integration
langgraph_sdk = pytest.importorskip("langgraph_sdk")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with langgraph_dev(tmp_path_factory.mktemp("langgraph")) as url:
        yield url


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
