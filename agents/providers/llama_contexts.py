"""Several llama.cpp contexts over one loaded model: a KV cache per agent, weights once.

Agents take turns on the same model, and llama.cpp reuses a prompt prefix only against the
previous call on the same context. Giving each agent (keyed by its system prompt) a context
of its own keeps its fixed prefix evaluated between its turns, so a turn only pays for the
new round's text — without loading the weights again and without copying KV states around
(LlamaRAMCache saves and restores whole states, a few hundred ms per call here).

llama-cpp-python has no public API for a second context on a loaded model; `sibling` builds
one the way `Llama.__init__` does, sharing the model, tokenizer and chat handlers. If that
ever fails (a changed internal layout), callers fall back to the primary context.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
from collections import OrderedDict
from typing import Any

import numpy as np


def sibling(llama: Any) -> Any:
    """A new Llama-like object on `llama`'s model with its own context, batch and buffers."""
    from llama_cpp import _internals as internals

    # Not copy.copy: Llama pickles by re-running __init__, which would load the weights again.
    twin = object.__new__(type(llama))
    twin.__dict__.update(llama.__dict__)
    twin._stack = contextlib.ExitStack()
    twin._ctx = twin._stack.enter_context(
        contextlib.closing(
            internals.LlamaContext(model=llama._model, params=llama.context_params, verbose=False)
        )
    )
    twin._batch = twin._stack.enter_context(
        contextlib.closing(
            internals.LlamaBatch(
                n_tokens=llama.n_batch, embd=0, n_seq_max=llama.context_params.n_ctx, verbose=False
            )
        )
    )
    twin._candidates = internals.LlamaTokenDataArray(n_vocab=llama._n_vocab)
    twin.n_tokens = 0
    twin._requires_eval = True
    twin.input_ids = np.ndarray(llama.input_ids.shape, dtype=np.intc)
    twin.scores = np.ndarray(llama.scores.shape, dtype=np.single)
    twin._mirostat_mu = ctypes.c_float(2.0 * 5.0)
    twin._sampler = None
    twin.cache = None
    twin._chat_handlers = dict(llama._chat_handlers)
    return twin


class ContextPool:
    """Up to `size` contexts keyed by a prompt prefix, least recently used evicted first."""

    def __init__(self, primary: Any, size: int) -> None:
        self.primary = primary
        self.size = size
        self._contexts: OrderedDict[str, Any] = OrderedDict()
        self.failed: str | None = None

    @staticmethod
    def key(prefix: str) -> str:
        return hashlib.sha1(prefix.encode("utf-8")).hexdigest()

    def get(self, prefix: str) -> Any:
        """The context for this prefix (callers hold the model's lock)."""
        if self.size <= 1 or self.failed:
            return self.primary
        key = self.key(prefix)
        if key in self._contexts:
            self._contexts.move_to_end(key)
            return self._contexts[key]
        if len(self._contexts) >= self.size:
            _, oldest = self._contexts.popitem(last=False)
            if oldest is not self.primary:
                oldest.close()
        if not self._contexts:
            context = self.primary  # the first agent keeps the context that came with the model
        else:
            try:
                context = sibling(self.primary)
            except Exception as exc:  # internal layout changed: share the primary context
                self.failed = f"{type(exc).__name__}: {exc}"
                return self.primary
        self._contexts[key] = context
        return context

    def close(self) -> None:
        for context in self._contexts.values():
            if context is not self.primary:
                context.close()
        self._contexts.clear()
