"""Endpoints: content analyze, platform insights, recommendations, compare, dashboard, realtime.

Every answer comes from stored rows (marts, materialized views through the ``bi`` views, the
analysis result tables, raw snapshots for the realtime endpoints), read in the caller's
workspace through :mod:`dagster_project.serving.reads` and its cache. Timeframes end on the
workspace's latest metric day. 404: the content is not in the caller's workspace; 422: the
input is invalid, or a content id exists on several platforms and no platform was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status

from dagster_project.serving import reads
from dagster_project.serving.deps import ApiCaller, ApiConnection, Now
from dagster_project.serving.models_reads import (
    MAX_PAGE_SIZE,
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
from dagster_project.serving.queries_common import AmbiguousContent, ContentNotFound
from dagster_project.serving.responses import CONTENT_NOT_FOUND, UNAUTHORISED, UNREADABLE_BODY

router = APIRouter(prefix="/analytics", tags=["reads"], responses=UNAUTHORISED)


def read_session(request: Request, conn: ApiConnection, caller: ApiCaller) -> reads.ReadSession:
    return reads.ReadSession(conn, caller.workspace_id, request.app.state.cache)


Session = Annotated[reads.ReadSession, Depends(read_session)]
ContentIdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
PlatformQuery = Annotated[
    Platform | None, Query(description="Needed when the id exists on several platforms.")
]


@contextmanager
def _content_errors() -> Iterator[None]:
    """Unknown content -> 404, ambiguous content -> 422."""
    try:
        yield
    except ContentNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except AmbiguousContent as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error


@router.post(
    "/content/analyze",
    response_model=ContentAnalysis,
    responses={**UNREADABLE_BODY, **CONTENT_NOT_FOUND},
    summary="Analyse one content item: history, stored trends and anomalies, insights",
)
def analyze_content(body: ContentAnalysisRequest, session: Session) -> ContentAnalysis:
    with _content_errors():
        return reads.content_analysis(session, body)


@router.post(
    "/platform/insights",
    response_model=PlatformInsights,
    responses=UNREADABLE_BODY,
    summary="One platform: daily metrics against its benchmark, trends, associations, top items",
)
def platform_insights(body: PlatformInsightsRequest, session: Session) -> PlatformInsights:
    return reads.platform_insights(session, body)


@router.post(
    "/optimization/recommendations",
    response_model=Recommendations,
    responses=UNREADABLE_BODY,
    summary="The latest optimisation insights, highest priority first (new and updated by default)",
)
def recommendations(session: Session, body: RecommendationsRequest | None = None) -> Recommendations:
    return reads.recommendations(session, body or RecommendationsRequest())


@router.post(
    "/content/compare",
    response_model=ContentComparison,
    responses={**UNREADABLE_BODY, **CONTENT_NOT_FOUND},
    summary="Compare content items metric by metric",
)
def compare_content(body: CompareRequest, session: Session) -> ContentComparison:
    with _content_errors():
        return reads.content_comparison(session, body)


@router.get(
    "/dashboard/overview",
    response_model=DashboardOverview,
    summary="The workspace over a timeframe: totals, daily series, platforms, trending, insights",
)
def dashboard_overview(session: Session, timeframe: Timeframe = Timeframe.D30) -> DashboardOverview:
    return reads.dashboard_overview(session, timeframe)


@router.get(
    "/dashboard/trending",
    response_model=Page[TrendingItem],
    summary="Trending content as of the latest day, by rank",
)
def trending(
    session: Session,
    platform: Annotated[Platform | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[TrendingItem]:
    return reads.trending_content(session, platform, Pagination(limit=limit, offset=offset))


@router.get(
    "/realtime/metrics/{content_id}",
    response_model=RealtimeMetrics,
    responses=CONTENT_NOT_FOUND,
    summary="The latest snapshots of one item (tracked or ingested, before any build)",
)
def realtime_metrics(
    content_id: ContentIdPath, session: Session, platform: PlatformQuery = None
) -> RealtimeMetrics:
    with _content_errors():
        return reads.realtime_metrics(session, content_id, platform)


@router.get(
    "/realtime/platform-metrics/{platform}",
    response_model=RealtimePlatformMetrics,
    summary="Snapshots of a platform received in the last hours, and its latest built day",
)
def realtime_platform_metrics(
    platform: Platform,
    session: Session,
    now: Now,
    hours: Annotated[int, Query(ge=1, le=168)] = 24,
) -> RealtimePlatformMetrics:
    return reads.realtime_platform_metrics(session, platform, hours, now)
