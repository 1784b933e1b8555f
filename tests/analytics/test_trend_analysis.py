"""The assembled TrendAnalysis: seed fields, consistency with the parts, insights, degenerate input."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from dagster_project.analytics.anomalies import detect_series_anomalies
from dagster_project.analytics.change_points import detect_series_change_points
from dagster_project.analytics.seasonality import seasonal_component, seasonality
from dagster_project.analytics.trend import analyze_trend, mark_cyclical
from dagster_project.analytics.trend_analysis import (
    INSIGHT_PENALTY_FACTOR,
    build_trend_analyses,
    build_trend_analysis,
)
from dagster_project.analytics.volatility import series_volatility

START = dt.date(2026, 3, 2)  # a Monday
PATTERN = np.array([1.0, 1.1, 1.3, 1.1, 1.0, 0.6, 0.5])


def _series(rng: np.random.Generator, n: int = 84) -> np.ndarray:
    return 200 * PATTERN[np.arange(n) % 7] + rng.normal(0, 6, n)


def test_rising_series_with_shift_and_spike() -> None:
    rng = np.random.default_rng(50)
    n = 84
    series = _series(rng, n) * (1 + 0.6 * np.arange(n) / (n - 1))
    series[60:] += 150
    series[30] += 400
    analysis = build_trend_analysis("views", START, series)
    assert analysis.metric_name == "views"
    assert analysis.time_period == (START, START + dt.timedelta(days=n - 1))
    assert analysis.overall_direction == "rising"
    assert analysis.strength in {"weak", "moderate", "strong"}
    assert len(analysis.trend_points) == n
    assert (
        analysis.trend_points[30].anomaly_score is not None and analysis.trend_points[30].anomaly_score > 3.5
    )
    assert any(abs(c.index - 60) <= 3 for c in analysis.change_points)
    assert len(analysis.predictions) == 7  # the forecast continues from the new, higher level
    assert analysis.predictions[0]["median"] > np.median(series[60:70])
    assert analysis.key_insights[0].startswith("views is rising")
    assert any("Level shift on" in line for line in analysis.key_insights)
    assert any("unusual day" in line and "2026-04-01" in line for line in analysis.key_insights)
    assert "r_squared" in analysis.statistical_metrics
    assert all(math.isfinite(v) for v in analysis.statistical_metrics.values())


def test_stable_weekly_series_is_cyclical_and_names_the_peak() -> None:
    rng = np.random.default_rng(51)
    analysis = build_trend_analysis("likes", START, _series(rng))
    assert analysis.overall_direction == "cyclical"
    assert analysis.seasonality_patterns[0].peak_weekday == "Wednesday"
    assert any("highest on Wednesdays" in line for line in analysis.key_insights)
    assert analysis.change_points == ()


def test_too_short_series_says_so() -> None:
    analysis = build_trend_analysis("shares", START, [1.0, 2.0, np.nan, 4.0])
    assert analysis.overall_direction == "insufficient_data"
    assert analysis.key_insights == ("Not enough data for shares: 3 non-missing points, at least 10 needed.",)
    assert analysis.seasonality_patterns == ()
    assert analysis.trend_points[2].value is None
    assert all(p.trend_value is None for p in analysis.trend_points)


def test_all_zero_series_is_stable_without_findings() -> None:
    analysis = build_trend_analysis("comments", START, np.zeros(30))
    assert analysis.overall_direction == "stable"
    assert analysis.key_insights[0] == "comments is stable (all values are zero)."
    assert analysis.change_points == () and analysis.anomalies.anomalies == ()
    assert analysis.statistical_metrics["anomaly_count"] == 0.0
    assert all(not p.is_seasonal for p in analysis.seasonality_patterns)


def _mixed_rows(rows: int, days: int = 90, seed: int = 52) -> np.ndarray:
    """Weekly, trending, shifted, spiky, count-like, gappy, constant, all-zero and short rows."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    x = rng.lognormal(4, 1, (rows, 1)) * (1 + rng.normal(0, 0.15, (rows, days)))
    x[::2] *= 200 * PATTERN[t % 7] / 200
    x[::3] *= 1 + rng.uniform(-0.5, 1.5, (len(range(0, rows, 3)), 1)) * t / days
    x[1::4, 50:] *= 1.6
    x[rng.random((rows, days)) < 0.01] *= 5
    x[5::7] = rng.poisson(2, (len(range(5, rows, 7)), days))
    gaps = (rng.random((rows, days)) < 0.08) & (np.arange(rows) % 5 == 0)[:, None]
    x[gaps] = np.nan
    x[7::50] = 0.0
    x[8::50] = 12.0
    x[9::50, :85] = np.nan  # too short
    x[10::50, 30:] = np.nan  # long gap at the end
    return x


def _reference(start: dt.date, row: np.ndarray) -> dict[str, object]:
    """The single-series statistics composed as before the batch path existed (weekly only)."""
    trend = analyze_trend(row)
    season = seasonality(row, first_weekday=start.weekday())
    anomalies = detect_series_anomalies(row)
    adjusted = row.copy()
    if season.profile:
        adjusted = adjusted - seasonal_component(row)
    adjusted[[a.index for a in anomalies.anomalies]] = np.nan
    trending = mark_cyclical(trend, season.strength).overall_direction in ("rising", "falling")
    changes = detect_series_change_points(adjusted, penalty_factor=INSIGHT_PENALTY_FACTOR, trend=trending)
    return {
        "trend": trend,
        "season": season,
        "anomalies": anomalies,
        "changes": changes,
        "volatility": series_volatility(row),
    }


def test_batch_equals_per_row_analyses_on_mixed_rows() -> None:
    x = _mixed_rows(300)
    together = build_trend_analyses("views", START, x)
    assert len(together) == 300
    assert together == [build_trend_analysis("views", START, row) for row in x]
    # and the parts equal the single-series functions composed one row at a time
    for row, analysis in zip(x[:60], together[:60], strict=True):
        expected = _reference(START, row)
        assert analysis.trend.mann_kendall == expected["trend"].mann_kendall  # type: ignore[attr-defined]
        assert analysis.anomalies == expected["anomalies"]
        assert analysis.volatility == expected["volatility"]
        assert analysis.change_point_result == expected["changes"]
        weekly = [p for p in analysis.seasonality_patterns if p.kind == "weekly"]
        assert weekly == ([] if expected["season"].insufficient_data else [expected["season"]])  # type: ignore[attr-defined]
    # degenerate rows come back as findings, never exceptions
    assert together[7].key_insights[0] == "views is stable (all values are zero)."
    assert together[9].overall_direction == "insufficient_data"


def test_batch_in_worker_processes_equals_one_process() -> None:
    x = _mixed_rows(12, seed=53)
    names = [f"video {i}" for i in range(12)]
    assert build_trend_analyses(names, START, x, workers=2) == build_trend_analyses(names, START, x)
    with pytest.raises(ValueError, match="3 metric names for 12 rows"):
        build_trend_analyses(["a", "b", "c"], START, x)


def test_monthly_pattern_is_listed_after_the_weekly_one_with_its_peak() -> None:
    rng = np.random.default_rng(54)
    start = dt.date(2026, 1, 1)
    dates = [start + dt.timedelta(days=i) for i in range(90)]
    day = np.array([d.day for d in dates])
    series = 300 * (1 + 0.5 * (day <= 3)) + rng.normal(0, 10, 90)
    analysis = build_trend_analysis("views", start, series)
    kinds = [p.kind for p in analysis.seasonality_patterns]
    assert kinds == ["weekly", "monthly"]
    monthly = analysis.seasonality_patterns[1]
    assert monthly.is_seasonal and monthly.peak_label in {f"day {d} of the month" for d in (1, 2, 3)}
    assert not analysis.seasonality_patterns[0].is_seasonal
    assert analysis.overall_direction == "cyclical"
    assert analysis.key_insights[0] == "views has no overall trend but a strong monthly cycle."
    assert any(line.startswith("Monthly pattern (strength") for line in analysis.key_insights)
    assert analysis.statistical_metrics["monthly_seasonal_strength"] == monthly.strength


def test_white_noise_has_no_pattern_at_any_period() -> None:
    rng = np.random.default_rng(55)
    stamps = pd.Timestamp("2026-03-02") + pd.to_timedelta(np.arange(24 * 14), unit="h")
    for _ in range(10):
        analysis = build_trend_analysis(
            "views",
            START,
            100 + rng.normal(0, 10, 90),
            snapshots=(stamps, 10 + rng.normal(0, 1, stamps.size)),
        )
        assert [p.kind for p in analysis.seasonality_patterns] == ["weekly", "monthly", "hour_of_day"]
        assert not any(p.is_seasonal for p in analysis.seasonality_patterns)
        assert analysis.overall_direction != "cyclical"  # (rising/falling at the trend test's 5%)
        assert not any("pattern" in line for line in analysis.key_insights)


def test_short_series_has_no_monthly_pattern_and_snapshots_add_the_hour_of_day() -> None:
    rng = np.random.default_rng(56)
    stamps = pd.Timestamp("2026-03-02") + pd.to_timedelta(np.arange(24 * 7), unit="h")
    hourly = 10 + 8 * (stamps.hour.to_numpy() == 20) + rng.normal(0, 1, stamps.size)
    analysis = build_trend_analysis("views", START, _series(rng, 42), snapshots=(stamps, hourly))
    assert [p.kind for p in analysis.seasonality_patterns] == ["weekly", "hour_of_day"]
    assert analysis.seasonality_patterns[1].peak_label == "20:00"
    assert any(
        line.startswith("Hour-of-day pattern") and "highest at 20:00" in line
        for line in analysis.key_insights
    )


def test_predictions_continue_after_the_last_day_and_follow_the_level() -> None:
    """A flat weekly series around 100 per day: the next week is forecast near 100, dated after the
    last day, with ordered intervals and the backtest's accuracy in the insights."""
    rng = np.random.default_rng(3)
    weekly = np.array([1.0, 1.1, 1.0, 1.0, 0.9, 0.8, 0.8])
    values = rng.poisson(100 * np.tile(weekly, 9)[:60]).astype(float)
    analysis = build_trend_analysis("views", START, values)
    assert analysis.forecast is not None and analysis.forecast.backtest is not None
    dates = [p["date"] for p in analysis.predictions]
    assert dates == [analysis.time_period[1] + dt.timedelta(days=d) for d in range(1, 8)]
    for p in analysis.predictions:
        assert 0 < p["lower_95"] <= p["lower_80"] <= p["median"] <= p["upper_80"] <= p["upper_95"]
        assert 70 < p["median"] < 130
    assert analysis.key_insights[-1].startswith("Next 7 days: views about ")
    assert build_trend_analysis("views", START, values, horizon=None).predictions == ()


def test_too_short_series_has_no_prediction() -> None:
    analysis = build_trend_analysis("views", START, [5.0, 6.0, 7.0])
    assert analysis.predictions == () and analysis.forecast is not None
    assert analysis.forecast.insufficient_data
