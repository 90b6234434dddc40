"""ΔK, distance, error and the drift gradient: the paper's VM and failed-collector examples."""

import numpy as np
import pytest

from maestro.tools.drift import (
    KpiTarget,
    distance,
    drift_over_time,
    error,
    evaluate,
    evaluate_kpis,
    kpi_gradient,
    load_policy,
    parse_targets,
    raw_gradient,
    scaled_gradient,
)

VM_TARGETS = parse_targets({
    "cpu": {"range": [40, 70]}, "ram": {"range": [40, 70]}, "storage": {"range": [40, 70]},
    "net": {"equals": 100}, "status": {"equals": 100},
})


def test_vm_example_scaled_gradient() -> None:
    ev = evaluate_kpis({"cpu": 90, "ram": 55, "storage": 80, "net": 100, "status": 100},
                       VM_TARGETS)
    # the paper prints 0.57 and 0.28 (cut after two decimals)
    assert ev.scaled_gradient[0].tolist() == pytest.approx([0.571, 0, 0.286, 0, 0], abs=5e-4)
    assert ev.scaled_gradient[0, 0] == pytest.approx(2 * 20 / 70)
    assert ev.scaled_gradient[0, 2] == pytest.approx(2 * 10 / 70)
    assert ev.raw_gradient[0].tolist() == [40, 0, 20, 0, 0]
    assert ev.delta[0].tolist() == [20, 0, 10, 0, 0]
    assert ev.error()[0] == 500 and ev.distance()[0] == pytest.approx(np.sqrt(500))
    assert ev.p9[0].tolist() == [4, 0, 2, 0, 0] and ev.p3[0].tolist() == [-1, 1, 0, 1, 1]


def test_failed_collector_is_minus_two_per_kpi() -> None:
    ev = evaluate_kpis(dict.fromkeys(VM_TARGETS, 0), VM_TARGETS)
    assert ev.scaled_gradient[0].tolist() == [-2, -2, -2, -2, -2]
    assert ev.p3[0].tolist() == [-1] * 5


def test_normal_kpis_have_zero_gradient_even_if_p9_is_not_zero() -> None:
    # a policy that calls "slightly" normal: such KPIs leave the drift vector
    lax = load_policy({"quantization": {"p9_to_p3": {-4: -1, -3: -1, -2: 0, -1: 1, 0: 1, 1: 1,
                                                     2: 0, 3: -1, 4: -1}}})
    ev = evaluate([75, 80], 40, 70, lax)
    assert ev.p9.tolist() == [1, 2]
    assert ev.scaled_gradient.tolist() == [0, pytest.approx(20 / 70)]
    assert ev.delta.tolist() == [5, 10]  # ΔK still measures the gap


def test_scalar_conveniences() -> None:
    assert raw_gradient(90, 70) == 40
    assert scaled_gradient(90, 70) == pytest.approx(0.5714, abs=1e-4)
    assert scaled_gradient(0, 40) == -2
    assert scaled_gradient(3, 0) == 6  # a zero bound falls back to the raw gradient
    cpu = KpiTarget.of("cpu", [40, 70])
    assert kpi_gradient(90, cpu) == pytest.approx(0.5714, abs=1e-4)
    assert kpi_gradient(90, cpu, load_policy({"gradient": "raw"})) == 40
    assert kpi_gradient(55, cpu) == 0


def test_distance_and_error_over_the_last_axis() -> None:
    d = np.array([[3.0, 4.0], [0.0, 0.0]])
    assert error(d).tolist() == [25, 0]
    assert distance(d).tolist() == [5, 0]


def test_many_kpis_and_time_series_at_once() -> None:
    rng = np.random.default_rng(7)
    lo = rng.uniform(0, 50, size=1000)
    hi = lo + rng.uniform(1, 50, size=1000)
    x = rng.uniform(-20, 120, size=(30, 1000))  # 30 evaluations of 1000 KPIs
    ev = evaluate(x, lo, hi)
    assert ev.p9.shape == (30, 1000) and ev.delta.shape == (30, 1000)
    inside = (x >= lo) & (x <= hi)
    assert (ev.p9[inside] == 0).all() and (ev.p9[~inside] != 0).all()
    assert np.sign(ev.p9).tolist() == np.sign(ev.delta).tolist()
    # the vectorised core agrees with the scalar path
    for t, i in [(0, 0), (5, 17), (29, 999)]:
        one = evaluate(x[t, i], lo[i], hi[i])
        assert int(one.p9) == ev.p9[t, i]
        assert float(one.scaled_gradient) == pytest.approx(ev.scaled_gradient[t, i])


def test_drift_over_time_is_the_change_of_delta() -> None:
    ev = evaluate_kpis({"cpu": [60, 75, 90], "ram": [55, 55, 30], "storage": 50,
                        "net": 100, "status": 100}, VM_TARGETS)
    assert ev.delta[:, :2].tolist() == [[0, 0], [5, 0], [20, -10]]
    assert ev.drift()[:, :2].tolist() == [[5, 0], [15, -10]]
    assert drift_over_time(np.zeros((1, 3))).shape == (0, 3)


def test_core_rejects_nan_and_inverted_ranges() -> None:
    with pytest.raises(ValueError, match="not finite"):
        evaluate([1.0, np.nan], 0, 2)
    with pytest.raises(ValueError, match="inverted"):
        evaluate([1.0], 3, 2)
