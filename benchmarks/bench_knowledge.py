"""Regulatory knowledge base: embedding model load time, index build time for the shipped
corpus, and warm query latency (p50/p95) over the eval's questions.

    .venv/bin/python benchmarks/bench_knowledge.py [--repeat 3]

Runs in a temporary data directory so the user's store is untouched. Targets (issue 11):
query p50 < 30 ms on 2 cores with the index warm. Also prints the load average, since the
figures mean little on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    args = parser.parse_args()
    os.environ["MAESTRO_DATA_DIR"] = tempfile.mkdtemp(prefix="maestro-bench-kb-")
    os.environ.pop("MAESTRO_CHROMA_URL", None)
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")

    from maestro.knowledge.embedding import offline_environment

    offline_environment()  # no progress bars, no network, as in the CLI
    t0 = time.perf_counter()
    import sentence_transformers  # noqa: F401  (the import alone is most of the cold start)

    t_import = time.perf_counter() - t0
    from maestro.knowledge.embedding import embedding_function

    t0 = time.perf_counter()
    ef = embedding_function()
    t_load = time.perf_counter() - t0

    from maestro.evals.regulatory import load_questions
    from maestro.knowledge import open_knowledge
    from maestro.knowledge.chunking import chunk_document

    kb = open_knowledge(include_user=False)
    chunks = sum(len(chunk_document(d)) for d in kb.documents)
    t0 = time.perf_counter()
    kb.ensure()
    t_build = time.perf_counter() - t0

    from maestro.knowledge import store

    questions = [q.q for q in load_questions()]
    for q in questions[:5]:  # warm up
        kb.search(q)

    def timed(
        f: Callable[[str], object], queries: list[str], fresh: bool = True
    ) -> tuple[float, float]:
        """Best of `repeat` passes by median (the machine is shared): (p50, p95) in ms."""
        passes = []
        for _ in range(args.repeat):
            if fresh:
                store._queries.clear()  # every question new: its embedding is computed
            times = []
            for q in queries:
                t0 = time.perf_counter()
                f(q)
                times.append(1000 * (time.perf_counter() - t0))
            times.sort()
            passes.append((statistics.median(times), times[int(0.95 * (len(times) - 1))]))
        return min(passes)

    col = kb.ensure()
    vectors = {q: ef([q])[0] for q in questions}
    search = timed(lambda q: kb.search(q, k=2, jurisdiction="DE"), questions)
    embed = timed(store.query_embedder(), questions)  # what a search uses
    chroma = timed(
        lambda q: col.query(
            query_embeddings=[vectors[q]],
            n_results=12,
            where=store._where("DE", []),
            include=["documents", "metadatas", "distances"],
        ),
        questions,
    )
    # A negotiation asks its question every round: the embedding comes from the cache.
    same = [questions[0]] * len(questions)
    kb.search(same[0], k=2, jurisdiction="DE")
    repeated = timed(lambda q: kb.search(q, k=2, jurisdiction="DE"), same, fresh=False)
    print(f"sentence-transformers import   {t_import:8.2f} s")
    print(f"embedding model load           {t_load:8.2f} s")
    print(f"index build ({len(kb.documents)} docs, {chunks} chunks) {t_build:6.2f} s")
    print(f"new query p50 / p95 (k=2, DE)  {search[0]:8.1f} / {search[1]:.1f} ms"
          f"   best of {args.repeat} medians over {len(questions)} questions")  # fmt: skip
    print(f"  query embedding p50 / p95    {embed[0]:8.1f} / {embed[1]:.1f} ms")
    print(f"  Chroma query p50 / p95       {chroma[0]:8.1f} / {chroma[1]:.1f} ms")
    print(f"repeated query p50 / p95      {repeated[0]:8.1f} / {repeated[1]:.1f} ms"
          "   (cached embedding: Chroma and our code; a negotiation's every round)")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
