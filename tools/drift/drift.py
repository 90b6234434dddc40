"""Intent drift: how far operational KPIs are from their targets, and which way to move.

ΔK is measured to the nearest point of each KPI's target set (the violated bound; 0 inside a
range), so the error E = Σ δ² and the Euclidean distance are 0 exactly when the intent holds.
The gradient ∂E/∂k = 2 (k_o - k_t) says which way each KPI must move; the paper scales it by
the violated bound, 2 (k_o - bound) / bound, so that KPIs in different units compare (CPU 90
against [40, 70] gives 0.571; a collector whose values all read 0 gives -2 per KPI). KPIs
quantized as normal get gradient 0. Drift over time is the change of ΔK between evaluations.

The core works on arrays: KPIs on the last axis, any leading axes (time, resources, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .kpi import KpiTarget, compile_targets
from .policy import DriftPolicy, default_policy
from .quantize import band_scale, p9_levels

__all__ = [
    "Evaluation",
    "distance",
    "drift_over_time",
    "error",
    "evaluate",
    "evaluate_kpis",
    "kpi_gradient",
    "raw_gradient",
    "scaled_gradient",
]


@dataclass(frozen=True)
class Evaluation:
    """Vectorised result; every array has the shape of the operational values."""

    delta: NDArray[np.float64]  # k_o - k_t, k_t the nearest point of the target
    p9: NDArray[np.int8]
    p3: NDArray[np.int8]
    raw_gradient: NDArray[np.float64]  # 2 (k_o - k_t), 0 where normal
    scaled_gradient: NDArray[np.float64]  # raw / |violated bound|, 0 where normal

    def gradient(self, kind: str = "scaled") -> NDArray[np.float64]:
        return self.scaled_gradient if kind == "scaled" else self.raw_gradient

    def error(self) -> NDArray[np.float64]:
        """E = Σ δ² over the KPI axis (one value per evaluation)."""
        return error(self.delta)

    def distance(self) -> NDArray[np.float64]:
        """Euclidean distance over the KPI axis."""
        return distance(self.delta)

    def drift(self) -> NDArray[np.float64]:
        """Change of ΔK between consecutive evaluations (first axis is time)."""
        return drift_over_time(self.delta)


def evaluate(
    values: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    policy: DriftPolicy | None = None,
) -> Evaluation:
    """Quantize and measure many KPIs at once; ``lo``/``hi`` broadcast against ``values``.

    Raises ValueError on NaN or infinite values (the typed layer names the KPI first).
    """
    pol = default_policy() if policy is None else policy
    q = pol.quantization
    x = np.asarray(values, dtype=np.float64)
    lo_a = np.asarray(lo, dtype=np.float64)
    hi_a = np.asarray(hi, dtype=np.float64)
    if not np.isfinite(x).all():
        idx = np.unravel_index(int(np.argmax(~np.isfinite(x))), x.shape)
        raise ValueError(f"operational value at index {tuple(map(int, idx))} is not finite")
    if np.any(lo_a > hi_a):
        raise ValueError("a target range is inverted (lo > hi)")
    delta = x - np.clip(x, lo_a, hi_a)
    with np.errstate(invalid="ignore"):
        scale = band_scale(delta, lo_a, hi_a, q.scale)
    p9 = p9_levels(delta, scale, q)
    p3 = q.p3_table()[p9 + 4]
    raw = 2.0 * delta
    raw = np.where(p3 == 1, 0.0, raw)  # normal KPIs are excluded from the drift vector
    scaled = raw / (scale if q.scale == "bound" else band_scale(delta, lo_a, hi_a, "bound"))
    return Evaluation(delta=delta, p9=p9, p3=p3, raw_gradient=raw, scaled_gradient=scaled)


def evaluate_kpis(
    values: Mapping[str, ArrayLike],
    targets: Mapping[str, KpiTarget],
    policy: DriftPolicy | None = None,
) -> Evaluation:
    """Named convenience: values keyed like ``targets``; arrays get shape (time, KPI)."""
    lo, hi = compile_targets(targets)
    cols = [np.atleast_1d(np.asarray(values[name], dtype=np.float64)) for name in targets]
    return evaluate(np.stack(np.broadcast_arrays(*cols), axis=-1), lo, hi, policy)


def error(delta: ArrayLike) -> NDArray[np.float64]:
    """E(ΔK) = Σ δ_i² over the last axis."""
    d = np.asarray(delta, dtype=np.float64)
    return np.einsum("...i,...i->...", d, d)


def distance(delta: ArrayLike) -> NDArray[np.float64]:
    """Euclidean distance √E over the last axis."""
    return np.sqrt(error(delta))


def raw_gradient(value: float, target_value: float) -> float:
    """∂E/∂k_o = 2 (k_o - k_t)."""
    return 2.0 * (value - target_value)


def scaled_gradient(value: float, bound: float) -> float:
    """The paper's scaled gradient 2 (k_o - bound) / bound (raw when the bound is 0)."""
    return raw_gradient(value, bound) / (abs(bound) if bound else 1.0)


def kpi_gradient(value: float, target: KpiTarget, policy: DriftPolicy | None = None) -> float:
    """Scalar convenience: the drift-vector component of one KPI under the policy."""
    pol = default_policy() if policy is None else policy
    ev = evaluate(value, target.lower, target.upper, pol)
    return float(ev.gradient(pol.gradient))


def drift_over_time(delta: ArrayLike) -> NDArray[np.float64]:
    """Change of ΔK between consecutive evaluations along the first axis (time)."""
    d = np.asarray(delta, dtype=np.float64)
    if d.ndim == 0 or d.shape[0] < 2:
        return np.zeros((0, *d.shape[1:]))
    return np.diff(d, axis=0)
