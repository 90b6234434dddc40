"""The index: retrieval quality on a few written questions, filters, rebuild only on change,
no half-built collection, and a broken store reported as one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from maestro.evals.regulatory import load_questions
from maestro.knowledge import KnowledgeError, load_documents, shipped_corpus_dir
from maestro.knowledge.store import PREFIX, KnowledgeBase, connect

pytestmark = pytest.mark.integration

# A few questions of the eval, worded unlike the documents; each must find its document.
SAMPLE = [0, 12, 22, 31, 38, 45, 52, 60]


def sample_questions() -> list[Any]:
    questions = load_questions()
    return [questions[i] for i in SAMPLE]


def assert_retrieves(kb: Any) -> None:
    for q in sample_questions():
        ids = [p.id for p in kb.search(q.q, k=3)]
        assert q.doc in ids, (q.q, ids)


def test_questions_find_their_documents(kb: Any) -> None:
    assert_retrieves(kb)


def test_passages_carry_citations_and_constraints(kb: Any) -> None:
    hits = kb.search("sum of the minimum PRB ratios of slices on a cell", k=3)
    assert hits[0].id == "ts28541-rrm-policy-ratio"
    assert 0 < hits[0].score <= 1 and hits[0].score >= hits[-1].score
    assert "28.541" in hits[0].source and hits[0].text
    assert {c.kind for c in hits[0].constraints} == {"sum_at_most", "max_value", "min_value"}
    assert len({h.id for h in hits}) == len(hits)  # one passage per document


def test_filters(kb: Any) -> None:
    eu = kb.search("maximum transmit power of a base station", k=5, jurisdiction="DE")
    assert eu and all(h.jurisdiction in ("DE", "EU", "global") for h in eu)
    cbrs = kb.search("transmit power", k=5, topics=["cbrs"])
    assert cbrs and all("cbrs" in h.topics for h in cbrs)
    both = kb.search("licence", k=5, topics=["cbrs", "shared_access"])
    assert both and all({"cbrs", "shared_access"} & set(h.topics) for h in both)
    assert {"US", "UK"} <= {h.jurisdiction for h in both}
    with pytest.raises(KnowledgeError, match="empty"):
        kb.search("   ")


TINY = """---
id: tiny-{n}
title: Tiny document {n}
source: Test corpus, clause {n}
jurisdiction: global
topics: [test]
---
# Part one
{body}

# Part two
Second section of document {n}.
"""


def _tiny(folder: Path, n: int, body: str = "First section.") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"tiny-{n}.md").write_text(TINY.format(n=n, body=body), encoding="utf-8")


def test_rebuild_only_when_content_changes(tmp_path: Path) -> None:
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    for n in range(3):
        _tiny(corpus, n)
    client, where = connect(None, store)
    first = KnowledgeBase(load_documents([corpus]), client, where)
    assert not first.ready()
    first.ensure()
    assert first.built and first.ready()
    assert [c.name for c in client.list_collections()] == [first.collection_name]

    again = KnowledgeBase(load_documents([corpus]), client, where)  # same content: reused
    assert again.ready()
    again.search("second section", k=2)
    assert not again.built

    (corpus / "tiny-0.md").touch()  # a new mtime alone is no change
    assert KnowledgeBase(load_documents([corpus]), client, where).ready()

    _tiny(corpus, 1, body="Changed wording about spectrum.")
    changed = KnowledgeBase(load_documents([corpus]), client, where)
    assert changed.collection_name != first.collection_name and not changed.ready()
    hits = changed.search("changed wording about spectrum", k=1)
    assert changed.built and hits[0].id == "tiny-1" and "Changed wording" in hits[0].text
    names = [c.name for c in client.list_collections()]
    assert all(n.startswith(PREFIX) for n in names)  # no temporary collection left behind
    assert sorted(names) == sorted([first.collection_name, changed.collection_name])


def test_interrupted_build_leaves_no_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    _tiny(corpus, 0, body="Text embedded nowhere else (the chunk vector cache must miss).")
    client, where = connect(None, tmp_path / "store")
    kb = KnowledgeBase(load_documents([corpus]), client, where)
    from maestro.knowledge import store

    calls = {"n": 0}

    def failing(ef: Any, texts: list[str]) -> Any:
        calls["n"] += 1
        raise RuntimeError("disk full while embedding")

    monkeypatch.setattr(store, "_embed", failing)
    with pytest.raises(KnowledgeError, match="disk full"):
        kb.ensure()
    assert calls["n"] == 1
    assert client.list_collections() == []  # neither a half-built index nor a temp one
    assert not KnowledgeBase(load_documents([corpus]), client, where).ready()


def test_corrupted_store_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "broken"
    store.mkdir()
    (store / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(KnowledgeError) as info:
        connect(None, store)
    assert str(store) in str(info.value) and "\n" not in str(info.value)


def test_shipped_corpus_hash_is_stable() -> None:
    from maestro.knowledge.documents import corpus_hash

    a = corpus_hash(load_documents([shipped_corpus_dir()]))
    b = corpus_hash(list(reversed(load_documents([shipped_corpus_dir()]))))
    assert a == b


def test_locked_store_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from maestro.knowledge import store

    corpus, folder = tmp_path / "corpus", tmp_path / "store"
    _tiny(corpus, 0)
    client, where = connect(None, folder)
    KnowledgeBase(load_documents([corpus]), client, where).ensure()
    holder = sqlite3.connect(folder / "chroma.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the store
    monkeypatch.setattr(store, "LOCK_WAIT_S", 0.3)
    try:
        with pytest.raises(KnowledgeError) as info:
            connect(None, folder)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in str(info.value) and str(folder) in str(info.value)
    connect(None, folder)  # free again: opens


def test_embed_threads_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from maestro.knowledge.embedding import _limit_threads

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("MAESTRO_EMBED_THREADS", "two")
        with pytest.raises(KnowledgeError, match="MAESTRO_EMBED_THREADS"):
            _limit_threads()
        monkeypatch.delenv("MAESTRO_EMBED_THREADS")
        _limit_threads()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_repeated_query_is_embedded_once_and_the_size_asked_once(
    kb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maestro.knowledge import store

    real = store.query_embedder()
    embedded: list[str] = []

    def counting(text: str) -> Any:
        embedded.append(text)
        return real(text)

    counted = {"n": 0}
    col = kb.ensure()
    real_count = col.count

    def count() -> int:
        counted["n"] += 1
        return int(real_count())

    monkeypatch.setattr(store, "query_embedder", lambda: counting)
    monkeypatch.setattr(col, "count", count)
    monkeypatch.setattr(kb, "_total", None)
    store._queries.clear()
    query = "how many PRBs does a 40 MHz carrier at 30 kHz have"
    first = kb.search(query, k=2, jurisdiction="DE")
    again = kb.search(query, k=2, jurisdiction="DE")
    assert [p.id for p in first] == [p.id for p in again] and first
    assert embedded == [query]  # the second search used the remembered vector
    assert counted["n"] == 1


def test_the_query_embedder_gives_the_embedding_functions_vector(kb: Any) -> None:
    import numpy as np

    from maestro.knowledge.embedding import embedding_function, query_embedder

    for text in ("peak rate of a 100 MHz carrier", "may operators agree on prices?"):
        direct = np.asarray(query_embedder()(text))
        assert np.allclose(direct, np.asarray(embedding_function()([text])[0]), atol=1e-5)
