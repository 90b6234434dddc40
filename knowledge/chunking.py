"""Split documents into heading-sized passages that carry the document's front-matter."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from maestro.knowledge.documents import Document

# Bump when the chunking changes: it is part of the corpus hash, so stores rebuild.
CHUNKER_VERSION = "1"
# MiniLM reads about 256 word pieces; longer sections are split on paragraphs.
MAX_CHARS = 900
_HEADING = re.compile(r"^(#{1,3})\s+(.*\S)\s*$")


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str  # what a reader sees: the heading and its section
    embed_text: str  # what is embedded: title and topics give short sections context
    metadata: dict[str, Any]


def _sections(body: str) -> list[tuple[str, str]]:
    heading = ""
    lines: list[str] = []
    out: list[tuple[str, str]] = []
    for line in body.splitlines():
        m = _HEADING.match(line)
        if m:
            if "\n".join(lines).strip():
                out.append((heading, "\n".join(lines).strip()))
            heading, lines = m.group(2), []
        else:
            lines.append(line)
    if "\n".join(lines).strip():
        out.append((heading, "\n".join(lines).strip()))
    return out


def _pieces(text: str) -> list[str]:
    if len(text) <= MAX_CHARS:
        return [text]
    pieces, current = [], ""
    for para in re.split(r"\n\s*\n", text):
        if current and len(current) + len(para) + 2 > MAX_CHARS:
            pieces.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        pieces.append(current)
    return pieces


def metadata_for(doc: Document) -> dict[str, Any]:
    """Chroma metadata holds scalars only: topics become one flag per topic for filtering."""
    meta: dict[str, Any] = {
        "doc_id": doc.id,
        "title": doc.title,
        "source": doc.source,
        "jurisdiction": doc.jurisdiction,
        "topics": ",".join(doc.topics),
        "constraints": json.dumps([c.model_dump(exclude_none=True) for c in doc.constraints]),
    }
    for t in doc.topics:
        meta[f"topic:{t}"] = True
    return meta


def chunk_document(doc: Document) -> list[Chunk]:
    meta = metadata_for(doc)
    chunks: list[Chunk] = []
    for heading, section in _sections(doc.body) or [("", doc.body)]:
        for piece in _pieces(section):
            shown = f"{heading}\n{piece}" if heading and heading != doc.title else piece
            embed = f"{doc.title}. {heading}. {' '.join(doc.topics)}\n{piece}"
            chunks.append(
                Chunk(
                    id=f"{doc.id}#{len(chunks)}",
                    text=shown,
                    embed_text=embed,
                    metadata={**meta, "heading": heading},
                )
            )
    return chunks
