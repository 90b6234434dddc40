"""P9 / P3 quantization and Kleene logic: the paper's Table I and the connectives."""

import numpy as np
import pytest

from maestro.tools.drift import (
    KpiTarget,
    k_all,
    k_and,
    k_any,
    k_equiv,
    k_implies,
    k_not,
    k_or,
    load_policy,
    p9_to_p3,
    quantize,
    quantize_p9,
)

# Table I of the intent-assurance paper, target range [40, 70].
TABLE_I = [
    (10, -4, -1), (15, -3, -1), (25, -2, 0), (35, -1, 0), (40, 0, 1), (50, 0, 1), (65, 0, 1),
    (70, 0, 1), (71, 1, 0), (75, 1, 0), (80, 2, 0), (85, 3, -1), (90, 4, -1),
]


def test_table_i_vectorised() -> None:
    values = [v for v, _, _ in TABLE_I]
    p9 = quantize_p9(values, 40, 70)
    assert p9.tolist() == [p for _, p, _ in TABLE_I]
    assert p9_to_p3(p9).tolist() == [p for _, _, p in TABLE_I]


@pytest.mark.parametrize(("value", "p9", "p3"), TABLE_I)
def test_table_i_scalar(value: float, p9: int, p3: int) -> None:
    assert quantize(value, KpiTarget.of("cpu", {"range": [40, 70]})) == (p9, p3)


def test_nine_to_three_map() -> None:
    assert p9_to_p3(np.arange(-4, 5)).tolist() == [-1, -1, 0, 0, 1, 0, 0, -1, -1]
    with pytest.raises(ValueError):
        p9_to_p3([5])


def test_single_bounds_and_exact() -> None:
    # at most 20: 30 is 50 % over the bound, beyond the last upper edge (0.25)
    assert quantize(30, KpiTarget.of("latency", {"max": 20})) == (4, -1)
    assert quantize(5, KpiTarget.of("latency", {"max": 20})) == (0, 1)
    # at least 50: 45 is 10 % under, within the first lower edge (0.25)
    assert quantize(45, KpiTarget.of("thpt", {"min": 50})) == (-1, 0)
    assert quantize(1e9, KpiTarget.of("thpt", {"min": 50})) == (0, 1)
    assert quantize(0, KpiTarget.of("status", 100)) == (-4, -1)
    assert quantize(100, KpiTarget.of("status", 100)) == (0, 1)


def test_zero_bound_does_not_divide_by_zero() -> None:
    # deviation measured in units when the violated bound is 0
    assert quantize(0.05, KpiTarget.of("loss", {"max": 0})) == (1, 0)
    assert quantize(3, KpiTarget.of("loss", {"max": 0})) == (4, -1)


def test_policy_changes_band_edges() -> None:
    wide = load_policy({"quantization": {"above": [0.5, 1.0, 2.0]}})
    assert quantize_p9(90, 40, 70, wide.quantization).item() == 1  # 28.6 % over: slightly
    absolute = load_policy({"quantization": {"scale": "absolute", "above": [5, 10, 15],
                                             "below": [5, 10, 15]}})
    assert quantize_p9([71, 80, 86, 35, 24], 40, 70, absolute.quantization).tolist() == [
        1, 2, 4, -1, -4]


def test_custom_nine_to_three_map() -> None:
    lax = load_policy({"quantization": {"p9_to_p3": {-4: -1, -3: 0, -2: 0, -1: 1, 0: 1, 1: 1,
                                                     2: 0, 3: 0, 4: -1}}})
    assert p9_to_p3([-3, -1, 1, 3], lax.quantization).tolist() == [0, 1, 1, 0]


def test_kleene_connectives() -> None:
    s = np.array([-1, 0, 1])
    a, b = np.meshgrid(s, s, indexing="ij")
    assert k_and(a, b).tolist() == [[-1, -1, -1], [-1, 0, 0], [-1, 0, 1]]
    assert k_or(a, b).tolist() == [[-1, 0, 1], [0, 0, 1], [1, 1, 1]]
    assert k_not(s).tolist() == [1, 0, -1]
    # implication: false -> anything is true; unknown -> unknown is unknown
    assert k_implies(a, b).tolist() == [[1, 1, 1], [0, 0, 1], [-1, 0, 1]]
    assert k_equiv(a, b).tolist() == [[1, 0, -1], [0, 0, 0], [-1, 0, 1]]
    assert int(k_all([1, 0, 1])) == 0 and int(k_all([1, -1, 0])) == -1
    assert int(k_any([-1, 0])) == 0
    assert k_all([[1, 1], [1, -1]], axis=1).tolist() == [1, -1]
    with pytest.raises(ValueError):
        k_and([2], [1])
