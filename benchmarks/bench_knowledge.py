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

    questions = [q.q for q in load_questions()]
    for q in questions[:5]:  # warm up
        kb.search(q)
    times, embed_times = [], []
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            kb.search(q, k=3)
            times.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            ef([q])
            embed_times.append(1000 * (time.perf_counter() - t0))
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"sentence-transformers import   {t_import:8.2f} s")
    print(f"embedding model load           {t_load:8.2f} s")
    print(f"index build ({len(kb.documents)} docs, {chunks} chunks) {t_build:6.2f} s")
    print(f"query p50 / p95 (warm, k=3)    {statistics.median(times):8.1f} / {p95:.1f} ms"
          f"   over {len(times)} queries")  # fmt: skip
    print(f"  of which query embedding p50 {statistics.median(embed_times):8.1f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
