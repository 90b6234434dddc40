"""KPI targets and values: every accepted form, and an error naming the KPI for each mistake."""

import math

import numpy as np
import pytest

from maestro.tools.drift import KpiError, KpiTarget, TargetKind, parse_operational, parse_targets


def test_target_forms() -> None:
    t = parse_targets({
        "a": {"range": [40, 70]}, "b": [1, 2], "c": {"min": 5}, "d": {"max": 9},
        "e": {"min": 1, "max": 3}, "f": {"equals": 100}, "g": 7,
        "h": {"bound": 20, "direction": "at_most"},
        "i": {"targetCondition": "IS_WITHIN_RANGE", "targetValueRange": [10, 20]},
        "j": {"targetCondition": "IS_GREATER_THAN", "targetValueRange": 50, "unit": "Mbps"},
    })
    kinds = {k: v.kind for k, v in t.items()}
    assert kinds == {
        "a": TargetKind.RANGE, "b": TargetKind.RANGE, "c": TargetKind.MIN, "d": TargetKind.MAX,
        "e": TargetKind.RANGE, "f": TargetKind.EXACT, "g": TargetKind.EXACT,
        "h": TargetKind.MAX, "i": TargetKind.RANGE, "j": TargetKind.MIN,
    }
    assert (t["c"].lower, t["c"].upper) == (5, math.inf)
    assert (t["d"].lower, t["d"].upper) == (-math.inf, 9)
    assert t["j"].unit == "Mbps" and t["j"].describe() == ">= 50 Mbps"
    assert parse_targets({"kpis": {"x": 1}})["x"].kind is TargetKind.EXACT


def test_round_trip_of_a_dumped_target() -> None:
    t = KpiTarget.of("cpu", {"range": [40, 70]})
    assert KpiTarget.model_validate(t.model_dump()) == t


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"cpu": {"range": [70, 40]}}, "inverted range"),
        ({"cpu": {}}, "missing target"),
        ({"cpu": None}, "missing target"),
        ({"cpu": {"range": [float("nan"), 70]}}, "NaN"),
        ({"cpu": {"max": float("inf")}}, "infinite"),
        ({"cpu": {"range": [40]}}, "[lo, hi]"),
        ({"cpu": {"range": [40, 70], "colour": 1}}, "unknown target field"),
        ({"cpu": {"bound": 3, "direction": "up"}}, "direction"),
        ({"cpu": {"min": "low"}}, "must be a number"),
        ({"cpu": {"targetCondition": "IS_ONE_OF", "targetValueRange": [1]}}, "not supported"),
        ({"cpu": True}, "number, a pair or a mapping"),
    ],
)
def test_bad_targets_name_the_kpi(spec: dict, needle: str) -> None:
    with pytest.raises(KpiError) as info:
        parse_targets(spec)
    assert info.value.kpi == "cpu"
    assert "KPI 'cpu'" in str(info.value) and needle in str(info.value)


TARGETS = parse_targets({"cpu": [40, 70], "ram": [40, 70]})


def test_operational_values_and_series() -> None:
    s = parse_operational({"cpu": 90, "ram": [50, 55, 60]}, TARGETS)
    assert s["cpu"].tolist() == [90, 90, 90]  # a number stands for a constant series
    assert s["ram"].tolist() == [50, 55, 60]


@pytest.mark.parametrize(
    ("values", "kpi", "needle"),
    [
        ({"cpu": 1, "ram": 2, "disk": 3}, "disk", "unknown KPI"),
        ({"cpu": 1}, "ram", "no operational value"),
        ({"cpu": float("nan"), "ram": 1}, "cpu", "NaN"),
        ({"cpu": [1, float("inf")], "ram": 1}, "cpu", "sample 1 is infinite"),
        ({"cpu": [1, 2], "ram": [1, 2, 3]}, "ram", "aligned"),
        ({"cpu": [], "ram": 1}, "cpu", "empty"),
        ({"cpu": "high", "ram": 1}, "cpu", "number"),
        ({"cpu": True, "ram": 1}, "cpu", "number"),
    ],
)
def test_bad_values_name_the_kpi(values: dict, kpi: str, needle: str) -> None:
    with pytest.raises(KpiError) as info:
        parse_operational(values, TARGETS)
    assert info.value.kpi == kpi and needle in str(info.value)


def test_compile_targets_bounds() -> None:
    from maestro.tools.drift import compile_targets

    lo, hi = compile_targets(parse_targets({"a": {"min": 1}, "b": {"max": 2}, "c": 3}))
    assert lo.tolist() == [1, -np.inf, 3] and hi.tolist() == [np.inf, 2, 3]
