"""Drift calculator throughput: KPI evaluations per second over 1,000,000 KPIs.

One evaluation = ΔK, P9, P3, raw and scaled gradient of one KPI against its own target
(the full vectorised core), plus, for the series case, the distance per evaluation and
the drift between evaluations. Target: >= 1,000,000 evaluations/s on this machine.
Run: .venv/bin/python benchmarks/bench_drift.py
"""

from __future__ import annotations

import time

import numpy as np

from maestro.tools.drift import assess_documents, default_policy, evaluate, quantize_p9

N = 1_000_000
REPEATS = 5


def best_of(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    policy = default_policy()
    lo = rng.uniform(0, 50, N)
    hi = lo + rng.uniform(1, 50, N)
    values = rng.uniform(-20, 120, N)  # about a third inside their target

    t = best_of(lambda: evaluate(values, lo, hi, policy))
    print(f"full evaluation, 1,000,000 independent KPIs: {t * 1e3:8.1f} ms "
          f"-> {N / t / 1e6:6.1f} M KPI evaluations/s")

    t = best_of(lambda: quantize_p9(values, lo, hi, policy.quantization))
    print(f"P9 quantization only,  1,000,000 KPIs:       {t * 1e3:8.1f} ms "
          f"-> {N / t / 1e6:6.1f} M KPI evaluations/s")

    # 1,000 KPIs observed over 1,000 evaluations (time series), with distance and drift
    series = values.reshape(1000, 1000)

    def run_series() -> None:
        ev = evaluate(series, lo[:1000], hi[:1000], policy)
        ev.distance()
        ev.drift()

    t = best_of(run_series)
    print(f"1,000 KPIs x 1,000 samples + distance/drift: {t * 1e3:8.1f} ms "
          f"-> {N / t / 1e6:6.1f} M KPI evaluations/s")

    # the whole assurance report of the paper's Table III scenario (scalar path, per call)
    kpis = {"cpu": [40, 70], "ram": [40, 70], "storage": [40, 70], "net": 100, "status": 100}
    targets = {"service": "netflow", "kpis": kpis, "subservices": ["collector1", "collector2"]}
    obs = {"subservices": {
        "collector1": {"cpu": 60, "ram": 60, "storage": 50, "net": 100, "status": 100},
        "collector2": {"cpu": 0, "ram": 0, "storage": 0, "net": 0, "status": 0}},
        "downtime": {"planned_days": 30, "down_minutes": 2}}
    t = best_of(lambda: [assess_documents(targets, obs, policy) for _ in range(100)])
    print(f"assurance report (Table III, 10 KPIs):       {t / 100 * 1e3:8.3f} ms per report")


if __name__ == "__main__":
    main()
