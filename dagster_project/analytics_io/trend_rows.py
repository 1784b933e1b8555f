"""TrendAnalysis results flattened into rows of ``analytics.trend_analysis_results`` and
``analytics.performance_anomalies`` (pure: no I/O)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from dagster_project.analytics.forecast import ForecastResult
from dagster_project.analytics.trend_results import TrendAnalysis
from dagster_project.analytics_io.rows import Row, jsonb

SERIES_COLUMNS = ("analysis_date", "workspace_id", "series_level", "platform", "series_id", "metric")
TREND_COLUMNS = (
    *SERIES_COLUMNS,
    "window_start",
    "window_end",
    "days_in_window",
    "observed_days",
    "overall_direction",
    "strength",
    "slope",
    "slope_ci_lower",
    "slope_ci_upper",
    "level",
    "relative_change",
    "r_squared",
    "p_value",
    "significance_level",
    "weekly_seasonal_strength",
    "peak_weekday",
    "seasonality_patterns",
    "change_point_count",
    "change_points",
    "last_change_date",
    "volatility",
    "coefficient_of_variation",
    "anomaly_count",
    "forecast_model",
    "forecast_horizon",
    "forecast_total",
    "forecast_total_lower_95",
    "forecast_total_upper_95",
    "predictions",
    "backtest_mase",
    "backtest_coverage_80",
    "backtest_coverage_95",
    "trend_points",
    "key_insights",
    "statistical_metrics",
    "insufficient_data",
    "insufficient_reason",
    "run_id",
)
ANOMALY_COLUMNS = (
    *SERIES_COLUMNS,
    "anomaly_date",
    "value",
    "expected",
    "score",
    "direction",
    "method",
    "threshold",
    "seasonally_adjusted",
    "run_id",
)


@dataclass(frozen=True)
class SeriesContext:
    """Which series a TrendAnalysis is of, and the window and run it belongs to."""

    analysis_date: dt.date
    workspace_id: str
    level: str
    platform: str
    series_id: str
    metric: str
    window_start: dt.date
    run_id: str | None

    def columns(self) -> Row:
        return {
            "analysis_date": self.analysis_date,
            "workspace_id": self.workspace_id,
            "series_level": self.level,
            "platform": self.platform,
            "series_id": self.series_id,
            "metric": self.metric,
            "run_id": self.run_id,
        }


def _day(start: dt.date, index: int) -> dt.date:
    return start + dt.timedelta(days=index)


def trend_row(analysis: TrendAnalysis, series: SeriesContext, forecast: Row) -> Row:
    """One trend row; ``forecast`` holds the forecast columns (see ``forecast_columns``)."""
    trend = analysis.trend
    start = analysis.time_period[0]
    weekly = next((s for s in analysis.seasonality_patterns if s.period == 7), None)
    changes = [
        {
            "date": _day(start, c.index),
            "level_before": c.level_before,
            "level_after": c.level_after,
            "size": c.size,
            "relative_size": c.relative_size,
        }
        for c in analysis.change_points
    ]
    return {
        **series.columns(),
        "window_start": series.window_start,
        "window_end": series.analysis_date,
        "days_in_window": len(analysis.trend_points),
        "observed_days": sum(p.value is not None for p in analysis.trend_points),
        "overall_direction": analysis.overall_direction,
        "strength": analysis.strength,
        "slope": trend.slope,
        "slope_ci_lower": trend.slope_ci_low,
        "slope_ci_upper": trend.slope_ci_high,
        "level": trend.level,
        "relative_change": trend.relative_change,
        "r_squared": trend.r_squared,
        "p_value": trend.p_value,
        "significance_level": trend.significance_level,
        "weekly_seasonal_strength": weekly.strength if weekly else None,
        "peak_weekday": weekly.peak_weekday if weekly and weekly.is_seasonal else None,
        "seasonality_patterns": jsonb(list(analysis.seasonality_patterns)),
        "change_point_count": len(changes),
        "change_points": jsonb(changes),
        "last_change_date": changes[-1]["date"] if changes else None,
        "volatility": analysis.volatility.label,
        "coefficient_of_variation": analysis.volatility.coefficient_of_variation,
        "anomaly_count": len(analysis.anomalies.anomalies),
        **forecast,
        "trend_points": jsonb(list(analysis.trend_points)),
        "key_insights": jsonb(list(analysis.key_insights)),
        "statistical_metrics": jsonb(dict(analysis.statistical_metrics)),
        "insufficient_data": trend.insufficient_data,
        "insufficient_reason": trend.insufficient_reason,
    }


def anomaly_rows(analysis: TrendAnalysis, series: SeriesContext) -> list[Row]:
    """One row per anomalous day of the analysis."""
    found = analysis.anomalies
    start = analysis.time_period[0]
    return [
        {
            **series.columns(),
            "anomaly_date": _day(start, a.index),
            "value": a.value,
            "expected": a.expected,
            "score": a.score,
            "direction": a.direction,
            "method": found.method,
            "threshold": a.threshold,
            "seasonally_adjusted": found.seasonally_adjusted,
        }
        for a in found.anomalies
    ]


def forecast_columns(day: dt.date, daily: ForecastResult, total: ForecastResult, base: float) -> Row:
    """Forecast columns of a trend row: ``daily`` forecasts each day's value (quantity "delta") and
    ``total`` the running total from ``base`` (quantity "cumulative"; for young content both are
    the age-curve forecast of lifetime views). ``predictions`` lists per day the value with its 80%
    and 95% intervals and the sum since ``day`` with its 95% interval; a day's interval is NULL
    where only the running total was forecast. No daily forecast, no forecast: the running total
    alone (which interpolates gaps) is not reported."""
    if not daily.points:
        return {
            "forecast_model": None,
            "forecast_horizon": None,
            "forecast_total": None,
            "forecast_total_lower_95": None,
            "forecast_total_upper_95": None,
            "predictions": jsonb([]),
            "backtest_mase": None,
            "backtest_coverage_80": None,
            "backtest_coverage_95": None,
        }
    sums = [(p.median - base, p.lower_95 - base, p.upper_95 - base) for p in total.points]
    if daily.quantity == "delta":
        days = [(p.median, p.lower_80, p.upper_80, p.lower_95, p.upper_95) for p in daily.points]
    else:
        medians = [base] + [p.median for p in daily.points]
        days = [(b - a, None, None, None, None) for a, b in itertools.pairwise(medians)]
    predictions = [
        {
            "date": _day(day, step),
            "value": value[0],
            "lower_80": value[1],
            "upper_80": value[2],
            "lower_95": value[3],
            "upper_95": value[4],
            "sum": total_sum[0] if total_sum else None,
            "sum_lower_95": total_sum[1] if total_sum else None,
            "sum_upper_95": total_sum[2] if total_sum else None,
        }
        for step, (value, total_sum) in enumerate(zip(days, sums or [None] * len(days), strict=True), start=1)
    ]
    backtest = daily.backtest
    last = sums[-1] if sums else (None, None, None)
    return {
        "forecast_model": daily.model,
        "forecast_horizon": daily.horizon,
        "forecast_total": last[0],
        "forecast_total_lower_95": last[1],
        "forecast_total_upper_95": last[2],
        "predictions": jsonb(predictions),
        "backtest_mase": backtest.mase if backtest else None,
        "backtest_coverage_80": backtest.coverage_80 if backtest else None,
        "backtest_coverage_95": backtest.coverage_95 if backtest else None,
    }
