"""An operator whose own model quotes its private business intent — exactly or nearly — does
not carry it to anyone: the quote is redacted before the reasoning leaves the operator's
branch, so no other agent's prompt, no event, no shared state and no round of the record
holds it, and a `private_text_redacted` flag says so."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

import maestro
from maestro.agents.privacy import find_private
from maestro.agents.providers.scripted import follow_optimizer
from tests.conftest import BASE_SCENARIO

INTENTS = {
    "cost": "SECRET-COST-PLAN: we must cut energy by 30 percent",
    "qos": "SECRET-QOS-PLAN: premium launch in March",
    "edge": "Our factory robots need at least 60 Mbps uplink every shift",
}
# What each operator's model says: its intent verbatim, or nearly (words added, changed).
QUOTES = {
    "cost": "SECRET-COST-PLAN: we must cut energy by 30 percent",
    "qos": "As said: secret qos plan, the premium launch is in March!",
    "edge": "our factory robots need at least 60 Mbps of uplink each shift, so 60",
}
NAMES = {"cost": "Cost Co", "qos": "QoS Co", "edge": "Edge Co"}


def scenario() -> dict[str, Any]:
    data = copy.deepcopy(BASE_SCENARIO)
    edge = copy.deepcopy(data["operators"][0]) | {"id": "edge", "display_name": "Edge Co"}
    edge["utility"] = {"kind": "quadratic", "target": 60, "weight": 1.0}
    data["operators"].append(edge)
    for op in data["operators"]:
        op["business_intent"] = INTENTS[op["id"]]
        op["display_name"] = NAMES[op["id"]]
    data |= {"model": "scripted:quoting", "rounds": 3}
    return data


class QuotingModel:
    """Operators propose the optimizer's value and quote their own intent; every prompt is
    kept with the agent it belongs to."""

    def __init__(self) -> None:
        self.prompts: list[tuple[str, str]] = []

    def __call__(self, messages: Any, facts: dict[str, Any]) -> str:
        text = "\n".join(str(m.content) for m in messages)
        if facts.get("role") == "mediator":
            self.prompts.append(("mediator", text))
            return follow_optimizer(messages, facts)
        owner = next(op for op, name in NAMES.items() if f'"{name}"' in text)
        self.prompts.append((owner, text))
        value = next(facts[k] for k in ("suggested", "feedback_point", "target") if facts.get(k))
        return json.dumps({"value": value, "unit": "Mbps", "reasoning": QUOTES[owner]})


@pytest.fixture
def quoting(monkeypatch: pytest.MonkeyPatch) -> QuotingModel:
    from maestro.agents.providers import scripted

    model = QuotingModel()
    monkeypatch.setitem(scripted.NAMED_SCRIPTS, "quoting", lambda: model)
    return model


def leaks(blob: Any, skip: str | None = None) -> set[str]:
    """Operators whose intent (or a near-verbatim copy of it) appears in the blob."""
    text = blob if isinstance(blob, str) else json.dumps(blob, default=str)
    return {op for op, intent in INTENTS.items() if op != skip and find_private(text, [intent])}


def test_a_quoted_intent_reaches_no_other_agent(quoting: QuotingModel) -> None:
    events: list[dict[str, Any]] = []
    result = maestro.negotiate(scenario(), on_event=events.append)
    assert len(result.rounds) >= 2  # the others saw a round of reasoning
    owners = {owner for owner, _ in quoting.prompts}
    assert owners == {"cost", "qos", "edge", "mediator"}
    for owner, prompt in quoting.prompts:
        assert leaks(prompt, skip=owner) == set(), f"a quote in a prompt of {owner}"
    assert "[redacted]" in next(p for o, p in quoting.prompts if o == "mediator")
    assert leaks(events) == set()
    assert leaks([r.model_dump() for r in result.rounds]) == set()
    assert leaks(result.flags) == set()
    redacted = [f for f in result.flags if f["code"] == "private_text_redacted"]
    assert {f["agent"] for f in redacted} == {"cost", "qos", "edge"}
    assert {f["round"] for f in redacted} == {r.round for r in result.rounds}
    for rnd in result.rounds:
        for proposal in rnd.proposals.values():
            assert "[redacted]" in proposal.reasoning
            assert "private_text_redacted" in [f["code"] for f in proposal.flags]


def test_the_shared_state_a_client_reads_holds_no_quote(quoting: QuotingModel) -> None:
    """Through the served graph with a checkpointer, as LangGraph Server runs it: outside an
    operator's own branch, no checkpoint or pending write holds a quote."""
    from tests.graphs.test_langgraph_entry import served_graph

    graph = served_graph()
    graph.checkpointer = InMemorySaver()
    config = {"configurable": {"thread_id": "quotes"}}
    record = graph.invoke({"scenario": scenario()}, config)["record"]
    assert leaks(record["rounds"]) == set() and leaks(record["flags"]) == set()
    checked = 0
    for item in graph.checkpointer.list(None):
        ns = item.config["configurable"].get("checkpoint_ns", "")
        if not ns:
            continue  # the thread's input: the client's own scenario
        values = item.checkpoint["channel_values"]
        writes = [(c, v) for _, c, v in item.pending_writes or []]
        if "operator:" in ns:
            owner = values.get("agent")
            if owner is not None:  # its own branch may hold its own intent
                assert leaks([values, writes], skip=owner) == set(), ns
            continue
        checked += 1
        if "mediator:" in ns:
            assert leaks([values, writes]) == set(), ns
        else:  # the negotiation: each Send carries its own spec, nothing else
            sends = list(values.get("__pregel_tasks") or [])
            sends += [v for c, v in writes if c == "__pregel_tasks"]
            rest = {k: v for k, v in values.items() if k != "__pregel_tasks"}
            assert leaks(rest) == set(), ns
            assert leaks([(c, v) for c, v in writes if c != "__pregel_tasks"]) == set(), ns
            for send in sends:
                assert leaks(send.arg, skip=send.arg["agent"]) == set(), ns
    assert checked > 0
