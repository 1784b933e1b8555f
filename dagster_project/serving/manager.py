"""The seed's Python interface: ``PerformanceAnalyticsManager``, a thin async layer over the reads
the REST API serves (:mod:`dagster_project.serving.reads`, same queries, same cache), the API's
tracking and the export module.

Statistics are not computed on demand: the daily assets compute and store them, and these
methods read what is stored (``generate_optimization_recommendations`` lists the insights the
``optimization_insights`` asset wrote). Methods run their blocking database work in a thread.

```python
manager = PerformanceAnalyticsManager(workspace_id="acme")
overview = await manager.get_dashboard_overview(timeframe="30d")
```

The manager connects with the settings' ``DATABASE_URL`` (or ``database_url``); that login must
be allowed what the API's login is (a member of ``perf_api``, or the warehouse's owner).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from dagster_project.config import AnalyticsSettings, get_settings
from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.formats import ExportFormat, export_chunks, export_to_path, prepare
from dagster_project.exports.reader import ExportReport
from dagster_project.serving import reads
from dagster_project.serving.cache import ReadCache, build_cache
from dagster_project.serving.deps import ConnectionSource, workspace_scope
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
from dagster_project.serving.tracking import RejectedRecord, track_records
from dagster_project.warehouse.database import database_name

T = TypeVar("T")

# Tracked rows are traced to their source as ``api:<key id>/<request id>``; this interface has no key.
PYTHON_INTERFACE_KEY = "python-interface"


class TrackingRejected(ValueError):
    """The snapshot broke a validation rule (it was quarantined); ``rejections`` say which."""

    def __init__(self, rejections: Sequence[RejectedRecord]):
        self.rejections = list(rejections)
        super().__init__("; ".join(f"{r.field or 'record'}: {r.reason}" for r in self.rejections))


class PerformanceAnalyticsManager:
    """Reads and tracking for one workspace (default: ``DEFAULT_WORKSPACE_ID``)."""

    def __init__(
        self,
        workspace_id: str | None = None,
        settings: AnalyticsSettings | None = None,
        *,
        database_url: str | None = None,
        cache: ReadCache | None = None,
    ):
        self.settings = settings or get_settings()
        self.workspace_id = workspace_id or self.settings.DEFAULT_WORKSPACE_ID
        self._connections = (
            ConnectionSource(database_url) if database_url else ConnectionSource.from_settings(self.settings)
        )
        self.cache = cache or build_cache(self.settings, database_name(self._connections.url))

    def _read_now(self, read: Callable[[reads.ReadSession], T]) -> T:
        with self._connections.connect() as conn:
            return read(reads.ReadSession(conn, self.workspace_id, self.cache))

    async def _read(self, read: Callable[[reads.ReadSession], T]) -> T:
        return await asyncio.to_thread(self._read_now, read)

    async def track_content_performance(
        self,
        content_id: str,
        platform: str,
        metrics: Mapping[str, Any],
        metadata: Mapping[str, Any] | None = None,
        captured_at: dt.datetime | None = None,
    ) -> str:
        """Store one snapshot (the API's track validation); returns its id, raises
        :class:`TrackingRejected` when a rule refused it."""
        record: dict[str, Any] = {"content_id": content_id, "platform": platform, "metrics": dict(metrics)}
        if metadata:
            record["metadata"] = dict(metadata)
        if captured_at:
            record["captured_at"] = captured_at.isoformat()

        def track() -> str:
            with self._connections.connect() as conn:
                outcome = track_records(
                    conn,
                    [record],
                    workspace_id=self.workspace_id,
                    key_id=PYTHON_INTERFACE_KEY,
                    settings=self.settings,
                    now=dt.datetime.now(dt.UTC),
                )
            if outcome.rejected:
                raise TrackingRejected(outcome.rejected)
            return outcome.accepted[0].snapshot_id

        return await asyncio.to_thread(track)

    async def analyze_content_performance(
        self,
        content_id: str,
        analysis_type: str = "comprehensive",
        platform: str | None = None,
        timeframe: str = "30d",
    ) -> ContentAnalysis:
        """Raises ``LookupError`` (``ContentNotFound``) for content not in the workspace."""
        request = ContentAnalysisRequest(
            content_id=content_id, analysis_type=analysis_type, platform=platform, timeframe=timeframe
        )
        return await self._read(lambda session: reads.content_analysis(session, request))

    async def get_platform_insights(self, platform: str, timeframe: str = "30d") -> PlatformInsights:
        request = PlatformInsightsRequest(platform=platform, timeframe=timeframe)
        return await self._read(lambda session: reads.platform_insights(session, request))

    async def generate_optimization_recommendations(
        self,
        platforms: Sequence[str] | None = None,
        content_ids: Sequence[str] | None = None,
        *,
        insight_types: Sequence[str] | None = None,
        priorities: Sequence[str] | None = None,
        include_unchanged: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> Recommendations:
        """The latest insights the ``optimization_insights`` asset stored (new and updated ones
        unless ``include_unchanged``), highest priority first."""
        request = RecommendationsRequest(
            platforms=platforms,
            content_ids=content_ids,
            insight_types=insight_types,
            priorities=priorities,
            include_unchanged=include_unchanged,
            limit=limit,
            offset=offset,
        )
        return await self._read(lambda session: reads.recommendations(session, request))

    async def compare_content_performance(
        self,
        content_ids: Sequence[str],
        metrics: Sequence[str] | None = None,
        timeframe: str = "30d",
        platform: str | None = None,
    ) -> ContentComparison:
        fields: dict[str, Any] = {"content_ids": content_ids, "timeframe": timeframe, "platform": platform}
        if metrics is not None:
            fields["metrics"] = metrics
        request = CompareRequest(**fields)
        return await self._read(lambda session: reads.content_comparison(session, request))

    async def get_dashboard_overview(self, timeframe: str = "30d") -> DashboardOverview:
        return await self._read(lambda session: reads.dashboard_overview(session, Timeframe(timeframe)))

    async def get_trending_content(
        self, platform: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[TrendingItem]:
        page = Pagination(limit=limit, offset=offset)
        chosen = Platform(platform) if platform else None
        return await self._read(lambda session: reads.trending_content(session, chosen, page))

    async def get_realtime_metrics(self, content_id: str, platform: str | None = None) -> RealtimeMetrics:
        chosen = Platform(platform) if platform else None
        return await self._read(lambda session: reads.realtime_metrics(session, content_id, chosen))

    async def get_platform_metrics(self, platform: str, hours: int = 24) -> RealtimePlatformMetrics:
        now = dt.datetime.now(dt.UTC)
        return await self._read(
            lambda session: reads.realtime_platform_metrics(session, Platform(platform), hours, now)
        )

    async def export_analytics_data(
        self,
        format_type: str = "json",
        timeframe: str = "30d",
        platforms: Sequence[str] | None = None,
        content_ids: Sequence[str] | None = None,
        tables: Sequence[str] = (),
        path: Path | None = None,
    ) -> bytes | list[Path]:
        """The workspace's analytics tables as JSON, CSV or Excel (the export module, as the API's
        ``GET /analytics/export``): the bytes, or the files written under ``path`` when given
        (a directory for CSV), which keeps memory flat for long timeframes. ``ValueError`` for an
        unknown format, timeframe, platform or table."""
        fmt = ExportFormat(format_type)
        filters = ExportFilters(
            timeframe=timeframe, platforms=tuple(platforms or ()), content_ids=tuple(content_ids or ())
        )

        def export() -> bytes | list[Path]:
            with self._connections.connect() as conn, workspace_scope(conn, self.workspace_id):
                resolved, chosen = prepare(conn, filters, tuple(tables))
                report, now = ExportReport(), dt.datetime.now(dt.UTC)
                if path is not None:
                    return export_to_path(conn, fmt, resolved, chosen, Path(path), report, now)
                return b"".join(export_chunks(conn, fmt, resolved, chosen, report, now))

        return await asyncio.to_thread(export)

    def get_cache_stats(self) -> dict[str, object]:
        return self.cache.stats().as_dict()
