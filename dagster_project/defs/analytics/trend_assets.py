"""Daily trend analyses and anomalies of every content item, account and platform series.

One multi-asset writes both tables, because they come from the same pass over the series: for
each day of the partition range, the trailing window of daily views and interactions ending that
day is analysed (trend, seasonality, change points, volatility, anomalies, forecast), and the
day's rows of both tables are replaced in one transaction. The history of a whole range is read
once.
"""

import datetime as dt
from collections import Counter
from statistics import median

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.analytics_io.rows import Row
from dagster_project.analytics_io.series_frames import read_age_curves, read_history
from dagster_project.analytics_io.store import replace_day
from dagster_project.analytics_io.trend_day import TrendDay, trend_day
from dagster_project.analytics_io.trend_rows import ANOMALY_COLUMNS, TREND_COLUMNS
from dagster_project.config import get_settings
from dagster_project.defs.analytics.assets import CONTENT_FEATURES, PERFORMANCE_HISTORY, WindowConfig
from dagster_project.defs.partitions import daily_partitions, partition_days
from dagster_project.defs.resources import PostgresResource
from dagster_project.defs.retries import retry_transient_database_errors
from dagster_project.plots.render import image_metadata
from dagster_project.plots.trend import most_viewed_content, trend_figure, trend_plot
from dagster_project.warehouse.database import connect

AGE_BENCHMARKS = dg.AssetKey(["intermediate", "int_age_benchmarks_computed"])
GROUP = "trends"
TRENDS = dg.AssetKey(["analytics", "trend_analysis_results"])
ANOMALIES = dg.AssetKey(["analytics", "performance_anomalies"])


class TrendConfig(WindowConfig):
    """``window_days``: days of history analysed up to the partition day (default:
    ANALYSIS_WINDOW_DAYS); ``horizon_days``: days forecast after it."""

    horizon_days: int = 7


def _forecast_accuracy(rows: list[Row]) -> dict[str, float]:
    mase = [r["backtest_mase"] for r in rows if r["backtest_mase"] is not None]
    out: dict[str, float] = {"series_with_backtest": float(len(mase))}
    if mase:
        out["median_mase"] = round(median(mase), 3)
        out["share_beating_seasonal_naive"] = round(sum(m < 1 for m in mase) / len(mase), 3)
    for level in ("80", "95"):
        coverage = [
            r[f"backtest_coverage_{level}"] for r in rows if r[f"backtest_coverage_{level}"] is not None
        ]
        if coverage:
            out[f"mean_coverage_{level}"] = round(sum(coverage) / len(coverage), 3)
    return out


def _summary(written: list[TrendDay]) -> tuple[dict, dict]:
    last = written[-1]
    directions = Counter(f"{r['series_level']}:{r['overall_direction']}" for r in last.trend_rows)
    per_day = "\n".join(
        f"| {d.day} | {d.series} | {sum(not r['insufficient_data'] for r in d.trend_rows)} "
        f"| {sum(r['change_point_count'] for r in d.trend_rows)} | {len(d.anomaly_rows)} |"
        for d in written
    )
    trends = {
        "days": len(written),
        "series": sum(d.series for d in written),
        "summary_day": last.day.isoformat(),
        "directions": dg.MetadataValue.json(dict(sorted(directions.items()))),
        "change_points": sum(r["change_point_count"] for r in last.trend_rows),
        "insufficient_data": sum(bool(r["insufficient_data"]) for r in last.trend_rows),
        "forecast_accuracy": dg.MetadataValue.json(_forecast_accuracy(last.trend_rows)),
        "forecast_models": dg.MetadataValue.json(
            dict(Counter(r["forecast_model"] or "none" for r in last.trend_rows))
        ),
        "per_day": dg.MetadataValue.md(
            "| day | series | analysed | change points | anomalies |\n|---|---|---|---|---|\n" + per_day
        ),
    }
    top = most_viewed_content(last.trend_rows)
    if top is not None:
        trends["most_viewed_content_trend"] = image_metadata(
            trend_figure(trend_plot(top)), f"daily views of {top['platform']} {top['series_id']}"
        )
    on_last_day = [r for r in last.anomaly_rows if r["anomaly_date"] == last.day]
    anomalies = {
        "days": len(written),
        "rows": sum(len(d.anomaly_rows) for d in written),
        "summary_day": last.day.isoformat(),
        "anomalies_in_window": len(last.anomaly_rows),
        "anomalies_on_summary_day": len(on_last_day),
        "by_direction": dg.MetadataValue.json(dict(Counter(r["direction"] for r in last.anomaly_rows))),
    }
    return trends, anomalies


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            TRENDS,
            deps=[PERFORMANCE_HISTORY, CONTENT_FEATURES, AGE_BENCHMARKS],
            description="The seed's TrendAnalysis of every series, with forecasts and change points.",
            kinds={"postgres", "python"},
        ),
        dg.AssetSpec(
            ANOMALIES,
            deps=[PERFORMANCE_HISTORY, CONTENT_FEATURES],
            description="Unusual days of every series in the trailing window.",
            kinds={"postgres", "python"},
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=GROUP,
)
def trend_analysis_results(context: AssetExecutionContext, config: TrendConfig, warehouse: PostgresResource):
    """Trend (Mann-Kendall/Sen), weekly and monthly seasonality, PELT change points, volatility,
    robust anomalies and a backtested forecast of each content item's, account's and platform's
    daily views and interactions over the trailing window ending on each partition day."""
    with retry_transient_database_errors(context):
        days = partition_days(context)
        settings = get_settings()
        first_start = days[0] - dt.timedelta(days=config.days - 1)
        with connect(warehouse.url()) as conn:
            history = read_history(conn, first_start, days[-1])
            curves = read_age_curves(conn, days[0], days[-1])
        context.log.info(f"Read {len(history)} item-days from {first_start} to {days[-1]}")
        written: list[TrendDay] = []
        for number, day in enumerate(days, start=1):
            result = trend_day(
                history,
                day,
                config.days,
                settings.MIN_DATA_POINTS_FOR_ANALYSIS,
                run_id=context.run.run_id,
                horizon=config.horizon_days,
                age_curves=curves.get(day),
            )
            with connect(warehouse.url()) as conn:
                replace_day(conn, "trend_analysis_results", day, TREND_COLUMNS, result.trend_rows)
                replace_day(conn, "performance_anomalies", day, ANOMALY_COLUMNS, result.anomaly_rows)
            context.log.info(
                f"[{number}/{len(days)}] {day}: {result.series} series analysed, "
                f"{len(result.anomaly_rows)} anomalies in the window"
            )
            written.append(result)
        trends, anomalies = _summary(written)
        yield dg.MaterializeResult(asset_key=TRENDS, metadata=trends)
        yield dg.MaterializeResult(asset_key=ANOMALIES, metadata=anomalies)
