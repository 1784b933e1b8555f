"""The read endpoints on a small built warehouse (``reads_warehouse``): each answer equals the
stored rows it comes from, lists paginate, the caller's workspace is the only one it sees, and
bad input is 422, unknown content 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dagster_project.config import get_platform_config
from dagster_project.serving.app import create_app
from dagster_project.serving.auth import create_api_key
from dagster_project.serving.deps import request_time
from dagster_project.warehouse.database import connect
from tests.serving.reads_warehouse import END, PREVIOUS, ReadsWarehouse


@pytest.fixture(scope="module")
def client(reads_warehouse: ReadsWarehouse) -> Iterator[TestClient]:
    settings = reads_warehouse.settings.model_copy(update={"REDIS_URL": None, "CACHE_TTL_SECONDS": 300})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _headers(url: str, workspace: str) -> dict[str, str]:
    with connect(url) as conn:
        return {"X-API-Key": create_api_key(conn, workspace, label="read tests").token}


@pytest.fixture(scope="module")
def acme(reads_warehouse: ReadsWarehouse) -> dict[str, str]:
    return _headers(reads_warehouse.url, "acme")


@pytest.fixture(scope="module")
def beta(reads_warehouse: ReadsWarehouse) -> dict[str, str]:
    return _headers(reads_warehouse.url, "beta")


def _rows(url: str, query: str, *params: Any) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(query, params).fetchall()


def _one(url: str, query: str, *params: Any) -> Any:
    return _rows(url, query, *params)[0][0]


# --- dashboard ---------------------------------------------------------------------------------


@pytest.mark.parametrize("timeframe, days", [("7d", 7), ("30d", 30), ("90d", 90), ("1y", 365)])
def test_overview_sums_the_dashboard_view_over_the_timeframe(client, acme, reads_warehouse, timeframe, days):
    response = client.get("/analytics/dashboard/overview", params={"timeframe": timeframe}, headers=acme)
    assert response.status_code == 200
    body = response.json()
    start = END - dt.timedelta(days=days - 1)
    views, items = _rows(
        reads_warehouse.url,
        "select sum(total_daily_views), count(*) from marts.mv_dashboard_overview "
        "where workspace_id = 'acme' and metric_date between %s and %s",
        start,
        END,
    )[0]
    assert (body["window_start"], body["window_end"]) == (start.isoformat(), END.isoformat())
    assert body["total_views"] == views
    assert len(body["daily"]) == items
    assert sum(p["total_views"] for p in body["platforms"]) == views
    assert body["total_content_pieces"] == _one(
        reads_warehouse.url,
        "select count(distinct (platform, content_id)) from marts.content_performance_history "
        "where workspace_id = 'acme' and metric_date between %s and %s",
        start,
        END,
    )
    assert [t["trend_rank"] for t in body["top_trending"]] == [1, 2, 3, 4, 5]


def test_overview_compares_with_the_window_before_and_counts_new_insights(client, acme, reads_warehouse):
    body = client.get("/analytics/dashboard/overview", params={"timeframe": "7d"}, headers=acme).json()
    previous = _one(
        reads_warehouse.url,
        "select sum(total_daily_views)::bigint from marts.mv_dashboard_overview "
        "where workspace_id = 'acme' and metric_date between %s and %s",
        END - dt.timedelta(days=13),
        END - dt.timedelta(days=7),
    )
    assert body["previous_period_views"] == previous
    assert body["views_change"] == pytest.approx((body["total_views"] - previous) / previous)
    # END: one updated (medium) and one new (low) insight; the unchanged high one is not new.
    assert body["new_insights_by_priority"] == {"high": 0, "medium": 1, "low": 1}
    latest = _rows(
        reads_warehouse.url,
        "select high_performance_items, medium_performance_items, low_performance_items, unscored_items "
        "from marts.mv_dashboard_overview where workspace_id = 'acme' and metric_date = %s",
        END,
    )[0]
    assert tuple(body["performance_latest_day"].values()) == latest


def test_each_workspace_sees_only_its_own_dashboard(client, acme, beta, reads_warehouse):
    for headers, workspace in ((acme, "acme"), (beta, "beta")):
        body = client.get("/analytics/dashboard/overview", params={"timeframe": "1y"}, headers=headers).json()
        assert body["total_views"] == _one(
            reads_warehouse.url,
            "select sum(total_daily_views) from marts.mv_dashboard_overview where workspace_id = %s",
            workspace,
        )
        trending = client.get("/analytics/dashboard/trending", params={"limit": 500}, headers=headers).json()
        expected = _rows(
            reads_warehouse.url,
            "select platform, content_id from marts.mv_trending_content "
            "where workspace_id = %s order by trend_rank",
            workspace,
        )
        assert [(t["platform"], t["content_id"]) for t in trending["items"]] == [tuple(r) for r in expected]


def test_trending_pages_cover_the_ranking_once(client, acme, reads_warehouse):
    total = _one(
        reads_warehouse.url, "select count(*) from marts.mv_trending_content where workspace_id = 'acme'"
    )
    seen = []
    for offset in range(0, total + 7, 7):
        page = client.get(
            "/analytics/dashboard/trending", params={"limit": 7, "offset": offset}, headers=acme
        ).json()
        assert (page["total"], page["limit"], page["offset"]) == (total, 7, offset)
        seen += [item["trend_rank"] for item in page["items"]]
    assert seen == list(range(1, total + 1))
    tiktok = client.get("/analytics/dashboard/trending", params={"platform": "tiktok"}, headers=acme).json()
    assert tiktok["items"] and {i["platform"] for i in tiktok["items"]} == {"tiktok"}
    ranks = [i["trend_rank"] for i in tiktok["items"]]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(
    "path, params",
    [
        ("/analytics/dashboard/overview", {"timeframe": "2w"}),
        ("/analytics/dashboard/trending", {"limit": 0}),
        ("/analytics/dashboard/trending", {"limit": 501}),
        ("/analytics/dashboard/trending", {"offset": -1}),
        ("/analytics/dashboard/trending", {"platform": "myspace"}),
        ("/analytics/realtime/platform-metrics/myspace", {}),
        ("/analytics/realtime/platform-metrics/tiktok", {"hours": 0}),
    ],
)
def test_bad_query_parameters_are_422(client, acme, path, params):
    assert client.get(path, params=params, headers=acme).status_code == 422


def test_reads_need_an_api_key(client):
    assert client.get("/analytics/dashboard/overview").status_code == 401
    assert client.post("/analytics/content/analyze", json={"content_id": "x"}).status_code == 401


# --- platform insights -------------------------------------------------------------------------


def test_platform_insights_sum_the_platform_view_and_read_stored_results(client, acme, reads_warehouse):
    response = client.post(
        "/analytics/platform/insights", json={"platform": "youtube", "timeframe": "30d"}, headers=acme
    )
    assert response.status_code == 200
    body = response.json()
    start = END - dt.timedelta(days=29)
    views, days, engagement = _rows(
        reads_warehouse.url,
        "select sum(total_daily_views), count(*), avg(avg_engagement_rate) "
        "from marts.mv_platform_daily_metrics "
        "where workspace_id = 'acme' and platform = 'youtube' and metric_date between %s and %s",
        start,
        END,
    )[0]
    assert (body["total_views"], body["active_days"]) == (views, days)
    assert body["avg_engagement_rate"] == pytest.approx(engagement)
    benchmark = get_platform_config("youtube").benchmark_engagement_rate
    assert body["benchmark_engagement_rate"] == benchmark
    assert body["engagement_vs_benchmark"] == pytest.approx(engagement / benchmark)
    assert {t["metric_name"] for t in body["trends"]} == {"daily_views", "daily_interactions"}
    assert all(t["series_level"] == "platform" and t["series_id"] == "youtube" for t in body["trends"])
    significant = _one(
        reads_warehouse.url,
        "select count(*) from analytics.correlation_analysis_results "
        "where workspace_id = 'acme' and scope = 'youtube' and is_significant",
    )
    assert len(body["correlations"]) == min(significant, 10)
    assert all(c["is_significant"] for c in body["correlations"])
    assert {i["platform"] for i in body["top_content"]} <= {"youtube"}
    assert [i["insight_id"] for i in body["insights"]] == ["best_posting_hour:youtube:18"]


def test_platform_insights_reject_unknown_platforms_and_timeframes(client, acme):
    for body in (
        {"platform": "myspace"},
        {"platform": "youtube", "timeframe": "5d"},
        {},
        {"platform": "youtube", "x": 1},
    ):
        assert client.post("/analytics/platform/insights", json=body, headers=acme).status_code == 422


# --- recommendations ---------------------------------------------------------------------------


def _recommend(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/analytics/optimization/recommendations", json=body or None, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_recommendations_list_new_and_updated_insights_by_priority(client, acme):
    body = _recommend(client, acme)
    assert body["analysis_date"] == END.isoformat()
    assert [(i["insight_id"], i["status"]) for i in body["items"]] == [
        ("content_length:all:short", "updated"),
        ("rising_content:tiktok:tt-000001", "new"),
    ]
    updated = body["items"][0]
    assert updated["first_reported_date"] == PREVIOUS.isoformat()
    assert (updated["impact_estimate"], updated["impact_ci_lower"], updated["impact_ci_upper"]) == (
        0.12,
        0.05,
        0.19,
    )
    assert set(updated) >= {
        "insight_type",
        "priority",
        "title",
        "description",
        "impact_prediction",
        "implementation_difficulty",
        "affected_content",
        "data_supporting",
    }


def test_recommendations_filter_and_paginate(client, acme, beta):
    every = _recommend(client, acme, include_unchanged=True)
    assert [i["priority_score"] for i in every["items"]] == [0.6, 0.35, 0.1]
    assert every["total"] == 3
    assert [
        i["insight_id"]
        for i in _recommend(client, acme, include_unchanged=True, platforms=["youtube"])["items"]
    ] == ["best_posting_hour:youtube:18"]
    about = _recommend(client, acme, content_ids=["tt-000001"])["items"]
    assert [i["affected_content"] for i in about] == [["tt-000001"]]
    assert _recommend(client, acme, include_unchanged=True, priorities=["high"])["total"] == 1
    assert _recommend(client, acme, insight_types=["ab_test_winner"])["items"] == []
    page = _recommend(client, acme, include_unchanged=True, limit=1, offset=1)
    assert (page["total"], [i["priority_score"] for i in page["items"]]) == (3, [0.35])
    assert [i["title"] for i in _recommend(client, beta)["items"]] == ["best_posting_hour:youtube:9 in beta"]


@pytest.mark.parametrize(
    "body",
    [
        {"platforms": ["myspace"]},
        {"insight_types": ["viral"]},
        {"priorities": ["urgent"]},
        {"limit": 0},
        {"offset": -1},
        {"content_ids": [""]},
        {"unknown": True},
    ],
)
def test_recommendations_reject_bad_filters(client, acme, body):
    assert client.post("/analytics/optimization/recommendations", json=body, headers=acme).status_code == 422


# --- content analysis --------------------------------------------------------------------------


def test_content_analysis_reads_history_trends_anomalies_and_insights(client, acme, reads_warehouse):
    response = client.post("/analytics/content/analyze", json={"content_id": "tt-000001"}, headers=acme)
    assert response.status_code == 200
    body = response.json()
    assert (body["content"]["platform"], body["content"]["title"]) == (
        "tiktok",
        _one(
            reads_warehouse.url,
            "select title from raw.content where workspace_id = 'acme' and content_id = 'tt-000001'",
        ),
    )
    history = _rows(
        reads_warehouse.url,
        "select metric_date, views, daily_views from marts.content_performance_history "
        "where workspace_id = 'acme' and content_id = 'tt-000001' and metric_date >= %s order by metric_date",
        END - dt.timedelta(days=29),
    )
    performance = body["performance"]
    assert [d["metric_date"] for d in performance["daily"]] == [h[0].isoformat() for h in history]
    assert performance["views"] == history[-1][1]
    assert performance["views_gained"] == sum(h[2] for h in history if h[2] is not None)
    stored = _rows(
        reads_warehouse.url,
        "select metric, overall_direction from analytics.trend_analysis_results where workspace_id = 'acme' "
        "and series_level = 'content' and series_id = 'tt-000001' order by metric",
    )
    assert [(t["metric_name"], t["overall_direction"]) for t in body["trends"]] == [tuple(r) for r in stored]
    assert all(t["key_insights"] is not None and len(t["time_period"]) == 2 for t in body["trends"])
    anomalies = _one(
        reads_warehouse.url,
        "select count(*) from analytics.performance_anomalies where workspace_id = 'acme' "
        "and series_level = 'content' and series_id = 'tt-000001' and anomaly_date >= %s",
        END - dt.timedelta(days=29),
    )
    assert len(body["anomalies"]) == anomalies
    assert [i["insight_id"] for i in body["insights"]] == ["rising_content:tiktok:tt-000001"]


def test_content_analysis_types_select_parts(client, acme):
    performance = client.post(
        "/analytics/content/analyze",
        json={"content_id": "tt-000001", "analysis_type": "performance"},
        headers=acme,
    ).json()
    assert (
        performance["performance"] is not None
        and performance["trends"] == []
        and performance["insights"] == []
    )
    trends = client.post(
        "/analytics/content/analyze",
        json={"content_id": "tt-000001", "analysis_type": "trends"},
        headers=acme,
    ).json()
    assert trends["performance"] is None and len(trends["trends"]) == 2


def test_content_of_another_workspace_or_platform_is_404(client, acme, reads_warehouse):
    beta_only = _one(
        reads_warehouse.url,
        "select content_id from marts.content_feature_analysis where workspace_id = 'beta' "
        "except select content_id from marts.content_feature_analysis where workspace_id = 'acme' "
        "order by 1 limit 1",
    )
    for body in (
        {"content_id": beta_only},
        {"content_id": "no-such-item"},
        {"content_id": "tt-000001", "platform": "youtube"},
    ):
        response = client.post("/analytics/content/analyze", json=body, headers=acme)
        assert response.status_code == 404
        assert body["content_id"] in response.json()["detail"]


def test_content_id_on_two_platforms_needs_the_platform(client, acme, reads_warehouse):
    with connect(reads_warehouse.url) as conn:
        conn.execute(
            "insert into marts.content_feature_analysis (workspace_id, platform, content_id, title) "
            "values ('acme', 'youtube', 'dup-1', 'on youtube'), ('acme', 'tiktok', 'dup-1', 'on tiktok')"
        )
    try:
        ambiguous = client.post("/analytics/content/analyze", json={"content_id": "dup-1"}, headers=acme)
        assert ambiguous.status_code == 422
        assert "youtube" in ambiguous.json()["detail"] and "tiktok" in ambiguous.json()["detail"]
        chosen = client.post(
            "/analytics/content/analyze", json={"content_id": "dup-1", "platform": "youtube"}, headers=acme
        )
        assert chosen.status_code == 200
        assert (chosen.json()["content"]["title"], chosen.json()["performance"]) == ("on youtube", None)
    finally:
        with connect(reads_warehouse.url) as conn:
            conn.execute("delete from marts.content_feature_analysis where content_id = 'dup-1'")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"content_id": ""},
        {"content_id": "a" * 201},
        {"content_id": "x", "analysis_type": "deep"},
        {"content_id": 5},
    ],
)
def test_content_analysis_rejects_bad_bodies(client, acme, body):
    assert client.post("/analytics/content/analyze", json=body, headers=acme).status_code == 422


# --- comparison --------------------------------------------------------------------------------


def test_compare_ranks_each_metric_from_the_stored_values(client, acme, reads_warehouse):
    ids = ["tt-000001", "yt-000004", "ig-000005"]
    response = client.post(
        "/analytics/content/compare",
        json={"content_ids": ids, "metrics": ["views", "views_gained", "views_day_30", "engagement_rate"]},
        headers=acme,
    )
    assert response.status_code == 200
    body = response.json()
    assert [c["content_id"] for c in body["content"]] == ids
    views = dict(
        _rows(
            reads_warehouse.url,
            "select distinct on (content_id) content_id, views from marts.content_performance_history "
            "where workspace_id = 'acme' and content_id = any(%s) order by content_id, metric_date desc",
            ids,
        )
    )
    by_metric = {m["metric"]: m for m in body["metrics"]}
    assert {v["content_id"]: v["value"] for v in by_metric["views"]["values"]} == views
    ranking = sorted(views, key=views.get, reverse=True)
    assert [v["content_id"] for v in sorted(by_metric["views"]["values"], key=lambda v: v["rank"])] == ranking
    assert by_metric["views"]["best"] == ranking[0]
    assert by_metric["views"]["best_to_worst_ratio"] == pytest.approx(views[ranking[0]] / views[ranking[-1]])
    day_30 = dict(
        _rows(
            reads_warehouse.url,
            "select content_id, views_day_30 from marts.content_feature_analysis "
            "where workspace_id = 'acme' and content_id = any(%s)",
            ids,
        )
    )
    assert {v["content_id"]: v["value"] for v in by_metric["views_day_30"]["values"]} == day_30


def test_compare_errors(client, acme):
    unknown = client.post(
        "/analytics/content/compare", json={"content_ids": ["tt-000001", "ghost"]}, headers=acme
    )
    assert unknown.status_code == 404 and "ghost" in unknown.json()["detail"]
    for body in (
        {"content_ids": ["tt-000001"]},
        {"content_ids": ["tt-000001", "tt-000001"]},
        {"content_ids": ["tt-000001", "yt-000004"], "metrics": ["karma"]},
        {"content_ids": ["tt-000001", "yt-000004"], "metrics": []},
        {"content_ids": [f"c{i}" for i in range(21)]},
    ):
        assert client.post("/analytics/content/compare", json=body, headers=acme).status_code == 422


# --- realtime ----------------------------------------------------------------------------------


def test_realtime_metrics_read_the_latest_raw_snapshots(client, acme, reads_warehouse):
    response = client.get("/analytics/realtime/metrics/tt-000001", headers=acme)
    assert response.status_code == 200
    body = response.json()
    snapshots = _rows(
        reads_warehouse.url,
        "select captured_at, views from raw.engagement_snapshots "
        "where workspace_id = 'acme' and content_id = 'tt-000001' order by captured_at desc",
    )
    latest_at, latest_views = snapshots[0]
    assert dt.datetime.fromisoformat(body["latest"]["captured_at"]) == latest_at
    assert body["latest"]["views"] == latest_views
    assert dt.datetime.fromisoformat(body["previous"]["captured_at"]) == snapshots[1][0]
    day_before = next(s for s in snapshots if s[0] <= latest_at - dt.timedelta(hours=24))
    assert body["views_change_24h"] == latest_views - day_before[1]
    assert body["snapshots_last_24h"] == sum(s[0] > latest_at - dt.timedelta(hours=24) for s in snapshots)


def test_realtime_metrics_404_422(client, acme, beta, reads_warehouse):
    assert client.get("/analytics/realtime/metrics/no-such-item", headers=acme).status_code == 404
    assert (
        client.get(
            "/analytics/realtime/metrics/tt-000001", params={"platform": "youtube"}, headers=acme
        ).status_code
        == 404
    )
    beta_only = _one(
        reads_warehouse.url,
        "select content_id from raw.content where workspace_id = 'beta' except "
        "select content_id from raw.content where workspace_id = 'acme' order by 1 limit 1",
    )
    assert client.get(f"/analytics/realtime/metrics/{beta_only}", headers=acme).status_code == 404
    assert client.get(f"/analytics/realtime/metrics/{beta_only}", headers=beta).status_code == 200


def test_tracked_snapshots_show_at_once_and_an_id_on_two_platforms_needs_the_platform(client, acme):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    track = {
        "content_id": "rt-both",
        "platform": "youtube",
        "metrics": {"views": 10},
        "captured_at": now.isoformat(),
    }
    assert client.post("/analytics/engagement/track", json=track, headers=acme).status_code == 201
    first = client.get("/analytics/realtime/metrics/rt-both", headers=acme)
    assert (first.status_code, first.json()["latest"]["views"]) == (200, 10)
    later = now + dt.timedelta(minutes=1)
    for platform, views in (("youtube", 25), ("tiktok", 7)):
        record = {
            **track,
            "platform": platform,
            "metrics": {"views": views},
            "captured_at": later.isoformat(),
        }
        assert client.post("/analytics/engagement/track", json=record, headers=acme).status_code == 201
    # The cached answer is stale: tracking bumped the snapshots' generation.
    assert client.get("/analytics/realtime/metrics/rt-both", headers=acme).status_code == 422
    youtube = client.get(
        "/analytics/realtime/metrics/rt-both", params={"platform": "youtube"}, headers=acme
    ).json()
    assert (youtube["latest"]["views"], youtube["previous"]["views"], youtube["snapshots_last_24h"]) == (
        25,
        10,
        2,
    )


def test_realtime_platform_metrics_count_the_window_before_now(client, acme, reads_warehouse):
    until = dt.datetime.combine(END, dt.time(23, 59), dt.UTC)
    client.app.dependency_overrides[request_time] = lambda: until
    try:
        response = client.get(
            "/analytics/realtime/platform-metrics/tiktok", params={"hours": 24}, headers=acme
        )
    finally:
        client.app.dependency_overrides.clear()
    assert response.status_code == 200
    body = response.json()
    snapshots, items = _rows(
        reads_warehouse.url,
        "select count(*), count(distinct content_id) from raw.engagement_snapshots "
        "where workspace_id = 'acme' and platform = 'tiktok' and captured_at > %s and captured_at <= %s",
        until - dt.timedelta(hours=24),
        until,
    )[0]
    assert (body["snapshots"], body["content_items"]) == (snapshots, items)
    assert body["views_gained"] > 0
    assert body["latest_day"]["metric_date"] == _one(
        reads_warehouse.url,
        "select max(metric_date)::text from marts.mv_platform_daily_metrics "
        "where workspace_id = 'acme' and platform = 'tiktok'",
    )
