"""One trend analysis day: every series' TrendAnalysis and forecast over the trailing window.

Each series starts at its first value in the window (an item published during the window is not
analysed over the days before it existed); series that start on the same day are analysed
together, one block at a time. Forecasts: the daily values (model chosen per series by
rolling-origin backtest, 80% / 95% intervals of each day) and their running sum over the horizon
(intervals of the sum itself, see ``forecast_cumulative``). Content too young for a backtest gets
its lifetime views from the age benchmarks of its platform instead. Nothing here writes: the asset
replaces the day's rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dagster_project.analytics.forecast import (
    ForecastResult,
    age_curve_forecast,
    forecast_cumulative,
)
from dagster_project.analytics.trend_analysis import build_trend_analyses
from dagster_project.analytics_io.rows import Row
from dagster_project.analytics_io.series_frames import AgeCurves, SeriesBlock, series_blocks
from dagster_project.analytics_io.trend_rows import (
    SeriesContext,
    anomaly_rows,
    forecast_columns,
    trend_row,
)

Progress = Callable[[int, int], None]
YOUNG_METRIC = "daily_views"  # the age benchmarks are of lifetime views


@dataclass
class TrendDay:
    """The rows of one analysis day (``series`` counts every analysed series)."""

    day: dt.date
    trend_rows: list[Row] = field(default_factory=list)
    anomaly_rows: list[Row] = field(default_factory=list)

    @property
    def series(self) -> int:
        return len(self.trend_rows)


def _first_values(values: np.ndarray) -> np.ndarray:
    """Index of each row's first finite value (the row width when it has none)."""
    finite = np.isfinite(values)
    return np.where(finite.any(axis=1), finite.argmax(axis=1), values.shape[1])


def _running_totals(values: np.ndarray) -> np.ndarray:
    """Running sums of the daily values, NaN where the day has no value."""
    return np.where(np.isfinite(values), np.nancumsum(values, axis=1), np.nan)


def _young_forecast(
    history: pd.DataFrame, block: SeriesBlock, key: pd.Series, curves: AgeCurves | None, horizon: int
) -> tuple[ForecastResult, float] | None:
    """Lifetime views of a young content item from its platform's age benchmarks (and its last
    lifetime total), if there are benchmarks for its ages."""
    curve = curves.get(block.workspace_id, str(key["platform"])) if curves else None
    if curve is None:
        return None
    item = history[
        (history["workspace_id"] == block.workspace_id)
        & (history["platform"] == key["platform"])
        & (history["content_id"] == key["series_id"])
        & history["age_days"].notna()
        & history["views"].notna()
    ]
    if item.empty:
        return None
    ages = item["age_days"].to_numpy(dtype=int)
    first_age = int(ages.min())
    totals = np.full(int(ages.max()) - first_age + 1, np.nan)
    totals[ages - first_age] = item["views"].to_numpy(dtype=float)
    result = age_curve_forecast(totals, *curve, first_age=first_age, horizon=horizon)
    return None if result.insufficient_data else (result, float(totals[np.isfinite(totals)][-1]))


def trend_day(
    history: pd.DataFrame,
    day: dt.date,
    window_days: int,
    min_points: int,
    run_id: str | None = None,
    horizon: int = 7,
    age_curves: AgeCurves | None = None,
    progress: Progress | None = None,
) -> TrendDay:
    """Trend, anomaly and forecast rows of ``day`` for every series of ``history`` (see series_frames)."""
    start = day - dt.timedelta(days=window_days - 1)
    in_window = history[(history["metric_date"] >= start) & (history["metric_date"] <= day)]
    result = TrendDay(day)
    blocks = list(series_blocks(in_window, start, day))
    for number, block in enumerate(blocks, start=1):
        first = _first_values(block.values)
        for offset in np.unique(first):
            rows = np.flatnonzero(first == offset)
            begin = min(int(offset), block.days - 1)
            values = block.values[rows, begin:]
            analyses = build_trend_analyses(
                block.metric,
                block.start + dt.timedelta(days=begin),
                values,
                min_points=min_points,
                counts=True,
                horizon=horizon,
            )
            running = _running_totals(values)
            # Totals lose their first day to differencing: the same series, one delta fewer.
            totals = forecast_cumulative(running, horizon=horizon, min_points=max(min_points - 1, 1))
            bases = running[np.arange(rows.size), values.shape[1] - 1 - _first_values(running[:, ::-1])]
            for i, (row, analysis) in enumerate(zip(rows.tolist(), analyses, strict=True)):
                key = block.keys.iloc[row]
                series = SeriesContext(
                    day,
                    block.workspace_id,
                    block.level,
                    str(key["platform"]),
                    str(key["series_id"]),
                    block.metric,
                    start,
                    run_id,
                )
                forecast, total, base = analysis.forecast, totals.result(i), float(bases[i])
                if forecast.insufficient_data and block.level == "content" and block.metric == YOUNG_METRIC:
                    young = _young_forecast(in_window, block, key, age_curves, horizon)
                    if young is not None:
                        (forecast, base), total = young, young[0]
                columns = forecast_columns(day, forecast, total, base)
                result.trend_rows.append(trend_row(analysis, series, columns))
                result.anomaly_rows.extend(anomaly_rows(analysis, series))
        if progress:
            progress(number, len(blocks))
    return result
