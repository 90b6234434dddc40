"""ConsensusProblem: validation, the mediator's term, feasible sets and their projections."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from maestro.tools.consensus import (
    ConsensusProblem,
    LinearUtility,
    LogUtility,
    QuadraticUtility,
    project_box,
)

Q = [{"kind": "quadratic", "target": 20}, {"kind": "quadratic", "target": 100}]


def test_positional_and_keyword_construction_agree() -> None:
    a = ConsensusProblem(Q, 0, 134, common=True)
    b = ConsensusProblem(utilities=Q, lower=0, upper=134, common=True)
    c = ConsensusProblem.model_validate({"utilities": Q, "lower": 0, "upper": 134, "common": True})
    assert a == b == c
    assert a.n == 2 and isinstance(a.utilities[0], QuadraticUtility)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"utilities": [], "lower": 0, "upper": 1}, "utilities"),
        ({"utilities": Q, "lower": 10, "upper": 5}, "lower (10) must not exceed upper (5)"),
        ({"utilities": Q, "lower": 0, "upper": float("inf")}, "upper"),
        ({"utilities": Q, "lower": 0, "upper": 9, "agreement_weight": -1}, "agreement_weight"),
        ({"utilities": Q, "lower": 5, "upper": 9, "capacity": 3}, "capacity (3) is below lower"),
        ({"utilities": Q, "lower": 0, "upper": 9, "capacity": 0}, "capacity"),
        ({"utilities": Q, "lower": 5, "upper": 9, "total_capacity": 8},
         "total_capacity (8) is below 2 operators x lower"),
        ({"utilities": [{"kind": "log", "offset": 1}], "lower": -1, "upper": 9},
         "utilities.0: log offset (1) + lower (-1) must be > 0"),
        ({"utilities": [{"kind": "quadratic", "target": 1, "weight": 0}], "lower": 0, "upper": 1},
         "utilities.0.quadratic.weight"),
        ({"utilities": Q, "lower": 0, "upper": 9, "comon": True}, "comon"),
    ],
)
def test_invalid_problems_say_what_is_wrong(kwargs: dict, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        ConsensusProblem(**kwargs)
    assert words in str(info.value)


def test_capacity_caps_the_upper_bound() -> None:
    p = ConsensusProblem(Q, 0, 134, capacity=100)
    assert p.hi == 100
    assert ConsensusProblem(Q, 0, 134, capacity=200).hi == 134
    # A common value split over shares: each share is at most total / n.
    assert ConsensusProblem(Q, 0, 134, common=True, total_capacity=100).hi == 50


def test_total_only_binds_when_it_can() -> None:
    assert ConsensusProblem(Q, 0, 50, total_capacity=100).total is None
    assert ConsensusProblem(Q, 0, 134, total_capacity=100).total == 100


def test_agreement_term_and_its_gradient() -> None:
    p = ConsensusProblem(Q, 0, 134, agreement_weight=0.5)
    x = np.array([30.0, 70.0])
    assert p.agreement_cost(x) == pytest.approx(0.5 * (20**2 + 20**2))
    np.testing.assert_allclose(p.agreement_gradient(x), [-20.0, 20.0])
    h = 1e-6
    num = [(p.objective(x + h * e) - p.objective(x - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(p.gradient(x), num, rtol=1e-7, atol=1e-5)


def test_common_value_has_no_agreement_gradient() -> None:
    p = ConsensusProblem(Q, 0, 134, common=True, agreement_weight=3)
    np.testing.assert_array_equal(p.agreement_gradient(np.array([1.0, 9.0])), [0.0, 0.0])


def test_common_projection_is_the_clipped_mean() -> None:
    p = ConsensusProblem(Q, 0, 134, common=True, capacity=60)
    np.testing.assert_allclose(p.project(np.array([10.0, 30.0])), [20.0, 20.0])
    np.testing.assert_allclose(p.project(np.array([100.0, 140.0])), [60.0, 60.0])


def _brute_projection(y: np.ndarray, lo: float, hi: float, total: float) -> np.ndarray:
    """Reference: bisection on the shift, independent of the breakpoint method."""
    a, b = 0.0, float(np.abs(y).max() + abs(lo) + abs(hi) + 1)
    for _ in range(200):
        mid = 0.5 * (a + b)
        if np.clip(y - mid, lo, hi).sum() > total:
            a = mid
        else:
            b = mid
    return np.clip(y - b, lo, hi)


@pytest.mark.parametrize("seed", range(8))
def test_box_projection_with_total_is_exact(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    y = rng.normal(50, 40, n)
    lo, hi = 0.0, 100.0
    total = float(rng.uniform(0, 1) * n * 60)
    x = project_box(y, lo, hi, total)
    assert x.min() >= lo and x.max() <= hi
    assert x.sum() <= total + 1e-9
    if np.clip(y, lo, hi).sum() > total:
        assert x.sum() == pytest.approx(total, abs=1e-9)
    np.testing.assert_allclose(x, _brute_projection(y, lo, hi, total), atol=1e-9)
    # Optimality of a projection: no feasible point is closer (spot check).
    for _ in range(20):
        z = project_box(rng.normal(50, 40, n), lo, hi, total)
        assert np.linalg.norm(y - x) <= np.linalg.norm(y - z) + 1e-9


def test_total_equal_to_floor_puts_everyone_at_lower() -> None:
    x = project_box(np.array([50.0, 80.0, 10.0]), 5.0, 100.0, 15.0)
    np.testing.assert_allclose(x, [5.0, 5.0, 5.0])


def test_vectors_are_checked() -> None:
    p = ConsensusProblem(Q, 0, 134)
    np.testing.assert_array_equal(p.as_vector(7), [7.0, 7.0])
    with pytest.raises(ValueError, match="x0 has 3 values but there are 2 operators"):
        p.as_vector([1, 2, 3], "x0")
    with pytest.raises(ValueError, match="non-finite"):
        p.as_vector([1, float("nan")])
    with pytest.raises(ValueError, match="list of numbers"):
        p.as_vector(["a", "b"])


def test_step_sizes_from_curvature() -> None:
    # Quadratic weights 1 and 1, b = 1: curvatures 2 and 2, plus 2b = 2 -> L = 4, mu = 2.
    p = ConsensusProblem(Q, 0, 134, agreement_weight=1)
    assert p.curvature() == (2.0, 4.0)
    assert p.stability_limit() == pytest.approx(0.5)
    assert p.safe_step_size() == pytest.approx(2 / 6)
    # Common value: the shared step sees the mean curvature; the default is a Newton step.
    pc = ConsensusProblem([QuadraticUtility(target=1, weight=1), QuadraticUtility(target=2,
                           weight=3)], 0, 10, common=True)
    assert pc.safe_step_size() == pytest.approx(1 / 4)
    # A linear cost has no curvature: the default keeps a margin below the limit.
    pl = ConsensusProblem([LinearUtility(price=1), QuadraticUtility(target=5)], 0, 10,
                          agreement_weight=0)
    assert pl.safe_step_size() == pytest.approx(0.5 * pl.stability_limit())
    # Only linear costs and no agreement pressure: flat, any step is stable.
    flat = ConsensusProblem([LinearUtility(price=2)], 0, 10, agreement_weight=0)
    assert flat.stability_limit() == float("inf")
    assert flat.safe_step_size() == pytest.approx(5.0)


def test_log_curvature_is_largest_at_the_lower_bound() -> None:
    p = ConsensusProblem([LogUtility(weight=9, offset=1)], 2, 5, agreement_weight=0)
    mu, big_l = p.curvature()
    assert big_l == pytest.approx(9 / 9) and mu == pytest.approx(9 / 36)


def test_feasibility_check() -> None:
    p = ConsensusProblem(Q, 0, 134, total_capacity=100)
    assert p.is_feasible(np.array([40.0, 60.0]))
    assert not p.is_feasible(np.array([50.0, 60.0]))
    assert not p.is_feasible(np.array([-1.0, 60.0]))
    pc = ConsensusProblem(Q, 0, 134, common=True)
    assert not pc.is_feasible(np.array([40.0, 60.0]))


def test_changed_copy_is_validated_and_rebuilt() -> None:
    p = ConsensusProblem(Q, 0, 134)
    q = p.model_copy(update={"utilities": [{"kind": "linear", "price": 1}], "upper": 50})
    assert q.n == 1 and q.costs.has_li and q.hi == 50
    with pytest.raises(ValidationError, match="must not exceed upper"):
        p.model_copy(update={"lower": 200})
