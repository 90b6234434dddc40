"""Per-operator cost functions and their vectorised evaluation.

Every utility is stored as a *cost* (lower is better) so that eq. 1 is plain descent; a QoS
utility ``weight * log(offset + x)`` that an operator wants to maximise becomes the cost
``-weight * log(offset + x)``. Scenario files embed the specs as
``utility: {kind: quadratic, target: 40, weight: 1.0}``.

:class:`CostModel` groups operators by kind once, so evaluating thousands of mixed operators
is a handful of numpy operations, never a Python loop per operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Array = npt.NDArray[np.float64]

_Finite = Annotated[float, Field(allow_inf_nan=False)]
_Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuadraticUtility(_Spec):
    """Cost ``weight * (x - target)^2``: the operator wants ``target`` and minds the distance."""

    kind: Literal["quadratic"] = "quadratic"
    target: _Finite
    weight: _Positive = 1.0


class LinearUtility(_Spec):
    """Cost ``price * x``: a cost agent pays ``price`` per unit (a negative price is a gain)."""

    kind: Literal["linear"] = "linear"
    price: _Finite


class LogUtility(_Spec):
    """QoS utility ``weight * log(offset + x)``, stored as the cost ``-weight * log(offset + x)``.

    Diminishing returns: the first Mbps matter more than the last. ``offset + lower`` must be
    positive, which :class:`~maestro.tools.consensus.problem.ConsensusProblem` checks.
    """

    kind: Literal["log"] = "log"
    weight: _Positive = 1.0
    offset: _Finite = 1.0


UtilitySpec = Annotated[
    QuadraticUtility | LinearUtility | LogUtility, Field(discriminator="kind")
]
"""One operator's cost, chosen by ``kind``: ``quadratic``, ``linear`` or ``log``."""

_ADAPTER: TypeAdapter[QuadraticUtility | LinearUtility | LogUtility] = TypeAdapter(UtilitySpec)


def parse_utility(data: Any) -> QuadraticUtility | LinearUtility | LogUtility:
    """Validate one spec (a scenario dict, or a spec already); raises ValidationError."""
    return _ADAPTER.validate_python(data)


def _index(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp] | slice:
    """A slice when a kind covers everyone (cheaper than fancy indexing), else the indices."""
    return slice(None) if bool(mask.all()) else np.flatnonzero(mask)


class CostModel:
    """The operators' costs as parameter arrays grouped by kind, evaluated with numpy.

    ``value``, ``costs`` and ``grad`` take the full vector ``x`` (one entry per operator).
    ``response`` solves each operator's stationarity condition against a quadratic pull, the
    building block of the exact optimum and of best responses.
    """

    def __init__(self, specs: Sequence[QuadraticUtility | LinearUtility | LogUtility]) -> None:
        self.specs = tuple(specs)
        kinds = np.array([s.kind for s in specs])
        self.n = len(specs)
        q, li, lg = kinds == "quadratic", kinds == "linear", kinds == "log"
        self.q, self.li, self.lg = _index(q), _index(li), _index(lg)
        self.has_q, self.has_li, self.has_lg = bool(q.any()), bool(li.any()), bool(lg.any())
        self.q_target = np.array([s.target for s in specs if isinstance(s, QuadraticUtility)])
        self.q_weight = np.array([s.weight for s in specs if isinstance(s, QuadraticUtility)])
        self.li_price = np.array([s.price for s in specs if isinstance(s, LinearUtility)])
        self.lg_weight = np.array([s.weight for s in specs if isinstance(s, LogUtility)])
        self.lg_offset = np.array([s.offset for s in specs if isinstance(s, LogUtility)])
        self._q_curv = 2.0 * self.q_weight
        self._q_curv_t = self._q_curv * self.q_target
        self.only_quadratic = self.has_q and not (self.has_li or self.has_lg)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CostModel) and self.specs == other.specs

    __hash__ = None  # type: ignore[assignment]

    def costs(self, x: Array) -> Array:
        """Each operator's cost U_i(x_i)."""
        out = np.empty(self.n)
        if self.has_q:
            out[self.q] = self.q_weight * (x[self.q] - self.q_target) ** 2
        if self.has_li:
            out[self.li] = self.li_price * x[self.li]
        if self.has_lg:
            out[self.lg] = -self.lg_weight * np.log(self.lg_offset + x[self.lg])
        return out

    def value(self, x: Array) -> float:
        """Sum of the operators' costs (dot products: no per-operator temporary)."""
        total = 0.0
        if self.has_q:
            d = x[self.q] - self.q_target
            total += float((self.q_weight * d) @ d)
        if self.has_li:
            total += float(self.li_price @ x[self.li])
        if self.has_lg:
            total -= float(self.lg_weight @ np.log(self.lg_offset + x[self.lg]))
        return total

    def grad(self, x: Array) -> Array:
        """dU_i/dx_i for every operator (each cost depends on its own value only)."""
        if self.only_quadratic:  # the common case, in two vector operations
            g = self._q_curv * x
            g -= self._q_curv_t
            return g
        out = np.empty(self.n)
        if self.has_q:
            out[self.q] = self._q_curv * x[self.q] - self._q_curv_t
        if self.has_li:
            out[self.li] = self.li_price
        if self.has_lg:
            out[self.lg] = -self.lg_weight / (self.lg_offset + x[self.lg])
        return out

    def curvature_range(self, lower: float, upper: float) -> tuple[Array, Array]:
        """Per-operator bounds (min, max) of U_i'' over [lower, upper]: they set the step size."""
        lo, hi = np.zeros(self.n), np.zeros(self.n)
        if self.has_q:
            lo[self.q] = hi[self.q] = 2.0 * self.q_weight
        if self.has_lg:
            lo[self.lg] = self.lg_weight / (self.lg_offset + upper) ** 2
            hi[self.lg] = self.lg_weight / (self.lg_offset + lower) ** 2
        return lo, hi

    def response(self, m: float | Array, lam: float, pull: float | Array) -> Array:
        """Unclipped minimiser of ``U_i(x) + pull * (x - m)^2 + lam * x`` for every operator.

        With ``pull = 0`` a linear cost has no interior minimiser and the answer is -inf or
        +inf (a tie at ``price + lam = 0`` goes to -inf); clipping to the bounds finishes it.
        """
        m_arr = np.broadcast_to(np.asarray(m, dtype=float), (self.n,))
        p_arr = np.broadcast_to(np.asarray(pull, dtype=float), (self.n,))
        out = np.empty(self.n)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.has_q:
                b2, c = 2.0 * p_arr[self.q], 2.0 * self.q_weight
                out[self.q] = (c * self.q_target + b2 * m_arr[self.q] - lam) / (c + b2)
            if self.has_li:
                b2, s = 2.0 * p_arr[self.li], self.li_price + lam
                free = m_arr[self.li] - s / np.where(b2 > 0, b2, 1.0)
                out[self.li] = np.where(b2 > 0, free, np.where(s < 0, np.inf, -np.inf))
            if self.has_lg:
                out[self.lg] = self._log_response(m_arr[self.lg], lam, 2.0 * p_arr[self.lg])
        return out

    def _log_response(self, m: Array, lam: float, b2: Array) -> Array:
        # Stationarity -w/y + b2 (y - o - m) + lam = 0 with y = o + x > 0, i.e.
        # b2 y^2 + B y - w = 0 with B = lam - b2 (o + m); take the positive root, written
        # so that neither sign of B cancels digits.
        w, o = self.lg_weight, self.lg_offset
        big_b = lam - b2 * (o + m)
        disc = np.sqrt(big_b * big_b + 4.0 * b2 * w)
        safe_b2 = np.where(b2 > 0, b2, 1.0)
        y = np.where(big_b >= 0, 2.0 * w / (big_b + disc), (disc - big_b) / (2.0 * safe_b2))
        y = np.where(b2 > 0, y, np.where(lam > 0, w / max(lam, 1e-300), np.inf))
        return y - o
