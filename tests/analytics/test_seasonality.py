"""Seasonality on synthetic series: weekly (STL strength, named peak weekday), monthly (day of the
month) and hour of day (sub-daily snapshots), and the vectorised STL against statsmodels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.seasonal import STL

from dagster_project.analytics.seasonality import (
    MONTH_MIN_DAYS,
    hourly_seasonality,
    monthly_seasonality,
    seasonal_component,
    seasonality,
    seasonality_batch,
    seasonality_rows,
    stl_rows,
)
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


@pytest.mark.parametrize(
    ("days", "period", "robust"),
    [(90, 7, True), (90, 7, False), (15, 7, True), (16, 7, True), (61, 7, True), (240, 24, True)],
)
def test_vectorised_stl_equals_statsmodels_bit_for_bit(days: int, period: int, robust: bool) -> None:
    rng = np.random.default_rng(46)
    rows = 12
    t = np.arange(days)
    x = 100 + 0.5 * t + 20 * np.sin(2 * np.pi * t / period) + rng.normal(0, 10, (rows, days))
    x[:, days // 3] += 300  # an outlier the robustness weights must down-weight
    x[1] = np.round(x[1] / 50)  # heavy ties: residuals on the bisquare's boundaries
    x[2, : days // 2] = 5.0
    seasonal, trend = stl_rows(x, period, robust=robust)
    for row in range(rows):
        fit = STL(x[row], period=period, robust=robust).fit()
        assert np.array_equal(seasonal[row], np.asarray(fit.seasonal))
        assert np.array_equal(trend[row], np.asarray(fit.trend))


def test_seasonality_rows_vectorised_and_per_row_agree() -> None:
    rng = np.random.default_rng(47)
    data = _weekly(rng, 84, 0, noise=30) + rng.normal(0, 1, (20, 84))
    data[3, [5, 6, 40]] = np.nan
    data[4] = 9.0
    data[5, :60] = np.nan
    together = seasonality_rows(data, first_weekday=0)  # 17 decomposable rows: vectorised STL
    for row, (result, component) in zip(data, together, strict=True):
        alone, alone_component = seasonality_rows(row[None, :], first_weekday=0)[0]  # statsmodels
        assert result == alone
        assert (component is None and alone_component is None) or np.array_equal(component, alone_component)


def _days(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def _monthly(rng: np.random.Generator, start: dt.date, n: int, noise: float) -> np.ndarray:
    """Daily values 40% higher on days 1-3 of every month, with a weekly dip and a trend."""
    dates = _days(start, n)
    day = np.array([d.day for d in dates])
    weekend = np.array([d.weekday() >= 5 for d in dates])
    return 100 * (1 + 0.4 * (day <= 3)) * (1 - 0.2 * weekend) + 0.3 * np.arange(n) + rng.normal(0, noise, n)


@pytest.mark.parametrize("start", [dt.date(2026, 1, 1), dt.date(2026, 2, 14), dt.date(2026, 6, 20)])
def test_planted_monthly_cycle_is_found_with_its_peak_named(start: dt.date) -> None:
    rng = np.random.default_rng(48)
    series = _monthly(rng, start, 90, noise=8)
    series[[10, 11, 50]] = np.nan
    result = monthly_seasonality(series, start)
    assert result.kind == "monthly" and result.period == 31 and len(result.profile) == 31
    assert result.is_seasonal
    assert result.strength is not None and result.strength > 0.64
    assert result.p_value is not None and result.p_value < 1e-4
    assert result.peak_phase in (0, 1, 2)
    assert result.peak_label in ("day 1 of the month", "day 2 of the month", "day 3 of the month")
    # the profile's days 1-3 stand about 40 above the rest (weekday effects are fitted separately)
    profile = np.array(result.profile)
    assert profile[:3].mean() - profile[3:].mean() == pytest.approx(40, abs=12)
    assert result.note == "3 missing days left out of the fit"


def test_white_noise_and_weekly_only_series_are_not_monthly() -> None:
    rng = np.random.default_rng(49)
    start = dt.date(2026, 3, 9)
    weekend = np.array([d.weekday() >= 5 for d in _days(start, 90)])
    noise = [monthly_seasonality(100 + rng.normal(0, 10, 90), start) for _ in range(100)]
    weekly = [monthly_seasonality(100 - 30 * weekend + rng.normal(0, 10, 90), start) for _ in range(50)]
    assert sum(r.is_seasonal for r in noise) <= 3  # 1% F-test level
    assert sum(r.is_seasonal for r in weekly) <= 2
    # F_s alone is inflated on three cycles (about 1/3 on noise): the F-test carries the decision
    assert 0.2 < float(np.mean([r.strength for r in noise])) < 0.5


def test_monthly_needs_two_cycles() -> None:
    start = dt.date(2026, 1, 1)
    rng = np.random.default_rng(50)
    short = monthly_seasonality(_monthly(rng, start, MONTH_MIN_DAYS - 1, 8), start)
    assert short.insufficient_data and short.strength is None
    assert short.insufficient_reason == "60 non-missing days, at least 61 (two monthly cycles) needed"
    assert not monthly_seasonality(_monthly(rng, start, MONTH_MIN_DAYS, 8), start).insufficient_data
    constant = monthly_seasonality(np.full(70, 3.0), start)
    assert not constant.insufficient_data and constant.note == "constant series: no seasonality"


def _hourly(rng: np.random.Generator, days: int, every_hours: int = 1) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Snapshots at irregular minutes, busiest around 18:00, quietest at night, with day-level noise."""
    hours = np.arange(0, 24 * days, every_hours)
    stamps = pd.Timestamp("2026-03-02") + pd.to_timedelta(hours, unit="h")
    stamps = stamps + pd.to_timedelta(rng.integers(0, 60, hours.size), unit="min")
    hour = stamps.hour.to_numpy()
    daily = np.repeat(rng.normal(0, 15, days), 24)[hours]
    values = 50 + 30 * np.exp(-0.5 * ((hour - 18) / 2.5) ** 2) - 20 * (hour < 6) + daily
    return stamps, values + rng.normal(0, 5, hours.size)


def test_planted_hour_of_day_cycle_is_found_with_peak_and_trough_named() -> None:
    rng = np.random.default_rng(51)
    stamps, values = _hourly(rng, 10)
    result = hourly_seasonality(stamps, values)
    assert result.kind == "hour_of_day" and result.period == 24 and len(result.profile) == 24
    assert result.is_seasonal and result.strength is not None and result.strength > 0.64
    assert result.peak_label == "18:00" and result.peak_phase == 18
    assert result.trough_phase is not None and result.trough_phase < 6
    assert result.amplitude == pytest.approx(50, abs=8)
    assert result.n_points == 240


def test_sparse_snapshots_still_name_the_peak_hour() -> None:
    rng = np.random.default_rng(52)
    stamps, values = _hourly(rng, 14, every_hours=5)  # every 5 hours: each hour seen about 3 times
    result = hourly_seasonality(stamps, values)
    assert result.is_seasonal and result.peak_phase in (17, 18, 19)
    daytime = (stamps.hour >= 8) & (stamps.hour < 20)
    partial = hourly_seasonality(stamps[daytime], values[daytime])
    assert "never observed" in (partial.note or "") and "03:00" in (partial.note or "")
    assert partial.peak_phase in (17, 18, 19) and partial.profile[3] == 0.0


def test_hourly_white_noise_is_not_seasonal_and_one_day_is_insufficient() -> None:
    rng = np.random.default_rng(53)
    stamps, _ = _hourly(rng, 7)
    results = [hourly_seasonality(stamps, rng.normal(100, 10, stamps.size)) for _ in range(40)]
    assert sum(r.is_seasonal for r in results) <= 1
    assert all(r.strength is not None and r.strength < 0.4 for r in results)
    one_day = hourly_seasonality(stamps[:24], rng.normal(100, 10, 24))
    assert one_day.insufficient_data and "at least two days" in (one_day.insufficient_reason or "")
