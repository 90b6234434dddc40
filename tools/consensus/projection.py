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
    ``lam > 0`` that meets the total; ``sum(clip(y - lam))`` is piecewise linear in ``lam``, so
    the sorted breakpoints locate the right piece and a linear solve finishes it exactly.
    """
    x = np.clip(y, lower, upper)
    if total is None or float(x.sum()) <= total:
        return x
    lam = _shift_for_total(y, lower, upper, total)
    return np.clip(y - lam, lower, upper)


def _clipped_sums(ys: Array, prefix: Array, lower: float, upper: float, lam: Array) -> Array:
    """``sum(clip(ys - l, lower, upper))`` for each ``l`` in ``lam`` (``ys`` sorted ascending)."""
    n = ys.size
    at_lo = np.searchsorted(ys, lam + lower, side="right")  # ys - l <= lower
    below_hi = np.searchsorted(ys, lam + upper, side="left")  # ys - l < upper
    below_hi = np.maximum(below_hi, at_lo)
    free = below_hi - at_lo
    return (
        lower * at_lo + upper * (n - below_hi) + (prefix[below_hi] - prefix[at_lo]) - lam * free
    )


def _shift_for_total(y: Array, lower: float, upper: float, total: float) -> float:
    ys = np.sort(y)
    prefix = np.concatenate(([0.0], np.cumsum(ys)))
    breaks = np.concatenate((ys - upper, ys - lower))
    cand = np.unique(np.concatenate(([0.0], breaks[breaks > 0.0])))
    sums = _clipped_sums(ys, prefix, lower, upper, cand)
    # sums decreases with lam; sums[0] > total because the plain clip broke the total.
    j = int(np.searchsorted(-sums, -total, side="right")) - 1
    if j >= cand.size - 1:
        return float(cand[-1])
    slope = (sums[j] - sums[j + 1]) / (cand[j + 1] - cand[j])
    return float(cand[j] + (sums[j] - total) / slope)


def project_common(y: Array, lower: float, upper: float) -> Array:
    """Nearest point to ``y`` where all entries are equal and within bounds: the clipped mean."""
    return np.full(y.shape, min(max(float(y.mean()), lower), upper))
