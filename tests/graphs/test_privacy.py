"""An operator's private business intent reaches only that operator's own prompts."""

from __future__ import annotations

import json
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

import maestro
from maestro.agents.providers import ScriptedChatModel
from maestro.agents.providers.scripted import follow_optimizer
from maestro.graphs.negotiation import operator_tasks
from tests.conftest import deps_with


def test_business_intents_stay_private(scenario_dict: dict[str, Any]) -> None:
    prompts: list[tuple[str, str]] = []

    def recording(messages: Any, facts: Any) -> str:
        text = "\n".join(str(m.content) for m in messages)
        owner = "mediator"
        for op in scenario_dict["operators"]:
            if f'"{op["display_name"]}"' in text:  # its own system prompt names it
                owner = op["id"]
        prompts.append((owner, text))
        return follow_optimizer(messages, facts)

    scenario_dict["model"] = "scripted:custom"
    result = maestro.negotiate(scenario_dict, deps=deps_with(ScriptedChatModel(script=recording)))
    assert result.agreed
    owners = [owner for owner, _ in prompts]
    assert owners.count("mediator") >= 1 and owners.count("cost") >= 2 and owners.count("qos") >= 2
    secrets = {op["id"]: op["business_intent"] for op in scenario_dict["operators"]}
    for owner, text in prompts:
        for op_id, secret in secrets.items():
            assert (secret in text) == (owner == op_id), f"{op_id}'s intent in a prompt of {owner}"
    # The record echoes the scenario, but no agent's transcript carries another's intent.
    for rnd in result.rounds:
        for proposal in rnd.proposals.values():
            assert "SECRET" not in proposal.reasoning


def _secrets(scenario: dict[str, Any]) -> dict[str, str]:
    return {op["id"]: op["business_intent"] for op in scenario["operators"]}


def _leaked(blob: Any, secrets: dict[str, str]) -> set[str]:
    text = json.dumps(blob, default=str)
    return {op for op, secret in secrets.items() if secret in text}


def test_each_operator_branch_carries_only_its_own_intent(scenario_dict: dict[str, Any]) -> None:
    scenario = maestro.Scenario.model_validate(scenario_dict)
    state = {
        "round": 2,
        "proposals": {
            "cost": {"value": 20.0, "reasoning": "low"},
            "qos": {"value": 100.0, "reasoning": "high"},
        },
    }
    tasks = operator_tasks(state, scenario)  # type: ignore[arg-type]
    assert [t["agent"] for t in tasks] == ["cost", "qos"]
    for task in tasks:
        assert "scenario" not in task
        assert _leaked(task, _secrets(scenario_dict)) == {task["agent"]}
        assert set(task["others"]) == {"cost", "qos"} - {task["agent"]}


def test_the_state_a_langgraph_client_reads_keeps_intents_apart(
    scenario_dict: dict[str, Any],
) -> None:
    """Run the served graph with a checkpointer, as LangGraph Server does, and read back
    every checkpoint and pending write of every namespace (the thread's history and its
    subgraphs' states, with the Send payloads)."""
    from tests.graphs.test_langgraph_entry import served_graph

    secrets = _secrets(scenario_dict)
    saver = InMemorySaver()
    graph = served_graph()
    graph.checkpointer = saver
    config = {"configurable": {"thread_id": "privacy"}}
    record = graph.invoke({"scenario": scenario_dict}, config)["record"]
    assert record["agreed"]
    seen_branches = 0
    for item in saver.list(None):
        ns = item.config["configurable"].get("checkpoint_ns", "")
        values = item.checkpoint["channel_values"]
        writes = [(channel, value) for _, channel, value in item.pending_writes or []]
        if not ns:  # the thread itself: the client's own input and the record it asked for
            continue
        if "operator:" in ns:  # one operator's pipeline: its own intent at most
            owner = values.get("agent")
            if owner is None:
                continue
            seen_branches += 1
            assert _leaked([values, writes], secrets) <= {owner}, ns
        elif "mediator:" in ns:
            assert _leaked([values, writes], secrets) == set(), ns
        else:  # the negotiation graph: its state holds no intent; each Send only its own
            sends = list(values.get("__pregel_tasks") or [])
            sends += [value for channel, value in writes if channel == "__pregel_tasks"]
            rest = {k: v for k, v in values.items() if k != "__pregel_tasks"}
            assert _leaked(rest, secrets) == set(), ns
            for send in sends:
                assert _leaked(send.arg, secrets) == {send.arg["agent"]}, ns
            others = [(c, v) for c, v in writes if c != "__pregel_tasks"]
            assert _leaked(others, secrets) == set(), ns
    assert seen_branches > 0
    # What the client reads through get_state(subgraphs=True) passes the same test.
    snapshot = graph.get_state(config, subgraphs=True)
    assert _leaked(snapshot.values["record"]["rounds"], secrets) == set()
