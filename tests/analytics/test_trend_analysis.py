"""The assembled TrendAnalysis: seed fields, consistency with the parts, insights, degenerate input."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from dagster_project.analytics.trend_analysis import build_trend_analysis

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
    assert analysis.predictions == ()
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
