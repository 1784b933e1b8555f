"""The reads the API and the Python interface share: each one runs its query in the caller's
workspace scope, through the cache, invalidated by the generations of the relations it reads.

A read costs one query for the generations of its relations (~0.1 ms on a local server, measured
by ``benchmarks/api_load.py``); on a miss the query runs as the BI reader limited to the caller's
workspace (``serving.deps.workspace_scope``) and the answer is stored under those generations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import psycopg
from pydantic import BaseModel

from dagster_project.serving import queries_content, queries_dashboard, queries_realtime
from dagster_project.serving.cache import ReadCache
from dagster_project.serving.deps import workspace_scope
from dagster_project.serving.models_reads import (
    CompareRequest,
    ContentAnalysis,
    ContentAnalysisRequest,
    ContentComparison,
    DashboardOverview,
    Page,
    Pagination,
    Platform,
    PlatformInsights,
    PlatformInsightsRequest,
    RealtimeMetrics,
    RealtimePlatformMetrics,
    Recommendations,
    RecommendationsRequest,
    Timeframe,
    TrendingItem,
)
from dagster_project.serving.queries_common import insights_page
from dagster_project.warehouse.generations import read_generations

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# What each read depends on: the relations whose re-materialisation makes its answer stale
# (the marts behind the bi views; the relation names are their Dagster asset keys).
HISTORY = "marts.content_performance_history"
FEATURES = "marts.content_feature_analysis"
OVERVIEW_MV = "marts.mv_dashboard_overview"
PLATFORM_MV = "marts.mv_platform_daily_metrics"
TRENDING_MV = "marts.mv_trending_content"
TRENDS = "analytics.trend_analysis_results"
ANOMALIES = "analytics.performance_anomalies"
CORRELATIONS = "analytics.correlation_analysis_results"
INSIGHTS = "analytics.optimization_insights"
SNAPSHOTS = "raw.engagement_snapshots"

CONTENT_ANALYSIS_READS = (FEATURES, OVERVIEW_MV, HISTORY, TRENDS, ANOMALIES, INSIGHTS)
PLATFORM_INSIGHTS_READS = (PLATFORM_MV, TRENDS, CORRELATIONS, TRENDING_MV, INSIGHTS)
RECOMMENDATIONS_READS = (INSIGHTS,)
COMPARISON_READS = (FEATURES, OVERVIEW_MV, HISTORY)
OVERVIEW_READS = (OVERVIEW_MV, PLATFORM_MV, FEATURES, TRENDING_MV, INSIGHTS, ANOMALIES)
TRENDING_READS = (TRENDING_MV,)
REALTIME_READS = (SNAPSHOTS,)
REALTIME_PLATFORM_READS = (SNAPSHOTS, PLATFORM_MV)


def cache_key(workspace_id: str, read: str, params: Any) -> str:
    """``<workspace>:<read>:<digest of the parameters>`` (the workspace percent-encoded)."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{quote(workspace_id, safe='')}:{read}:{digest}"


@dataclass(frozen=True)
class ReadSession:
    """A caller's reads: ``conn`` is an autocommit connection as the API's login (or any login
    allowed to read ``raw.asset_generations`` and to act as the BI reader)."""

    conn: psycopg.Connection
    workspace_id: str
    cache: ReadCache

    def cached(
        self,
        read: str,
        params: Any,
        relations: Sequence[str],
        compute: Callable[[psycopg.Connection], M],
        model: type[M],
    ) -> M:
        key = cache_key(self.workspace_id, read, params)
        generations = read_generations(self.conn, relations)
        payload = self.cache.lookup(key, generations)
        if payload is not None:
            return model.model_validate_json(payload)
        started = time.perf_counter()
        with workspace_scope(self.conn, self.workspace_id):
            answer = compute(self.conn)
        payload = answer.model_dump_json()
        self.cache.store(key, generations, payload)
        log.debug(
            "%s for workspace %s computed in %.1f ms (%d bytes cached)",
            read,
            self.workspace_id,
            (time.perf_counter() - started) * 1000,
            len(payload),
        )
        return answer


def _params(request: BaseModel) -> dict[str, Any]:
    return request.model_dump(mode="json")


def content_analysis(session: ReadSession, request: ContentAnalysisRequest) -> ContentAnalysis:
    return session.cached(
        "content_analysis",
        _params(request),
        CONTENT_ANALYSIS_READS,
        lambda conn: queries_content.analyze_content(conn, session.workspace_id, request),
        ContentAnalysis,
    )


def content_comparison(session: ReadSession, request: CompareRequest) -> ContentComparison:
    return session.cached(
        "content_comparison",
        _params(request),
        COMPARISON_READS,
        lambda conn: queries_content.compare_content(conn, session.workspace_id, request),
        ContentComparison,
    )


def platform_insights(session: ReadSession, request: PlatformInsightsRequest) -> PlatformInsights:
    return session.cached(
        "platform_insights",
        _params(request),
        PLATFORM_INSIGHTS_READS,
        lambda conn: queries_dashboard.platform_insights(
            conn, session.workspace_id, request.platform.value, request.timeframe
        ),
        PlatformInsights,
    )


def recommendations(session: ReadSession, request: RecommendationsRequest) -> Recommendations:
    def compute(conn: psycopg.Connection) -> Recommendations:
        day, total, items = insights_page(
            conn,
            session.workspace_id,
            platforms=request.platforms,
            content_ids=request.content_ids,
            insight_types=request.insight_types,
            priorities=request.priorities,
            include_unchanged=request.include_unchanged,
            limit=request.limit,
            offset=request.offset,
        )
        return Recommendations(
            items=items, total=total, limit=request.limit, offset=request.offset, analysis_date=day
        )

    return session.cached(
        "recommendations", _params(request), RECOMMENDATIONS_READS, compute, Recommendations
    )


def dashboard_overview(session: ReadSession, timeframe: Timeframe) -> DashboardOverview:
    return session.cached(
        "dashboard_overview",
        {"timeframe": timeframe.value},
        OVERVIEW_READS,
        lambda conn: queries_dashboard.dashboard_overview(conn, session.workspace_id, timeframe),
        DashboardOverview,
    )


def trending_content(session: ReadSession, platform: Platform | None, page: Pagination) -> Page[TrendingItem]:
    def compute(conn: psycopg.Connection) -> Page[TrendingItem]:
        name = platform.value if platform else None
        total, items = queries_dashboard.trending(conn, session.workspace_id, name, page.limit, page.offset)
        return Page[TrendingItem](items=items, total=total, limit=page.limit, offset=page.offset)

    params = {"platform": platform.value if platform else None, **_params(page)}
    return session.cached("trending", params, TRENDING_READS, compute, Page[TrendingItem])


def realtime_metrics(session: ReadSession, content_id: str, platform: Platform | None) -> RealtimeMetrics:
    name = platform.value if platform else None
    return session.cached(
        "realtime_metrics",
        {"content_id": content_id, "platform": name},
        REALTIME_READS,
        lambda conn: queries_realtime.realtime_metrics(conn, session.workspace_id, content_id, name),
        RealtimeMetrics,
    )


def realtime_platform_metrics(
    session: ReadSession, platform: Platform, hours: int, now: dt.datetime
) -> RealtimePlatformMetrics:
    """The window ends at ``now`` when the answer is computed (a cached answer keeps its window)."""
    return session.cached(
        "realtime_platform_metrics",
        {"platform": platform.value, "hours": hours},
        REALTIME_PLATFORM_READS,
        lambda conn: queries_realtime.realtime_platform_metrics(
            conn, session.workspace_id, platform.value, hours, now
        ),
        RealtimePlatformMetrics,
    )
