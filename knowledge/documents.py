"""Corpus documents: Markdown with YAML front-matter, parsed and validated without any index.

Front-matter fields: `id`, `title`, `source` (document and clause), `jurisdiction`, `topics`
and optional `constraints` (see constraints.py). Plain text and PDF files carry none: they
get an id from the file name and the `global` jurisdiction.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from maestro.knowledge.constraints import CONSTRAINT_KINDS, Constraint, normalise_jurisdiction
from maestro.knowledge.errors import KnowledgeError

SUFFIXES = (".md", ".markdown", ".txt", ".pdf")
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,79}$"
# libyaml's parser when present: the pure-Python one makes parsing the corpus ten times slower.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class Document(BaseModel):
    """One corpus document: validated front-matter plus its Markdown body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=3, max_length=200)
    source: str = Field(min_length=3, max_length=200)
    jurisdiction: str = Field(min_length=2, max_length=16)
    topics: list[str] = Field(default_factory=list, max_length=20)
    constraints: list[Constraint] = Field(default_factory=list)
    body: str = Field(min_length=1)
    path: str = ""

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction_case(cls, value: str) -> str:
        return normalise_jurisdiction(value)

    @field_validator("topics")
    @classmethod
    def _topic_words(cls, topics: list[str]) -> list[str]:
        for t in topics:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,48}", t):
                raise ValueError(f"topic {t!r} must be one word of letters, digits, _ . -")
        return topics

    def content_hash(self) -> str:
        text = self.model_dump_json(exclude={"path"})
        return hashlib.sha256(text.encode()).hexdigest()


def shipped_corpus_dir() -> Path:
    """The project's own regulatory corpus, installed as package data."""
    return Path(__file__).resolve().parent / "corpus"


def _slug(stem: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")
    return (slug or "document")[:80].rjust(2, "x")


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError) as exc:
        raise KnowledgeError(f"{path}: cannot read PDF: {exc}") from exc


def _first_error(path: Path, exc: ValidationError) -> KnowledgeError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    if err.get("type") == "union_tag_invalid":
        tag = (err.get("ctx") or {}).get("tag", "?")
        msg = f"unknown constraint kind {tag!r} (known: {', '.join(CONSTRAINT_KINDS)})"
    elif err.get("type") == "union_tag_not_found":
        msg = f"constraint without 'kind' (known: {', '.join(CONSTRAINT_KINDS)})"
    else:
        msg = err.get("msg", "invalid")
    # Drop pydantic's union member name from the location ("constraints.0.max_value.value").
    loc = re.sub(r"\.(max_value|min_value|sum_at_most|min_share)(?=\.|$)", "", loc)
    return KnowledgeError(f"{path}: front-matter {loc or 'value'}: {msg}")


def parse_text(text: str, path: Path) -> Document:
    """Parse one document's text; every problem is a KnowledgeError naming `path`."""
    meta: dict[str, Any] = {}
    body = text
    if text.lstrip("\ufeff").startswith("---"):
        match = _FRONT.match(text.lstrip("\ufeff"))
        if not match:
            raise KnowledgeError(f"{path}: front-matter starts with '---' but never ends")
        try:
            loaded = yaml.load(match.group(1), Loader=_Loader)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise KnowledgeError(f"{path}: front-matter is not valid YAML: {problem}") from exc
        if not isinstance(loaded, dict):
            raise KnowledgeError(f"{path}: front-matter must be a mapping of fields")
        meta = loaded
        body = text.lstrip("\ufeff")[match.end() :]
    if not body.strip():
        raise KnowledgeError(f"{path}: document is empty")
    if not meta:
        first = next((ln.strip("# ").strip() for ln in body.splitlines() if ln.strip()), "")
        meta = {"id": _slug(path.stem), "title": (first or path.stem)[:200].ljust(3, "."),
                "source": path.name.ljust(3, "."), "jurisdiction": "global"}  # fmt: skip
    try:
        return Document.model_validate({**meta, "body": body.strip(), "path": str(path)})
    except ValidationError as exc:
        raise _first_error(path, exc) from exc


def parse_document(path: str | Path) -> Document:
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise KnowledgeError(f"{p}: unsupported file type (use {', '.join(SUFFIXES)})")
    if p.suffix.lower() == ".pdf":
        if not p.is_file():
            raise KnowledgeError(f"{p}: no such file")
        return parse_text(_pdf_text(p), p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{p}: not UTF-8 text") from exc
    return parse_text(text, p)


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() in SUFFIXES and f.is_file())
        elif p.exists() or p.is_symlink():
            files.append(p)
        else:
            raise KnowledgeError(f"{p}: no such file or folder")
    return files


def load_documents(paths: Iterable[str | Path]) -> list[Document]:
    """Parse every document under `paths` (files or folders); ids must be unique."""
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for f in _expand(paths):
        doc = parse_document(f)
        if doc.id in seen:
            raise KnowledgeError(f"{f}: id '{doc.id}' is already used by {seen[doc.id]}")
        seen[doc.id] = str(f)
        docs.append(doc)
    return docs


def corpus_hash(documents: Iterable[Document], salt: str = "") -> str:
    """One hash for a whole corpus: changes when any document's content changes."""
    h = hashlib.sha256(salt.encode())
    for digest in sorted(d.content_hash() for d in documents):
        h.update(digest.encode())
    return h.hexdigest()


def data_dir() -> Path:
    """Where maestro keeps user data: $MAESTRO_DATA_DIR, else $XDG_DATA_HOME/maestro,
    else ~/.local/share/maestro."""
    configured = os.environ.get("MAESTRO_DATA_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local/share"
    return base / "maestro"


def user_corpus_dir() -> Path:
    return data_dir() / "knowledge" / "corpus"
