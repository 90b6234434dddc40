"""The session graph served by `langgraph dev`, driven through the LangGraph SDK as a client
would: create a thread, run to the interrupt, resume with the person's answers, read the
state; it ends exactly like the same session run in process (the CLI's graph)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from maestro.graphs.checkpoints import open_store
from maestro.graphs.context import prepare_run
from maestro.graphs.session import SessionRunner, build_session_graph, session_context
from tests.conftest import EXAMPLE
from tests.graphs.test_langgraph_server import server  # noqa: F401  (the module's server)

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


def prompts_of(state: dict[str, Any]) -> list[dict[str, Any]]:
    found = [i["value"] for i in state.get("interrupts") or []]
    if not found:
        for task in state.get("tasks") or []:
            found += [i["value"] for i in task.get("interrupts") or []]
    return found


async def drive(url: str) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    client = langgraph_sdk.get_client(url=url)
    assistant = await client.assistants.create(graph_id="session", context=CONTEXT)
    thread = await client.threads.create()
    tid, aid = thread["thread_id"], assistant["assistant_id"]
    await client.runs.wait(tid, aid, input={})
    seen = []
    state = await client.threads.get_state(tid)
    for answer in ANSWERS:
        prompts = prompts_of(state)
        assert prompts, state
        seen.append(prompts[0])
        await client.runs.wait(tid, aid, command={"resume": answer})
        state = await client.threads.get_state(tid)
    history = await client.threads.get_history(tid, limit=200)
    readable = json.dumps([state, history], default=str)
    return seen, state, readable


def test_served_session_runs_like_the_cli(server: str, data_dir: Path) -> None:  # noqa: F811
    seen, state, readable = asyncio.run(drive(server))
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
    async def go() -> dict[str, Any]:
        client = langgraph_sdk.get_client(url=server)
        thread = await client.threads.create()
        bad = {**CONTEXT, "scenario": "../../etc/passwd"}
        run = await client.runs.create(thread["thread_id"], "session", input={}, context=bad)
        await client.runs.join(thread["thread_id"], run["run_id"])
        return await client.runs.get(thread["thread_id"], run["run_id"])

    run = asyncio.run(go())
    assert run["status"] == "error"
