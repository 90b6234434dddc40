"""Optimizer unit: the numbers that steer the LLM, from eq. 1 (maestro.tools.consensus).

Mediator: computes the theoretical consensus over the operators' declared utilities (the
minimiser of sum_i U_i + U_0 with one common value, inside the topic bounds and the cell's
capacity) and, for each operator, the price lambda_i = -U_i'(c*) its collective term exerts
there. Feedback carries the consensus point and the price.

Operator: takes one step of eq. 1 per round, from its previous proposal, on its own view
of the problem,
    U_i(x) + lambda_i * x + b * (x - m)^2,
where m is the mediator's point, lambda_i its price and b the agreement weight. The last
term's gradient 2b (x - m) is the mediator's collective term grad_i U_0 with
U_0 = b * sum_j (x_j - mean)^2 (tools.consensus), evaluated at the mediator's point; the step
is 1/L of this view, so it never overshoots. With the mediator's price a quadratic or linear
cost lands on m in one step and a curved one approaches it round by round; without
feedback the operator opens with its own best value.

Guidance: `none` keeps the proposal out of the prompt (it is still the validation fallback);
`soft` shows it as advice; `hard` shows it as binding and validation enforces it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from maestro.agents.domain import Guidance, Topic
from maestro.agents.prompting import fmt
from maestro.agents.roles import preferred_value
from maestro.agents.turn import AgentTurn, Unit, contribution, unit_fact
from maestro.tools.consensus import (
    ConsensusProblem,
    CostModel,
    parse_utility,
    solve_iterative,
    theoretical_optimum,
)

RESOLUTION = 1e-6  # proposals are rounded to 1 bit/s when the unit is Mbps


def _round(value: float) -> float:
    return float(round(value / RESOLUTION) * RESOLUTION)


def _capacity(turn: AgentTurn) -> float | None:
    cap = unit_fact(turn, "observability", "capacity")
    return float(cap) if cap is not None else None


def consensus_problem(
    utilities: list[Any], topic: Topic, capacity: float | None = None, agreement_weight: float = 1.0
) -> ConsensusProblem:
    cap = capacity if capacity is not None and capacity > topic.lower else None
    return ConsensusProblem(
        [parse_utility(u) for u in utilities],
        topic.lower,
        topic.upper,
        common=True,
        capacity=cap,
        agreement_weight=agreement_weight,
    )


def theoretical_consensus(
    utilities: list[Any], topic: Topic, capacity: float | None = None
) -> dict[str, Any]:
    """The reference the LLM outcomes are measured against: exact optimum and eq. 1's result."""
    problem = consensus_problem(utilities, topic, capacity)
    exact = theoretical_optimum(problem)
    iterative = solve_iterative(problem, record_trace=False)
    return {
        "consensus": _round(exact.value),
        "method": exact.method,
        "iterative": {
            "value": iterative.value,
            "iterations": iterative.iterations,
            "converged": iterative.converged,
            "diverged": iterative.diverged,
        },
        "capacity": problem.capacity,
    }


def local_proposal(
    utility: Any,
    topic: Topic,
    point: float | None,
    price: float | None,
    weight: float,
    capacity: float | None = None,
    start: float | None = None,
) -> float:
    """One eq. 1 step on the operator's own view (module docstring), projected on the bounds."""
    spec = parse_utility(utility)
    hi = (
        min(topic.upper, capacity)
        if capacity is not None and capacity > topic.lower
        else topic.upper
    )
    lo = topic.lower
    costs = CostModel([spec])
    if point is None:
        problem = ConsensusProblem([spec], lo, hi, common=True)
        return _round(theoretical_optimum(problem).value)
    lam = price or 0.0
    pull = 2.0 * weight  # d/dx of b (x - m)^2: the same factor as grad_i U_0 = 2b (x_i - mean)
    _, c_hi = costs.curvature_range(lo, hi)
    eta = 1.0 / (float(c_hi[0]) + pull)  # 1/L: one step reaches at most the view's minimiser
    x = float(np.clip(start if start is not None else point, lo, hi))
    grad = float(costs.grad(np.array([x]))[0]) + lam + pull * (x - point)
    return _round(float(np.clip(x - eta * grad, lo, hi)))


def _operator_optimizer(turn: AgentTurn) -> dict[str, Any]:
    topic = Topic.model_validate(turn["topic"])
    spec = turn["spec"]
    feedback = (turn.get("inbox") or {}).get("feedback") or {}
    value = local_proposal(
        spec["utility"],
        topic,
        feedback.get("target_value"),
        feedback.get("price"),
        float(feedback.get("agreement_weight") or 1.0),
        _capacity(turn),
        turn.get("previous"),
    )
    guidance = Guidance(spec.get("guidance", "soft"))
    if guidance is Guidance.NONE:
        return {"context": {"optimizer": contribution([], optimizer_value=value)}}
    if guidance is Guidance.HARD:
        line = (
            f"Optimizer's required value for you: {fmt(value)} {topic.unit} (propose exactly this)."
        )
    else:
        line = f"Optimizer's recommended value for you: {fmt(value)} {topic.unit}."
    part = contribution([], closing=line, optimizer_value=value, suggested=value)
    return {"context": {"optimizer": part}}


def weighted_utility(utility: Any, factor: float) -> Any:
    """The utility with its pull scaled by `factor` (the arbitral unit's penalty weight)."""
    spec = parse_utility(utility)
    if factor == 1.0:
        return spec
    field = "price" if spec.kind == "linear" else "weight"
    return spec.model_copy(update={field: getattr(spec, field) * factor})


def _mediator_optimizer(turn: AgentTurn) -> dict[str, Any]:
    topic = Topic.model_validate(turn["topic"])
    if Guidance(turn["spec"].get("guidance", "soft")) is Guidance.NONE:
        return {}
    declared: dict[str, Any] = turn["inbox"]["declared"]
    ids = sorted(declared)
    # The mediator's point: a penalised operator's utility pulls less (arbitral weights),
    # and the point stays inside the regulatory constraints.
    weights: dict[str, float] = unit_fact(turn, "arbitral", "weights") or {}
    # An operator whose pull the penalties took to zero has no say in the point; when that
    # is every operator there is no point to steer to this round.
    ids = [i for i in ids if float(weights.get(i, 1.0)) > 0.0]
    if not ids:
        return {}
    utilities = [weighted_utility(declared[i], float(weights.get(i, 1.0))) for i in ids]
    reference = theoretical_consensus(utilities, topic, _capacity(turn))
    from maestro.agents.regulatory import within_constraints

    point = _round(within_constraints(turn, reference["consensus"])[0])
    grads = CostModel(utilities).grad(np.full(len(ids), point))
    # An arbitral price penalty raises the offender's eq. 1 price in its feedback.
    trust: dict[str, dict[str, Any]] = unit_fact(turn, "arbitral", "trust") or {}
    prices = {
        op: float(-g) * float((trust.get(op) or {}).get("price_factor", 1.0))
        for op, g in zip(ids, grads, strict=True)
    }
    line = (
        f"The optimizer's theoretical consensus is {fmt(point)} {topic.unit}: "
        "steer every operator towards it."
    )
    weight = float(turn["spec"].get("agreement_weight", 1.0))
    return {
        "context": {
            "optimizer": contribution(
                [line], consensus_point=point, prices=prices, agreement_weight=weight
            )
        }
    }


def make_optimizer_unit() -> Unit:
    def optimizer(turn: AgentTurn) -> dict[str, Any]:
        if turn["role"] == "mediator":
            return _mediator_optimizer(turn)
        return _operator_optimizer(turn)

    return Unit("optimizer", optimizer)


def final_errors(final: dict[str, float], consensus: float) -> dict[str, Any]:
    distance = {op: abs(v - consensus) for op, v in final.items()}
    return {
        "distance": distance,
        "mae": float(np.mean(list(distance.values()))) if distance else 0.0,
    }


__all__ = [
    "consensus_problem",
    "final_errors",
    "local_proposal",
    "make_optimizer_unit",
    "preferred_value",
    "theoretical_consensus",
]
