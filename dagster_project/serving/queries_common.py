"""Reads shared by the endpoints: row helpers, the workspace's latest days, stored trend analyses,
correlations and optimisation insights.

Every query is a function of a psycopg connection and the caller's workspace. The API runs them
on a connection limited by row-level security to that workspace (``serving.deps``); the
explicit ``workspace_id`` filter is there for the indexes (every key starts with it, or with the
analysis day and then it) and as a second guard. Nothing is computed here that an asset already
stored: the queries select, sum and count stored rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from dagster_project.ingest.schema import PLATFORMS
from dagster_project.serving.models_reads import (
    CorrelationResult,
    OptimizationInsight,
    TrendAnalysis,
)

Row = dict[str, Any]

# Result tables whose latest analysis day a read may look up (identifiers from this constant only).
ANALYSIS_TABLES = frozenset(
    {
        "trend_analysis_results",
        "performance_anomalies",
        "correlation_analysis_results",
        "optimization_insights",
    }
)


class ContentNotFound(LookupError):
    """No row of the content in the caller's workspace (HTTP 404)."""


class AmbiguousContent(ValueError):
    """The content id exists on several platforms and no platform was given (HTTP 422)."""


def fetch_rows(conn: psycopg.Connection, query: str | sql.Composed, params: Mapping[str, Any]) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def fetch_row(conn: psycopg.Connection, query: str | sql.Composed, params: Mapping[str, Any]) -> Row | None:
    rows = fetch_rows(conn, query, params)
    return rows[0] if rows else None


def latest_metric_date(conn: psycopg.Connection, workspace_id: str) -> dt.date | None:
    """The workspace's latest metric day in the dashboard view (timeframes end on it)."""
    row = fetch_row(
        conn,
        "select max(metric_date) as as_of from bi.dashboard_overview where workspace_id = %(workspace)s",
        {"workspace": workspace_id},
    )
    return row["as_of"] if row else None


def latest_analysis_date(conn: psycopg.Connection, table: str, workspace_id: str) -> dt.date | None:
    """The latest analysis day of ``analytics.<table>`` with rows of the workspace."""
    if table not in ANALYSIS_TABLES:
        raise ValueError(f"not an analysis table: {table}")
    query = sql.SQL("select max(analysis_date) as day from {} where workspace_id = %(workspace)s").format(
        sql.Identifier("analytics", table)
    )
    row = fetch_row(conn, query, {"workspace": workspace_id})
    return row["day"] if row else None


def resolve_platform(
    conn: psycopg.Connection, workspace_id: str, content_id: str, platform: str | None
) -> str:
    """The platform of ``content_id`` in the workspace's history (404 unknown, 422 ambiguous)."""
    rows = fetch_rows(
        conn,
        """
        select platform
        from marts.content_feature_analysis
        where workspace_id = %(workspace)s and platform = any(%(platforms)s) and content_id = %(content)s
        order by platform
        """,
        {
            "workspace": workspace_id,
            "content": content_id,
            "platforms": [platform] if platform else list(PLATFORMS),
        },
    )
    if not rows:
        where = f" on {platform}" if platform else ""
        raise ContentNotFound(f"content {content_id!r}{where} not found")
    if len(rows) > 1:
        found = ", ".join(r["platform"] for r in rows)
        raise AmbiguousContent(f"content {content_id!r} exists on {found}: give its platform")
    return rows[0]["platform"]


_TRENDS = """
    select *
    from analytics.trend_analysis_results
    where analysis_date = %(day)s and workspace_id = %(workspace)s and series_level = %(level)s
        and platform = %(platform)s and series_id = %(series)s
    order by metric
"""


def trend_analyses(
    conn: psycopg.Connection, workspace_id: str, level: str, platform: str, series_id: str
) -> list[TrendAnalysis]:
    """The stored trend analyses (one per metric) of a series, from the latest analysis day."""
    day = latest_analysis_date(conn, "trend_analysis_results", workspace_id)
    if day is None:
        return []
    params = {
        "day": day,
        "workspace": workspace_id,
        "level": level,
        "platform": platform,
        "series": series_id,
    }
    return [trend_analysis(row) for row in fetch_rows(conn, _TRENDS, params)]


def trend_analysis(row: Row) -> TrendAnalysis:
    return TrendAnalysis(
        metric_name=row["metric"],
        time_period=(row["window_start"], row["window_end"]),
        overall_direction=row["overall_direction"],
        strength=row["strength"],
        trend_points=row["trend_points"],
        seasonality_patterns=row["seasonality_patterns"],
        change_points=row["change_points"],
        predictions=row["predictions"],
        key_insights=row["key_insights"],
        statistical_metrics=row["statistical_metrics"],
        analysis_date=row["analysis_date"],
        series_level=row["series_level"],
        series_id=row["series_id"],
        platform=row["platform"],
        volatility=row["volatility"],
        forecast_model=row["forecast_model"],
        forecast_total=row["forecast_total"],
        forecast_total_lower_95=row["forecast_total_lower_95"],
        forecast_total_upper_95=row["forecast_total_upper_95"],
        insufficient_reason=row["insufficient_reason"],
    )


_CORRELATIONS = """
    select *
    from analytics.correlation_analysis_results
    where analysis_date = %(day)s and workspace_id = %(workspace)s and scope = %(scope)s
        and is_significant
    order by adjusted_p_value, abs(correlation_coefficient) desc nulls last, feature, metric, method
    limit %(limit)s
"""


def significant_correlations(
    conn: psycopg.Connection, workspace_id: str, scope: str, limit: int
) -> list[CorrelationResult]:
    """The strongest significant feature-metric associations of a scope (a platform, ``overall``)."""
    day = latest_analysis_date(conn, "correlation_analysis_results", workspace_id)
    if day is None:
        return []
    params = {"day": day, "workspace": workspace_id, "scope": scope, "limit": limit}
    return [
        CorrelationResult(
            feature=row["feature"],
            metric=row["metric"],
            correlation_coefficient=row["correlation_coefficient"],
            p_value=row["p_value"],
            strength=row["strength"],
            direction=row["direction"],
            significance_level=row["significance_level"],
            sample_size=row["sample_size"],
            confidence_interval=(row["confidence_interval_lower"], row["confidence_interval_upper"]),
            interpretation=row["interpretation"],
            method=row["method"],
            adjusted_p_value=row["adjusted_p_value"],
            is_significant=row["is_significant"],
            analysis_date=row["analysis_date"],
        )
        for row in fetch_rows(conn, _CORRELATIONS, params)
    ]


_INSIGHT_FILTER = """
    from analytics.optimization_insights
    where analysis_date = %(day)s and workspace_id = %(workspace)s
        and (%(include_unchanged)s or status in ('new', 'updated'))
        and (%(platforms)s::text[] is null or platform = any(%(platforms)s::text[]))
        and (%(content_ids)s::text[] is null or affected_content && %(content_ids)s::text[])
        and (%(types)s::text[] is null or insight_type = any(%(types)s::text[]))
        and (%(priorities)s::text[] is null or priority = any(%(priorities)s::text[]))
"""
_INSIGHTS_PAGE = (
    "select *"
    + _INSIGHT_FILTER
    + "order by priority_score desc, insight_id limit %(limit)s offset %(offset)s"
)
_INSIGHTS_COUNT = "select count(*) as total" + _INSIGHT_FILTER


def insights_page(
    conn: psycopg.Connection,
    workspace_id: str,
    *,
    platforms: Sequence[str] | None = None,
    content_ids: Sequence[str] | None = None,
    insight_types: Sequence[str] | None = None,
    priorities: Sequence[str] | None = None,
    include_unchanged: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[dt.date | None, int, list[OptimizationInsight]]:
    """(analysis day, total, page) of the latest day's insights, highest priority first.

    By default only insights that are new or whose evidence changed since they were last reported.
    """
    day = latest_analysis_date(conn, "optimization_insights", workspace_id)
    if day is None:
        return None, 0, []
    params = {
        "day": day,
        "workspace": workspace_id,
        "include_unchanged": include_unchanged,
        "platforms": _list_or_none(platforms),
        "content_ids": _list_or_none(content_ids),
        "types": _list_or_none(insight_types),
        "priorities": _list_or_none(priorities),
        "limit": limit,
        "offset": offset,
    }
    total = fetch_rows(conn, _INSIGHTS_COUNT, params)[0]["total"]
    return day, total, [optimization_insight(row) for row in fetch_rows(conn, _INSIGHTS_PAGE, params)]


def _list_or_none(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def optimization_insight(row: Row) -> OptimizationInsight:
    return OptimizationInsight(
        insight_type=row["insight_type"],
        priority=row["priority"],
        title=row["title"],
        description=row["description"],
        impact_prediction=row["impact_prediction"],
        implementation_difficulty=row["implementation_difficulty"],
        affected_content=list(row["affected_content"]),
        data_supporting=row["data_supporting"],
        insight_id=row["insight_id"],
        analysis_date=row["analysis_date"],
        platform=row["platform"],
        priority_score=row["priority_score"],
        impact_estimate=row["impact_estimate"],
        impact_ci_lower=row["impact_ci_lower"],
        impact_ci_upper=row["impact_ci_upper"],
        impact_unit=row["impact_unit"],
        status=row["status"],
        first_reported_date=row["first_reported_date"],
    )
