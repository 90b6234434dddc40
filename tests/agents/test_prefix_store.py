"""Evaluated prompt prefixes on disk between processes (maestro.agents.providers.prefix_store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from maestro.agents.providers import ModelOptions, clear_model_cache, make_local_model
from maestro.agents.providers.prefix_store import PrefixStore, shared_prefix
from maestro.agents.replies import operator_reply_model, reply_schema

pytestmark = [pytest.mark.integration, pytest.mark.llm]

SYSTEM = (
    "You negotiate the throughput of a shared 5G cell for the operator cost, a budget "
    "mobile brand whose customers mostly browse and stream at low resolution. The cell has "
    "a capacity of 134 Mbps at CQI 12 and is shared with the operator qos, which sells "
    "premium video. Each round the mediator proposes a consensus point and the optimizer "
    "recommends a value for you. Keep your reasoning to one short sentence, honest and "
    "about your own business. "
) * 2
PROMPT = [
    SystemMessage(SYSTEM),
    HumanMessage("Round 1. Optimizer's recommended value for you: 40 Mbps."),
]
FORMAT = {"type": "json_object", "schema": reply_schema(operator_reply_model("Mbps", 0, 134))}


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path))
    clear_model_cache()  # a new loaded model: as in a new process
    yield tmp_path / "cache" / "prefixes"
    clear_model_cache()


def fresh_call(**options: Any) -> Any:
    """One reply from a newly loaded model, as the first call of a new process makes it."""
    clear_model_cache()
    model = make_local_model("", ModelOptions(n_ctx=1024, seed=5, **options))
    return model.invoke(PROMPT, response_format=FORMAT, seed=5)


def test_a_new_process_restores_the_prompt_and_replies_the_same(data_dir: Path) -> None:
    first = fresh_call()
    assert first.response_metadata["restored_tokens"] == 0
    assert len(list(data_dir.glob("*.state"))) == 1  # a long first prompt is kept
    second = fresh_call()
    prompt = second.usage_metadata["input_tokens"]
    assert second.response_metadata["restored_tokens"] >= prompt - 1
    assert second.response_metadata["reused_tokens"] >= prompt - 1  # not evaluated again
    assert second.content == first.content  # the restored cache is the evaluated one
    assert len(list(data_dir.glob("*.state"))) == 1  # already covered: not stored twice


def test_a_state_llama_cpp_refuses_is_dropped_and_the_call_goes_on(data_dir: Path) -> None:
    first = fresh_call()
    (state,) = data_dir.glob("*.state")
    state.write_bytes(b"not a llama.cpp state")
    again = fresh_call()
    assert again.response_metadata["restored_tokens"] == 0
    assert again.content == first.content
    assert all(p.read_bytes() != b"not a llama.cpp state" for p in data_dir.glob("*.state"))


def test_other_context_settings_never_load_the_state(data_dir: Path) -> None:
    fresh_call()
    clear_model_cache()
    other = make_local_model("", ModelOptions(n_ctx=2048, seed=5))
    reply = other.invoke(PROMPT, response_format=FORMAT, seed=5)
    assert reply.response_metadata["restored_tokens"] == 0


def test_zero_megabytes_turns_the_store_off(data_dir: Path) -> None:
    fresh_call(prefix_store_mb=0)
    fresh_call(prefix_store_mb=0)
    assert not data_dir.exists() or not list(data_dir.iterdir())


def test_the_folder_is_pruned_to_its_budget_oldest_first(tmp_path: Path) -> None:
    store = PrefixStore(tmp_path, "k", max_bytes=3000)
    for i in range(4):  # four entries of about 1 kB each, written as `save` writes them
        (tmp_path / f"k-{i}.state").write_bytes(b"x" * 900)
        np.save(tmp_path / f"k-{i}.tokens.npy", np.arange(i + 1, dtype=np.int32))
        store._prune()
    left = sorted(p.name for p in tmp_path.glob("*.state"))
    assert left == ["k-1.state", "k-2.state", "k-3.state"][-len(left) :] and len(left) < 4
    assert "k-0.state" not in left


def test_shared_prefix_counts_equal_leading_tokens() -> None:
    assert shared_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert shared_prefix(np.array([1, 2]), [1, 2, 3]) == 2
    assert shared_prefix([], [1]) == 0
