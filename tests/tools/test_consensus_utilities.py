"""Utility specs: validation with field-naming errors, and the vectorised cost model."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from maestro.tools.consensus import (
    CostModel,
    LinearUtility,
    LogUtility,
    QuadraticUtility,
    parse_utility,
)


def test_scenario_style_dict_parses_by_kind() -> None:
    spec = parse_utility({"kind": "quadratic", "target": 40, "weight": 1.0})
    assert isinstance(spec, QuadraticUtility)
    assert (spec.target, spec.weight) == (40.0, 1.0)
    assert isinstance(parse_utility({"kind": "linear", "price": 0.5}), LinearUtility)
    log = parse_utility({"kind": "log", "weight": 30})
    assert isinstance(log, LogUtility) and log.offset == 1.0


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"kind": "quadratic", "target": 40, "weight": 0}, "weight", "greater than 0"),
        ({"kind": "quadratic", "target": 40, "weight": -1}, "weight", "greater than 0"),
        ({"kind": "quadratic", "target": float("nan")}, "target", "finite"),
        ({"kind": "quadratic", "target": float("inf")}, "target", "finite"),
        ({"kind": "quadratic"}, "target", "required"),
        ({"kind": "quadratic", "target": 40, "wieght": 2}, "wieght", "not permitted"),
        ({"kind": "linear"}, "price", "required"),
        ({"kind": "linear", "price": "cheap"}, "price", "number"),
        ({"kind": "log", "weight": 0}, "weight", "greater than 0"),
        ({"kind": "log", "offset": float("-inf")}, "offset", "finite"),
    ],
)
def test_invalid_specs_name_the_bad_field(data: dict, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_utility(data)
    err = info.value.errors()[0]
    assert err["loc"][-1] == field
    assert words in err["msg"].lower()


def test_unknown_kind_is_rejected_with_the_choices() -> None:
    with pytest.raises(ValidationError) as info:
        parse_utility({"kind": "cubic", "target": 1})
    msg = str(info.value)
    assert "cubic" in msg and "quadratic" in msg and "linear" in msg and "log" in msg


def test_specs_are_immutable() -> None:
    spec = QuadraticUtility(target=10)
    with pytest.raises(ValidationError):
        spec.target = 20


def _mixed() -> list[QuadraticUtility | LinearUtility | LogUtility]:
    return [
        LogUtility(weight=30, offset=2),
        QuadraticUtility(target=40, weight=2),
        LinearUtility(price=0.7),
        QuadraticUtility(target=90, weight=0.5),
        LogUtility(weight=5, offset=1),
        LinearUtility(price=-0.2),
    ]


def test_costs_follow_the_sign_convention() -> None:
    model = CostModel(_mixed())
    x = np.array([10.0, 50.0, 20.0, 80.0, 3.0, 5.0])
    expected = [
        -30 * np.log(12.0),  # a utility to maximise becomes a negative cost
        2 * 10.0**2,
        0.7 * 20.0,
        0.5 * 10.0**2,
        -5 * np.log(4.0),
        -0.2 * 5.0,
    ]
    np.testing.assert_allclose(model.costs(x), expected)
    assert model.value(x) == pytest.approx(sum(expected))


def test_gradient_matches_finite_differences() -> None:
    model = CostModel(_mixed())
    x = np.array([10.0, 50.0, 20.0, 80.0, 3.0, 5.0])
    h = 1e-6
    numeric = (model.costs(x + h) - model.costs(x - h)) / (2 * h)
    np.testing.assert_allclose(model.grad(x), numeric, rtol=1e-6, atol=1e-8)


def test_single_kind_uses_every_operator() -> None:
    model = CostModel([QuadraticUtility(target=t) for t in (10.0, 20.0, 30.0)])
    assert model.only_quadratic
    np.testing.assert_allclose(model.grad(np.zeros(3)), [-20.0, -40.0, -60.0])


@pytest.mark.parametrize("pull", [0.0, 0.3, 2.0])
@pytest.mark.parametrize("lam", [0.0, 0.25])
def test_response_zeroes_the_pulled_gradient(pull: float, lam: float) -> None:
    specs = [s for s in _mixed() if pull > 0 or not isinstance(s, LinearUtility)]
    model = CostModel(specs)
    m = 17.0
    x = model.response(m, lam, pull)
    if pull == 0.0 and lam == 0.0:
        # A QoS utility alone always wants more: its minimiser is unbounded.
        assert np.all(np.isinf(x[[i for i, s in enumerate(specs) if s.kind == "log"]]))
        return
    assert np.all(np.isfinite(x))
    residual = model.grad(x) + 2 * pull * (x - m) + lam
    np.testing.assert_allclose(residual, 0.0, atol=1e-9)


def test_linear_without_pull_goes_to_a_bound() -> None:
    model = CostModel([LinearUtility(price=1.0), LinearUtility(price=-1.0)])
    x = model.response(0.0, 0.0, 0.0)
    assert x[0] == -np.inf and x[1] == np.inf


def test_curvature_range_over_bounds() -> None:
    model = CostModel([QuadraticUtility(target=5, weight=3), LinearUtility(price=1),
                       LogUtility(weight=8, offset=1)])
    lo, hi = model.curvature_range(1.0, 3.0)
    np.testing.assert_allclose(lo, [6.0, 0.0, 8 / 16])
    np.testing.assert_allclose(hi, [6.0, 0.0, 8 / 4])
