"""The regulatory knowledge base: the project's own corpus, its constraints and its index.

Importing this package is cheap: the vector store (chromadb, torch) loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from maestro.knowledge.constraints import (
    CONSTRAINT_KINDS,
    AppliedConstraint,
    Constraint,
    MaxValue,
    MinShare,
    MinValue,
    SumAtMost,
    Violation,
    applicable_jurisdictions,
    check,
    constraints_for,
)
from maestro.knowledge.documents import (
    Document,
    load_documents,
    parse_document,
    shipped_corpus_dir,
    user_corpus_dir,
)
from maestro.knowledge.errors import KnowledgeError, MissingFactError
from maestro.knowledge.passage import Passage

if TYPE_CHECKING:
    from maestro.knowledge.store import KnowledgeBase, open_knowledge

_LAZY = {"KnowledgeBase", "open_knowledge"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from maestro.knowledge import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def shipped_documents() -> list[Document]:
    """The shipped corpus alone, parsed (for constraints when no index is available)."""
    return load_documents([shipped_corpus_dir()])


__all__ = [
    "CONSTRAINT_KINDS",
    "AppliedConstraint",
    "Constraint",
    "Document",
    "KnowledgeBase",
    "KnowledgeError",
    "MaxValue",
    "MinShare",
    "MinValue",
    "MissingFactError",
    "Passage",
    "SumAtMost",
    "Violation",
    "applicable_jurisdictions",
    "check",
    "constraints_for",
    "load_documents",
    "open_knowledge",
    "parse_document",
    "shipped_corpus_dir",
    "shipped_documents",
    "user_corpus_dir",
]
