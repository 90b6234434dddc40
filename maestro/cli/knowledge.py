"""`maestro knowledge`: the regulatory corpus and its vector index.

    maestro knowledge add PATH... [--jurisdiction X] [--topic T]
    maestro knowledge list [--json -]
    maestro knowledge search "QUERY" [--k 3] [--jurisdiction X] [--topic T] [--json -]
    maestro knowledge rebuild

Added documents live in the data directory ($MAESTRO_DATA_DIR, else
~/.local/share/maestro) under knowledge/corpus; the index under knowledge/chroma, or on the
Chroma server named by $MAESTRO_CHROMA_URL. Every problem with a document or the store is one
line naming the file or URL, exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from maestro.cli.common import UserError, check_writable, console, write_json

knowledge_app = typer.Typer(
    help="The regulatory corpus: add documents, list them, search the index, rebuild it.",
    no_args_is_help=True,
)

JsonOpt = Annotated[
    str | None, typer.Option("--json", help="Write JSON to this path ('-' = stdout).")
]
JurisdictionOpt = Annotated[
    str | None,
    typer.Option(
        "--jurisdiction", help="Only rules that hold there (e.g. EU, DE, US), plus global ones."
    ),
]
TopicOpt = Annotated[
    list[str] | None, typer.Option("--topic", help="Only documents with this topic (repeatable).")
]


def _user_error(exc: Exception) -> UserError:
    return UserError(str(exc))


@knowledge_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Markdown, text or PDF files, or folders.")],
    jurisdiction: JurisdictionOpt = None,
    topic: TopicOpt = None,
) -> None:
    """Add documents to your corpus (validated first; nothing is written if one is bad)."""
    from maestro.knowledge import KnowledgeError
    from maestro.knowledge.ingest import add_documents

    try:
        docs = add_documents(paths, jurisdiction=jurisdiction, topics=topic or ())
    except KnowledgeError as exc:
        raise _user_error(exc) from exc
    for d in docs:
        typer.echo(f"added {d.id}  [{d.jurisdiction}]  {d.title}")
    console.print(f"{len(docs)} document(s) added; the index is rebuilt on the next search")


@knowledge_app.command("list")
def list_cmd(json_dest: JsonOpt = None) -> None:
    """The documents of the corpus: shipped ones and the ones you added."""
    from maestro.knowledge import KnowledgeError, load_documents
    from maestro.knowledge.store import corpus_paths

    if json_dest is not None:
        check_writable(json_dest)
    try:
        docs = load_documents(corpus_paths())
    except KnowledgeError as exc:
        raise _user_error(exc) from exc
    if json_dest is not None:
        rows: list[dict[str, Any]] = [
            {
                "id": d.id,
                "title": d.title,
                "source": d.source,
                "jurisdiction": d.jurisdiction,
                "topics": d.topics,
                "constraints": [c.model_dump(exclude_none=True) for c in d.constraints],
                "path": d.path,
            }
            for d in docs
        ]
        write_json(rows, json_dest)
        return
    width = max(len(d.id) for d in docs)
    for d in docs:
        typer.echo(f"{d.id:<{width}}  {d.jurisdiction:<6} {d.title}")
    console.print(f"{len(docs)} documents")


@knowledge_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("--k", help="How many documents to return.")] = 3,
    jurisdiction: JurisdictionOpt = None,
    topic: TopicOpt = None,
    json_dest: JsonOpt = None,
) -> None:
    """The passages that best answer QUERY, best first, with their sources."""
    from maestro.knowledge import KnowledgeError, open_knowledge

    if not 1 <= k <= 50:
        raise UserError(f"--k: must be 1..50, got {k}")
    if not query.strip():
        raise UserError("the search query is empty")
    if json_dest is not None:
        check_writable(json_dest)
    try:
        kb = open_knowledge()
        if not kb.ready():
            console.print("building the index (first use or the corpus changed)...")
        hits = kb.search(query, k=k, jurisdiction=jurisdiction, topics=topic)
    except KnowledgeError as exc:
        raise _user_error(exc) from exc
    if json_dest is not None:
        write_json(
            [
                {
                    "id": h.id,
                    "title": h.title,
                    "source": h.source,
                    "text": h.text,
                    "score": h.score,
                    "jurisdiction": h.jurisdiction,
                }  # fmt: skip
                for h in hits
            ],
            json_dest,
        )
        return
    if not hits:
        typer.echo("no matching passage")
    for rank, h in enumerate(hits, 1):
        typer.echo(f"{rank}. [{h.id}] {h.title}  (score {h.score:.3f})")
        typer.echo(f"   source: {h.source}  [{h.jurisdiction}]")
        for line in h.text.splitlines():
            typer.echo(f"   | {line}")
        typer.echo("")


@knowledge_app.command("rebuild")
def rebuild() -> None:
    """Build the index again from the corpus (it is otherwise rebuilt only on changes)."""
    import time

    from maestro.knowledge import KnowledgeError, open_knowledge

    start = time.perf_counter()
    try:
        kb = open_knowledge()
        kb.rebuild()
    except KnowledgeError as exc:
        raise _user_error(exc) from exc
    typer.echo(
        f"index rebuilt: {len(kb.documents)} documents in {time.perf_counter() - start:.1f} s "
        f"at {kb.location}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(knowledge_app, name="knowledge")
