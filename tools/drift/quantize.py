"""9-ary quantization (P9), its 9-to-3 map and Kleene's strong three-valued logic.

P9 says how far a KPI is from its target in nine ordered bands (0 inside, ±1 slightly
outside ... ±4 very far); P3 folds them into normal (1), warning (0) and critical (-1), where
Kleene's connectives apply: the health of a set under conjunction is its worst member. Band
edges come from the policy; the defaults reproduce Table I of the intent-assurance paper.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .kpi import KpiTarget
from .policy import QuantizationPolicy, default_policy

__all__ = [
    "P3_LABELS",
    "P9_LABELS",
    "band_scale",
    "k_all",
    "k_and",
    "k_any",
    "k_equiv",
    "k_implies",
    "k_not",
    "k_or",
    "p9_levels",
    "p9_to_p3",
    "quantize",
    "quantize_p9",
]

P9_LABELS = {
    -4: "very low", -3: "low", -2: "slightly low", -1: "slightly below normal", 0: "normal",
    1: "slightly above normal", 2: "slightly high", 3: "high", 4: "very high",
}
P3_LABELS = {1: "normal", 0: "warning", -1: "critical"}


def _q(policy: QuantizationPolicy | None) -> QuantizationPolicy:
    return default_policy().quantization if policy is None else policy


def band_scale(
    delta: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    mode: Literal["bound", "absolute"] = "bound",
) -> NDArray[np.float64]:
    """The unit a deviation is measured in: |violated bound| (1 where it is 0), or 1."""
    if mode == "absolute":
        return np.ones_like(delta)
    bound = np.where(delta > 0, hi, lo)
    mag = np.abs(bound)
    return np.where((mag > 0) & np.isfinite(mag), mag, 1.0)


def p9_levels(
    delta: NDArray[np.float64],
    scale: NDArray[np.float64],
    policy: QuantizationPolicy | None = None,
) -> NDArray[np.int8]:
    """P9 from signed deviations (0 inside the target) and their scale; vectorised."""
    q = _q(policy)
    rel = np.abs(delta) / scale
    above = delta > 0
    level = (rel > 0).astype(np.int8)
    for e_up, e_down in zip(q.above, q.below, strict=True):
        # level 1 covers (0, e1], level 2 (e1, e2], level 3 (e2, e3], level 4 beyond e3
        level += rel > np.where(above, e_up, e_down)
    return np.where(delta < 0, -level, level).astype(np.int8)


def quantize_p9(
    values: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    policy: QuantizationPolicy | None = None,
) -> NDArray[np.int8]:
    """P9 of operational values against ``[lo, hi]`` (±inf for an open side); broadcasts."""
    q = _q(policy)
    x = np.asarray(values, dtype=np.float64)
    lo_a = np.asarray(lo, dtype=np.float64)
    hi_a = np.asarray(hi, dtype=np.float64)
    delta = x - np.clip(x, lo_a, hi_a)
    return p9_levels(delta, band_scale(delta, lo_a, hi_a, q.scale), q)


def p9_to_p3(p9: ArrayLike, policy: QuantizationPolicy | None = None) -> NDArray[np.int8]:
    """The 9-to-3 map: 1 normal, 0 warning, -1 critical."""
    p = np.asarray(p9)
    if p.size and (p.min() < -4 or p.max() > 4):
        raise ValueError("P9 levels lie in -4..4")
    return _q(policy).p3_table()[p.astype(np.intp) + 4]


def quantize(
    value: float, target: KpiTarget, policy: QuantizationPolicy | None = None
) -> tuple[int, int]:
    """Scalar convenience: ``(P9, P3)`` of one value against one target."""
    p9 = int(quantize_p9(value, target.lower, target.upper, policy))
    return p9, int(p9_to_p3(p9, policy))


# Kleene's strong three-valued logic over {-1 false/critical, 0 unknown/warning, 1 true/normal}.


def _states(x: ArrayLike) -> NDArray[np.int8]:
    a = np.asarray(x)
    if a.size and (a.min() < -1 or a.max() > 1):
        raise ValueError("3-ary states are -1, 0 and 1")
    return a.astype(np.int8)


def k_and(*states: ArrayLike) -> NDArray[np.int8]:
    """Conjunction: the minimum (one critical member makes the whole critical)."""
    return np.minimum.reduce([_states(s) for s in states])


def k_or(*states: ArrayLike) -> NDArray[np.int8]:
    """Disjunction: the maximum."""
    return np.maximum.reduce([_states(s) for s in states])


def k_not(state: ArrayLike) -> NDArray[np.int8]:
    """Negation: swaps normal and critical, leaves warning."""
    return -_states(state)


def k_implies(a: ArrayLike, b: ArrayLike) -> NDArray[np.int8]:
    """Kleene implication: ``not a or b``."""
    return np.maximum(-_states(a), _states(b))


def k_equiv(a: ArrayLike, b: ArrayLike) -> NDArray[np.int8]:
    """Equivalence: both implications hold."""
    return np.minimum(k_implies(a, b), k_implies(b, a))


def k_all(states: ArrayLike, axis: int | None = None) -> NDArray[np.int8]:
    """Conjunction over a set (an axis): the health of a set is its worst member."""
    return np.asarray(np.min(_states(states), axis=axis), dtype=np.int8)


def k_any(states: ArrayLike, axis: int | None = None) -> NDArray[np.int8]:
    """Disjunction over a set: its best member."""
    return np.asarray(np.max(_states(states), axis=axis), dtype=np.int8)
