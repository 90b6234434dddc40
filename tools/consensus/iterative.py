"""Eq. 1 of the MAESTRO paper: the distributed projected-gradient consensus.

    x_i(k+1) = P[ x_i(k) - eta * (grad U_i(x_i(k)) + grad_i U_0(x(k))) ]

P projects onto the feasible set (bounds, capacity, total capacity, common value). The loop
stops when max_i |x_i(k+1) - x_i(k)| < epsilon.

Divergence: with a stable step (eta < 2/L) every step lowers F = sum U_i + U_0. The solver
watches F; when it rises ``divergence_patience`` times, or an iterate stops being finite, it
stops and returns ``diverged=True`` with a ``reason`` and the last finite feasible iterate
(never NaN). Call :meth:`IterativeResult.raise_if_diverged` to turn that into a
:class:`DivergenceError` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .problem import ConsensusProblem

Array = npt.NDArray[np.float64]


class DivergenceError(RuntimeError):
    """The step size made eq. 1 unstable; the message says which eta and the stable limit."""


@dataclass(frozen=True)
class IterativeResult:
    """Outcome of :func:`solve_iterative`.

    ``value`` is the consensus: the common value when ``common``, else the mean of ``x``
    (``spread`` = max - min says how close the operators ended). ``trace`` has one row per
    iterate, row 0 being the start, so its shape is ``(iterations + 1, n)`` (empty with
    ``record_trace=False``).
    """

    x: Array
    value: float
    objective: float
    iterations: int
    converged: bool
    diverged: bool
    reason: str | None
    eta: float
    epsilon: float
    trace: Array = field(repr=False)

    @property
    def spread(self) -> float:
        return float(np.ptp(self.x))

    def raise_if_diverged(self) -> IterativeResult:
        """Return self, or raise :class:`DivergenceError` when the iteration blew up."""
        if self.diverged:
            raise DivergenceError(self.reason or "the iteration diverged")
        return self

    def to_dict(self, trace: bool = True) -> dict[str, Any]:
        """Plain JSON-ready data (the trace as a list of rows unless ``trace=False``)."""
        out: dict[str, Any] = {
            "x": self.x.tolist(),
            "value": self.value,
            "spread": self.spread,
            "objective": self.objective,
            "iterations": self.iterations,
            "converged": self.converged,
            "diverged": self.diverged,
            "reason": self.reason,
            "eta": self.eta,
            "epsilon": self.epsilon,
        }
        if trace:
            out["trace"] = self.trace.tolist()
        return out


def step(problem: ConsensusProblem, x: Any, eta: float | None = None) -> Array:
    """One eq. 1 update for every operator, projected onto the feasible set.

    An operator's next proposal given the mediator's feedback on the last round is
    ``step(problem, x_last, eta)[i]``. ``eta`` defaults to :meth:`ConsensusProblem.safe_step_size`.
    """
    xv = problem.as_vector(x)
    return _step(problem, xv, _check_eta(problem, eta))


def _step(problem: ConsensusProblem, x: Array, eta: float) -> Array:
    y = problem.gradient(x)  # a fresh array: update it in place into x - eta * grad
    y *= -eta
    y += x
    return problem.project(y)


def _check_eta(problem: ConsensusProblem, eta: float | None) -> float:
    if eta is None:
        return problem.safe_step_size()
    if not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    return float(eta)


def _start(problem: ConsensusProblem, x0: Any) -> Array:
    if x0 is None:
        # Everyone opens at the middle of the feasible range.
        return np.full(problem.n, 0.5 * (problem.lower + problem.hi))
    return problem.as_vector(x0, "x0")


def solve_iterative(
    problem: ConsensusProblem,
    x0: Any = None,
    eta: float | None = None,
    epsilon: float = 1e-9,
    max_iter: int = 10_000,
    record_trace: bool = True,
    divergence_patience: int = 10,
) -> IterativeResult:
    """Run eq. 1 from ``x0`` until ``max_i |dx| < epsilon`` or ``max_iter`` steps.

    ``x0`` (default: the middle of the range; a single number is shared by everyone) is
    projected onto the feasible set first, so every row of the trace is feasible. ``eta``
    defaults to the curvature-based safe step.
    Returns an :class:`IterativeResult`; a diverging step size yields ``diverged=True`` with a
    reason, not an exception and not NaN.
    """
    eta_v = _check_eta(problem, eta)
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon must be a finite number > 0, got {epsilon!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
    if divergence_patience < 1:
        raise ValueError(f"divergence_patience must be at least 1, got {divergence_patience!r}")

    x = problem.project(_start(problem, x0))
    trace = _Trace(x, max_iter) if record_trace else None
    f = problem.objective(x)
    rises, converged, reason = 0, False, None
    k = 0
    while k < max_iter:
        x_new = _step(problem, x, eta_v)
        f_new = problem.objective(x_new)
        if not np.isfinite(f_new):  # a NaN or inf anywhere in x_new lands here too
            reason = f"non-finite iterate at step {k + 1} with eta={eta_v:g}"
            break
        k += 1
        d = x_new - x
        dx = max(float(d.max()), -float(d.min()))
        if trace is not None:
            trace.append(x_new)
        if f_new > f + 1e-12 * max(1.0, abs(f)):
            rises += 1
        x, f = x_new, f_new
        if dx < epsilon:
            converged = True
            break
        if rises >= divergence_patience:
            reason = _unstable(problem, eta_v, rises, k)
            break
    limit = problem.stability_limit()
    at_limit = eta_v >= limit * (1.0 - 1e-9)
    if not converged and reason is None:
        if rises or at_limit:
            reason = _unstable(problem, eta_v, rises, k)
        else:
            reason = (
                f"no convergence within max_iter={max_iter}: the steps shrink too slowly "
                f"(eta={eta_v:g}, stability limit 2/L={limit:g}); raise max_iter or eta"
            )
    diverged = not converged and (rises > 0 or at_limit or (reason or "").startswith("non-finite"))
    value = float(x[0]) if problem.common else float(x.mean())
    return IterativeResult(
        x=x,
        value=value,
        objective=f,
        iterations=k,
        converged=converged,
        diverged=bool(diverged),
        reason=None if converged else reason,
        eta=eta_v,
        epsilon=epsilon,
        trace=trace.rows() if trace is not None else np.empty((0, problem.n)),
    )


class _Trace:
    """Iterates in one growing block: appending copies a row, no list of arrays to stack."""

    def __init__(self, x0: Array, max_iter: int) -> None:
        self._buf = np.empty((min(max_iter + 1, 64), x0.size))
        self._buf[0] = x0
        self._len = 1

    def append(self, x: Array) -> None:
        if self._len == self._buf.shape[0]:
            grown = np.empty((2 * self._len, self._buf.shape[1]))
            grown[: self._len] = self._buf
            self._buf = grown
        self._buf[self._len] = x
        self._len += 1

    def rows(self) -> Array:
        return self._buf[: self._len]


def _unstable(problem: ConsensusProblem, eta: float, rises: int, k: int) -> str:
    limit = problem.stability_limit()
    what = (
        f"the objective rose in {rises} of {k} steps"
        if rises
        else f"the iterates still oscillate after {k} steps"
    )
    return (
        f"diverged: {what} with eta={eta:g}; the stability limit 2/L is {limit:g} "
        f"(safe default {problem.safe_step_size():g})"
    )
