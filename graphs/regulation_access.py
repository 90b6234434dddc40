"""The run's access to the regulatory corpus: documents and the vector index, opened lazily.

One object per run, held by the run context, so every agent's regulatory unit shares it: the
documents' front-matter is read once, and the index (Chroma plus the embedding model, hence
torch) is opened only when a turn first retrieves. A failure to open it is remembered, so
the run pays for it once and every turn goes on with the front-matter constraints.
"""

from __future__ import annotations

import threading
from typing import Any

from maestro.graphs.scenario import RegulationSpec


class RegulationAccess:
    """Documents and index for one run's `regulation:` section."""

    def __init__(self, spec: RegulationSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._documents: list[Any] | None = None
        self._base: Any = None
        self._error: str | None = None

    def documents(self) -> list[Any]:
        """The shipped corpus, the user's added documents and the scenario's extra ones,
        parsed without the index. Raises KnowledgeError (a scenario check read them once)."""
        with self._lock:
            if self._documents is None:
                from maestro.knowledge.documents import load_documents
                from maestro.knowledge.store import corpus_paths

                self._documents = load_documents(corpus_paths(self.spec.documents))
            return self._documents

    def base(self) -> tuple[Any, str | None]:
        """The opened knowledge base, or None and why it could not be opened."""
        with self._lock:
            if self._base is None and self._error is None:
                try:
                    from maestro.knowledge.store import open_knowledge

                    self._base = open_knowledge(extra_paths=self.spec.documents)
                except Exception as exc:  # an unreachable server, a locked store, no torch
                    self._error = _one_line(exc)
            return self._base, self._error

    def failed(self, exc: Exception) -> str:
        """Remember a search failure: later turns skip retrieval instead of failing again."""
        with self._lock:
            self._error = _one_line(exc)
            return self._error


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


__all__ = ["RegulationAccess"]
