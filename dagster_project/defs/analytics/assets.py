"""Daily analytics over a trailing window of published content, written to schema ``analytics``.

Each partitioned asset processes the days of its partition range in order; a day's rows are
deleted and re-inserted in one transaction, so re-running a day replaces it (readers see the old
rows until the commit). The statistics live in ``dagster_project.analytics``; these assets read,
call, write and report.
"""

import datetime as dt
from collections.abc import Callable, Sequence

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from dagster_project.analytics_io import summary
from dagster_project.analytics_io.daily import (
    Thresholds,
    ab_day,
    correlation_day,
    importance_day,
    platform_day,
)
from dagster_project.analytics_io.experiments import (
    declaration_files,
    read_declarations,
    sync_declarations,
)
from dagster_project.analytics_io.frames import (
    AnalysisWindow,
    prepare_features,
    read_content_features,
)
from dagster_project.analytics_io.rows import (
    AB_COLUMNS,
    CORRELATION_COLUMNS,
    IMPORTANCE_COLUMNS,
    PLATFORM_COLUMNS,
    Row,
)
from dagster_project.analytics_io.store import replace_day
from dagster_project.config import get_settings
from dagster_project.defs.partitions import daily_partitions, partition_days
from dagster_project.defs.resources import LandingZoneResource, PostgresResource
from dagster_project.defs.retries import retry_transient_database_errors
from dagster_project.plots.platforms import platform_figure, platform_panels
from dagster_project.plots.render import image_metadata
from dagster_project.warehouse.database import connect

GROUP = "analytics"
CONTENT_FEATURES = dg.AssetKey(["marts", "content_feature_analysis"])
PERFORMANCE_HISTORY = dg.AssetKey(["marts", "content_performance_history"])
EXPERIMENTS = dg.AssetKey(["analytics", "experiments"])
CORRELATIONS = dg.AssetKey(["analytics", "correlation_analysis_results"])
IMPORTANCE = dg.AssetKey(["analytics", "feature_importance_results"])
PLATFORMS = dg.AssetKey(["analytics", "platform_comparison_results"])
AB_TESTS = dg.AssetKey(["analytics", "ab_test_performance"])


class WindowConfig(dg.Config):
    """The trailing window: content published in the ``window_days`` days ending on the partition
    day (default: the ANALYSIS_WINDOW_DAYS setting)."""

    window_days: int | None = None

    @property
    def days(self) -> int:
        return self.window_days or get_settings().ANALYSIS_WINDOW_DAYS


class CreatorScopeConfig(WindowConfig):
    """``min_items_per_creator``: items a creator needs (with the metric) to enter the
    within-creator scope; more items keep its p-values closer to exact (default: the
    MIN_ITEMS_PER_CREATOR setting)."""

    min_items_per_creator: int | None = None

    @property
    def creator_minimum(self) -> int:
        return self.min_items_per_creator or get_settings().MIN_ITEMS_PER_CREATOR


class ImportanceConfig(CreatorScopeConfig):
    bootstrap_resamples: int = 500


def thresholds() -> Thresholds:
    settings = get_settings()
    return Thresholds(settings.CORRELATION_SIGNIFICANCE_THRESHOLD, settings.MIN_DATA_POINTS_FOR_ANALYSIS)


def _feature_days(
    context: AssetExecutionContext,
    url: str,
    window_days: int,
    table: str,
    columns: Sequence[str],
    analyse: Callable[[pd.DataFrame, AnalysisWindow], list[Row]],
) -> list[tuple[dt.date, list[Row]]]:
    """For each partition day in order: read the window, analyse, replace the day's rows."""
    days = partition_days(context)
    written = []
    for number, day in enumerate(days, start=1):
        window = AnalysisWindow.ending(day, window_days)
        with connect(url) as conn:
            frame = prepare_features(read_content_features(conn, window), day)
            rows = analyse(frame, window)
            deleted, inserted = replace_day(conn, table, day, columns, rows)
        context.log.info(
            f"[{number}/{len(days)}] {day}: {len(frame)} items published {window.start}..{day}, "
            f"{inserted} rows written ({deleted} replaced)"
        )
        written.append((day, rows))
    return written


def _metadata(
    written: list[tuple[dt.date, list[Row]]],
    top: Callable[[list[Row]], str],
    significant: str = "is_significant",
) -> dict:
    all_rows = [row for _, rows in written for row in rows]
    last_day, last_rows = written[-1]
    per_day = "\n".join(
        f"| {day} | {len({r['workspace_id'] for r in rows})} | {len(rows)} "
        + "| {tests} | {significant} | {insufficient_data} |".format(**summary.count_tests(rows, significant))
        for day, rows in written
    )
    return {
        "days": len(written),
        "rows": len(all_rows),
        **summary.count_tests(all_rows, significant),
        "workspaces": len({r["workspace_id"] for r in all_rows}),
        "per_day": dg.MetadataValue.md(
            "| day | workspaces | rows | tests | significant | insufficient data |\n"
            "|---|---|---|---|---|---|\n" + per_day
        ),
        "top_findings_day": last_day.isoformat(),
        "top_findings": dg.MetadataValue.md(top(last_rows)),
    }


_ANALYTICS_ASSET = {
    "partitions_def": daily_partitions,
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "group_name": GROUP,
    "kinds": {"postgres", "python"},
}


@dg.asset(key=CORRELATIONS, deps=[CONTENT_FEATURES], **_ANALYTICS_ASSET)
def correlation_analysis_results(
    context: AssetExecutionContext, config: CreatorScopeConfig, warehouse: PostgresResource
) -> dg.MaterializeResult:
    """Feature vs performance at equal ages (log1p views and engagement rate at day 7 and 30):
    Pearson and Spearman, point-biserial, Welch ANOVA and Kruskal-Wallis with effect sizes,
    Benjamini-Hochberg per workspace and scope (overall, within creator, each platform)."""
    with retry_transient_database_errors(context):
        limits = thresholds()

        def analyse(frame: pd.DataFrame, window: AnalysisWindow) -> list[Row]:
            return correlation_day(
                frame,
                window,
                limits,
                min_items_per_creator=config.creator_minimum,
                run_id=context.run.run_id,
            )

        written = _feature_days(
            context,
            warehouse.url(),
            config.days,
            "correlation_analysis_results",
            CORRELATION_COLUMNS,
            analyse,
        )
        return dg.MaterializeResult(metadata=_metadata(written, summary.top_correlations))


@dg.asset(key=IMPORTANCE, deps=[CONTENT_FEATURES], **_ANALYTICS_ASSET)
def feature_importance_results(
    context: AssetExecutionContext, config: ImportanceConfig, warehouse: PostgresResource
) -> dg.MaterializeResult:
    """Standardised OLS coefficients of the numeric and binary features with bootstrap intervals
    for each coefficient and its rank: overall (within platform), within creator, per platform."""
    with retry_transient_database_errors(context):
        limits = thresholds()

        def analyse(frame: pd.DataFrame, window: AnalysisWindow) -> list[Row]:
            return importance_day(
                frame,
                window,
                limits,
                min_items_per_creator=config.creator_minimum,
                bootstrap_resamples=config.bootstrap_resamples,
                run_id=context.run.run_id,
            )

        written = _feature_days(
            context,
            warehouse.url(),
            config.days,
            "feature_importance_results",
            IMPORTANCE_COLUMNS,
            analyse,
        )
        return dg.MaterializeResult(metadata=_metadata(written, summary.top_importances, "excludes_zero"))


@dg.asset(key=PLATFORMS, deps=[CONTENT_FEATURES], **_ANALYTICS_ASSET)
def platform_comparison_results(
    context: AssetExecutionContext, config: WindowConfig, warehouse: PostgresResource
) -> dg.MaterializeResult:
    """Metrics across platforms (Kruskal-Wallis, Holm-corrected pairwise Mann-Whitney with
    rank-biserial) and feature effects that differ between platforms (Cochran's Q)."""
    with retry_transient_database_errors(context):
        limits = thresholds()

        def analyse(frame: pd.DataFrame, window: AnalysisWindow) -> list[Row]:
            return platform_day(frame, window, limits, run_id=context.run.run_id)

        written = _feature_days(
            context, warehouse.url(), config.days, "platform_comparison_results", PLATFORM_COLUMNS, analyse
        )
        metadata = _metadata(written, summary.top_platform_findings)
        workspace, panels = platform_panels(written[-1][1])
        if panels:
            metadata["platform_comparison_plot"] = image_metadata(
                platform_figure(workspace, panels), f"platform means with 95% intervals, {workspace}"
            )
        return dg.MaterializeResult(metadata=metadata)


@dg.asset(key=EXPERIMENTS, group_name=GROUP, kinds={"postgres", "csv"})
def experiments(landing_zone: LandingZoneResource, warehouse: PostgresResource) -> dg.MaterializeResult:
    """A/B experiments declared as data (``<landing>/_experiments/*.csv``), loaded idempotently:
    each declared experiment's rows are replaced; experiments no longer in any file are kept."""
    files = declaration_files(landing_zone.directory())
    declarations = read_declarations(files, get_settings().DEFAULT_WORKSPACE_ID)
    with connect(warehouse.url()) as conn:
        report = sync_declarations(conn, declarations, len(files))
    return dg.MaterializeResult(
        metadata={
            "files": report.files,
            "experiments": report.experiments,
            "items": report.items,
            "replaced_items": report.replaced_items,
            "kept_undeclared": dg.MetadataValue.json(list(report.kept_undeclared)),
        }
    )


@dg.asset(key=AB_TESTS, deps=[EXPERIMENTS, PERFORMANCE_HISTORY, CONTENT_FEATURES], **_ANALYTICS_ASSET)
def ab_test_performance(
    context: AssetExecutionContext, config: WindowConfig, warehouse: PostgresResource
) -> dg.MaterializeResult:
    """Each declared experiment as of the partition day, at the same content age for every
    variant: Welch t (mean metrics) or delta-method rate test, Mann-Whitney, bootstrap lift
    interval, probability best, sample-ratio and weekday checks, power; no verdict before the
    fixed horizon."""
    with retry_transient_database_errors(context):
        limits = thresholds()
        days = partition_days(context)
        written = []
        for number, day in enumerate(days, start=1):
            with connect(warehouse.url()) as conn:
                rows, _ = ab_day(conn, day, limits, window_days=config.days, run_id=context.run.run_id)
                deleted, inserted = replace_day(conn, "ab_test_performance", day, AB_COLUMNS, rows)
            experiments = len({(r["workspace_id"], r["experiment_id"]) for r in rows})
            context.log.info(
                f"[{number}/{len(days)}] {day}: {experiments} experiments, "
                f"{inserted} rows written ({deleted} replaced)"
            )
            written.append((day, rows))
        all_rows = [row for _, rows in written for row in rows]
        last_day, last_rows = written[-1]
        return dg.MaterializeResult(
            metadata={
                "days": len(written),
                "rows": len(all_rows),
                "experiments": len({(r["workspace_id"], r["experiment_id"]) for r in last_rows}),
                "tests": sum(r["primary_p_value"] is not None for r in all_rows),
                "significant": sum(bool(r["is_significant"]) for r in all_rows),
                "verdicts": dg.MetadataValue.json(summary.verdict_counts(last_rows)),
                "insufficient_data": len(
                    {
                        (d, r["workspace_id"], r["experiment_id"])
                        for d, rows in written
                        for r in rows
                        if r["verdict"] == "insufficient_data"
                    }
                ),
                "verdicts_day": last_day.isoformat(),
                "top_findings": dg.MetadataValue.md(summary.experiment_table(last_rows)),
            }
        )
