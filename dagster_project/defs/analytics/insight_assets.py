"""Daily optimisation insights: each day's results as prioritised, quantified recommendations.

For each day of the partition range, in order: read the day's results and inputs per workspace,
generate the insights (``dagster_project.analytics.insights``), compare each with its latest
report of the days before (new / updated / unchanged) and replace the day's rows in one
transaction. Days run in order so that each sees the reports of the day before it.
"""

import datetime as dt
from collections import Counter

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.analytics.insights import ReportedInsight
from dagster_project.analytics_io.insight_day import insight_day
from dagster_project.analytics_io.insight_rows import INSIGHT_COLUMNS
from dagster_project.analytics_io.rows import Row
from dagster_project.analytics_io.store import replace_day
from dagster_project.config import get_settings
from dagster_project.defs.analytics.assets import (
    AB_TESTS,
    CONTENT_FEATURES,
    CORRELATIONS,
    IMPORTANCE,
    PERFORMANCE_HISTORY,
    PLATFORMS,
    WindowConfig,
)
from dagster_project.defs.analytics.trend_assets import AGE_BENCHMARKS, ANOMALIES, TRENDS
from dagster_project.defs.partitions import daily_partitions, partition_days
from dagster_project.defs.resources import PostgresResource
from dagster_project.defs.retries import retry_transient_database_errors
from dagster_project.plots.insights import insights_figure
from dagster_project.plots.render import image_metadata
from dagster_project.warehouse.database import connect

GROUP = "insights"
INSIGHTS = dg.AssetKey(["analytics", "optimization_insights"])
TOP_INSIGHTS = 10
STATUSES = ("new", "updated", "unchanged")

Written = list[tuple[dt.date, list[ReportedInsight]]]


def _top_table(reported: list[ReportedInsight]) -> str:
    if not reported:
        return "No insight."
    lines = ["| priority | score | type | title | impact | status |", "|---|---|---|---|---|---|"]
    for item in sorted(reported, key=lambda r: (-r.insight.priority_score, r.insight.insight_id))[
        :TOP_INSIGHTS
    ]:
        i = item.insight
        lines.append(
            f"| {i.priority} | {i.priority_score:.3f} | {i.insight_type} | {i.title} "
            f"| {i.impact_prediction} | {item.status} |"
        )
    return "\n".join(lines)


def _metadata(written: Written, last_rows: list[Row]) -> dict:
    last_day, last = written[-1]
    statuses = Counter(item.status for _, reported in written for item in reported)
    per_day = "\n".join(
        f"| {day} | {len({r.insight.workspace_id for r in reported})} | {len(reported)} "
        f"| {sum(r.insight.priority == 'high' for r in reported)} "
        + " | ".join(str(sum(r.status == s for r in reported)) for s in STATUSES)
        + " |"
        for day, reported in written
    )
    metadata = {
        "days": len(written),
        "rows": sum(len(reported) for _, reported in written),
        **{status: statuses.get(status, 0) for status in STATUSES},
        "summary_day": last_day.isoformat(),
        "by_type": dg.MetadataValue.json(dict(sorted(Counter(r.insight.insight_type for r in last).items()))),
        "by_priority": dg.MetadataValue.json(dict(sorted(Counter(r.insight.priority for r in last).items()))),
        "per_day": dg.MetadataValue.md(
            "| day | workspaces | insights | high | new | updated | unchanged |\n"
            "|---|---|---|---|---|---|---|\n" + per_day
        ),
        "top_insights": dg.MetadataValue.md(_top_table(last)),
    }
    if last_rows:
        metadata["top_insights_plot"] = image_metadata(
            insights_figure(last_rows), f"top optimisation insights by priority score, {last_day}"
        )
    return metadata


@dg.asset(
    key=INSIGHTS,
    deps=[
        CORRELATIONS,
        IMPORTANCE,
        PLATFORMS,
        AB_TESTS,
        TRENDS,
        ANOMALIES,
        CONTENT_FEATURES,
        PERFORMANCE_HISTORY,
        AGE_BENCHMARKS,
    ],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=GROUP,
    kinds={"postgres", "python"},
)
def optimization_insights(
    context: AssetExecutionContext, config: WindowConfig, warehouse: PostgresResource
) -> dg.MaterializeResult:
    """Prioritised, quantified recommendations from the day's results: best posting daypart and
    weekday, content length, format and category per platform, platform mix, A/B winners,
    underperformers against their age benchmark, rising and decaying items, anomalies. Priority =
    effect x reach x confidence; an insight whose evidence did not change is marked unchanged."""
    with retry_transient_database_errors(context):
        settings = get_settings()
        days = partition_days(context)
        written: Written = []
        rows: list[Row] = []
        for number, day in enumerate(days, start=1):
            with connect(warehouse.url()) as conn:
                result = insight_day(
                    conn, day, config.days, settings.LOW_PERFORMANCE_THRESHOLD, context.run.run_id
                )
                deleted, inserted = replace_day(
                    conn, "optimization_insights", day, INSIGHT_COLUMNS, result.rows
                )
            rows = result.rows
            statuses = Counter(item.status for item in result.reported)
            context.log.info(
                f"[{number}/{len(days)}] {day}: {result.workspaces} workspaces, {inserted} insights written "
                f"({deleted} replaced): {statuses['new']} new, {statuses['updated']} updated, "
                f"{statuses['unchanged']} unchanged"
            )
            written.append((day, result.reported))
        return dg.MaterializeResult(metadata=_metadata(written, rows))
