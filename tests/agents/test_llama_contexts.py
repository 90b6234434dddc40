"""One loaded model, one llama.cpp context per agent: prefixes stay evaluated per agent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from maestro.agents.providers import ModelOptions, bind_json_schema, llama_contexts
from maestro.agents.providers.local import make_local_model

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "object",
    "properties": {"value": {"type": "number"}, "reasoning": {"type": "string", "maxLength": 40}},
    "required": ["value", "reasoning"],
}


def _ask(model: Any, system: str, user: str) -> dict[str, Any]:
    reply = bind_json_schema(model, SCHEMA, "t").invoke([SystemMessage(system), HumanMessage(user)])
    return json.loads(reply.content)


def test_each_agent_gets_its_own_context_on_the_same_model() -> None:
    model = make_local_model("", ModelOptions(n_ctx=1024, contexts_per_model=4))
    pool = model._shared.contexts
    first = "You are agent alpha. " * 20
    second = "You are agent beta. " * 20
    _ask(model, first, "Propose a number.")
    _ask(model, second, "Propose a number.")
    alpha, beta = pool.get(first), pool.get(second)
    assert alpha is not beta and alpha._model is beta._model  # weights loaded once
    kept = alpha.n_tokens
    assert kept > 100  # alpha's prompt is still evaluated in its own context after beta spoke
    assert "value" in _ask(model, first, "Propose another number.")


def test_a_failing_sibling_falls_back_to_the_shared_context(monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_local_model("", ModelOptions(n_ctx=1024, contexts_per_model=4))
    pool = llama_contexts.ContextPool(model.llama, 4)

    def broken(llama: Any) -> Any:
        raise AttributeError("internal layout changed")

    monkeypatch.setattr(llama_contexts, "sibling", broken)
    assert pool.get("one") is model.llama
    assert pool.get("two") is model.llama and pool.failed and "layout" in pool.failed


def test_the_least_recently_used_context_is_evicted() -> None:
    model = make_local_model("", ModelOptions(n_ctx=1024, contexts_per_model=4))
    pool = llama_contexts.ContextPool(model.llama, 2)
    a, b = pool.get("a"), pool.get("b")
    assert pool.get("a") is a  # refreshes a
    c = pool.get("c")  # evicts b
    assert c is not a and pool.get("a") is a and len(pool._contexts) == 2
    assert b is not model.llama
    pool.close()
