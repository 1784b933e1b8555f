"""The daily export: the analytics tables as an Excel workbook and a JSON document for one day.

Files go to ``<DATA_DIR>/exports/<day>/`` (or the configured directory); a re-run replaces them
(each is written beside its target and renamed when complete). The asset has its own job,
``export_job``, so the daily pipeline does not wait for it.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.config import get_settings
from dagster_project.defs.analytics.assets import (
    AB_TESTS,
    CORRELATIONS,
    IMPORTANCE,
    PERFORMANCE_HISTORY,
    PLATFORMS,
)
from dagster_project.defs.analytics.insight_assets import INSIGHTS
from dagster_project.defs.analytics.trend_assets import ANOMALIES, TRENDS
from dagster_project.defs.partitions import daily_partitions
from dagster_project.defs.resources import PostgresResource
from dagster_project.defs.retries import retry_transient_database_errors
from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.formats import ExportFormat, export_to_path, file_name, prepare
from dagster_project.exports.reader import ExportReport
from dagster_project.warehouse.database import connect

EXPORT = dg.AssetKey(["exports", "analytics_export"])
BENCHMARKS = dg.AssetKey(["marts", "performance_benchmarks"])
FORMATS = (ExportFormat.EXCEL, ExportFormat.JSON)


class ExportConfig(dg.Config):
    """``timeframe`` (7d, 30d, 90d or 1y) ending on the partition day; optional platform and
    content filters; ``directory``: where the day's folder goes (default: DATA_DIR/exports)."""

    timeframe: str = "7d"
    platforms: list[str] = []
    content_ids: list[str] = []
    directory: str | None = None

    def day_directory(self, day: str) -> Path:
        return Path(self.directory or get_settings().DATA_DIR / "exports") / day


@dg.asset(
    key=EXPORT,
    deps=[
        PERFORMANCE_HISTORY,
        BENCHMARKS,
        CORRELATIONS,
        IMPORTANCE,
        PLATFORMS,
        AB_TESTS,
        TRENDS,
        ANOMALIES,
        INSIGHTS,
    ],
    partitions_def=daily_partitions,
    group_name="serving",
    kinds={"excel", "json"},
)
def analytics_export(
    context: AssetExecutionContext, config: ExportConfig, warehouse: PostgresResource
) -> dg.MaterializeResult:
    """Every analytics table over the timeframe ending on the partition day, as an Excel workbook
    (formatted sheets, metadata sheet, native charts) and one JSON document."""
    day = context.partition_key
    directory = config.day_directory(day)
    generated_at = dt.datetime.now(dt.UTC)
    metadata: dict[str, object] = {}
    with retry_transient_database_errors(context), connect(warehouse.url()) as conn:
        filters, tables = prepare(
            conn,
            ExportFilters(
                timeframe=config.timeframe,  # type: ignore[arg-type]  (ExportFilters validates it)
                platforms=tuple(config.platforms),
                content_ids=tuple(config.content_ids),
                as_of=dt.date.fromisoformat(day),
            ),
        )
        for fmt in FORMATS:
            report = ExportReport()
            [path] = export_to_path(
                conn, fmt, filters, tables, directory / file_name(fmt, filters, tables), report, generated_at
            )
            context.log.info(
                f"{day}: wrote {sum(report.rows.values())} rows of {len(tables)} tables to {path}"
            )
            metadata[f"{fmt.value}_path"] = dg.MetadataValue.path(str(path))
            metadata[f"{fmt.value}_bytes"] = path.stat().st_size
    # Both formats hold the same rows: report the counts once.
    metadata["rows"] = sum(report.rows.values())
    metadata["rows_per_table"] = dg.MetadataValue.json(report.rows)
    metadata["filters"] = dg.MetadataValue.json(filters.describe())
    return dg.MaterializeResult(metadata=metadata)


export_job = dg.define_asset_job(
    "export_job",
    selection=[EXPORT],
    description="Write the day's analytics export (Excel and JSON) under DATA_DIR/exports/<day>/.",
)
