"""One llama.cpp object per agent on a loaded file: each agent's prompt prefix stays evaluated.

The pool logic is tested on a stub Llama (no model); one test measures the reuse for real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from maestro.agents.providers import ModelOptions, bind_json_schema, local
from maestro.agents.providers.catalog import LocalModelSpec
from maestro.agents.providers.local import LoadedModel, agent_key, make_local_model


class StubLlama:
    """Stands in for llama_cpp.Llama: records what it was built with and asked."""

    built: list[StubLlama] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs, self.prompts, self.closed = kwargs, [], False
        StubLlama.built.append(self)

    def create_chat_completion(self, messages: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        self.prompts.append(messages)
        return {
            "choices": [{"message": {"content": '{"value": 1}'}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3},
        }

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LocalModelSpec:
    StubLlama.built = []
    monkeypatch.setattr(local, "_llama_class", lambda: StubLlama)
    monkeypatch.setattr(local, "_loaded", {})
    path = tmp_path / "stub.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    return LocalModelSpec(id="local:stub", path=path, chat_format="gemma", note="stub")


def _chat(spec: LocalModelSpec, capacity: int = 4) -> local.LocalChatModel:
    model = local.LocalChatModel(
        model_id=spec.id, model_path=str(spec.path), chat_format="gemma", merge_system=True
    )
    model._model = local.loaded_model(spec, ModelOptions(contexts_per_model=capacity))
    return model


def test_an_agent_keeps_its_object_across_rounds_even_with_merged_system_text(
    stub: LocalModelSpec,
) -> None:
    model = _chat(stub)
    for round_ in range(1, 6):  # Gemma folds the system text into the round's user turn
        for agent in ("cost", "qos", "mediator"):
            model.invoke([SystemMessage(f"You are {agent}."), HumanMessage(f"Round {round_}.")])
    # the probe object ("") plus one per agent, not one per turn
    assert len(StubLlama.built) == 4
    per_agent = {
        s.prompts[0][0]["content"].split(".")[0]: len(s.prompts) for s in StubLlama.built[1:]
    }
    assert per_agent == {"You are cost": 5, "You are qos": 5, "You are mediator": 5}


def test_the_least_recently_used_agent_is_closed_first(stub: LocalModelSpec) -> None:
    entry = LoadedModel(stub, ModelOptions(), capacity=2)
    a, b = entry.for_agent("a"), entry.for_agent("b")
    assert entry.for_agent("a") is a  # refreshes a
    c = entry.for_agent("c")  # evicts b
    assert b.closed and not a.closed and entry.for_agent("a") is a and c is not b
    assert entry.agents == 2 and entry.stats.contexts_loaded == 3


def test_agent_key_is_the_system_text_only() -> None:
    one = agent_key([SystemMessage("rules"), HumanMessage("round 1")])
    assert one == agent_key([SystemMessage("rules"), HumanMessage("round 2")])
    assert one != agent_key([SystemMessage("other rules"), HumanMessage("round 1")])
    assert agent_key([HumanMessage("no system")]) == ""


def test_a_broken_file_fails_before_any_turn(
    stub: LocalModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**_: Any) -> Any:
        raise ValueError("Failed to load model from file")

    monkeypatch.setattr(local, "_llama_class", lambda: refuse)
    with pytest.raises(local.UnknownModelError, match="could not load"):
        local.loaded_model(stub, ModelOptions())


SCHEMA = {
    "type": "object",
    "properties": {"value": {"type": "number"}, "reasoning": {"type": "string", "maxLength": 40}},
    "required": ["value", "reasoning"],
}


@pytest.mark.llm
def test_each_agent_prefix_stays_evaluated_between_its_turns() -> None:
    model = make_local_model("", ModelOptions(n_ctx=1024, contexts_per_model=4))
    runnable = bind_json_schema(model, SCHEMA, "t")
    alpha, beta = "You are agent alpha. " * 20, "You are agent beta. " * 20

    def ask(system: str, user: str) -> Any:
        reply = runnable.invoke([SystemMessage(system), HumanMessage(user)])
        assert "value" in json.loads(reply.content)
        return reply

    ask(alpha, "Propose a number.")
    ask(beta, "Propose a number.")
    again = ask(alpha, "Propose another number.")
    # alpha's ~120-token system prompt was not evaluated again after beta spoke
    assert again.response_metadata["reused_tokens"] > 100
    assert model.loaded.agents >= 2
