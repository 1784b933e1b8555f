"""A content trend: observed daily values, the Sen trend line, the forecast with its 80% and 95%
prediction bands, and the change points (level shifts) as vertical lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from dagster_project.plots.rows import as_date, as_float, plain_json

BAND_80 = "80% prediction interval"
BAND_95 = "95% prediction interval"
CHANGE_POINT = "change point"


@dataclass(frozen=True)
class TrendPlot:
    """One series of a ``trend_analysis_results`` row, ready to draw (NaN where a day has no value)."""

    title: str
    dates: tuple[dt.date, ...]
    values: tuple[float, ...]
    trend: tuple[float, ...]
    forecast_dates: tuple[dt.date, ...]
    forecast: tuple[float, ...]
    lower_80: tuple[float, ...]
    upper_80: tuple[float, ...]
    lower_95: tuple[float, ...]
    upper_95: tuple[float, ...]
    change_points: tuple[dt.date, ...]


def most_viewed_content(rows: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The analysed content series of daily views with the highest mean level (None if there is none)."""
    candidates = [
        r
        for r in rows
        if r["series_level"] == "content"
        and r["metric"] == "daily_views"
        and not r["insufficient_data"]
        and r["level"] is not None
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (-r["level"], r["workspace_id"], r["platform"], r["series_id"]))


def trend_plot(row: Mapping[str, Any]) -> TrendPlot:
    """The drawable parts of one trend row."""
    points = plain_json(row["trend_points"])
    predictions = plain_json(row["predictions"])
    changes = plain_json(row["change_points"])

    def column(items: list[dict], key: str) -> tuple[float, ...]:
        return tuple(as_float(item[key]) for item in items)

    return TrendPlot(
        title=(
            f"{row['platform']} {row['series_id']}: {row['metric']} up to {row['analysis_date']} "
            f"({row['overall_direction']})"
        ),
        dates=tuple(as_date(p["date"]) for p in points),
        values=column(points, "value"),
        trend=column(points, "trend_value"),
        forecast_dates=tuple(as_date(p["date"]) for p in predictions),
        forecast=column(predictions, "value"),
        lower_80=column(predictions, "lower_80"),
        upper_80=column(predictions, "upper_80"),
        lower_95=column(predictions, "lower_95"),
        upper_95=column(predictions, "upper_95"),
        change_points=tuple(as_date(c["date"]) for c in changes),
    )


def trend_figure(plot: TrendPlot) -> Figure:
    """Observed values, trend line, forecast bands and change points on one time axis."""
    figure = Figure(figsize=(8, 3.6), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(plot.dates, plot.values, color="#1f77b4", linewidth=1.4, label="observed")
    axes.plot(plot.dates, plot.trend, color="#555555", linewidth=1, linestyle="--", label="trend (Sen)")
    if plot.forecast_dates:
        bands = ((BAND_95, 0.18, plot.lower_95, plot.upper_95), (BAND_80, 0.35, plot.lower_80, plot.upper_80))
        for label, alpha, lower, upper in bands:
            axes.fill_between(
                plot.forecast_dates, lower, upper, color="#ff7f0e", alpha=alpha, label=label, gid=label
            )
        axes.plot(plot.forecast_dates, plot.forecast, color="#d62728", linewidth=1.4, label="forecast")
    for number, day in enumerate(plot.change_points):
        axes.axvline(
            day,
            color="#2ca02c",
            linestyle=":",
            linewidth=1.2,
            label=CHANGE_POINT if number == 0 else None,
            gid=CHANGE_POINT,
        )
    axes.set_title(plot.title, fontsize=10)
    axes.set_ylabel("per day")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.autofmt_xdate()
    return figure
