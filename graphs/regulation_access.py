"""The run's access to the regulatory corpus: documents and the vector index, opened lazily.

One object per run, held by the run context, so every agent's regulatory unit shares it: the
documents' front-matter is read once, and the index (Chroma plus the embedding model, hence
torch) is opened only when a turn first retrieves. A failure to open it is remembered, so
the run pays for it once and every turn goes on with the front-matter constraints.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from maestro.graphs.scenario import RegulationSpec

_parsed_lock = threading.Lock()
# Parsed corpora by the files' names, sizes and change times: parsing the shipped corpus
# takes about a second, which a run of a few turns should not pay every time.
_parsed: dict[tuple[tuple[str, int, int], ...], list[Any]] = {}
_KEEP = 8


def _signature(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    from maestro.knowledge.documents import SUFFIXES

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(f for f in path.iterdir() if f.suffix.lower() in SUFFIXES)
        else:
            files.append(path)
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), -1, -1))  # the parser names the missing file
    return tuple(out)


def parsed_documents(paths: list[Path]) -> list[Any]:
    """load_documents, remembered while no file changes."""
    from maestro.knowledge.documents import load_documents

    key = _signature(paths)
    with _parsed_lock:
        if key in _parsed:
            return _parsed[key]
    documents = load_documents(paths)
    with _parsed_lock:
        if len(_parsed) >= _KEEP:
            _parsed.pop(next(iter(_parsed)))
        _parsed[key] = documents
    return documents


class RegulationAccess:
    """Documents and index for one run's `regulation:` section."""

    def __init__(self, spec: RegulationSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._documents: list[Any] | None = None
        self._base: Any = None
        self._error: str | None = None
        self._applied: dict[str, list[Any]] = {}
        # Passages by query: the agents of one round and role ask the same question.
        self._found: dict[tuple[str, int, str | None], list[Any]] = {}
        self._search_lock = threading.Lock()
        self._prefetch: threading.Thread | None = None

    def documents(self) -> list[Any]:
        """The shipped corpus, the user's added documents and the scenario's extra ones,
        parsed without the index. Raises KnowledgeError (a scenario check read them once)."""
        with self._lock:
            if self._documents is None:
                from maestro.knowledge.store import corpus_paths

                self._documents = parsed_documents(corpus_paths(self.spec.documents))
            return self._documents

    def constraints(self, topic: str) -> list[Any]:
        """The constraints that apply to `topic` in the section's jurisdiction (computed
        once per topic and run: every turn of the run asks the same)."""
        documents = self.documents()
        with self._lock:
            if topic not in self._applied:
                from maestro.knowledge.constraints import constraints_for

                self._applied[topic] = constraints_for(topic, self.spec.jurisdiction, documents)
            return self._applied[topic]

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

    def search(self, query: str) -> tuple[list[Any], str | None]:
        """The top `k` passages for the query (asked once per run), or none and why."""
        base, error = self.base()
        if base is None:
            return [], error
        key = (query, self.spec.k, self.spec.jurisdiction)
        with self._search_lock:  # one search at a time; the others then read its answer
            if key not in self._found:
                try:
                    self._found[key] = list(
                        base.search(query, k=self.spec.k, jurisdiction=self.spec.jurisdiction)
                    )
                except Exception as exc:  # a server that went away mid-run, a broken index
                    return [], self.failed(exc)
            return self._found[key], None

    def prefetch(self, query: str) -> None:
        """Open the index and load the embedding model in the background, from the run's
        start, so the first turn does not wait for all of it (retrieving runs only)."""
        if self.spec.k <= 0 or self._prefetch is not None:
            return
        self._prefetch = threading.Thread(
            target=self.search, args=(query,), name="maestro-regulation-prefetch", daemon=True
        )
        self._prefetch.start()

    def failed(self, exc: Exception) -> str:
        """Remember a search failure: later turns skip retrieval instead of failing again."""
        with self._lock:
            self._error = _one_line(exc)
            return self._error


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


__all__ = ["RegulationAccess"]
