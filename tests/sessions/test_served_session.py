"""The session graph served by `langgraph dev`, driven through the LangGraph SDK as a client
would: create a thread, run to the interrupt, resume with the person's answers, read the
state; it ends exactly like the same session run in process (the CLI's graph)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from maestro.graphs.checkpoints import open_store
from maestro.graphs.context import prepare_run
from maestro.graphs.session import SessionRunner, build_session_graph, session_context
from tests.conftest import EXAMPLE
from tests.langgraph_dev import langgraph_dev

pytestmark = pytest.mark.integration
langgraph_sdk = pytest.importorskip("langgraph_sdk")

CONTEXT = {
    "scenario": "two-operators",
    "seat": "cost",
    "mode": "manual",
    "approve_enforcement": True,
    "model": "scripted:optimizer",
}
ANSWERS = [
    "what does the optimizer recommend?",
    "45 because our video tier needs it",
    "60",
    "/approve",
]
# The other operator's private business intent (examples/two-operators.yaml).
PRIVATE = "premium video users need close to 100 Mbps"
TOKENS = {"tok-cost": "cost", "tok-qos": "qos"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`langgraph dev` on this checkout's langgraph.json, with two operators' tokens."""
    tokens = ",".join(f"{t}={o}" for t, o in TOKENS.items())
    with langgraph_dev(tmp_path_factory.mktemp("langgraph"), {"MAESTRO_API_TOKENS": tokens}) as url:
        yield url


def client(url: str, token: str | None = "tok-cost") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return langgraph_sdk.get_client(url=url, headers=headers)


async def drive(url: str) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    sdk = client(url)
    assistant = await sdk.assistants.create(graph_id="session", context=CONTEXT)
    thread = await sdk.threads.create()
    tid, aid = thread["thread_id"], assistant["assistant_id"]
    await sdk.runs.wait(tid, aid, input={})
    seen = []
    state = await sdk.threads.get_state(tid)
    for answer in ANSWERS:
        prompts = [i["value"] for i in state["interrupts"]]  # as the README reads them
        assert prompts, state
        seen.append(prompts[0])
        await sdk.runs.wait(tid, aid, command={"resume": answer})
        state = await sdk.threads.get_state(tid)
    history = await sdk.threads.get_history(tid, limit=200)
    readable = json.dumps([state, history], default=str)
    return seen, state, readable, tid


def test_served_session_runs_like_the_cli(server: str, data_dir: Path) -> None:  # noqa: F811
    seen, state, readable, _ = asyncio.run(drive(server))
    assert [p["kind"] for p in seen] == ["proposal", "proposal", "proposal", "enforcement"]
    assert seen[3]["plan"]["policy"]["slices"][0]["rRMPolicyMinRatio"] == 45
    values = state["values"]
    assert not state["next"] and values["status"] == "consensus"
    assert values["enforcement"]["applied"] is True
    messages = [(m["type"], m["content"]) for m in values["messages"]]
    assert messages[0] == ("human", ANSWERS[0])
    assert "theoretical consensus is 60" in messages[1][1]

    # The same session through the CLI's graph, in process, ends the same way.
    run = prepare_run(EXAMPLE, model="scripted:optimizer")
    local = SessionRunner(
        build_session_graph(open_store().saver, search=None),
        session_context(run, {"cost": "manual"}, True),
        "local",
    )
    step = local.advance()
    for answer in ANSWERS:
        step = local.advance(answer)
    assert step.finished
    assert [h["proposals"] for h in step.values["history"]] == [
        h["proposals"] for h in values["history"]
    ]
    assert step.values["enforcement"]["policy"] == values["enforcement"]["policy"]
    assert [m.content for m in step.values["messages"]] == [m for _, m in messages]

    # Nothing the client can read holds the other operator's private intent.
    assert PRIVATE not in readable


def test_served_session_refuses_a_scenario_it_does_not_have(server: str) -> None:  # noqa: F811
    async def go(context: dict[str, Any]) -> dict[str, Any]:
        sdk = client(server)
        thread = await sdk.threads.create()
        run = await sdk.runs.create(thread["thread_id"], "session", input={}, context=context)
        await sdk.runs.join(thread["thread_id"], run["run_id"])
        return await sdk.runs.get(thread["thread_id"], run["run_id"])

    assert asyncio.run(go({**CONTEXT, "scenario": "../../etc/passwd"}))["status"] == "error"
    no_seat = {k: v for k, v in CONTEXT.items() if k != "seat"}
    assert asyncio.run(go(no_seat))["status"] == "error"


async def status_of(coro: Any) -> int:
    try:
        await coro
    except httpx.HTTPStatusError as exc:
        return exc.response.status_code
    return 200


def test_a_seat_is_bound_to_its_token(server: str) -> None:
    async def go() -> dict[str, int]:
        own, other = client(server), client(server, "tok-qos")
        tid = (await own.threads.create())["thread_id"]

        async def run_in_own_thread(context: dict[str, Any]) -> None:
            thread = await other.threads.create()
            await other.runs.create(thread["thread_id"], "session", input={}, context=context)

        async def run_with_configurable() -> None:
            thread = await other.threads.create()
            await other.runs.create(
                thread["thread_id"], "session", input={}, config={"configurable": CONTEXT}
            )

        return {
            "no token": await status_of(client(server, None).threads.create()),
            "wrong token": await status_of(client(server, "wrong").threads.search()),
            "other's seat assistant": await status_of(
                other.assistants.create(graph_id="session", context=CONTEXT)
            ),
            "other's thread": await status_of(other.threads.get_state(tid)),
            "other's seat run": await status_of(run_in_own_thread(CONTEXT)),
            "other's seat via configurable": await status_of(run_with_configurable()),
            "own seat run": await status_of(run_in_own_thread({**CONTEXT, "seat": "qos"})),
        }

    statuses = asyncio.run(go())
    assert statuses == {
        "no token": 401,
        "wrong token": 401,
        "other's seat assistant": 403,
        "other's thread": 404,  # filtered by owner: it does not exist for them
        "other's seat run": 403,
        "other's seat via configurable": 403,
        "own seat run": 200,
    }
