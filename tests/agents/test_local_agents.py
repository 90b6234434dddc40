"""One llama.cpp object per agent on a loaded file: each agent's prompt prefix stays evaluated.

The pool logic is tested on a stub Llama (no model); one test measures the reuse for real.
"""

from __future__ import annotations

import json
import threading
import time
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


def test_past_capacity_the_least_recently_used_idle_object_is_handed_over(
    stub: LocalModelSpec,
) -> None:
    entry = LoadedModel(stub, ModelOptions(), capacity=2)
    a, b = entry.for_agent("a"), entry.for_agent("b")
    assert entry.for_agent("a") is a  # refreshes a
    c = entry.for_agent("c")  # takes b's object: no new load
    assert c is b and entry.for_agent("a") is a and entry.agents == 2
    assert entry.stats.contexts_loaded == 2 and entry.stats.handovers == 1


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


def test_an_agent_in_a_turn_is_never_handed_over(stub: LocalModelSpec) -> None:
    entry = LoadedModel(stub, ModelOptions(), capacity=1)
    with entry.turn("busy") as busy:
        other = entry.for_agent("other")  # over capacity for a while rather than take "busy"
        assert other is not busy and entry.agents == 2
    assert entry.for_agent("third") is busy  # idle now: handed over


def test_different_agents_overlap_and_one_agent_never_does(
    stub: LocalModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "CORES", 2)
    entry = LoadedModel(stub, ModelOptions(), capacity=4)
    inside: dict[str, int] = {"now": 0, "most": 0}
    per_agent: dict[str, int] = {}
    guard = threading.Lock()

    def turn(key: str) -> None:
        with entry.turn(key):
            with guard:
                inside["now"] += 1
                inside["most"] = max(inside["most"], inside["now"])
                per_agent[key] = per_agent.get(key, 0) + 1
                assert per_agent[key] == 1, "two calls on one llama.cpp object at once"
            time.sleep(0.05)
            with guard:
                inside["now"] -= 1
                per_agent[key] -= 1

    threads = [threading.Thread(target=turn, args=(k,)) for k in ("a", "b", "a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inside["most"] == 2  # two cores: two agents at once, never three


def test_a_fixed_thread_count_limits_how_many_run_at_once(
    stub: LocalModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "CORES", 2)
    entry = LoadedModel(stub, ModelOptions(n_threads=2), capacity=4)
    assert entry._compute._value == 1  # each call takes both cores: one at a time


def test_a_prompt_gets_only_the_cores_no_other_agent_is_decoding_on(
    stub: LocalModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "CORES", 2)
    elsewhere = {"threads": 0}  # runnable threads of other programs
    monkeypatch.setattr(local, "runnable_elsewhere", lambda ours: elsewhere["threads"])
    entry = LoadedModel(stub, ModelOptions(), capacity=4)
    batches: list[int | None] = []
    monkeypatch.setattr(
        entry, "_set_threads", lambda llama, active, batch=None: batches.append(batch)
    )
    with entry.turn("a") as a:
        with entry.prefill(a):  # alone: both cores
            pass
        with entry.turn("b") as b, entry.prefill(b):  # a decodes on one core meanwhile
            pass
    elsewhere["threads"] = 1
    with entry.turn("c") as c, entry.prefill(c):  # another program holds a core
        pass
    assert [n for n in batches if n is not None] == [2, 1, 1]


def test_runnable_elsewhere_reads_the_kernels_count_without_ours() -> None:
    assert local.runnable_elsewhere(ours=10_000) == 0
    assert local.runnable_elsewhere(ours=0) >= 1  # this thread is running while it reads


def test_closing_waits_for_a_call_still_decoding(stub: LocalModelSpec) -> None:
    entry = LoadedModel(stub, ModelOptions(), capacity=4)
    idle = entry.for_agent("idle")
    in_turn, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def abandoned_call() -> None:  # e.g. a call given up on at the run's deadline
        with entry.turn("busy") as busy:
            seen["busy"] = busy
            in_turn.set()
            release.wait(5)
            seen["closed_while_decoding"] = busy.closed

    thread = threading.Thread(target=abandoned_call)
    thread.start()
    in_turn.wait(5)
    threading.Timer(0.2, release.set).start()
    entry.close()  # at exit: waits for the decode to end, then frees the object
    thread.join(5)
    assert idle.closed and seen["busy"].closed and seen["closed_while_decoding"] is False


@pytest.mark.llm
def test_loading_never_redirects_the_process_output(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # llama-cpp-python's verbose=False load points fds 1 and 2 at /dev/null: another thread
    # printing meanwhile (the CLI writing a record) lost its output.
    import os

    from maestro.agents.providers.catalog import resolve_local

    redirected: list[tuple[int, int]] = []
    real_dup2 = os.dup2
    monkeypatch.setattr(
        os, "dup2", lambda a, b, *r: redirected.append((a, b)) or real_dup2(a, b, *r)
    )
    entry = LoadedModel(resolve_local(""), ModelOptions(n_ctx=512), capacity=2)
    llama = entry.for_agent("one")
    assert redirected == [] and llama.verbose is False
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # and still quiet
    entry.close()
