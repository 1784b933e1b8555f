"""Weekly seasonality strength (STL) and the named peak weekday on synthetic series."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.analytics.seasonality import seasonal_component, seasonality, seasonality_batch
from dagster_project.analytics.trend import analyze_trend, mark_cyclical

# Monday .. Sunday multipliers: busiest on Wednesday, quietest on Sunday.
PATTERN = np.array([1.0, 1.1, 1.3, 1.1, 1.0, 0.7, 0.5])


def _weekly(rng: np.random.Generator, n: int, first_weekday: int, noise: float) -> np.ndarray:
    weekday = (np.arange(n) + first_weekday) % 7
    return 200 * PATTERN[weekday] + rng.normal(0, noise, n)


def test_strong_weekly_pattern_and_named_peak() -> None:
    rng = np.random.default_rng(40)
    series = _weekly(rng, 84, first_weekday=3, noise=8)  # starts on a Thursday
    result = seasonality(series, first_weekday=3)
    assert result.strength is not None and result.strength > 0.8
    assert result.is_seasonal
    assert result.peak_weekday == "Wednesday"
    assert result.trough_weekday == "Sunday"
    assert result.amplitude == pytest.approx(200 * (1.3 - 0.5), rel=0.15)
    assert len(result.profile) == 7


def test_white_noise_is_not_seasonal() -> None:
    rng = np.random.default_rng(41)
    results = seasonality_batch(100 + rng.normal(0, 10, (20, 90)))
    strengths = [r.strength for r in results]
    assert all(s is not None and 0 <= s <= 1 for s in strengths)
    assert sum(r.is_seasonal for r in results) <= 1
    assert all(r.peak_weekday is None for r in results)  # no weekday given, phases only


def test_strength_orders_noise_levels() -> None:
    rng = np.random.default_rng(42)
    clean = seasonality(_weekly(rng, 70, 0, noise=5)).strength
    noisy = seasonality(_weekly(rng, 70, 0, noise=60)).strength
    assert clean > noisy


def test_stable_seasonal_trend_becomes_cyclical() -> None:
    rng = np.random.default_rng(43)
    series = _weekly(rng, 84, 0, noise=8)
    trend = analyze_trend(series)
    assert trend.overall_direction == "stable"
    assert mark_cyclical(trend, seasonality(series).strength).overall_direction == "cyclical"


def test_short_gaps_are_interpolated_and_noted() -> None:
    rng = np.random.default_rng(44)
    series = _weekly(rng, 70, 0, noise=5)
    series[[10, 11, 40]] = np.nan
    result = seasonality(series, first_weekday=0)
    assert result.note == "3 missing days interpolated"
    assert result.peak_weekday == "Wednesday"


@pytest.mark.parametrize(
    ("series", "insufficient"),
    [
        (np.zeros(40), False),
        (np.full(40, 9.0), False),
        (np.arange(12, dtype=float), True),
        (np.full(40, np.nan), True),
        (np.array([]), True),
        (np.r_[np.full(20, np.nan), np.arange(30, dtype=float)], True),
    ],
    ids=["zeros", "constant", "too-short", "all-nan", "empty", "too-many-gaps"],
)
def test_degenerate_series(series: np.ndarray, insufficient: bool) -> None:
    result = seasonality(series)
    assert result.is_seasonal is False
    assert result.strength is None
    assert result.insufficient_data is insufficient
    if not insufficient:
        assert result.note == "constant series: no seasonality"


def test_seasonal_component_follows_the_pattern_and_rejects_degenerate_input() -> None:
    rng = np.random.default_rng(45)
    series = _weekly(rng, 70, 0, noise=5)
    component = seasonality_component_or_fail(series)
    weekday = np.arange(70) % 7
    assert np.corrcoef(component, 200 * PATTERN[weekday])[0, 1] > 0.95
    assert seasonal_component(np.full(40, 3.0)) is None
    assert seasonal_component(np.arange(10, dtype=float)) is None


def seasonality_component_or_fail(series: np.ndarray) -> np.ndarray:
    component = seasonal_component(series)
    assert component is not None and component.shape == series.shape
    return component
