"""Dashboard reads from the materialized views (through the ``bi`` views): the workspace overview,
one platform's insights, and trending content."""

from __future__ import annotations

import datetime as dt

import psycopg

from dagster_project.config import get_platform_config
from dagster_project.serving.models_reads import (
    DashboardOverview,
    OverviewDay,
    PerformanceDistribution,
    PlatformDay,
    PlatformInsights,
    PlatformTotal,
    Priority,
    Timeframe,
    TrendingItem,
)
from dagster_project.serving.queries_common import (
    fetch_row,
    fetch_rows,
    insights_page,
    latest_analysis_date,
    latest_metric_date,
    significant_correlations,
    trend_analyses,
)
from dagster_project.serving.read_summaries import relative_change, sum_or_none

TOP_TRENDING = 5
PLATFORM_CORRELATIONS = 10
PLATFORM_INSIGHTS = 10

_OVERVIEW_DAYS = """
    select *
    from bi.dashboard_overview
    where workspace_id = %(workspace)s and metric_date between %(start)s and %(end)s
    order by metric_date
"""

_VIEWS_BETWEEN = """
    select count(*) as days, sum(total_daily_views) as views
    from bi.dashboard_overview
    where workspace_id = %(workspace)s and metric_date between %(start)s and %(end)s
"""

_PLATFORM_TOTALS = """
    select
        platform,
        coalesce(sum(total_daily_views), 0) as total_views,
        avg(avg_engagement_rate) as avg_engagement_rate,
        (array_agg(content_items order by metric_date desc))[1] as content_items_latest_day
    from bi.platform_daily_metrics
    where workspace_id = %(workspace)s and metric_date between %(start)s and %(end)s
    group by platform
    order by total_views desc, platform
"""

_ITEMS_OBSERVED_SINCE = """
    select count(*) as items
    from marts.content_feature_analysis
    where workspace_id = %(workspace)s and latest_metric_date >= %(start)s
"""

_NEW_INSIGHTS = """
    select priority, count(*) as insights
    from analytics.optimization_insights
    where analysis_date = %(day)s and workspace_id = %(workspace)s and status in ('new', 'updated')
    group by priority
"""

_ANOMALIES_IN_WINDOW = """
    select count(*) as anomalies
    from analytics.performance_anomalies
    where analysis_date = %(day)s and workspace_id = %(workspace)s and series_level = 'content'
        and anomaly_date between %(start)s and %(end)s
"""


def _empty_overview(timeframe: Timeframe) -> DashboardOverview:
    return DashboardOverview(
        timeframe=timeframe,
        window_start=None,
        window_end=None,
        total_content_pieces=0,
        total_views=0,
        total_likes=0,
        total_comments=0,
        total_shares=0,
        mean_engagement_rate=None,
        previous_period_views=None,
        views_change=None,
        performance_latest_day=PerformanceDistribution(high=0, medium=0, low=0, unscored=0),
        daily=[],
        platforms=[],
        top_trending=[],
        new_insights_by_priority={p.value: 0 for p in Priority},
        anomalies_in_window=0,
    )


def dashboard_overview(
    conn: psycopg.Connection, workspace_id: str, timeframe: Timeframe
) -> DashboardOverview:
    """The workspace over the timeframe ending on its latest day: totals and the daily series,
    the change against the window before, per-platform totals, the latest day's score classes,
    the top trending items, the new insights and the anomalies found in the window."""
    as_of = latest_metric_date(conn, workspace_id)
    if as_of is None:
        return _empty_overview(timeframe)
    start, end = timeframe.window(as_of)
    window = {"workspace": workspace_id, "start": start, "end": end}
    days = fetch_rows(conn, _OVERVIEW_DAYS, window)
    previous_end = start - dt.timedelta(days=1)
    previous = fetch_row(
        conn,
        _VIEWS_BETWEEN,
        {**window, "start": previous_end - dt.timedelta(days=timeframe.days - 1), "end": previous_end},
    )
    previous_views = previous["views"] if previous and previous["days"] else None
    total_views = sum_or_none([d["total_daily_views"] for d in days]) or 0
    last = days[-1] if days else {}
    by_priority = {p.value: 0 for p in Priority}
    insight_day = latest_analysis_date(conn, "optimization_insights", workspace_id)
    if insight_day:
        rows = fetch_rows(conn, _NEW_INSIGHTS, {"day": insight_day, "workspace": workspace_id})
        by_priority.update({r["priority"]: r["insights"] for r in rows})
    anomaly_day = latest_analysis_date(conn, "performance_anomalies", workspace_id)
    anomalies = fetch_row(conn, _ANOMALIES_IN_WINDOW, {**window, "day": anomaly_day}) if anomaly_day else None
    engagement = [d["mean_engagement_rate"] for d in days if d["mean_engagement_rate"] is not None]
    return DashboardOverview(
        timeframe=timeframe,
        window_start=start,
        window_end=end,
        total_content_pieces=fetch_rows(conn, _ITEMS_OBSERVED_SINCE, window)[0]["items"],
        total_views=total_views,
        total_likes=sum_or_none([d["total_daily_likes"] for d in days]) or 0,
        total_comments=sum_or_none([d["total_daily_comments"] for d in days]) or 0,
        total_shares=sum_or_none([d["total_daily_shares"] for d in days]) or 0,
        mean_engagement_rate=sum(engagement) / len(engagement) if engagement else None,
        previous_period_views=previous_views,
        views_change=relative_change(total_views, previous_views),
        performance_latest_day=PerformanceDistribution(
            high=last.get("high_performance_items", 0),
            medium=last.get("medium_performance_items", 0),
            low=last.get("low_performance_items", 0),
            unscored=last.get("unscored_items", 0),
        ),
        daily=[OverviewDay(**{k: d[k] for k in OverviewDay.model_fields}) for d in days],
        platforms=[PlatformTotal(**r) for r in fetch_rows(conn, _PLATFORM_TOTALS, window)],
        top_trending=trending(conn, workspace_id, None, TOP_TRENDING, 0)[1],
        new_insights_by_priority=by_priority,
        anomalies_in_window=anomalies["anomalies"] if anomalies else 0,
    )


_TRENDING_FILTER = """
    from bi.trending_content
    where workspace_id = %(workspace)s and (%(platform)s::text is null or platform = %(platform)s)
"""
_TRENDING_PAGE = "select *" + _TRENDING_FILTER + "order by trend_rank limit %(limit)s offset %(offset)s"
_TRENDING_COUNT = "select count(*) as total" + _TRENDING_FILTER


def trending(
    conn: psycopg.Connection, workspace_id: str, platform: str | None, limit: int, offset: int
) -> tuple[int, list[TrendingItem]]:
    """(total, page) of trending content as of the latest day, by rank (optionally one platform)."""
    params = {"workspace": workspace_id, "platform": platform, "limit": limit, "offset": offset}
    total = fetch_rows(conn, _TRENDING_COUNT, params)[0]["total"]
    fields = TrendingItem.model_fields
    items = [TrendingItem(**{k: row[k] for k in fields}) for row in fetch_rows(conn, _TRENDING_PAGE, params)]
    return total, items


_PLATFORM_DAYS = """
    select *
    from bi.platform_daily_metrics
    where workspace_id = %(workspace)s and platform = %(platform)s
        and metric_date between %(start)s and %(end)s
    order by metric_date
"""

_PLATFORM_AS_OF = """
    select max(metric_date) as as_of
    from bi.platform_daily_metrics
    where workspace_id = %(workspace)s and platform = %(platform)s
"""


def platform_day(row: dict) -> PlatformDay:
    return PlatformDay(**{k: row[k] for k in PlatformDay.model_fields})


def platform_insights(
    conn: psycopg.Connection, workspace_id: str, platform: str, timeframe: Timeframe
) -> PlatformInsights:
    """One platform over the timeframe ending on its latest day: daily metrics and totals against
    its configured benchmark, its stored trend analyses, its strongest significant feature
    associations, its top trending items and its current insights."""
    benchmark = get_platform_config(platform).benchmark_engagement_rate
    row = fetch_row(conn, _PLATFORM_AS_OF, {"workspace": workspace_id, "platform": platform})
    as_of = row["as_of"] if row else None
    start, end = timeframe.window(as_of) if as_of else (None, None)
    days = (
        fetch_rows(
            conn,
            _PLATFORM_DAYS,
            {"workspace": workspace_id, "platform": platform, "start": start, "end": end},
        )
        if as_of
        else []
    )
    engagement = [d["avg_engagement_rate"] for d in days if d["avg_engagement_rate"] is not None]
    avg_engagement = sum(engagement) / len(engagement) if engagement else None
    _, _, insights = insights_page(
        conn, workspace_id, platforms=[platform], include_unchanged=True, limit=PLATFORM_INSIGHTS
    )
    return PlatformInsights(
        platform=platform,
        timeframe=timeframe,
        window_start=start,
        window_end=end,
        total_views=sum_or_none([d["total_daily_views"] for d in days]) or 0,
        active_days=len(days),
        content_items_latest_day=days[-1]["content_items"] if days else 0,
        avg_engagement_rate=avg_engagement,
        benchmark_engagement_rate=benchmark,
        engagement_vs_benchmark=avg_engagement / benchmark
        if avg_engagement is not None and benchmark > 0
        else None,
        gap_items=sum(d["gap_items"] for d in days),
        counter_decrease_items=sum(d["counter_decrease_items"] for d in days),
        daily=[platform_day(d) for d in days],
        trends=trend_analyses(conn, workspace_id, "platform", platform, platform),
        correlations=significant_correlations(conn, workspace_id, platform, PLATFORM_CORRELATIONS),
        top_content=trending(conn, workspace_id, platform, TOP_TRENDING, 0)[1],
        insights=insights,
    )
