"""The theoretical optimum: closed form, exact KKT reduction and a generic solver agree."""

from __future__ import annotations

import numpy as np
import pytest

from maestro.tools.consensus import (
    ConsensusProblem,
    LinearUtility,
    LogUtility,
    QuadraticUtility,
    operator_best_response,
    theoretical_optimum,
)


def test_closed_form_is_the_weighted_mean_clipped() -> None:
    specs = [QuadraticUtility(target=20, weight=1), QuadraticUtility(target=100, weight=1)]
    opt = theoretical_optimum(ConsensusProblem(specs, 0, 134, common=True))
    assert opt.method == "closed-form"
    assert opt.value == 60.0 and opt.x.tolist() == [60.0, 60.0]
    assert opt.objective == pytest.approx(2 * 40.0**2)
    low = theoretical_optimum(ConsensusProblem(specs, 70, 134, common=True))
    assert low.value == 70.0
    capped = theoretical_optimum(ConsensusProblem(specs, 0, 134, common=True, capacity=45))
    assert capped.value == 45.0


def test_closed_form_with_agreement_weight() -> None:
    # a = (1, 3), b = 1, t = (0, 100): x_i = (a_i t_i + b m) / (a_i + b).
    specs = [QuadraticUtility(target=0, weight=1), QuadraticUtility(target=100, weight=3)]
    opt = theoretical_optimum(ConsensusProblem(specs, -50, 150, agreement_weight=1.0))
    assert opt.method == "closed-form"
    m = opt.value
    np.testing.assert_allclose(opt.x, [(0 + m) / 2, (300 + m) / 4])
    assert m == pytest.approx(opt.x.mean())
    # m solves m = mean(x): m = (m/2 + (300 + m)/4) / 2  ->  m = 75 / (1 - 3/8) = 60.
    assert m == pytest.approx(60.0)


def test_binding_bound_falls_back_to_kkt_and_matches_scipy() -> None:
    specs = [QuadraticUtility(target=0, weight=1), QuadraticUtility(target=100, weight=3)]
    p = ConsensusProblem(specs, 35, 134, agreement_weight=1.0)  # unbounded: x_0 would be 30
    opt = theoretical_optimum(p)
    assert opt.method == "kkt"
    assert opt.x.min() == 35.0
    ref = theoretical_optimum(p, method="scipy")
    np.testing.assert_allclose(opt.x, ref.x, atol=1e-6)
    with pytest.raises(ValueError, match="no closed form"):
        theoretical_optimum(p, method="closed-form")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "kw",
    [
        {"common": True},
        {"agreement_weight": 0.1},
        {"agreement_weight": 0.0},
        {"agreement_weight": 0.1, "capacity": 60},
        {"agreement_weight": 0.1, "total_capacity": 150},
        {"agreement_weight": 0.0, "total_capacity": 150},
    ],
)
def test_kkt_and_scipy_agree_on_mixed_costs(seed: int, kw: dict) -> None:
    rng = np.random.default_rng(seed)
    specs = [
        QuadraticUtility(target=rng.uniform(0, 134), weight=rng.uniform(0.01, 0.2)),
        LinearUtility(price=rng.uniform(0.05, 1.0)),
        LogUtility(weight=rng.uniform(10, 80), offset=rng.uniform(1, 20)),
        QuadraticUtility(target=rng.uniform(0, 134), weight=rng.uniform(0.01, 0.2)),
        LogUtility(weight=rng.uniform(10, 80), offset=rng.uniform(1, 20)),
    ]
    p = ConsensusProblem(specs, 0, 134, **kw)
    kkt = theoretical_optimum(p)
    ref = theoretical_optimum(p, method="scipy")
    assert kkt.method == "kkt" and ref.method == "scipy"
    assert p.is_feasible(kkt.x)
    # The exact reduction is never worse than the generic solver, and they agree.
    assert kkt.objective <= ref.objective + 1e-9 * max(1.0, abs(ref.objective))
    assert kkt.objective == pytest.approx(ref.objective, rel=1e-7, abs=1e-7)
    np.testing.assert_allclose(kkt.x, ref.x, atol=1e-3)


def test_kkt_satisfies_the_optimality_conditions() -> None:
    specs = [LinearUtility(price=0.4), LogUtility(weight=40, offset=5),
             QuadraticUtility(target=120, weight=0.05)]
    p = ConsensusProblem(specs, 0, 134, agreement_weight=0.05, total_capacity=150)
    opt = theoretical_optimum(p)
    assert opt.multiplier > 0 and opt.x.sum() == pytest.approx(150.0)
    g = p.gradient(opt.x) + opt.multiplier
    free = (opt.x > p.lower + 1e-9) & (opt.x < p.hi - 1e-9)
    np.testing.assert_allclose(g[free], 0.0, atol=1e-8)
    assert np.all(g[opt.x <= p.lower + 1e-9] >= -1e-8)
    assert np.all(g[opt.x >= p.hi - 1e-9] <= 1e-8)


def test_log_and_linear_common_value_closed_form() -> None:
    # Two cost agents (0.5 and 0.25 per Mbps) against 90 log(20 + c): 90 / (20 + c) = 0.75.
    specs = [LinearUtility(price=0.5), LinearUtility(price=0.25), LogUtility(weight=90, offset=20)]
    opt = theoretical_optimum(ConsensusProblem(specs, 0, 134, common=True))
    assert opt.value == pytest.approx(100.0, abs=1e-9)


def test_closed_form_requires_quadratics() -> None:
    p = ConsensusProblem([LinearUtility(price=1)], 0, 10)
    with pytest.raises(ValueError, match="quadratic"):
        theoretical_optimum(p, method="closed-form")
    with pytest.raises(ValueError, match="method must be"):
        theoretical_optimum(p, method="newton")


def test_errors_against_the_optimum() -> None:
    specs = [QuadraticUtility(target=20), QuadraticUtility(target=100)]
    opt = theoretical_optimum(ConsensusProblem(specs, 0, 134, common=True))
    np.testing.assert_allclose(opt.abs_errors([52, 68]), [8.0, 8.0])
    np.testing.assert_allclose(opt.abs_errors(60), [0.0, 0.0])
    assert opt.to_dict()["method"] == "closed-form"


def test_best_response_balances_own_cost_and_the_mediator() -> None:
    specs = [QuadraticUtility(target=20), QuadraticUtility(target=100), QuadraticUtility(target=60)]
    p = ConsensusProblem(specs, 0, 134, agreement_weight=1.5)
    others = np.array([90.0, 40.0])
    br = operator_best_response(p, 0, others)
    assert br == operator_best_response(p, 0, [123.0, *others])  # full vector, entry ignored
    # Brute force over a fine grid of x_0 with the others fixed.
    grid = np.linspace(0, 134, 134_001)
    costs = [p.objective(np.array([g, *others])) for g in grid[::100]]
    coarse = grid[::100][int(np.argmin(costs))]
    fine = grid[(grid > coarse - 0.2) & (grid < coarse + 0.2)]
    best = fine[int(np.argmin([p.objective(np.array([g, *others])) for g in fine]))]
    assert br == pytest.approx(best, abs=2e-3)
    # At the optimum nobody gains by moving alone: a Nash point of the game.
    opt = theoretical_optimum(p)
    for i in range(3):
        assert operator_best_response(p, i, opt.x) == pytest.approx(opt.x[i], abs=1e-9)


def test_best_response_respects_the_remaining_total() -> None:
    specs = [LogUtility(weight=50, offset=1), QuadraticUtility(target=100)]
    p = ConsensusProblem(specs, 0, 134, agreement_weight=0.0, total_capacity=120)
    assert operator_best_response(p, 0, [100.0]) == pytest.approx(20.0)


def test_best_response_with_a_common_value_is_the_own_preference() -> None:
    specs = [QuadraticUtility(target=30), LogUtility(weight=10, offset=1)]
    p = ConsensusProblem(specs, 0, 134, common=True)
    assert operator_best_response(p, 0, [80.0]) == pytest.approx(30.0)
    assert operator_best_response(p, 1, [80.0]) == 134.0
    with pytest.raises(ValueError, match="out of range"):
        operator_best_response(p, 2, [1.0])
