"""Volatility labels and dispersion on series with known coefficient of variation."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.analytics.volatility import (
    daily_deltas,
    rolling_dispersion,
    series_volatility,
    volatility,
)


def test_known_coefficient_of_variation() -> None:
    series = np.tile([50.0, 150.0], 10)  # mean 100, sd (ddof=1) = 50 * sqrt(20 / 19)
    result = series_volatility(series)
    assert result.mean == pytest.approx(100.0)
    assert result.coefficient_of_variation == pytest.approx(0.5 * np.sqrt(20 / 19))
    assert result.label == "variable"


def test_labels_on_generated_series() -> None:
    rng = np.random.default_rng(30)
    steady = rng.poisson(400, size=(20, 60)).astype(float)  # CV about 0.05
    variable = rng.gamma(shape=4.0, scale=25.0, size=(20, 60))  # CV 0.5
    erratic = rng.lognormal(mean=3.0, sigma=1.3, size=(20, 60))  # CV about 2
    results = volatility(np.vstack([steady, variable, erratic]))
    labels = [r.label for r in results]
    assert labels[:20].count("consistent") == 20
    assert labels[20:40].count("variable") >= 18
    assert labels[40:].count("erratic") >= 18


def test_rolling_dispersion_matches_direct_computation() -> None:
    rng = np.random.default_rng(31)
    x = rng.poisson(30, size=(3, 20)).astype(float)
    x[1, 5] = np.nan
    rolling = rolling_dispersion(x, window=7)
    assert rolling.cv.shape == (3, 14)
    window = x[2, 4:11]
    assert rolling.std[2, 4] == pytest.approx(window.std(ddof=1))
    assert rolling.cv[2, 4] == pytest.approx(window.std(ddof=1) / window.mean())
    gap = x[1, 0:7][np.isfinite(x[1, 0:7])]
    assert rolling.mean[1, 0] == pytest.approx(gap.mean())


def test_rolling_cv_sees_a_burst_the_overall_figure_averages_out() -> None:
    series = np.full(60, 100.0) + np.tile([-2.0, 2.0], 30)
    series[30:37] = [100, 400, 20, 300, 10, 350, 100]
    result = series_volatility(series)
    assert result.rolling_cv_max is not None and result.rolling_cv_max > 0.8
    assert result.rolling_cv_median < 0.05


def test_daily_deltas_drop_counter_resets() -> None:
    deltas = daily_deltas([0.0, 10.0, 25.0, 5.0, 9.0])
    assert np.array_equal(deltas[0, [0, 1, 3]], [10.0, 15.0, 4.0])
    assert np.isnan(deltas[0, 2])


@pytest.mark.parametrize(
    ("series", "label", "insufficient"),
    [
        (np.zeros(30), "consistent", False),
        (np.full(30, 12.0), "consistent", False),
        (np.arange(5, dtype=float), "insufficient_data", True),
        (np.full(30, np.nan), "insufficient_data", True),
        (np.array([]), "insufficient_data", True),
        (np.tile([-5.0, 5.0], 10), "insufficient_data", True),
    ],
    ids=["zeros", "constant", "too-short", "all-nan", "empty", "zero-mean"],
)
def test_degenerate_series(series: np.ndarray, label: str, insufficient: bool) -> None:
    result = series_volatility(series)
    assert result.label == label
    assert result.insufficient_data is insufficient
    for value in (result.mean, result.std, result.coefficient_of_variation, result.rolling_cv_median):
        assert value is None or np.isfinite(value)
    if not insufficient:
        assert result.note is not None
