"""Grammar-constrained sampling that checks the grammar on the top candidates first.

llama-cpp-python puts the grammar first in its sampler chain, so every decoded token is
checked against the whole vocabulary (49k tokens for SmolLM2): on one core that costs about
as much as the decode itself. The chain after it (top-k, top-p, min-p, temperature) only
ever keeps the best-scored tokens, so this sampler checks the grammar on the top-k
candidates and falls back to the whole vocabulary only when the answer could differ there:
when none of them fits, or when a token ranked below them could still pass min-p. It then
applies top-p, min-p and temperature exactly as llama.cpp's samplers do.

It drives the model through `Llama`'s public surface (`eval`, `n_tokens`, `input_ids`,
`ctx`, `model`) and llama.cpp's C sampler API; nothing in llama-cpp-python is patched.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

PROMPT_CHUNK = 32  # tokens per prompt chunk: how soon a joining agent gets its core
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


def supported(llama: Any) -> bool:
    """A model whose cache can be cut back to a shared prefix (not recurrent or hybrid)."""
    import llama_cpp

    if not isinstance(llama, llama_cpp.Llama) or not llama.ctx:
        return False
    return not (
        llama_cpp.llama_model_is_recurrent(llama.model)
        or llama_cpp.llama_model_is_hybrid(llama.model)
    )


class TopFirstSampler:
    """One field's sampler: a grammar plus llama.cpp's top-k/top-p/min-p/temperature chain."""

    def __init__(
        self,
        llama: Any,
        grammar: Any,
        *,
        temp: float,
        top_k: int,
        top_p: float,
        min_p: float,
        draws: np.random.Generator | None = None,
    ) -> None:
        import llama_cpp

        self._c = llama_cpp
        vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._grammar:
            raise ValueError("llama.cpp could not parse the field's grammar")
        self._n_vocab = int(llama.n_vocab())
        self.temp, self.top_k, self.top_p, self.min_p = temp, top_k, top_p, min_p
        self._rng = draws if draws is not None else np.random.default_rng()
        self.full_checks = 0  # steps that needed the whole vocabulary (diagnostics)

    def close(self) -> None:
        if self._grammar:
            self._c.llama_sampler_free(self._grammar)
            self._grammar = None

    def accept(self, token: int) -> None:
        self._c.llama_sampler_accept(self._grammar, token)

    def sample(self, logits: np.ndarray) -> int:
        """The next token for these logits (a float32 view of the model's last row)."""
        k = min(self.top_k, self._n_vocab) if self.top_k > 0 else self._n_vocab
        ids = _best(logits, k)
        allowed = ids[self._fits(ids, logits[ids])]
        if allowed.size == 0 or not self._settled_within(logits, ids, allowed):
            self.full_checks += 1
            every = np.arange(self._n_vocab, dtype=np.int32)
            allowed = every[self._fits(every, logits)]
            if allowed.size == 0:
                raise RuntimeError("the grammar allows no token here")
            allowed = allowed[_best(logits[allowed], min(k, allowed.size))]
        return self._draw(allowed, logits[allowed].astype(np.float64))

    def _settled_within(self, logits: np.ndarray, ids: np.ndarray, allowed: np.ndarray) -> bool:
        # A token below the top k has a logit of at most the k-th one; min-p drops it when
        # that is under the best allowed logit + ln(min_p). Otherwise it might have survived
        # in llama.cpp's own chain, so the whole vocabulary decides.
        if ids.size >= self._n_vocab:
            return True
        if self.min_p <= 0.0:
            return False
        floor = float(logits[allowed].max()) + math.log(self.min_p)
        return float(logits[ids[-1]]) < floor

    def _fits(self, ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """Which of these tokens the grammar accepts next (it sets the others to -inf)."""
        data = np.zeros(ids.size, dtype=_TOKEN_DATA)
        data["id"], data["logit"] = ids, logits
        array = self._c.llama_token_data_array(
            data=data.ctypes.data_as(ctypes.POINTER(self._c.llama_token_data)),
            size=ids.size,
            selected=-1,
            sorted=False,
        )
        self._c.llama_sampler_apply(self._grammar, ctypes.byref(array))
        return np.isfinite(data["logit"])

    def _draw(self, ids: np.ndarray, logits: np.ndarray) -> int:
        """top-p, min-p, temperature and a seeded draw, in llama.cpp's order and rules."""
        order = np.argsort(-logits, kind="stable")
        ids, logits = ids[order], logits[order]
        if self.temp <= 0.0:
            return int(ids[0])
        probs = np.exp(logits - logits[0])
        probs /= probs.sum()
        if self.top_p < 1.0:  # the smallest head whose mass reaches top_p
            keep = int(np.searchsorted(np.cumsum(probs), self.top_p)) + 1
            ids, logits = ids[:keep], logits[:keep]
        if self.min_p > 0.0:
            kept = logits >= logits[0] + math.log(self.min_p)
            ids, logits = ids[kept], logits[kept]
        weights = np.exp((logits - logits[0]) / self.temp)
        return int(self._rng.choice(ids, p=weights / weights.sum()))


def generate(
    llama: Any,
    tokens: list[int],
    grammar: Any,
    sample: dict[str, Any],
    draws: np.random.Generator | None,
    guard: Callable[[], AbstractContextManager[Any]] | None = None,
) -> Generator[int, None, None]:
    """Tokens under `grammar`, like `Llama.generate`: the prompt is evaluated (in chunks,
    each inside `guard()`) before the first one, and a token is evaluated only when the
    caller asks for the next, so the last one taken is never evaluated for nothing."""
    sampler = TopFirstSampler(llama, grammar, draws=draws, **sample)
    eos = llama.token_eos()
    try:
        evaluate_from_cache(llama, tokens, guard)
        while True:
            token = sampler.sample(last_logits(llama))
            if token != eos:  # the caller stops there; the grammar has nothing to follow
                sampler.accept(token)
            yield token
            llama.eval([token])
    finally:
        sampler.close()


def _best(logits: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest logits, best first."""
    top = np.arange(logits.size) if k >= logits.size else np.argpartition(logits, -k)[-k:]
    return top[np.argsort(-logits[top], kind="stable")].astype(np.int32)


def last_logits(llama: Any) -> np.ndarray:
    """The logits of the last evaluated token, without a copy."""
    import llama_cpp

    pointer = llama_cpp.llama_get_logits_ith(llama.ctx, -1)
    return np.ctypeslib.as_array(pointer, shape=(int(llama.n_vocab()),))


def evaluate_from_cache(
    llama: Any,
    tokens: list[int],
    guard: Callable[[], AbstractContextManager[Any]] | None = None,
    chunk: int = PROMPT_CHUNK,
) -> int:
    """Evaluate `tokens`, reusing the longest prefix already in the model's cache.

    At least the last token is evaluated again so that its logits are live. The rest goes in
    chunks, each inside `guard()` (the caller picks the threads per chunk). Returns how many
    tokens were evaluated."""
    cached = llama.input_ids[: llama.n_tokens]
    shared = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        shared += 1
    shared = min(shared, len(tokens) - 1)
    llama.n_tokens = shared  # `eval` removes the cache beyond n_tokens before decoding
    for start in range(shared, len(tokens), chunk):
        with guard() if guard else contextlib.nullcontext():
            llama.eval(tokens[start : start + chunk])
    return len(tokens) - shared
