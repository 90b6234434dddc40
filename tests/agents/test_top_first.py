"""Grammar checked on the top candidates first (maestro.agents.providers.top_first)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from maestro.agents.providers import ModelOptions, make_local_model
from maestro.agents.providers.local import _grammar
from maestro.agents.providers.top_first import (
    TopFirstSampler,
    evaluate_from_cache,
    last_logits,
    supported,
)

pytestmark = [pytest.mark.integration, pytest.mark.llm]

PREFIX = '<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n{ "colour": "'
# Free text the model likes to write, and one character it would never pick first.
FREE = r'root ::= [^"\\]{1,40} "\""'
RARE = r'root ::= "~" [a-z]{0,3} "\""'


@pytest.fixture(scope="module")
def llama() -> Any:
    model = make_local_model("", ModelOptions(n_ctx=512))
    llama = model.llama
    tokens = llama.tokenize(PREFIX.encode(), add_bos=False, special=True)
    evaluate_from_cache(llama, tokens)
    return llama


def exact_choice(llama: Any, gbnf: str) -> int:
    """What llama-cpp-python's own chain picks greedily: the grammar over every token first."""
    chain = llama._init_sampler(temp=0.0, grammar=_grammar(gbnf))
    return int(chain.sample(llama._ctx, -1))


def sampler(llama: Any, gbnf: str, **chain: Any) -> TopFirstSampler:
    settings = {"temp": 0.0, "top_k": 40, "top_p": 0.95, "min_p": 0.05} | chain
    return TopFirstSampler(llama, _grammar(gbnf), **settings)


def test_the_shipped_model_is_supported(llama: Any) -> None:
    assert supported(llama)
    assert not supported(object())  # a stand-in keeps llama-cpp-python's own loop


@pytest.mark.parametrize("gbnf", [FREE, RARE])
def test_greedy_choice_equals_the_whole_vocabulary_check(llama: Any, gbnf: str) -> None:
    top = sampler(llama, gbnf)
    try:
        assert top.sample(last_logits(llama)) == exact_choice(llama, gbnf)
    finally:
        top.close()


def test_the_whole_vocabulary_decides_only_when_the_top_tokens_cannot(llama: Any) -> None:
    free, rare = sampler(llama, FREE), sampler(llama, RARE)
    try:
        free.sample(last_logits(llama))
        rare.sample(last_logits(llama))
        assert free.full_checks == 0  # a colour name is among the model's best tokens
        assert rare.full_checks == 1  # "~" is not: only the full check can find it
    finally:
        free.close()
        rare.close()


def test_without_min_p_a_low_ranked_token_could_survive_so_all_are_checked(llama: Any) -> None:
    top = sampler(llama, FREE, min_p=0.0)
    try:
        top.sample(last_logits(llama))
        assert top.full_checks == 1
    finally:
        top.close()


def test_draws_stay_within_top_p_and_min_p_and_follow_the_seed(llama: Any) -> None:
    logits = last_logits(llama).copy()
    best = float(logits.max())
    picks = []
    for seed in (1, 2, 1):
        top = sampler(llama, FREE, temp=1.0, draws=np.random.default_rng(seed))
        try:
            picks.append([top.sample(logits) for _ in range(20)])
        finally:
            top.close()
    assert picks[0] == picks[2]  # the same seed draws the same tokens
    assert all(float(logits[t]) >= best + np.log(0.05) for t in picks[0] + picks[1])


def test_a_cached_prefix_is_not_evaluated_again_and_gives_the_same_logits(llama: Any) -> None:
    tokens = llama.tokenize(PREFIX.encode(), add_bos=False, special=True)
    more = tokens + llama.tokenize(b"blue", add_bos=False, special=False)
    assert evaluate_from_cache(llama, more) == len(more) - len(tokens)
    extended = last_logits(llama).copy()
    llama.n_tokens = 0  # forget the cache: evaluate everything from scratch
    assert evaluate_from_cache(llama, more) == len(more)
    fresh = last_logits(llama)
    # Batched and incremental evaluation round differently in the quantized matmuls.
    assert int(fresh.argmax()) == int(extended.argmax())
    assert float(np.abs(fresh - extended).max()) < 1.0
    assert evaluate_from_cache(llama, tokens) == 1  # only the last token, for live logits


def test_a_prompt_is_evaluated_in_chunks_each_inside_its_guard(llama: Any) -> None:
    import contextlib
    from collections.abc import Iterator

    starts: list[int] = []

    @contextlib.contextmanager
    def guard() -> Iterator[None]:  # the caller re-decides the threads for every chunk
        starts.append(llama.n_tokens)
        yield

    tokens = llama.tokenize(("A long prompt about a shared cell. " * 12).encode(), add_bos=False)
    llama.n_tokens = 0
    assert evaluate_from_cache(llama, tokens[:80], guard, chunk=32) == 80
    assert starts == [0, 32, 64]
