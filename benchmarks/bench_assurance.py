"""Assurance loop costs: what one monitoring period, one assessment and one repair take.

Prints (no assertion; a timing is never a test):
- assessments per second of the paper's two-collector service (drift calculator alone);
- one loop period on the embedded edge runtime (probe both collectors, assess), median;
- detection-to-recovery of a killed collector with the scripted model (restart, validate,
  start), median over trials, and its share spent in the model vs. the executor;
- the same fulfil+assure run's Table IV beside the paper's 393 s and 89 s, as ratios.
Run: .venv/bin/python benchmarks/bench_assurance.py [--model scripted:assurance] [--trials 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from maestro.graphs.assurance_checks import drift_targets
from maestro.graphs.assurance_run import PAPER_TABLE_IV
from maestro.graphs.executor import InProcessExecutor
from maestro.tools.drift import assess_documents
from maestro.tools.intent import load_intent

INTENT = {
    "id": "netflow-west",
    "intent_type": "create_resource",
    "object_type": "collector",
    "contexts": {"Domain": "West"},
    "kpis": [
        {"name": "availability", "condition": "IS_EQUAL_TO_OR_GREATER_THAN", "value": [0.9999]}
    ],
}
HISTORY = [
    {"api": "get_domain", "success": True, "args": {}, "state": {"availability": 0.999}},
    {
        "api": "create",
        "success": True,
        "args": {"names": ["collector1", "collector2"]},
        "state": [],
    },
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="scripted:assurance")
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    intent = load_intent(INTENT)
    targets = drift_targets(intent, HISTORY)

    ex = InProcessExecutor()
    try:
        ex.call(
            "create",
            {"zone": "West", "count": 2, "size": "small", "names": ["collector1", "collector2"]},
        )
        ex.call("start", {"names": ["collector1", "collector2"], "service": "netflow"})
        observed = ex.observe()
        n = 2000
        t0 = time.perf_counter()
        for _ in range(n):
            assess_documents(targets, observed)
        per = (time.perf_counter() - t0) / n
        print(f"assessment of the 2-collector service: {per * 1e3:7.3f} ms -> {1 / per:8.0f}/s")
        periods = []
        for _ in range(50):
            t0 = time.perf_counter()
            assess_documents(targets, ex.observe())
            periods.append(time.perf_counter() - t0)
        print(
            f"one monitoring period (probe + assess), median: "
            f"{statistics.median(periods) * 1e3:7.2f} ms"
        )
    finally:
        ex.close()

    from maestro.evals.assurance_loop import loop_eval

    s = loop_eval(args.model, trials=args.trials, periods=6, period_s=0.2)
    for phase in ("fulfil", "assure"):
        row, paper = s["table_iv"][phase], PAPER_TABLE_IV[phase]
        share = row["llm_s"] / row["total_s"] if row["total_s"] else 0.0
        print(
            f"{phase:>7}: {row['policies']:.0f} policies, LLM {row['llm_s']:.3f} s, "
            f"execution {row['exec_s']:.3f} s, total {row['total_s']:.3f} s "
            f"(model share {share:.0%}); paper {paper['total_s']} s -> ratio "
            f"{paper['total_s'] / row['total_s']:.0f}x"
            if row["total_s"]
            else ""
        )
    print(f"outcomes over {args.trials} trials: {s['outcomes']}")


if __name__ == "__main__":
    main()
