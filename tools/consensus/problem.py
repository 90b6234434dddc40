"""The negotiation as an optimisation problem: operators' costs, the mediator's term, limits.

Minimise ``F(x) = sum_i U_i(x_i) + U_0(x)`` over the feasible set, where U_0 is the mediator's
agreement pressure ``b * sum_i (x_i - mean(x))^2``; with ``common=True`` the agreement is hard
instead (all x_i equal: one negotiated number such as the cell throughput) and U_0 vanishes on
the feasible set. Feasible: ``lower <= x_i <= min(upper, capacity)`` and, for negotiations over
shares, ``sum_i x_i <= total_capacity``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from .projection import project_box, project_common
from .utilities import CostModel, LogUtility, UtilitySpec

Array = npt.NDArray[np.float64]

_Finite = Annotated[float, Field(allow_inf_nan=False)]


class ConsensusProblem(BaseModel):
    """Operators' costs (index i = 1..n, stored 0-based) plus the mediator's collective term."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    utilities: list[UtilitySpec] = Field(min_length=1)
    lower: _Finite
    upper: _Finite
    agreement_weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    common: bool = False
    capacity: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    total_capacity: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None

    _costs: CostModel = PrivateAttr()

    def __init__(
        self,
        utilities: Any = None,
        lower: Any = None,
        upper: Any = None,
        **data: Any,
    ) -> None:
        # Positional use reads like the maths: ConsensusProblem(specs, 0, 134, common=True).
        for name, value in (("utilities", utilities), ("lower", lower), ("upper", upper)):
            if value is not None:
                data[name] = value
        super().__init__(**data)

    @model_validator(mode="after")
    def _check_feasible(self) -> ConsensusProblem:
        if self.lower > self.upper:
            raise ValueError(f"lower ({self.lower:g}) must not exceed upper ({self.upper:g})")
        if self.capacity is not None and self.capacity < self.lower:
            raise ValueError(
                f"capacity ({self.capacity:g}) is below lower ({self.lower:g}): nothing is feasible"
            )
        n = len(self.utilities)
        if self.total_capacity is not None and self.total_capacity < n * self.lower - 1e-12:
            raise ValueError(
                f"total_capacity ({self.total_capacity:g}) is below {n} operators x lower "
                f"({self.lower:g}): nothing is feasible"
            )
        for i, spec in enumerate(self.utilities):
            if isinstance(spec, LogUtility) and spec.offset + self.lower <= 0:
                raise ValueError(
                    f"utilities.{i}: log offset ({spec.offset:g}) + lower ({self.lower:g}) must "
                    "be > 0, or the log utility is undefined at the lower bound"
                )
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._costs = CostModel(self.utilities)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A changed copy, validated again (the cost model and limits must follow the change)."""
        data = {**self.model_dump(), **(update or {})}
        return self.model_validate(data)

    # -- derived limits ------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.utilities)

    @property
    def costs(self) -> CostModel:
        """The vectorised cost model built once from ``utilities``."""
        return self._costs

    @property
    def hi(self) -> float:
        """Effective upper bound of each value: ``upper`` capped by the network ``capacity``.

        With a common value and a ``total_capacity`` each share is also at most total / n.
        """
        hi = self.upper if self.capacity is None else min(self.upper, self.capacity)
        if self.common and self.total_capacity is not None:
            hi = min(hi, self.total_capacity / self.n)
        return max(hi, self.lower)

    @property
    def total(self) -> float | None:
        """The sum constraint the projection must enforce (None when it cannot bind)."""
        if self.common or self.total_capacity is None:
            return None
        return None if self.n * self.hi <= self.total_capacity else self.total_capacity

    # -- the objective -------------------------------------------------------------------
    def agreement_cost(self, x: Array) -> float:
        """U_0: the mediator's agreement pressure (0 on the feasible set when ``common``)."""
        if self.common:
            return 0.0
        d = x - x.mean()
        return float(self.agreement_weight * (d @ d))

    def agreement_gradient(self, x: Array) -> Array:
        """grad_i U_0 = 2 b (x_i - mean(x)): the mediator's feedback to each operator.

        Zero when ``common``: the hard agreement acts through the projection instead.
        """
        if self.common or self.agreement_weight == 0.0:
            return np.zeros_like(x)
        return 2.0 * self.agreement_weight * (x - x.mean())

    def objective(self, x: Array) -> float:
        """F(x) = sum_i U_i(x_i) + U_0(x), the quantity eq. 1 descends."""
        return self._costs.value(x) + self.agreement_cost(x)

    def gradient(self, x: Array) -> Array:
        """grad U_i(x_i) + grad_i U_0(x) for every operator: the bracket of eq. 1."""
        g = self._costs.grad(x)
        if not self.common and self.agreement_weight > 0.0:
            pull = 2.0 * self.agreement_weight
            g += pull * x
            g -= pull * float(x.mean())
        return g

    def project(self, y: Array) -> Array:
        """Nearest feasible point: bounds, capacity, total capacity, and the common value."""
        if self.common:
            return project_common(y, self.lower, self.hi)
        return project_box(y, self.lower, self.hi, self.total)

    def is_feasible(self, x: Array, tol: float = 1e-9) -> bool:
        """True when ``x`` respects every constraint within ``tol``."""
        ok = bool(np.all(x >= self.lower - tol) and np.all(x <= self.hi + tol))
        if self.common:
            ok = ok and float(np.ptp(x)) <= tol
        if self.total_capacity is not None:
            ok = ok and float(x.sum()) <= self.total_capacity + tol * max(1.0, self.n)
        return ok

    def as_vector(self, x: Any, what: str = "x") -> Array:
        """Validate a user-given vector: one finite number per operator."""
        try:
            arr = np.asarray(x, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} must be a list of numbers: {exc}") from exc
        if arr.size == 1 and self.n > 1:
            arr = np.full(self.n, float(arr[0]))
        if arr.size != self.n:
            raise ValueError(f"{what} has {arr.size} values but there are {self.n} operators")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{what} contains a non-finite value")
        return arr

    # -- step sizes ----------------------------------------------------------------------
    def curvature(self) -> tuple[float, float]:
        """(mu, L): lower and upper bounds on the curvature eq. 1 sees over the feasible set.

        For a common value the step moves the shared value by eta * mean(grad), so the
        curvature is the operators' mean; otherwise it is bounded by the largest operator
        curvature plus the agreement term's 2b.
        """
        c_lo, c_hi = self._costs.curvature_range(self.lower, self.hi)
        if self.common:
            return float(c_lo.mean()), float(c_hi.mean())
        return float(c_lo.min()), float(c_hi.max()) + 2.0 * self.agreement_weight

    def stability_limit(self) -> float:
        """Largest step size for which eq. 1 is guaranteed to descend (2 / L); inf if flat."""
        _, big_l = self.curvature()
        return math.inf if big_l == 0.0 else 2.0 / big_l

    def safe_step_size(self) -> float:
        """A default eta from the curvature: 2 / (L + mu), the classic best fixed step.

        It stays below the stability limit 2 / L, and for quadratic costs with a common value
        it is the Newton step (one iteration lands on the optimum). With only linear costs
        (no curvature) it is the step that crosses the whole range in one move.
        """
        mu, big_l = self.curvature()
        if big_l > 0.0:
            # mu = 0 (a linear cost) would put 2 / (L + mu) right on the limit, where the
            # stiffest operator oscillates for ever; 1 / L keeps a margin.
            return 2.0 / (big_l + mu) if mu > 0.0 else 1.0 / big_l
        x = np.full(self.n, self.lower)
        g = np.abs(self.gradient(x))
        scale = float(g.mean()) if self.common else float(g.max())
        span = self.hi - self.lower
        return span / scale if scale > 0 and span > 0 else 1.0
