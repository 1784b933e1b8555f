"""Realtime reads from the raw snapshots (what was tracked or ingested, before any dbt build)."""

from __future__ import annotations

import datetime as dt

import psycopg

from dagster_project.ingest.schema import PLATFORMS
from dagster_project.serving.models_reads import RealtimeMetrics, RealtimePlatformMetrics, SnapshotCounters
from dagster_project.serving.queries_common import (
    AmbiguousContent,
    ContentNotFound,
    Row,
    fetch_row,
    fetch_rows,
)
from dagster_project.serving.queries_dashboard import platform_day

DAY = dt.timedelta(hours=24)

# The snapshot key (workspace_id, platform, content_id, captured_at) is the primary key of every
# day partition, so each of these is an index scan per partition.
_LATEST_BY_PLATFORM = """
    select platform, max(captured_at) as latest
    from raw.engagement_snapshots
    where workspace_id = %(workspace)s and platform = any(%(platforms)s) and content_id = %(content)s
    group by platform
    order by platform
"""

_COUNTERS = """
    select captured_at, views, likes, comments, shares, saves, watch_time_seconds, impressions, reach,
        engagement_rate
    from raw.engagement_snapshots
    where workspace_id = %(workspace)s and platform = %(platform)s and content_id = %(content)s
"""
_SINCE = _COUNTERS + " and captured_at > %(cutoff)s order by captured_at desc"
_LATEST_UNTIL = _COUNTERS + " and captured_at <= %(cutoff)s order by captured_at desc limit 1"


def realtime_metrics(
    conn: psycopg.Connection, workspace_id: str, content_id: str, platform: str | None
) -> RealtimeMetrics:
    """The item's latest snapshot, the one before it, the latest one at least 24 hours older, and
    the views it gained in between."""
    params = {
        "workspace": workspace_id,
        "content": content_id,
        "platforms": [platform] if platform else list(PLATFORMS),
    }
    found = fetch_rows(conn, _LATEST_BY_PLATFORM, params)
    if not found:
        where = f" on {platform}" if platform else ""
        raise ContentNotFound(f"no snapshot of content {content_id!r}{where}")
    if len(found) > 1:
        platforms = ", ".join(r["platform"] for r in found)
        raise AmbiguousContent(f"content {content_id!r} has snapshots on {platforms}: give its platform")
    platform, latest_at = found[0]["platform"], found[0]["latest"]
    series = {
        "workspace": workspace_id,
        "platform": platform,
        "content": content_id,
        "cutoff": latest_at - DAY,
    }
    recent = [_counters(r) for r in fetch_rows(conn, _SINCE, series)]
    older = fetch_row(conn, _LATEST_UNTIL, series)
    day_before = _counters(older) if older else None
    latest = recent[0]
    change = latest.views - day_before.views if day_before else None
    hours = (latest.captured_at - day_before.captured_at).total_seconds() / 3600 if day_before else None
    return RealtimeMetrics(
        platform=platform,
        content_id=content_id,
        latest=latest,
        previous=recent[1] if len(recent) > 1 else day_before,
        day_before=day_before,
        views_change_24h=change,
        views_per_hour_24h=change / hours if change is not None and hours else None,
        snapshots_last_24h=len(recent),
    )


def _counters(row: Row) -> SnapshotCounters:
    return SnapshotCounters(**row)


_PLATFORM_WINDOW = """
    with recent as (
        select content_id, captured_at, views
        from raw.engagement_snapshots
        where workspace_id = %(workspace)s and platform = %(platform)s
            and captured_at > %(since)s and captured_at <= %(until)s
    ),

    items as (
        select
            count(*) as snapshots,
            max(captured_at) as latest,
            (array_agg(views order by captured_at desc))[1] - (array_agg(views order by captured_at))[1]
                as gained
        from recent
        group by content_id
    )

    select
        coalesce(sum(snapshots), 0)::bigint as snapshots,
        count(*) as content_items,
        coalesce(sum(gained), 0)::bigint as views_gained,
        max(latest) as latest_captured_at
    from items
"""

_PLATFORM_LATEST_DAY = """
    select *
    from bi.platform_daily_metrics
    where workspace_id = %(workspace)s and platform = %(platform)s
    order by metric_date desc
    limit 1
"""


def realtime_platform_metrics(
    conn: psycopg.Connection, workspace_id: str, platform: str, hours: int, until: dt.datetime
) -> RealtimePlatformMetrics:
    """Snapshots of the platform captured in the ``hours`` before ``until`` (items, views gained
    inside the window), and the platform's latest built day."""
    since = until - dt.timedelta(hours=hours)
    params = {"workspace": workspace_id, "platform": platform, "since": since, "until": until}
    window = fetch_rows(conn, _PLATFORM_WINDOW, params)[0]
    latest_day = fetch_row(conn, _PLATFORM_LATEST_DAY, params)
    return RealtimePlatformMetrics(
        platform=platform,
        hours=hours,
        since=since,
        until=until,
        **window,
        latest_day=platform_day(latest_day) if latest_day else None,
    )
