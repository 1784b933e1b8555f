"""Reads about content items: one item's analysis, several items compared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import psycopg

from dagster_project.ingest.schema import PLATFORMS
from dagster_project.serving.models_reads import (
    AnalysisType,
    Anomaly,
    ComparedContent,
    CompareMetric,
    CompareRequest,
    ContentAnalysis,
    ContentAnalysisRequest,
    ContentComparison,
    ContentInfo,
    Timeframe,
)
from dagster_project.serving.queries_common import (
    AmbiguousContent,
    ContentNotFound,
    Row,
    fetch_rows,
    insights_page,
    latest_analysis_date,
    latest_metric_date,
    resolve_platform,
    trend_analyses,
)
from dagster_project.serving.read_summaries import content_performance, rank_metric

# Every insight of one item fits in one page.
CONTENT_INSIGHTS_LIMIT = 500

_CONTENT = """
    select *
    from marts.content_feature_analysis
    where workspace_id = %(workspace)s and platform = any(%(platforms)s) and content_id = any(%(contents)s)
    order by content_id, platform
"""

_DAYS = """
    select *
    from bi.content_performance_history
    where workspace_id = %(workspace)s and platform = %(platform)s and content_id = %(content)s
        and metric_date between %(start)s and %(end)s
    order by metric_date
"""

_ANOMALIES = """
    select *
    from analytics.performance_anomalies
    where analysis_date = %(day)s and workspace_id = %(workspace)s and series_level = 'content'
        and platform = %(platform)s and series_id = %(content)s
        and anomaly_date between %(start)s and %(end)s
    order by anomaly_date, metric
"""


def _window(
    conn: psycopg.Connection, workspace_id: str, timeframe: Timeframe, fallback: dt.date
) -> tuple[dt.date, dt.date]:
    return timeframe.window(latest_metric_date(conn, workspace_id) or fallback)


def _content_rows(
    conn: psycopg.Connection, workspace_id: str, content_ids: Sequence[str], platform: str | None
) -> list[Row]:
    params = {
        "workspace": workspace_id,
        "platforms": [platform] if platform else list(PLATFORMS),
        "contents": list(content_ids),
    }
    return fetch_rows(conn, _CONTENT, params)


def _content_info(row: Row) -> ContentInfo:
    return ContentInfo(**{k: row[k] for k in ContentInfo.model_fields})


def analyze_content(
    conn: psycopg.Connection, workspace_id: str, request: ContentAnalysisRequest
) -> ContentAnalysis:
    """One item: its metadata, the window's daily history and summary, its stored trend analyses
    and anomalies, and the current insights about it (by analysis type)."""
    platform = resolve_platform(conn, workspace_id, request.content_id, request.platform)
    (info,) = _content_rows(conn, workspace_id, [request.content_id], platform)
    start, end = _window(conn, workspace_id, request.timeframe, info["latest_metric_date"] or dt.date.today())
    kind = request.analysis_type
    series = {"workspace": workspace_id, "platform": platform, "content": request.content_id}
    performance = None
    if kind in (AnalysisType.COMPREHENSIVE, AnalysisType.PERFORMANCE):
        performance = content_performance(fetch_rows(conn, _DAYS, {**series, "start": start, "end": end}))
    trends, anomalies = [], []
    if kind in (AnalysisType.COMPREHENSIVE, AnalysisType.TRENDS):
        trends = trend_analyses(conn, workspace_id, "content", platform, request.content_id)
        day = latest_analysis_date(conn, "performance_anomalies", workspace_id)
        rows = fetch_rows(conn, _ANOMALIES, {**series, "day": day, "start": start, "end": end}) if day else []
        anomalies = [Anomaly(**{k: r[k] for k in Anomaly.model_fields}) for r in rows]
    insights = []
    if kind is AnalysisType.COMPREHENSIVE:
        _, _, insights = insights_page(
            conn,
            workspace_id,
            content_ids=[request.content_id],
            include_unchanged=True,
            limit=CONTENT_INSIGHTS_LIMIT,
        )
    return ContentAnalysis(
        content=_content_info(info),
        analysis_type=kind,
        timeframe=request.timeframe,
        window_start=start,
        window_end=end,
        performance=performance,
        trends=trends,
        anomalies=anomalies,
        insights=insights,
    )


_LATEST_IN_WINDOW = """
    select distinct on (history.platform, history.content_id)
        history.platform,
        history.content_id,
        history.metric_date,
        history.views,
        history.likes,
        history.comments,
        history.shares,
        history.watch_time_seconds,
        history.engagement_rate,
        history.performance_score,
        sum(history.daily_views) over (partition by history.platform, history.content_id) as views_gained
    from bi.content_performance_history as history
    inner join unnest(%(platforms)s::text[], %(contents)s::text[]) as wanted (platform, content_id)
        on history.platform = wanted.platform and history.content_id = wanted.content_id
    where history.workspace_id = %(workspace)s and history.metric_date between %(start)s and %(end)s
    order by history.platform, history.content_id, history.metric_date desc
"""

# Metrics read from the item's metadata row (equal-age outcomes) rather than the window.
_FEATURE_METRICS = {CompareMetric.VIEWS_DAY_7, CompareMetric.VIEWS_DAY_30}


def _resolve_all(
    conn: psycopg.Connection, workspace_id: str, content_ids: Sequence[str], platform: str | None
) -> dict[str, Row]:
    rows = _content_rows(conn, workspace_id, content_ids, platform)
    by_id: dict[str, list[Row]] = {}
    for row in rows:
        by_id.setdefault(row["content_id"], []).append(row)
    missing = [c for c in content_ids if c not in by_id]
    if missing:
        raise ContentNotFound(f"content not found: {', '.join(map(repr, missing))}")
    ambiguous = [c for c, found in by_id.items() if len(found) > 1]
    if ambiguous:
        raise AmbiguousContent(
            f"content on several platforms: {', '.join(map(repr, ambiguous))}; give platform"
        )
    return {c: found[0] for c, found in by_id.items()}


def compare_content(
    conn: psycopg.Connection, workspace_id: str, request: CompareRequest
) -> ContentComparison:
    """Items side by side: each metric's value per item (last observed day of the window, views
    gained over the window, or the equal-age outcome), ranked, best first."""
    info = _resolve_all(conn, workspace_id, request.content_ids, request.platform)
    latest = max((r["latest_metric_date"] for r in info.values() if r["latest_metric_date"]), default=None)
    start, end = _window(conn, workspace_id, request.timeframe, latest or dt.date.today())
    ordered = [info[c] for c in request.content_ids]
    params = {
        "workspace": workspace_id,
        "platforms": [r["platform"] for r in ordered],
        "contents": [r["content_id"] for r in ordered],
        "start": start,
        "end": end,
    }
    window = {(r["platform"], r["content_id"]): r for r in fetch_rows(conn, _LATEST_IN_WINDOW, params)}

    def value(row: Row, metric: CompareMetric) -> float | None:
        source = row if metric in _FEATURE_METRICS else window.get((row["platform"], row["content_id"]), {})
        found = source.get(metric.value)
        return None if found is None else float(found)

    return ContentComparison(
        timeframe=request.timeframe,
        window_start=start,
        window_end=end,
        content=[
            ComparedContent(
                platform=r["platform"],
                content_id=r["content_id"],
                title=r["title"],
                category=r["category"],
                last_metric_date=window.get((r["platform"], r["content_id"]), {}).get("metric_date"),
            )
            for r in ordered
        ],
        metrics=[
            rank_metric(metric, [(r["platform"], r["content_id"], value(r, metric)) for r in ordered])
            for metric in request.metrics
        ],
    )
