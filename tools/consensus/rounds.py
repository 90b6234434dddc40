"""Eq. 1 run the way the MAESTRO paper runs it: round by round, operators and mediator.

Each round the mediator reads every proposal and sends each operator the gradient of its
collective term at those proposals, grad_i U_0 = 2 b (x_i - mean(x)); each operator then
takes one step of eq. 1 on its own cost plus that feedback:

    x_i(k+1) = P[ x_i(k) - eta * (grad U_i(x_i(k)) + grad_i U_0(x(k))) ]

This is `solve_iterative` on the problem with a soft agreement term (`common=False`),
stopped after K rounds and kept with the messages each round costs (n proposals, n
feedbacks). The closed-form optimum of the hard agreement (one common value) stays the
reference the rounds are measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .optimum import theoretical_optimum
from .problem import ConsensusProblem


@dataclass(frozen=True)
class PaperRounds:
    """Proposals after each round (row 0: the starting intents) and what they cost."""

    trace: np.ndarray
    eta: float
    agreement_weight: float
    reference: float  # the closed-form common optimum
    epsilon: float

    @property
    def rounds(self) -> int:
        return int(self.trace.shape[0] - 1)

    @property
    def value(self) -> float:
        """The consensus after the last round: the mean of the proposals."""
        return float(self.trace[-1].mean())

    @property
    def spread(self) -> float:
        return float(np.ptp(self.trace[-1]))

    @property
    def agreed(self) -> bool:
        return self.spread <= self.epsilon

    @property
    def abs_error(self) -> float:
        return abs(self.value - self.reference)

    def messages(self) -> int:
        return 2 * self.trace.shape[1] * self.rounds

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "spread": self.spread,
            "agreed": self.agreed,
            "rounds": self.rounds,
            "eta": self.eta,
            "agreement_weight": self.agreement_weight,
            "reference": self.reference,
            "abs_error": self.abs_error,
            "messages": self.messages(),
            "trace": self.trace.tolist(),
        }


def paper_rounds(
    utilities: list[Any],
    lower: float,
    upper: float,
    start: Any,
    rounds: int,
    agreement_weight: float = 1.0,
    eta: float | None = None,
    epsilon: float = 1.0,
    capacity: float | None = None,
) -> PaperRounds:
    """Run `rounds` rounds of eq. 1 from `start` (one value per operator, or one shared).

    `eta` defaults to 1/L, L the largest curvature an operator sees (its own plus the
    agreement term's 2b): each step then moves at most to the operator's own best
    response, with no oscillation round to round. The result's `reference` is the
    closed-form common optimum over the same costs and bounds.
    """
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise ValueError(f"rounds must be a whole number >= 0, got {rounds!r}")
    soft = ConsensusProblem(
        utilities, lower, upper, agreement_weight=agreement_weight, capacity=capacity
    )
    hard = soft.model_copy(update={"common": True})
    step = 1.0 / soft.curvature()[1] if eta is None else float(eta)
    if not np.isfinite(step) or step <= 0:
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    x = soft.project(soft.as_vector(start, "start"))
    rows = [x.copy()]
    for _ in range(rounds):
        feedback = soft.agreement_gradient(x)  # the mediator's message to each operator
        own = soft.costs.grad(x)  # each operator's own gradient, at its own proposal
        x = soft.project(x - step * (own + feedback))
        rows.append(x.copy())
    reference = theoretical_optimum(hard).value
    return PaperRounds(np.array(rows), step, agreement_weight, reference, epsilon)
