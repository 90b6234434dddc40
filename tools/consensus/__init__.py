"""The consensus solver behind the optimizer unit: eq. 1 of the MAESTRO paper, no LLM.

Sign convention (used everywhere in this package): every U is a *cost* to minimise. An
operator's utility that it wants to maximise, such as QoS ``weight * log(offset + x)``, is
stored as the cost ``-weight * log(offset + x)``; the mediator's collective term U_0 is a
cost too. Eq. 1 is then plain projected gradient descent on ``F = sum_i U_i + U_0``:

    x_i(k+1) = P[ x_i(k) - eta * (grad U_i(x_i(k)) + grad_i U_0(x(k))) ]

and the theoretical optimum is the minimiser of F over the feasible set (bounds from the
topic and regulation, the network's capacity, optionally a total over shares).

Typical use::

    from maestro.tools.consensus import ConsensusProblem, solve_iterative, theoretical_optimum
    p = ConsensusProblem([{"kind": "quadratic", "target": 20}, {"kind": "quadratic",
                          "target": 100}], 0, 134, common=True)
    solve_iterative(p).value, theoretical_optimum(p).value   # both 60.0
"""

from .iterative import DivergenceError, IterativeResult, solve_iterative, step
from .optimum import Optimum, operator_best_response, theoretical_optimum
from .problem import ConsensusProblem
from .projection import project_box, project_common
from .rounds import PaperRounds, paper_rounds
from .utilities import (
    CostModel,
    LinearUtility,
    LogUtility,
    QuadraticUtility,
    UtilitySpec,
    parse_utility,
)

__all__ = [
    "ConsensusProblem",
    "CostModel",
    "DivergenceError",
    "IterativeResult",
    "LinearUtility",
    "LogUtility",
    "Optimum",
    "PaperRounds",
    "QuadraticUtility",
    "UtilitySpec",
    "operator_best_response",
    "paper_rounds",
    "parse_utility",
    "project_box",
    "project_common",
    "solve_iterative",
    "step",
    "theoretical_optimum",
]
