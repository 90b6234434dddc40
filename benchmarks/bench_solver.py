"""Consensus solver (eq. 1): solve time for 10, 1,000 and 10,000 operators.

Prints, per problem family and size: iterations of eq. 1, the median wall time of the
iterative solve (with and without keeping the trace), the time of the independent theoretical
optimum, the time to build and validate the problem, and the largest distance between the
iterative result and the optimum. Target: 10,000 operators solved in under 100 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from maestro.tools.consensus import (
    ConsensusProblem,
    LinearUtility,
    LogUtility,
    QuadraticUtility,
    solve_iterative,
    theoretical_optimum,
)

SIZES = (10, 1_000, 10_000)
TARGET_MS = 100.0
Spec = Any  # a utility spec; the package resolves as Any for mypy (editable install)


def quadratics(n: int, rng: np.random.Generator) -> list[Spec]:
    targets, weights = rng.uniform(5, 130, n), rng.uniform(0.2, 3.0, n)
    return [QuadraticUtility(target=t, weight=w) for t, w in zip(targets, weights, strict=True)]


def mixed(n: int, rng: np.random.Generator) -> list[Spec]:
    out: list[Spec] = []
    for k in rng.integers(0, 3, n):
        if k == 0:
            out.append(QuadraticUtility(target=rng.uniform(10, 120), weight=rng.uniform(.01, .1)))
        elif k == 1:
            out.append(LinearUtility(price=rng.uniform(0.1, 1.0)))
        else:
            out.append(LogUtility(weight=rng.uniform(20, 80), offset=rng.uniform(5, 20)))
    return out


FAMILIES: list[tuple[str, Callable[[int, np.random.Generator], list[Spec]], dict[str, Any]]] = [
    ("quadratic, common value", quadratics, {"common": True}),
    ("quadratic, agreement b=1", quadratics, {"agreement_weight": 1.0}),
    ("quadratic, b=1 + total cap", quadratics, {"agreement_weight": 1.0, "total": 40.0}),
    ("mixed, common value", mixed, {"common": True}),
    ("mixed, agreement b=0.05", mixed, {"agreement_weight": 0.05}),
]


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median milliseconds over ``repeats`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def main() -> None:
    rng = np.random.default_rng(2024)
    print("Consensus solver, eq. 1 (projected gradient, safe default eta, epsilon 1e-9)")
    head = f"{'family':28} {'n':>6} {'iters':>6} {'solve ms':>9} {'no-trace':>9} "
    print(head + f"{'optimum ms':>10} {'build ms':>9} {'max|x-x*|':>10}")
    big: dict[str, float] = {}
    for name, make, settings in FAMILIES:
        for n in SIZES:
            kw = dict(settings)
            if "total" in kw:
                kw["total_capacity"] = kw.pop("total") * n
            specs = make(n, rng)
            build_ms, problem = timed(partial(ConsensusProblem, specs, 0, 134, **kw), 3)
            repeats = 5 if n < 10_000 else 3
            solve_ms, res = timed(partial(solve_iterative, problem, max_iter=100_000), repeats)
            bare_ms, _ = timed(
                partial(solve_iterative, problem, max_iter=100_000, record_trace=False), repeats
            )
            opt_ms, opt = timed(partial(theoretical_optimum, problem), repeats)
            err = float(np.max(np.abs(res.x - opt.x)))
            flag = "" if res.converged else f"  NOT CONVERGED: {res.reason}"
            print(
                f"{name:28} {n:>6} {res.iterations:>6} {solve_ms:>9.2f} {bare_ms:>9.2f} "
                f"{opt_ms:>10.2f} {build_ms:>9.2f} {err:>10.1e}{flag}"
            )
            if n == 10_000:
                big[name] = solve_ms
    print()
    for name, ms in big.items():
        verdict = "meets" if ms < TARGET_MS else "MISSES"
        print(f"10,000 operators, {name}: {ms:.1f} ms with trace ({verdict} the {TARGET_MS:g} ms "
              "target)")


if __name__ == "__main__":
    main()
