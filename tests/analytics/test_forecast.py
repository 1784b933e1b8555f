"""Forecasts: interval coverage on held-out synthetic days, model choice against the generating process,
the vectorised models against statsmodels, cumulative counters, age curves and degenerate input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import SimpleExpSmoothing

from dagster_project.analytics.forecast import (
    MODELS,
    ForecastResult,
    age_curve_forecast,
    forecast_batch,
    forecast_cumulative,
    forecast_series,
)
from dagster_project.analytics.forecast_models import fit_models, ols_slope, ses_levels, theta_drift
from dagster_project.analytics.series import MIN_POINTS

WEEKLY_LOG = np.log([1.0, 1.1, 1.15, 1.1, 1.0, 0.6, 0.55])
TRAIN, HELD_OUT = 90, 7
SNAIVE = MODELS.index("seasonal_naive")
SES = MODELS.index("ses")


def _counts(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    """Poisson counts around exp(level + weekly pattern + trend + noise): levels 5..500 a day, weekly
    amplitude 0..1.2 x ``WEEKLY_LOG``, a trend in 40% of rows, AR(1) log noise (phi 0.3..0.9) in half."""
    t = np.arange(n)
    level = np.log(rng.uniform(5, 500, size=(rows, 1)))
    amplitude = rng.uniform(0, 1.2, size=(rows, 1))
    trend = np.where(rng.random((rows, 1)) < 0.4, rng.normal(0, 0.01, (rows, 1)), 0.0)
    phi = np.where(rng.random(rows) < 0.5, rng.uniform(0.3, 0.9, rows), 0.0)
    shocks = rng.normal(0, 1, (rows, n)) * rng.uniform(0.05, 0.3, (rows, 1))
    noise = np.zeros((rows, n))
    noise[:, 0] = shocks[:, 0]
    for day in range(1, n):
        noise[:, day] = phi * noise[:, day - 1] + shocks[:, day]
    mean = np.exp(level + amplitude * WEEKLY_LOG[t % 7] + trend * t + noise)
    return rng.poisson(mean).astype(float)


def _coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    return float(np.mean((actual >= low) & (actual <= high)))


def _numbers(result: ForecastResult) -> list[float]:
    values: list[float] = [v for p in result.points for v in vars(p).values()]
    if result.backtest is not None:
        b = result.backtest
        values += [v for v in (b.mae, b.mase, b.coverage_80, b.coverage_95) if v is not None]
        values += [v for v in b.mae_by_model.values() if v is not None]
    return values


def test_interval_coverage_on_held_out_days() -> None:
    rng = np.random.default_rng(2024)
    data = _counts(rng, 400, TRAIN + HELD_OUT)
    batch = forecast_batch(data[:, :TRAIN], horizon=HELD_OUT)
    held_out = data[:, TRAIN:]
    coverage_80 = _coverage(held_out, batch.lower_80, batch.upper_80)
    coverage_95 = _coverage(held_out, batch.lower_95, batch.upper_95)
    print(f"held-out coverage: 80% -> {coverage_80:.3f}, 95% -> {coverage_95:.3f}")
    print(
        f"backtest coverage: 80% -> {np.mean(batch.coverage_80):.3f}, 95% -> {np.mean(batch.coverage_95):.3f}"
    )
    assert abs(coverage_80 - 0.80) <= 0.05
    assert abs(coverage_95 - 0.95) <= 0.05
    assert np.all(batch.lower_95 <= batch.lower_80) and np.all(batch.lower_80 <= batch.median)
    assert np.all(batch.median <= batch.upper_80) and np.all(batch.upper_80 <= batch.upper_95)
    assert np.all(batch.lower_95 >= 0)
    assert set(batch.model) <= set(MODELS) and np.all(batch.n_origins == 3)
    # the reported backtest coverage is of the same procedure, so it must agree with the held-out one
    assert abs(np.mean(batch.coverage_80) - 0.80) <= 0.05
    assert abs(np.mean(batch.coverage_95) - 0.95) <= 0.05


def test_strong_weekly_pattern_is_forecast_with_a_seasonal_model() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(TRAIN)
    data = rng.poisson(200 * np.exp(1.5 * WEEKLY_LOG[t % 7])[None, :] * np.ones((100, 1))).astype(float)
    batch = forecast_batch(data)
    seasonal = (batch.model == "seasonal_naive") | batch.seasonal
    assert seasonal.mean() >= 0.95
    # the forecast reproduces the weekly profile: Sunday (phase 6) well below Wednesday (phase 2)
    assert np.mean(batch.median[:, (6 - TRAIN) % 7] < 0.6 * batch.median[:, (2 - TRAIN) % 7]) >= 0.95


def test_random_walk_is_forecast_better_by_ets_than_seasonal_naive() -> None:
    rng = np.random.default_rng(8)
    log_level = np.log(300) + np.cumsum(rng.normal(0, 0.08, (200, TRAIN)), axis=1)
    data = rng.poisson(np.exp(log_level)).astype(float)
    batch = forecast_batch(data)
    assert np.mean(batch.mae_by_model[:, SES] < batch.mae_by_model[:, SNAIVE]) >= 0.8
    assert np.mean(batch.model != "seasonal_naive") >= 0.8


def test_linear_trend_is_forecast_better_by_theta_or_damped_trend_than_ses() -> None:
    rng = np.random.default_rng(9)
    t = np.arange(TRAIN)
    slope = rng.uniform(0.015, 0.03, (200, 1)) * rng.choice([-1.0, 1.0], (200, 1))
    data = rng.poisson(np.exp(np.log(400) + slope * t + rng.normal(0, 0.05, (200, TRAIN)))).astype(float)
    batch = forecast_batch(data)
    trend_models = np.minimum(batch.mae_by_model[:, MODELS.index("theta")], batch.mae_by_model[:, -1])
    assert np.mean(trend_models < batch.mae_by_model[:, SES]) >= 0.8
    assert np.mean(np.isin(batch.model, ["theta", "damped_trend"])) >= 0.7


@pytest.mark.parametrize("alpha", [0.1, 0.35, 0.8])
def test_ses_matches_statsmodels_with_the_same_alpha(alpha: float) -> None:
    rng = np.random.default_rng(3)
    series = 5 + np.cumsum(rng.normal(0, 0.3, (4, 60)), axis=1)
    levels = ses_levels(series, alpha)
    for row in series:
        expected = (
            SimpleExpSmoothing(row, initialization_method="known", initial_level=row[0])
            .fit(smoothing_level=alpha, optimized=False)
            .forecast(5)
        )
        assert np.allclose(expected, ses_levels(row[None, :], alpha)[0, -1], atol=1e-8, rtol=0)
    assert np.allclose(levels[:, -1], [ses_levels(row[None, :], alpha)[0, -1] for row in series], atol=1e-12)


def test_theta_matches_statsmodels_theta_model() -> None:
    rng = np.random.default_rng(4)
    n, horizon = 70, 7
    t = np.arange(n)
    series = 3 + 0.02 * t + np.cumsum(rng.normal(0, 0.1, (5, n)), axis=1) + rng.normal(0, 0.2, (5, n))
    fits = [ThetaModel(row, deseasonalize=False).fit() for row in series]
    alpha = np.array([fit.params["alpha"] for fit in fits])
    slope = ols_slope(series, np.ones_like(series, dtype=bool))
    levels = ses_levels(series, alpha)[:, -1]
    for row, fit in enumerate(fits):
        assert slope[row] == pytest.approx(fit.params["b0"], abs=1e-10)
        ours = [levels[row] + theta_drift(slope[row], alpha[row], n, h) for h in range(1, horizon + 1)]
        assert np.allclose(ours, np.asarray(fit.forecast(horizon)), atol=1e-8, rtol=0)


def test_seasonal_naive_repeats_the_last_week() -> None:
    rng = np.random.default_rng(5)
    data = rng.poisson(50, (3, 40)).astype(float)
    fit = fit_models(data, 10)
    expected = np.log1p(data[:, [33, 34, 35, 36, 37, 38, 39, 33, 34, 35]])
    assert np.allclose(fit.point[:, SNAIVE, :], expected, atol=1e-12)


def test_cumulative_counter_path_and_coverage_of_the_total() -> None:
    rng = np.random.default_rng(2025)
    deltas = _counts(rng, 400, TRAIN + HELD_OUT + 1)
    totals = rng.uniform(0, 10_000, (400, 1)) + np.cumsum(deltas, axis=1)
    batch = forecast_cumulative(totals[:, : TRAIN + 1], horizon=HELD_OUT)
    last = totals[:, TRAIN]
    assert np.all(batch.median[:, 0] >= last) and np.all(batch.lower_95[:, 0] >= last)
    assert np.all(np.diff(batch.median, axis=1) >= 0)
    held_out = totals[:, TRAIN + 1 :]
    coverage_80 = _coverage(held_out, batch.lower_80, batch.upper_80)
    coverage_95 = _coverage(held_out, batch.lower_95, batch.upper_95)
    week_80 = _coverage(held_out[:, -1], batch.lower_80[:, -1], batch.upper_80[:, -1])
    week_95 = _coverage(held_out[:, -1], batch.lower_95[:, -1], batch.upper_95[:, -1])
    print(f"cumulative total coverage, all h: 80% -> {coverage_80:.3f}, 95% -> {coverage_95:.3f}")
    print(f"cumulative total coverage, h = 7: 80% -> {week_80:.3f}, 95% -> {week_95:.3f}")
    for measured, nominal in ((coverage_80, 0.8), (coverage_95, 0.95), (week_80, 0.8), (week_95, 0.95)):
        assert abs(measured - nominal) <= 0.05
    # the median path is the last total plus the running sum of the daily median forecasts
    daily = forecast_batch(np.clip(np.diff(totals[:, : TRAIN + 1], axis=1), 0, None), horizon=HELD_OUT)
    assert np.allclose(batch.median, last[:, None] + np.cumsum(daily.median, axis=1))


def test_cumulative_counter_decreases_are_clipped() -> None:
    totals = np.cumsum(np.tile([10.0, 12, 14, 13, 11, 6, 5], 6))
    totals[20] -= 30  # a correction of the counter
    result = forecast_cumulative(totals).result(0)
    assert not result.insufficient_data
    assert result.points[0].median >= totals[-1]


def _benchmark_curves(ages: int) -> tuple[np.ndarray, ...]:
    age = np.arange(ages)
    p50 = 1000 * (1 - np.exp(-(age + 1) / 6))
    return 0.4 * p50, p50, 2.0 * p50, 3.5 * p50


def test_age_curve_scales_the_benchmark_median() -> None:
    p25, p50, p75, p90 = _benchmark_curves(40)
    item = 2 * p50[:5]
    item[2] *= 1.4  # one odd day does not move the median of the ratios
    result = age_curve_forecast(item, p25, p50, p75, p90, horizon=7)
    assert result.model == "age_curve" and not result.insufficient_data
    assert [p.median for p in result.points] == pytest.approx(2 * p50[5:12], rel=1e-12)
    for point in result.points:
        assert point.lower_95 <= point.lower_80 <= point.median <= point.upper_80 <= point.upper_95
        assert point.lower_95 >= item[-1]
    later = age_curve_forecast(2 * p50[3:9], p25, p50, p75, first_age=3, horizon=3)
    assert [p.median for p in later.points] == pytest.approx(2 * p50[9:12], rel=1e-12)


def test_age_curve_without_usable_benchmarks_is_insufficient() -> None:
    p25, p50, p75, _ = _benchmark_curves(8)
    assert age_curve_forecast([10.0, 20.0], p25, p50, p75, horizon=7).insufficient_data
    assert age_curve_forecast([math.nan, math.nan], p25, p50, p75, horizon=3).insufficient_data
    zeros = np.zeros(20)
    assert age_curve_forecast([1.0, 2.0], zeros, zeros, zeros, horizon=3).insufficient_data


def _gappy(missing: slice, n: int = 80) -> np.ndarray:
    series = np.random.default_rng(6).poisson(40, n).astype(float)
    series[missing] = np.nan
    return series


@pytest.mark.parametrize(
    ("values", "insufficient", "text"),
    [
        (np.zeros(60), False, "constant"),
        (np.full(60, 12.0), False, "constant"),
        (np.full(60, math.nan), True, "0 non-missing"),
        (np.r_[np.full(50, math.nan), np.arange(MIN_POINTS - 1.0)], True, "needed"),
        (_gappy(slice(20, 45)), False, "dropped"),
        (_gappy(slice(10, 72)), True, "needed"),
        (_gappy(slice(60, 80)), True, "last 20 days"),
        (_gappy(slice(30, 36)), False, "interpolated"),
        (np.r_[np.full(70, math.nan), np.arange(15.0)], False, "too short for a backtest"),
    ],
)
def test_degenerate_series(values: np.ndarray, insufficient: bool, text: str) -> None:
    result = forecast_series(values)
    assert result.insufficient_data is insufficient
    assert text in ((result.insufficient_reason or "") + (result.note or ""))
    assert all(math.isfinite(v) for v in _numbers(result))
    assert (len(result.points) == 0) is insufficient
    totals = forecast_cumulative(np.nancumsum(values) + np.where(np.isnan(values), math.nan, 0.0)).result(0)
    assert all(math.isfinite(v) for v in _numbers(totals))


def test_constant_series_has_zero_width_intervals() -> None:
    result = forecast_series(np.full(50, 12.0), horizon=3)
    assert all(p.lower_95 == pytest.approx(12) and p.upper_95 == pytest.approx(12) for p in result.points)


def test_rows_are_forecast_independently() -> None:
    rng = np.random.default_rng(12)
    data = _counts(rng, 6, 60)
    data[2, 10:14] = np.nan
    batch = forecast_batch(data)
    for row in range(6):
        assert forecast_series(data[row]) == batch.result(row)


def test_mase_matches_a_hand_computation() -> None:
    rng = np.random.default_rng(13)
    x = rng.poisson(30, 35).astype(float)
    result = forecast_series(x, origins=1)
    backtest = result.backtest
    assert backtest is not None and backtest.n_origins == 1
    snaive_mae = np.mean(np.abs(x[28:35] - x[21:28]))  # origin at day 28, the week before repeated
    scale = np.mean(np.abs(x[7:28] - x[0:21]))  # in-sample seasonal naive MAE before the origin
    assert backtest.mae_by_model["seasonal_naive"] == pytest.approx(snaive_mae, rel=1e-12)
    assert backtest.mase == pytest.approx(backtest.mae / scale, rel=1e-12)


def test_mase_of_seasonal_naive_is_finite_on_its_own_backtest() -> None:
    rng = np.random.default_rng(14)
    batch = forecast_batch(_counts(rng, 50, TRAIN))
    scale = batch.backtest_mae / batch.mase
    snaive_mase = batch.mae_by_model[:, SNAIVE] / scale
    assert np.all(np.isfinite(snaive_mase)) and np.all(snaive_mase > 0)
    print(f"median MASE: chosen {np.median(batch.mase):.3f}, seasonal naive {np.median(snaive_mase):.3f}")
    assert np.median(batch.mase) <= np.median(snaive_mase)


def test_one_day_of_totals_is_insufficient_not_an_error():
    """A series that starts on the analysis day has one total and no delta yet."""
    batch = forecast_cumulative(np.array([[5.0], [np.nan]]))
    assert [r.insufficient_data for r in batch.results()] == [True, True]
    assert all("at least" in (r.insufficient_reason or "") for r in batch.results())
