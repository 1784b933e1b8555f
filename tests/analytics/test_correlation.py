"""Correlation core: the vectorised matrix equals scipy pair by pair; degenerate pairs say why."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from dagster_project.analytics.correlation import (
    _spearman_null,
    correlation_matrix,
    correlation_p_values,
    fisher_z_interval,
    pearson,
    point_biserial,
    spearman,
)


def _data_with_holes(seed: int = 3, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    x[:, 1] = np.round(x[:, 1])  # ties
    y = np.column_stack([x[:, 0] * 0.5 + rng.normal(size=n), rng.lognormal(size=n), rng.normal(size=n)])
    x[rng.random(n) < 0.2, 2] = np.nan
    x[:5, 3] = np.inf
    y[rng.random(n) < 0.1, 1] = np.nan
    return x, y


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_matrix_matches_scipy_on_pairwise_complete_rows(method: str) -> None:
    x, y = _data_with_holes()
    matrix = correlation_matrix(x, y, method)  # type: ignore[arg-type]
    scipy_test = stats.pearsonr if method == "pearson" else stats.spearmanr
    p = correlation_p_values(matrix.coefficients, matrix.sample_sizes)
    for i, j in itertools.product(range(x.shape[1]), range(y.shape[1])):
        keep = np.isfinite(x[:, i]) & np.isfinite(y[:, j])
        expected = scipy_test(x[keep, i], y[keep, j])
        assert matrix.sample_sizes[i, j] == keep.sum()
        assert matrix.coefficients[i, j] == pytest.approx(expected.statistic, abs=1e-12)
        assert p[i, j] == pytest.approx(expected.pvalue, rel=1e-9)


def test_fisher_interval_matches_scipy() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=40)
    y = 0.4 * x + rng.normal(size=40)
    expected = stats.pearsonr(x, y).confidence_interval(0.9)
    result = pearson(x, y, confidence=0.9)
    assert (result.ci_low, result.ci_high) == pytest.approx((expected.low, expected.high), rel=1e-12)


def test_one_sided_intervals_are_open_on_the_other_side() -> None:
    low, high = fisher_z_interval(np.array([0.3]), np.array([50]), 0.95, "less")
    assert low[0] == -1.0
    assert -1 < high[0] < 1 and high[0] > 0.3


def test_exact_spearman_null_is_the_full_permutation_distribution() -> None:
    for n in range(2, 8):
        perms = np.array(list(itertools.permutations(range(n))))
        expected = np.sort(((perms - np.arange(n)) ** 2).sum(axis=1))
        np.testing.assert_array_equal(_spearman_null(n), expected)


def test_exact_spearman_two_sided_is_twice_the_smaller_tail() -> None:
    x = [1, 2, 3, 4, 5, 6, 7]
    y = [2, 1, 4, 3, 7, 5, 6]
    two = spearman(x, y)
    greater = spearman(x, y, alternative="greater")
    assert two.df is None and two.statistic is not None  # exact: S is reported, no df
    assert two.p_value == pytest.approx(min(1.0, 2 * (greater.p_value or 0)))


def test_spearman_switches_to_the_t_approximation_with_ties_or_large_n() -> None:
    tied = spearman([1, 2, 2, 4, 5], [1, 3, 2, 5, 4])
    large = spearman(np.arange(30), np.arange(30) % 7)
    assert tied.df == 3.0 and large.df == 28.0
    assert spearman([1, 2, 2, 4, 5], [1, 3, 2, 5, 4], exact=True).insufficient_data


def test_point_biserial_equals_scipy() -> None:
    rng = np.random.default_rng(1)
    group = rng.integers(0, 2, 80)
    y = group * 0.6 + rng.normal(size=80)
    expected = stats.pointbiserialr(group, y)
    result = point_biserial(group.astype(bool), y)
    assert result.method == "point_biserial"
    assert result.coefficient == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert (
        point_biserial([0, 1, 2, 1], [1, 2, 3, 4]).insufficient_reason == "the binary variable has >2 values"
    )


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        ([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0], "x is constant"),
        ([1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0], "y is constant"),
        ([1.0, 2.0], [1.0, 3.0], "only 2 items"),
        ([np.nan, np.nan, 1.0, 2.0], [1.0, 2.0, np.nan, np.nan], "only 0 items"),
        ([0.1, 0.1, 0.1, 0.1 + 1e-18], [1.0, 2.0, 3.0, 4.0], "x is constant"),
    ],
)
def test_degenerate_pairs_give_a_reason_and_no_numbers(x: list[float], y: list[float], reason: str) -> None:
    for result in (pearson(x, y), spearman(x, y)):
        assert result.insufficient_data
        assert result.insufficient_reason is not None and reason in result.insufficient_reason
        assert result.coefficient is None and result.p_value is None and result.ci_low is None


def test_perfect_correlation_has_no_nan_or_infinite_number() -> None:
    result = pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert result.coefficient == pytest.approx(1.0)
    assert result.p_value == 0.0
    assert result.statistic is None  # t is infinite: not reported as a number
    numbers = [result.coefficient, result.p_value, result.ci_low, result.ci_high]
    assert all(v is None or math.isfinite(v) for v in numbers)


def test_large_offsets_do_not_lose_precision() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    y = 0.3 * x + rng.normal(size=200)
    shifted = pearson(x + 1e9, y * 1e-3 + 1e6)
    assert shifted.coefficient == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-7)
