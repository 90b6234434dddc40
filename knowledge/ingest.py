"""Adding user documents to the data directory's corpus folder, all or nothing.

Markdown with front-matter is copied as it is; text, PDF and bare Markdown are stored as
Markdown with generated front-matter (id from the file name), so the user can edit it later.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from maestro.knowledge.documents import (
    Document,
    _expand,
    load_documents,
    parse_document,
    parse_text,
    shipped_corpus_dir,
    user_corpus_dir,
)
from maestro.knowledge.errors import KnowledgeError


def _has_front_matter(path: Path) -> bool:
    if path.suffix.lower() not in (".md", ".markdown"):
        return False
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_text(encoding="utf-8").lstrip("\ufeff").startswith("---")
    return False


def _render(doc: Document, jurisdiction: str | None, topics: Sequence[str]) -> str:
    meta = {
        "id": doc.id,
        "title": doc.title,
        "source": doc.source,
        "jurisdiction": jurisdiction or doc.jurisdiction,
        "topics": list(topics) or list(doc.topics),
    }
    return f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n{doc.body}\n"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def add_documents(
    paths: Iterable[str | Path],
    *,
    jurisdiction: str | None = None,
    topics: Sequence[str] = (),
    dest: Path | None = None,
) -> list[Document]:
    """Validate every file first, then write them all into the user corpus folder.

    Added documents are stored as `<id>.md`: adding a document with the same id again
    replaces it; an id of the shipped corpus is refused.
    """
    folder = dest or user_corpus_dir()
    files = _expand(paths)
    if not files:
        raise KnowledgeError("no documents to add (folders are searched for .md, .txt, .pdf)")
    staged: list[tuple[Document, str]] = []
    for f in files:
        doc = parse_document(f)
        if _has_front_matter(f) and not (jurisdiction or topics):
            text = f.read_text(encoding="utf-8")
        else:
            text = _render(doc, jurisdiction, topics)
            doc = parse_text(text, f)  # the generated front-matter must validate too
        staged.append((doc, text))
    shipped = {d.id for d in load_documents([shipped_corpus_dir()])}
    existing = (
        {d.id: Path(d.path).name for d in load_documents([folder])} if folder.is_dir() else {}
    )
    seen: set[str] = set()
    for doc, _ in staged:
        if doc.id in shipped:
            raise KnowledgeError(
                f"{doc.path}: id '{doc.id}' is a shipped document; choose another id"
            )
        if doc.id in seen:
            raise KnowledgeError(f"{doc.path}: id '{doc.id}' appears twice in this batch")
        seen.add(doc.id)
        if existing.get(doc.id, f"{doc.id}.md") != f"{doc.id}.md":
            raise KnowledgeError(
                f"{doc.path}: id '{doc.id}' is already used by {folder / existing[doc.id]}"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for doc, text in staged:
            _write_atomic(folder / f"{doc.id}.md", text)
    except OSError as exc:
        raise KnowledgeError(f"cannot write to the corpus folder {folder}: {exc}") from exc
    return [d for d, _ in staged]
