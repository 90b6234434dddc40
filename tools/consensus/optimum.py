"""The theoretical optimum, computed without eq. 1: the reference everything is measured against.

Methods (``theoretical_optimum(problem, method=...)``):

- ``closed-form``: quadratic costs. With a common value it is the weight-averaged target
  ``sum a_i t_i / sum a_i`` clipped to the feasible range; with a finite agreement weight b
  the stationarity system ``2a_i (x_i - t_i) + 2b (x_i - m) = 0`` solves in O(n) through the
  mean m. Used when no bound binds; otherwise ``kkt`` takes over.
- ``kkt``: exact for every kind. Holding the mean m (and the total-capacity price lam) fixed,
  each operator's KKT condition has a closed-form solution clipped to the bounds; the
  remaining one or two scalars are monotone roots found with Brent's method.
- ``scipy``: a general convex solver (L-BFGS-B, or SLSQP when the total binds) on F itself,
  kept as an independent cross-check for small problems.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize

from .problem import ConsensusProblem

Array = npt.NDArray[np.float64]
Method = Literal["auto", "closed-form", "kkt", "scipy"]

_XTOL = 1e-13


@dataclass(frozen=True)
class Optimum:
    """Minimiser of ``sum_i U_i + U_0`` over the feasible set.

    ``value`` is the consensus: the common value when ``common``, else the mean of ``x``.
    ``multiplier`` is the price of the total capacity (0 when it does not bind).
    """

    x: Array
    value: float
    objective: float
    method: str
    multiplier: float = 0.0

    def abs_errors(self, values: Any) -> Array:
        """|values_i - x_i| per operator (a single number is compared with everyone)."""
        v = np.asarray(values, dtype=float).reshape(-1)
        return np.abs(np.broadcast_to(v, self.x.shape) - self.x)

    def to_dict(self) -> dict[str, Any]:
        return {
            "x": self.x.tolist(),
            "value": self.value,
            "objective": self.objective,
            "method": self.method,
            "multiplier": self.multiplier,
        }


def theoretical_optimum(problem: ConsensusProblem, method: Method = "auto") -> Optimum:
    """The collective optimum of ``problem`` by ``method`` (see the module docstring)."""
    if method not in ("auto", "closed-form", "kkt", "scipy"):
        raise ValueError(f"method must be auto, closed-form, kkt or scipy, got {method!r}")
    if method == "scipy":
        x, lam = _scipy(problem), 0.0
        name = "scipy"
    elif method in ("auto", "closed-form") and problem.costs.only_quadratic:
        closed = _closed_form(problem)
        if closed is not None:
            x, lam, name = closed, 0.0, "closed-form"
        elif method == "closed-form":
            raise ValueError("no closed form: a bound or the total binds with agreement pressure")
        else:
            x, lam, name = *_kkt(problem), "kkt"
    elif method == "closed-form":
        raise ValueError("the closed form needs quadratic costs only; use kkt or scipy")
    else:
        x, lam, name = *_kkt(problem), "kkt"
    return _optimum(problem, x, name, lam)


def _optimum(problem: ConsensusProblem, x: Array, method: str, lam: float) -> Optimum:
    value = float(x[0]) if problem.common else float(x.mean())
    return Optimum(x, value, problem.objective(x), method, lam)


def _closed_form(problem: ConsensusProblem) -> Array | None:
    c = problem.costs
    a, t = c.q_weight, c.q_target
    lo, hi = problem.lower, problem.hi
    if problem.common:
        value = float(a @ t / a.sum())
        return np.full(problem.n, min(max(value, lo), hi))
    b = problem.agreement_weight
    if b == 0.0:
        x = np.clip(t, lo, hi)
    else:
        # 2a_i (x_i - t_i) + 2b (x_i - m) = 0  =>  x_i = (a_i t_i + b m) / (a_i + b),
        # and averaging both sides fixes m.
        share = a / (a + b)
        m = float(np.mean(share * t) / np.mean(share))
        x = share * t + (1.0 - share) * m
        if x.min() < lo or x.max() > hi:
            return None
    if problem.total_capacity is not None and x.sum() > problem.total_capacity:
        return None
    return x


def _kkt(problem: ConsensusProblem) -> tuple[Array, float]:
    if problem.common:
        return _kkt_common(problem), 0.0
    x = _kkt_given_price(problem, 0.0)
    total = problem.total
    if total is None or x.sum() <= total:
        return x, 0.0
    lam = _price_for_total(problem, total)
    x = _kkt_given_price(problem, lam)
    if abs(float(x.sum()) - total) > 1e-9 * max(1.0, abs(total)):
        # Linear costs without agreement pressure can make the total jump at the price
        # (ties); the generic solver settles how to split the remainder.
        return _scipy(problem), lam
    return x, lam


def _kkt_common(problem: ConsensusProblem) -> Array:
    """Shared value c: the root of G'(c) = sum_i U_i'(c), monotone because G is convex."""
    lo, hi, n = problem.lower, problem.hi, problem.n

    def slope(c: float) -> float:
        return float(problem.costs.grad(np.full(n, c)).sum())

    if hi <= lo or slope(lo) >= 0.0:
        c = lo
    elif slope(hi) <= 0.0:
        c = hi
    else:
        c = float(optimize.brentq(slope, lo, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps))
    return np.full(n, c)


def _kkt_given_price(problem: ConsensusProblem, lam: float) -> Array:
    """Optimal x when the total capacity costs ``lam`` per unit (no sum constraint)."""
    lo, hi, b = problem.lower, problem.hi, problem.agreement_weight
    costs = problem.costs
    if b == 0.0:
        return np.clip(costs.response(0.0, lam, 0.0), lo, hi)

    def gap(m: float) -> float:
        return float(np.clip(costs.response(m, lam, b), lo, hi).mean()) - m

    # gap(lo) >= 0 and gap(hi) <= 0 because every clipped response lies in [lo, hi].
    if hi <= lo or gap(lo) <= 0.0:
        m = lo
    elif gap(hi) >= 0.0:
        m = hi
    else:
        m = float(optimize.brentq(gap, lo, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps))
    return np.clip(costs.response(m, lam, b), lo, hi)


def _price_for_total(problem: ConsensusProblem, total: float) -> float:
    """Smallest price on the total that brings sum(x) down to ``total`` (monotone in price)."""
    lo, hi, b = problem.lower, problem.hi, problem.agreement_weight
    pull_to_lo = -problem.costs.grad(np.full(problem.n, lo))
    top = max(0.0, float(pull_to_lo.max())) + 2.0 * b * (hi - lo) + 1.0

    def excess(lam: float) -> float:
        return float(_kkt_given_price(problem, lam).sum()) - total

    while excess(top) > 0.0:  # safety net: the bound above should already suffice
        top *= 2.0
    return float(optimize.brentq(excess, 0.0, top, xtol=1e-14, rtol=4 * np.finfo(float).eps))


def _scipy(problem: ConsensusProblem) -> Array:
    lo, hi, n = problem.lower, problem.hi, problem.n
    if problem.common:

        def g(c: float) -> float:
            return problem.costs.value(np.full(n, c))

        if hi <= lo:
            return np.full(n, lo)
        res = optimize.minimize_scalar(
            g, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
        )
        return np.full(n, float(res.x))

    x0 = np.full(n, 0.5 * (lo + hi))
    if problem.total is not None:
        x0 = np.full(n, min(0.5 * (lo + hi), problem.total / n))
    bounds = [(lo, hi)] * n
    scale = max(1.0, abs(problem.objective(x0)))

    def fun(x: Array) -> float:
        return problem.objective(x) / scale

    def jac(x: Array) -> Array:
        return problem.gradient(x) / scale

    if problem.total is None:
        res = optimize.minimize(
            fun, x0, jac=jac, method="L-BFGS-B", bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20_000},
        )
    else:
        cap = float(problem.total)
        cons = {"type": "ineq", "fun": lambda x: cap - x.sum(), "jac": lambda x: -np.ones_like(x)}
        res = optimize.minimize(
            fun, x0, jac=jac, method="SLSQP", bounds=bounds, constraints=[cons],
            options={"ftol": 1e-15, "maxiter": 2_000},
        )
    x = np.clip(np.asarray(res.x, dtype=float), lo, hi)
    if not math.isfinite(float(x.sum())):
        raise RuntimeError(f"scipy did not find the optimum: {res.message}")
    return x


def operator_best_response(problem: ConsensusProblem, i: int, others_x: Any) -> float:
    """Operator i's best value given the others': argmin over x_i of U_i + U_0.

    ``others_x`` holds the other n - 1 values in order, or all n values (entry i ignored).
    Moving x_i shifts the mean too, so the agreement pull on i is ``b (n - 1) / n`` towards
    the others' mean. With a common value one operator cannot move it alone, so its best
    response is its own preferred value within the feasible range.
    """
    n = problem.n
    if not 0 <= i < n:
        raise ValueError(f"operator index {i} is out of range 0..{n - 1}")
    vals = np.asarray(others_x, dtype=float).reshape(-1)
    if vals.size == n - 1:
        vals = np.insert(vals, i, 0.0)
    x = problem.as_vector(vals, "others_x") if n > 1 else np.zeros(1)
    lo, hi = problem.lower, problem.hi
    if problem.common or n == 1:
        return float(np.clip(problem.costs.response(0.0, 0.0, 0.0)[i], lo, hi))
    rest = float(x.sum() - x[i])
    if problem.total_capacity is not None:
        hi = max(lo, min(hi, problem.total_capacity - rest))
    pull = problem.agreement_weight * (n - 1) / n
    return float(np.clip(problem.costs.response(rest / (n - 1), 0.0, pull)[i], lo, hi))
