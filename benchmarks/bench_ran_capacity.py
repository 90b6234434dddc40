"""RAN capacity: how many capacity computations per second the radio side sustains.

Prints, per operation, calls (or evaluations) per second as the median of several runs:
scalar TBS, vectorised TBS over a million (PRB, MCS) pairs, a cold capacity table (every
CQI x PRB count of a cell), the cached scalar throughput lookup the emulator uses each
step, the vectorised lookup, the PRBs needed for a target, a policy from demands, one
scheduling step; then loading the three real traces and generating synthetic ones.
The emulator needs a few hundred capacity lookups per second; these are the margins.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from maestro.tools.ran.cell import (
    CellConfig,
    capacity_table,
    prbs_for_throughput,
    throughput_array,
    throughput_mbps,
)
from maestro.tools.ran.mobility import synthetic_trace
from maestro.tools.ran.slices import allocate_prbs, policy_for_throughput
from maestro.tools.ran.tbs import transport_block_size, transport_block_sizes
from maestro.tools.ran.traces import load_raca_trace

CELL = CellConfig.oai_band78()
REPEATS = 5


def rate(fn: Callable[[], object], per_call: int = 1, min_time: float = 0.2) -> float:
    """Median operations per second of `fn` (each call does `per_call` operations)."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start >= min_time / 4:
            break
        calls *= 2
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append(calls * per_call / (time.perf_counter() - start))
    return statistics.median(samples)


def show(label: str, value: float, unit: str) -> None:
    print(f"  {label:<58} {value:>14,.0f} {unit}")


def data_dir() -> Path | None:
    repo = Path(__file__).resolve().parents[1]
    for candidate in (repo.parent / "shared" / "data" / "raca-5g",
                      Path("/work/shared/data/raca-5g")):
        if candidate.is_dir():
            return candidate
    return None


def main() -> None:
    rng = np.random.default_rng(0)
    print("RAN capacity benchmark (testbed cell: n78, 40 MHz, 30 kHz, 106 PRB, 1 layer)")

    print("TBS (TS 38.214 5.1.3.2)")
    show("scalar transport_block_size(106, 28)", rate(lambda: transport_block_size(106, 28)),
         "calls/s")
    prbs = rng.integers(1, 276, 1_000_000)
    mcs = rng.integers(0, 29, 1_000_000)
    show("vectorised transport_block_sizes, 1e6 random (PRB, MCS)",
         rate(lambda: transport_block_sizes(prbs, mcs), per_call=prbs.size, min_time=1.0),
         "TBS/s")

    print("Capacity")

    def cold_table() -> None:
        capacity_table.cache_clear()
        capacity_table(CELL)

    show("cold capacity_table (16 CQI x 107 PRB counts)", rate(cold_table), "tables/s")
    capacity_table(CELL)
    show("throughput_mbps(cell, cqi=12) (cached table)",
         rate(lambda: throughput_mbps(CELL, 12)), "calls/s")
    show("throughput_mbps(cell, cqi=12, prbs=53)",
         rate(lambda: throughput_mbps(CELL, 12, 53)), "calls/s")
    cqis = rng.integers(0, 16, 1_000_000)
    shares = rng.integers(0, 107, 1_000_000)
    show("throughput_array, 1e6 random (CQI, PRBs)",
         rate(lambda: throughput_array(CELL, cqis, shares), per_call=cqis.size, min_time=1.0),
         "evaluations/s")
    show("prbs_for_throughput(cell, 12, 50 Mbps)",
         rate(lambda: prbs_for_throughput(CELL, 12, 50.0)), "calls/s")

    print("Slices")
    demands = {"cost": 20.0, "qos": 50.0, "iot": 5.0}
    show("policy_for_throughput, 3 slices", rate(lambda: policy_for_throughput(CELL, 12, demands)),
         "policies/s")
    policy = policy_for_throughput(CELL, 12, demands)
    need = {"cost": 40, "qos": 90, "iot": 3}
    show("allocate_prbs, 3 slices all busy", rate(lambda: allocate_prbs(policy, 106, need)),
         "steps/s")

    print("Traces")
    folder = data_dir()
    if folder is None:
        print("  real traces: folder not found, skipped")
    else:
        for path in sorted(folder.glob("*.csv")):
            rows = sum(1 for _ in path.open()) - 1
            start = time.perf_counter()
            trace = load_raca_trace(path)
            elapsed = time.perf_counter() - start
            show(f"load {path.name} ({rows} rows -> {len(trace)} s)", rows / elapsed, "rows/s")
    show("synthetic_trace, 1 hour at 30 km/h",
         rate(lambda: synthetic_trace(1, duration_s=3600), per_call=3600), "trace-seconds/s")


if __name__ == "__main__":
    main()
