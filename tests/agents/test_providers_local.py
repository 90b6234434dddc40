"""The embedded llama.cpp chat model, run for real on the shipped SmolLM2 (and Gemma once)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from maestro.agents.providers import (
    ContextOverflowError,
    ModelOptions,
    ProviderUnavailableError,
    UnknownModelError,
    bind_json_schema,
    load_chat_model,
    make_local_model,
)
from maestro.agents.providers.local import (
    LocalChatModel,
    llama_response_format,
    to_llama_messages,
)
from tests.agents.llm_samples import PROMPT, SCHEMA, Proposal

# The schema allows 160 characters of reasoning; digits and commas can cost a token each.
OPTIONS = ModelOptions(n_ctx=2048, max_tokens=200, temperature=0.8, seed=7)


@pytest.fixture(scope="module")
def model() -> LocalChatModel:
    return make_local_model("", OPTIONS)


# --- pure helpers (no model) --------------------------------------------------------------


def test_system_text_is_merged_into_the_first_user_turn() -> None:
    messages = [
        SystemMessage("rules"),
        HumanMessage("question"),
        AIMessage("answer"),
        HumanMessage("again"),
    ]
    merged = to_llama_messages(messages, merge_system=True)
    assert merged == [
        {"role": "user", "content": "rules\n\nquestion"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "again"},
    ]
    kept = to_llama_messages(messages, merge_system=False)
    assert [m["role"] for m in kept] == ["system", "user", "assistant", "user"]
    assert to_llama_messages([SystemMessage("only")], merge_system=True) == [
        {"role": "user", "content": "only"}
    ]


def test_openai_json_schema_form_is_translated_for_llama_cpp() -> None:
    openai_form = {"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA}}
    assert llama_response_format(openai_form) == {"type": "json_object", "schema": SCHEMA}
    plain = {"type": "json_object", "schema": SCHEMA}
    assert llama_response_format(plain) == plain
    assert llama_response_format({"type": "text"}) is None
    with pytest.raises(ValueError, match="xml"):
        llama_response_format({"type": "xml"})


# --- the real model -----------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.llm
def test_json_under_a_schema_parses_ten_times_out_of_ten(model: LocalChatModel) -> None:
    runnable = bind_json_schema(model, SCHEMA, "proposal")
    parsed = [
        Proposal.model_validate_json(str(runnable.invoke(PROMPT, seed=seed).content))
        for seed in range(10)
    ]
    assert len(parsed) == 10


@pytest.mark.integration
@pytest.mark.llm
def test_same_seed_same_reply_and_seeds_vary_the_sample(model: LocalChatModel) -> None:
    runnable = bind_json_schema(model, SCHEMA, "proposal")
    first = runnable.invoke(PROMPT, seed=11).content
    other = runnable.invoke(PROMPT, seed=12).content  # in between: state must not leak
    assert runnable.invoke(PROMPT, seed=11).content == first
    replies = {other, first} | {runnable.invoke(PROMPT, seed=s).content for s in range(20, 24)}
    assert len(replies) > 1  # at temperature 0.8 the seed really drives sampling


@pytest.mark.integration
@pytest.mark.llm
def test_usage_and_metadata_are_reported(model: LocalChatModel) -> None:
    reply = bind_json_schema(model, SCHEMA, "proposal").invoke(PROMPT)
    assert isinstance(reply, AIMessage)
    usage = reply.usage_metadata
    assert usage is not None and usage["input_tokens"] > 20 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert reply.response_metadata["model_name"] == "local:smollm2-135m"
    assert reply.response_metadata["finish_reason"] in ("stop", "length")


@pytest.mark.integration
@pytest.mark.llm
def test_max_tokens_limits_the_reply(model: LocalChatModel) -> None:
    reply = model.invoke(PROMPT, max_tokens=5)
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] <= 5
    assert reply.response_metadata["finish_reason"] == "length"


@pytest.mark.integration
@pytest.mark.llm
def test_the_model_file_is_loaded_once_and_shared(model: LocalChatModel) -> None:
    again = make_local_model("", OPTIONS)
    alias = load_chat_model("local:smollm2-135m", OPTIONS)
    assert isinstance(alias, LocalChatModel)
    assert again is not model
    assert again.llama is model.llama is alias.llama
    other_ctx = make_local_model("", OPTIONS.model_copy(update={"n_ctx": 1024}))
    assert other_ctx.llama is not model.llama  # a different context size is another object


@pytest.mark.integration
@pytest.mark.llm
def test_concurrent_threads_share_the_model_safely(model: LocalChatModel) -> None:
    runnable = bind_json_schema(model, SCHEMA, "proposal")
    results: dict[int, Proposal] = {}
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            reply = runnable.invoke(PROMPT, seed=seed)
            results[seed] = Proposal.model_validate_json(str(reply.content))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 1, 2, 3]


@pytest.mark.integration
@pytest.mark.llm
def test_context_overflow_is_a_clear_error_and_the_model_survives() -> None:
    small = make_local_model("", OPTIONS.model_copy(update={"n_ctx": 512}))
    long_prompt = [HumanMessage("capacity throughput negotiation " * 400)]
    with pytest.raises(ContextOverflowError, match="n_ctx"):
        small.invoke(long_prompt)
    assert small.invoke(PROMPT, max_tokens=8).content  # still usable afterwards


@pytest.mark.integration
@pytest.mark.llm
def test_bad_paths_and_ids_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownModelError, match="model file not found"):
        make_local_model(str(tmp_path / "missing.gguf"))
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(UnknownModelError, match="not a GGUF"):
        load_chat_model(f"local:{text}")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\xff" * 64)  # right magic, garbage inside
    with pytest.raises(UnknownModelError, match="could not load"):
        make_local_model(str(broken))


@pytest.mark.integration
@pytest.mark.llm
def test_gemma_base_model_answers_json_with_system_text_merged(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MAESTRO_CACHE_DIR", str(tmp_path_factory.mktemp("gemma")))
        gemma = make_local_model("gemma-3-270m", OPTIONS.model_copy(update={"max_tokens": 128}))
    assert gemma.merge_system and gemma.chat_format == "gemma"
    # The base model rambles (long digit runs): a tight string bound keeps it inside budget.
    tight = {
        **SCHEMA,
        "properties": {
            "value": {"type": "number"},
            "reasoning": {"type": "string", "pattern": "^[A-Za-z ,.]{1,60}$"},
        },
    }
    reply = bind_json_schema(gemma, tight, "proposal").invoke(PROMPT)
    Proposal.model_validate_json(str(reply.content))
    assert reply.response_metadata["model_name"] == "local:gemma-3-270m"


def test_missing_llama_cpp_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "any.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(ProviderUnavailableError, match="pip install llama-cpp-python"):
        make_local_model(str(model))
