"""The seed's Python interface: every ``PerformanceAnalyticsManager`` method answers what the
matching endpoint answers (the same reads), tracking goes through the API's validation, and
errors are Python exceptions (LookupError for unknown content, ValueError for bad input)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from dagster_project.serving.app import create_app
from dagster_project.serving.auth import create_api_key
from dagster_project.serving.manager import PerformanceAnalyticsManager, TrackingRejected
from dagster_project.serving.queries_common import ContentNotFound
from dagster_project.warehouse.database import connect
from tests.serving.reads_warehouse import ReadsWarehouse


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def manager(reads_warehouse: ReadsWarehouse) -> PerformanceAnalyticsManager:
    settings = reads_warehouse.settings.model_copy(update={"REDIS_URL": None, "CACHE_TTL_SECONDS": 300})
    return PerformanceAnalyticsManager(workspace_id="acme", settings=settings)


@pytest.fixture(scope="module")
def api(reads_warehouse: ReadsWarehouse) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = reads_warehouse.settings.model_copy(update={"REDIS_URL": None})
    with connect(reads_warehouse.url) as conn:
        headers = {"X-API-Key": create_api_key(conn, "acme", label="manager tests").token}
    with TestClient(create_app(settings)) as client:
        yield client, headers


def _same(answer: BaseModel, response: Any) -> None:
    assert response.status_code == 200, response.text
    assert answer.model_dump(mode="json") == response.json()


def test_reads_answer_what_the_endpoints_answer(manager, api):
    client, headers = api
    _same(
        run(manager.get_dashboard_overview("7d")),
        client.get("/analytics/dashboard/overview?timeframe=7d", headers=headers),
    )
    _same(
        run(manager.get_platform_insights("youtube", timeframe="90d")),
        client.post(
            "/analytics/platform/insights", json={"platform": "youtube", "timeframe": "90d"}, headers=headers
        ),
    )
    _same(
        run(manager.analyze_content_performance("tt-000001", analysis_type="comprehensive")),
        client.post("/analytics/content/analyze", json={"content_id": "tt-000001"}, headers=headers),
    )
    _same(
        run(
            manager.compare_content_performance(
                ["tt-000001", "yt-000004"], metrics=["views", "performance_score"]
            )
        ),
        client.post(
            "/analytics/content/compare",
            json={"content_ids": ["tt-000001", "yt-000004"], "metrics": ["views", "performance_score"]},
            headers=headers,
        ),
    )
    _same(
        run(
            manager.generate_optimization_recommendations(
                platforms=["youtube", "tiktok"], include_unchanged=True
            )
        ),
        client.post(
            "/analytics/optimization/recommendations",
            json={"platforms": ["youtube", "tiktok"], "include_unchanged": True},
            headers=headers,
        ),
    )
    _same(
        run(manager.get_trending_content("tiktok", limit=3)),
        client.get("/analytics/dashboard/trending?platform=tiktok&limit=3", headers=headers),
    )
    _same(
        run(manager.get_realtime_metrics("tt-000001")),
        client.get("/analytics/realtime/metrics/tt-000001", headers=headers),
    )


def test_recommendations_default_to_new_and_updated_insights(manager):
    recommendations = run(manager.generate_optimization_recommendations())
    assert {i.status for i in recommendations.items} == {"new", "updated"}
    assert recommendations.total == 2


def test_repeated_reads_are_served_from_the_cache(manager):
    before = manager.get_cache_stats()
    first, second = run(_twice(manager))
    after = manager.get_cache_stats()
    assert first == second
    assert (after["hits"] - before["hits"], after["misses"] - before["misses"]) == (1, 1)


async def _twice(manager: PerformanceAnalyticsManager) -> tuple[Any, Any]:
    first = await manager.get_dashboard_overview("90d")
    return first, await manager.get_dashboard_overview("90d")


def test_concurrent_calls(manager):
    async def together() -> list[Any]:
        return await asyncio.gather(
            manager.get_dashboard_overview("30d"),
            manager.get_trending_content(limit=5),
            manager.get_platform_insights("tiktok"),
        )

    overview, trending, tiktok = run(together())
    assert overview == run(manager.get_dashboard_overview("30d"))
    assert len(trending.items) == 5 and tiktok.platform == "tiktok" and tiktok.daily


def test_tracking_returns_the_snapshot_id_and_the_snapshot_is_readable(manager):
    captured = dt.datetime.now(dt.UTC).replace(microsecond=0)
    snapshot_id = run(
        manager.track_content_performance(
            "manager-item",
            "youtube",
            {
                "views": 1500,
                "likes": 120,
                "comments": 25,
                "shares": 8,
                "engagement_rate": 0.085,
                "watch_time": 1200,
            },
            metadata={"title": "My Great Video"},
            captured_at=captured,
        )
    )
    assert snapshot_id == f"youtube:manager-item:{captured.isoformat()}"
    realtime = run(manager.get_realtime_metrics("manager-item"))
    assert (realtime.latest.views, realtime.latest.watch_time_seconds) == (1500, 1200)


def test_rejected_tracking_raises_with_the_field(manager):
    with pytest.raises(TrackingRejected) as rejected:
        run(manager.track_content_performance("manager-bad", "youtube", {"views": -5}))
    assert [r.field for r in rejected.value.rejections] == ["views"]


def test_errors_are_python_exceptions(manager):
    with pytest.raises(ContentNotFound):
        run(manager.analyze_content_performance("no-such-item"))
    with pytest.raises(LookupError):
        run(manager.compare_content_performance(["tt-000001", "ghost"]))
    with pytest.raises(ValueError):
        run(manager.get_dashboard_overview("2w"))
    with pytest.raises(ValueError):
        run(manager.get_platform_insights("myspace"))
    with pytest.raises(ValueError):
        run(manager.analyze_content_performance("tt-000001", analysis_type="deep"))


def test_export_delegates_to_the_export_module(manager, reads_warehouse, tmp_path):
    document = json.loads(
        run(manager.export_analytics_data("json", timeframe="7d", tables=["optimization_insights"]))
    )
    rows = document["tables"]["optimization_insights"]
    with connect(reads_warehouse.url) as conn:
        stored = conn.execute(
            "select count(*) from analytics.optimization_insights where workspace_id = 'acme'"
        )
        assert len(rows) == stored.fetchone()[0]
    assert {r["workspace_id"] for r in rows} == {"acme"}
    files = run(
        manager.export_analytics_data("csv", timeframe="7d", tables=["optimization_insights"], path=tmp_path)
    )
    assert [f.name for f in files] and all(f.stat().st_size > 0 for f in files)
    with pytest.raises(ValueError):
        run(manager.export_analytics_data("pdf"))
