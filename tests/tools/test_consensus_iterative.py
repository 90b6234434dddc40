"""Eq. 1 against the independent optimum, bounds and capacity, the trace, and divergence."""

from __future__ import annotations

import numpy as np
import pytest

from maestro.tools.consensus import (
    ConsensusProblem,
    DivergenceError,
    LinearUtility,
    LogUtility,
    QuadraticUtility,
    solve_iterative,
    step,
    theoretical_optimum,
)


def _quadratics(n: int, seed: int) -> list[QuadraticUtility]:
    rng = np.random.default_rng(seed)
    return [
        QuadraticUtility(target=t, weight=w)
        for t, w in zip(rng.uniform(5, 130, n), rng.uniform(0.2, 3, n), strict=True)
    ]


def _mixed(n: int, seed: int) -> list[QuadraticUtility | LinearUtility | LogUtility]:
    rng = np.random.default_rng(seed)
    out: list[QuadraticUtility | LinearUtility | LogUtility] = []
    for i in range(n):
        if i % 3 == 0:
            out.append(QuadraticUtility(target=rng.uniform(10, 120), weight=rng.uniform(.01, .1)))
        elif i % 3 == 1:
            out.append(LinearUtility(price=rng.uniform(0.1, 1)))
        else:
            out.append(LogUtility(weight=rng.uniform(20, 80), offset=rng.uniform(5, 20)))
    return out


QUAD_SETTINGS = [
    {"common": True},
    {"common": True, "capacity": 50},
    {"agreement_weight": 1.0},
    {"agreement_weight": 0.0},
    {"agreement_weight": 0.3, "capacity": 70},
    {"agreement_weight": 1.0, "total_capacity": "40n"},
]


def _settings(kw: dict, n: int) -> dict:
    return {k: (40.0 * n if v == "40n" else v) for k, v in kw.items()}


@pytest.mark.parametrize("n", [2, 5, 10, 1000])
@pytest.mark.parametrize("kw", QUAD_SETTINGS)
def test_quadratic_iteration_meets_the_optimum(n: int, kw: dict) -> None:
    p = ConsensusProblem(_quadratics(n, seed=n), 0, 134, **_settings(kw, n))
    res = solve_iterative(p)
    opt = theoretical_optimum(p)
    assert res.converged and not res.diverged and res.reason is None
    assert np.max(np.abs(res.x - opt.x)) < 1e-6
    assert abs(res.value - opt.value) < 1e-6
    assert p.is_feasible(res.x)
    assert res.objective == pytest.approx(opt.objective, rel=1e-9, abs=1e-9)


def test_weighted_mean_of_targets_is_the_common_value() -> None:
    # a = (3, 1), t = (20, 100): (3*20 + 1*100) / 4 = 40.
    p = ConsensusProblem([QuadraticUtility(target=20, weight=3),
                          QuadraticUtility(target=100, weight=1)], 0, 134, common=True)
    res = solve_iterative(p)
    assert res.value == pytest.approx(40.0, abs=1e-9)
    np.testing.assert_allclose(res.x, [40.0, 40.0], atol=1e-9)
    # The default step is a Newton step for quadratics: one move, then one to confirm.
    assert res.iterations <= 2


def test_common_value_is_clipped_to_the_cell_capacity() -> None:
    # Both want more than the testbed's 134 Mbps: the network's capacity decides.
    p = ConsensusProblem([QuadraticUtility(target=150), QuadraticUtility(target=170)], 0, 200,
                         common=True, capacity=134)
    res = solve_iterative(p)
    assert res.value == pytest.approx(134.0)
    assert np.all(res.trace <= 134.0)


def test_finite_agreement_pressure_leaves_a_spread() -> None:
    # a = 1 each, b = 1, t = (20, 100): x_i = (t_i + m) / 2 with m = 60 -> (40, 80).
    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134,
                         agreement_weight=1.0)
    res = solve_iterative(p)
    np.testing.assert_allclose(res.x, [40.0, 80.0], atol=1e-7)
    assert res.value == pytest.approx(60.0) and res.spread == pytest.approx(40.0, abs=1e-6)
    # Stronger pressure, b = 50: x_i = (t_i + 50 m) / 51, so the spread shrinks to 80 / 51.
    stronger = solve_iterative(p.model_copy(update={"agreement_weight": 50.0}))
    assert stronger.spread == pytest.approx(80 / 51, abs=1e-6)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 30])
@pytest.mark.parametrize(
    "kw",
    [
        {"common": True},
        {"agreement_weight": 0.05},
        {"agreement_weight": 0.0},
        {"agreement_weight": 0.05, "capacity": 60},
        {"agreement_weight": 0.05, "total_capacity": "30n"},
        {"common": True, "total_capacity": "30n"},
    ],
)
def test_mixed_utilities_meet_the_optimum(n: int, kw: dict) -> None:
    kw = {k: (30.0 * n if v == "30n" else v) for k, v in kw.items()}
    p = ConsensusProblem(_mixed(n, seed=100 + n), 0, 134, **kw)
    res = solve_iterative(p, epsilon=1e-10, max_iter=200_000, record_trace=False)
    opt = theoretical_optimum(p)
    assert res.converged, res.reason
    assert np.max(np.abs(res.x - opt.x)) < 1e-5
    assert p.is_feasible(res.x)
    assert res.objective >= opt.objective - 1e-9


def test_linear_cost_against_log_qos_has_the_textbook_answer() -> None:
    # Cost agent pays 1 per Mbps, QoS agent gains 60 log(10 + x): 60 / (10 + c) = 1 -> c = 50.
    p = ConsensusProblem([LinearUtility(price=1.0), LogUtility(weight=60, offset=10)], 0, 134,
                         common=True)
    res = solve_iterative(p)
    assert res.converged
    assert res.value == pytest.approx(50.0, abs=1e-6)


def test_linear_costs_alone_go_to_the_cheap_bound() -> None:
    p = ConsensusProblem([LinearUtility(price=1.0), LinearUtility(price=0.5)], 10, 134,
                         common=True)
    res = solve_iterative(p)
    assert res.converged and res.value == 10.0


def test_total_capacity_is_respected_along_the_way() -> None:
    p = ConsensusProblem(_quadratics(20, seed=3), 0, 134, agreement_weight=0.2,
                         total_capacity=600)
    res = solve_iterative(p, x0=130)
    assert res.converged
    assert np.all(res.trace.sum(axis=1) <= 600 + 1e-8)
    assert res.x.sum() == pytest.approx(600, abs=1e-6)
    assert np.all(res.trace >= 0) and np.all(res.trace <= 134)


def test_trace_holds_every_iterate() -> None:
    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134,
                         agreement_weight=1.0)
    res = solve_iterative(p, x0=[0, 134], eta=0.1)
    assert res.trace.shape == (res.iterations + 1, 2)
    np.testing.assert_array_equal(res.trace[0], [0.0, 134.0])
    np.testing.assert_allclose(res.trace[1], step(p, [0, 134], eta=0.1))
    np.testing.assert_array_equal(res.trace[-1], res.x)
    # Stopping rule: the last move is below epsilon, the one before is not.
    moves = np.max(np.abs(np.diff(res.trace, axis=0)), axis=1)
    assert moves[-1] < res.epsilon <= moves[-2]
    assert solve_iterative(p, record_trace=False).trace.shape == (0, 2)


def test_step_is_eq_1() -> None:
    p = ConsensusProblem([QuadraticUtility(target=20, weight=2), QuadraticUtility(target=100)],
                         0, 134, agreement_weight=0.5)
    x = np.array([50.0, 60.0])
    grad_own = np.array([2 * 2 * (50 - 20), 2 * 1 * (60 - 100)])
    grad_mediator = 2 * 0.5 * (x - x.mean())
    np.testing.assert_allclose(step(p, x, eta=0.1), x - 0.1 * (grad_own + grad_mediator))
    # Projection: a step past the bound stops at it.
    assert step(p, [0.0, 0.0], eta=10.0)[1] == 134.0


def test_infeasible_start_is_projected_first() -> None:
    p = ConsensusProblem([QuadraticUtility(target=20)], 0, 134)
    res = solve_iterative(p, x0=500)
    assert res.trace[0, 0] == 134.0 and res.converged


@pytest.mark.parametrize("common", [True, False])
@pytest.mark.parametrize("factor", [1.2, 3.0, 100.0])
def test_divergent_step_is_reported_not_returned_as_nan(common: bool, factor: float) -> None:
    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134,
                         common=common, agreement_weight=1.0)
    eta = factor * p.stability_limit()
    res = solve_iterative(p, eta=eta)
    assert res.diverged and not res.converged
    assert res.reason is not None and "diverged" in res.reason
    assert f"{eta:g}" in res.reason and f"{p.stability_limit():g}" in res.reason
    assert np.all(np.isfinite(res.x)) and np.all(np.isfinite(res.trace))
    assert p.is_feasible(res.x)
    assert res.iterations < 100  # stopped early, not after max_iter
    with pytest.raises(DivergenceError, match="stability limit"):
        res.raise_if_diverged()


def test_step_on_the_stability_limit_oscillates_and_is_reported() -> None:
    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134,
                         agreement_weight=1.0)
    res = solve_iterative(p, eta=p.stability_limit(), max_iter=500)
    assert res.diverged and res.reason is not None and "oscillate" in res.reason


def test_slow_step_is_not_called_divergence() -> None:
    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134,
                         common=True)
    res = solve_iterative(p, eta=1e-4, max_iter=50)
    assert not res.converged and not res.diverged
    assert res.reason is not None and "max_iter=50" in res.reason
    assert res.raise_if_diverged() is res


def test_just_below_the_limit_still_converges() -> None:
    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134,
                         agreement_weight=1.0)
    res = solve_iterative(p, eta=0.95 * p.stability_limit(), max_iter=5000)
    assert res.converged and not res.diverged
    np.testing.assert_allclose(res.x, [40.0, 80.0], atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eta": 0}, "eta must be a finite number > 0"),
        ({"eta": float("nan")}, "eta must be a finite number > 0"),
        ({"epsilon": -1}, "epsilon must be a finite number > 0"),
        ({"max_iter": 0}, "max_iter must be at least 1"),
        ({"x0": [1, 2, 3]}, "x0 has 3 values but there are 2 operators"),
        ({"divergence_patience": 0}, "divergence_patience"),
    ],
)
def test_bad_solver_settings_are_named(kwargs: dict, match: str) -> None:
    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134)
    with pytest.raises(ValueError, match=match):
        solve_iterative(p, **kwargs)


def test_result_serialises_to_plain_json() -> None:
    import json

    p = ConsensusProblem([QuadraticUtility(target=20), QuadraticUtility(target=100)], 0, 134,
                         common=True)
    data = solve_iterative(p).to_dict()
    text = json.dumps(data)
    assert json.loads(text)["value"] == pytest.approx(60.0)
    assert len(data["trace"]) == data["iterations"] + 1
    assert "trace" not in solve_iterative(p).to_dict(trace=False)
