"""The exported tables and how the filters apply to each.

A filter applies to a table that has the matching column; a table without one is exported whole
for that filter, and the export's metadata lists what was applied to each table. Result tables
hold one analysis per ``analysis_date``, so the timeframe selects the analyses of its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from psycopg import sql

from dagster_project.exports.filters import ExportFilters


class ContentMatch(StrEnum):
    """How a table names content: its own column, a content-level series, or a list of items."""

    COLUMN = "content_id"
    SERIES = "series_id of content-level series"
    AFFECTED = "affected_content"


@dataclass(frozen=True)
class ExportTable:
    name: str
    schema: str
    table: str
    order_by: tuple[str, ...]
    date_column: str | None = None
    platform_column: str | None = None
    content: ContentMatch | None = None

    @property
    def source(self) -> str:
        return f"{self.schema}.{self.table}"

    def applied_filters(self, filters: ExportFilters) -> list[str]:
        """The filters this table's rows were selected by, in words (for the metadata)."""
        applied = []
        if self.date_column:
            start, end = filters.window
            applied.append(f"{self.date_column} {start}..{end}")
        if filters.workspace_id:
            applied.append(f"workspace_id = {filters.workspace_id}")
        if filters.platforms and self.platform_column:
            applied.append(f"{self.platform_column} in ({', '.join(filters.platforms)})")
        if filters.content_ids and self.content:
            applied.append(f"{self.content.value} in ({', '.join(filters.content_ids)})")
        return applied

    def query(self, filters: ExportFilters) -> tuple[sql.Composed, list[object]]:
        """``select *`` of the rows the filters select, in primary-key order."""
        conditions, params = filter_conditions(self, filters)
        statement = sql.SQL("select * from {} where {} order by {}").format(
            sql.Identifier(self.schema, self.table),
            sql.SQL(" and ").join(conditions),
            sql.SQL(", ").join(map(sql.Identifier, self.order_by)),
        )
        return statement, params


def filter_conditions(
    table: ExportTable, filters: ExportFilters
) -> tuple[list[sql.Composable], list[object]]:
    """Where-clause conditions (always at least one) and their parameters."""
    conditions: list[sql.Composable] = [sql.SQL("true")]
    params: list[object] = []
    if table.date_column:
        conditions.append(sql.SQL("{} between %s and %s").format(sql.Identifier(table.date_column)))
        params += list(filters.window)
    if filters.workspace_id:
        conditions.append(sql.SQL("workspace_id = %s"))
        params.append(filters.workspace_id)
    if filters.platforms and table.platform_column:
        conditions.append(sql.SQL("{} = any(%s)").format(sql.Identifier(table.platform_column)))
        params.append(list(filters.platforms))
    if filters.content_ids and table.content:
        conditions.append(
            {
                ContentMatch.COLUMN: sql.SQL("content_id = any(%s)"),
                ContentMatch.SERIES: sql.SQL("series_level = 'content' and series_id = any(%s)"),
                ContentMatch.AFFECTED: sql.SQL("affected_content && %s::text[]"),
            }[table.content]
        )
        params.append(list(filters.content_ids))
    return conditions, params


_RESULT_KEY = ("analysis_date", "workspace_id")
_SERIES_KEY = (*_RESULT_KEY, "series_level", "platform", "series_id", "metric")

HISTORY = ExportTable(
    "performance_history",
    "marts",
    "content_performance_history",
    order_by=("workspace_id", "platform", "content_id", "metric_date"),
    date_column="metric_date",
    platform_column="platform",
    content=ContentMatch.COLUMN,
)
TRENDS = ExportTable(
    "trend_results",
    "analytics",
    "trend_analysis_results",
    order_by=_SERIES_KEY,
    date_column="analysis_date",
    platform_column="platform",
    content=ContentMatch.SERIES,
)
PLATFORM_COMPARISON = ExportTable(
    "platform_comparison",
    "analytics",
    "platform_comparison_results",
    order_by=(*_RESULT_KEY, "comparison", "feature", "metric"),
    date_column="analysis_date",
)

EXPORT_TABLES: tuple[ExportTable, ...] = (
    HISTORY,
    ExportTable(
        "benchmarks",
        "marts",
        "performance_benchmarks",
        order_by=("workspace_id", "platform", "category", "age_days"),
        platform_column="platform",
    ),
    ExportTable(
        "correlations",
        "analytics",
        "correlation_analysis_results",
        order_by=(*_RESULT_KEY, "scope", "feature", "metric", "method"),
        date_column="analysis_date",
        platform_column="scope",  # per-platform scopes are named after their platform
    ),
    ExportTable(
        "feature_importance",
        "analytics",
        "feature_importance_results",
        order_by=(*_RESULT_KEY, "scope", "metric", "feature"),
        date_column="analysis_date",
        platform_column="scope",
    ),
    PLATFORM_COMPARISON,
    ExportTable(
        "ab_tests",
        "analytics",
        "ab_test_performance",
        order_by=(*_RESULT_KEY, "experiment_id", "variant"),
        date_column="analysis_date",
    ),
    TRENDS,
    ExportTable(
        "anomalies",
        "analytics",
        "performance_anomalies",
        order_by=(*_SERIES_KEY, "anomaly_date"),
        date_column="analysis_date",
        platform_column="platform",
        content=ContentMatch.SERIES,
    ),
    ExportTable(
        "optimization_insights",
        "analytics",
        "optimization_insights",
        order_by=(*_RESULT_KEY, "insight_id"),
        date_column="analysis_date",
        platform_column="platform",
        content=ContentMatch.AFFECTED,
    ),
)
TABLES_BY_NAME = {t.name: t for t in EXPORT_TABLES}


def select_tables(names: tuple[str, ...] = ()) -> tuple[ExportTable, ...]:
    """The named tables in export order (all of them when ``names`` is empty)."""
    unknown = sorted(set(names) - set(TABLES_BY_NAME))
    if unknown:
        raise ValueError(f"unknown table {', '.join(unknown)}: use one of {', '.join(TABLES_BY_NAME)}")
    return tuple(t for t in EXPORT_TABLES if not names or t.name in names)
