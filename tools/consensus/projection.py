"""Exact Euclidean projections onto the negotiation's feasible sets.

Projection is what keeps every iterate of eq. 1 inside what regulation and the network allow,
so it must be exact (no inner iteration to tune) and vectorised.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def project_box(y: Array, lower: float, upper: float, total: float | None = None) -> Array:
    """Nearest point to ``y`` with ``lower <= x_i <= upper`` and, if given, ``sum(x) <= total``.

    With the sum constraint active the answer is ``clip(y - lam, lower, upper)`` for the one
    ``lam > 0`` that meets the total. ``sum(clip(y - lam))`` is piecewise linear in ``lam``,
    so Newton steps (kept inside a shrinking bracket) land exactly on it once they reach the
    right piece, usually in a handful of O(n) passes.
    """
    x = np.maximum(y, lower)
    np.minimum(x, upper, out=x)
    if total is None or float(x.sum()) <= total:
        return x
    lam = _shift_for_total(y, lower, upper, total)
    x = y - lam
    np.maximum(x, lower, out=x)
    np.minimum(x, upper, out=x)
    return x


def _shift_for_total(y: Array, lower: float, upper: float, total: float) -> float:
    tol = 1e-13 * max(1.0, abs(total), float(np.abs(y).max()) * y.size)
    a, b = 0.0, float(y.max()) - lower  # sum(a) > total >= sum(b) = n * lower
    lam = a
    z = np.empty_like(y)
    for _ in range(200):
        np.subtract(y, lam, out=z)
        free = int(np.count_nonzero((z > lower) & (z < upper)))
        np.maximum(z, lower, out=z)
        np.minimum(z, upper, out=z)
        excess = float(z.sum()) - total
        if abs(excess) <= tol:
            return lam
        if excess > 0:
            a = lam
        else:
            b = lam
        if b - a <= 1e-15 * max(1.0, abs(b)):
            return b
        nxt = lam + excess / free if free else -1.0
        lam = nxt if a < nxt < b else 0.5 * (a + b)
    return b

def project_common(y: Array, lower: float, upper: float) -> Array:
    """Nearest point to ``y`` where all entries are equal and within bounds: the clipped mean."""
    return np.full(y.shape, min(max(float(y.mean()), lower), upper))
