"""Health, system status, admin cleanup (retention) and recalculate (a Dagster backfill)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.serving.app import create_app
from dagster_project.serving.deps import request_time
from dagster_project.serving.recalculation import definitions
from dagster_project.serving.routes_admin import dagster_instance
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import DAY, NOW, snapshot, write_csv

HEALTH = "/analytics/health"
STATUS = "/analytics/system/status"
CLEANUP = "/analytics/admin/cleanup"
RECALCULATE = "/analytics/admin/recalculate"


def _client(
    settings: AnalyticsSettings, now: dt.datetime = NOW, instance: dg.DagsterInstance | None = None
) -> TestClient:
    """The API with its clock at ``now`` and, when given, the Dagster ``instance``."""
    app = create_app(settings)
    app.dependency_overrides[request_time] = lambda: now
    if instance is not None:
        app.dependency_overrides[dagster_instance] = lambda: instance
    return TestClient(app)


@pytest.fixture
def two_workspaces(settings) -> str:
    rows = [
        snapshot("a-1", workspace_id="acme"),
        snapshot("a-2", workspace_id="acme"),
        snapshot("b-1", workspace_id="beta"),
        snapshot("b-bad", workspace_id="beta", views="-1"),
    ]
    write_csv(settings.LANDING_DIR, "youtube", rows)
    url = settings.DATABASE_URL.get_secret_value()
    load_landing_day(url, DAY, settings=settings, now=NOW)
    return url


def test_health_needs_no_key(api_client):
    response = api_client.get(HEALTH)

    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["latency_ms"] > 0


def test_health_is_503_when_the_database_does_not_answer(settings, tmp_path):
    closed = "postgresql://nobody:secret-password@127.0.0.1:1/warehouse"
    down = AnalyticsSettings(DATABASE_URL=closed, DATA_DIR=tmp_path, APP_ENV="testing")

    response = TestClient(create_app(down)).get(HEALTH)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable", "latency_ms": None}
    assert "secret-password" not in response.text


def test_status_counts_only_the_callers_workspace(settings, two_workspaces, api_headers, other_headers):
    client = _client(settings)

    acme = client.get(STATUS, headers=api_headers).json()
    beta = client.get(STATUS, headers=other_headers).json()

    def counts(status: dict) -> dict[str, int | None]:
        return {c["relation"]: c["rows"] for c in status["row_counts"]}

    assert counts(acme)["raw.engagement_snapshots"] == 2 and counts(acme)["raw.rejected_snapshots"] == 0
    assert counts(beta)["raw.engagement_snapshots"] == 1 and counts(beta)["raw.rejected_snapshots"] == 1
    assert counts(acme)["marts.content_performance_history"] is None  # not built in this test
    assert acme["latest_ingest_date"] == DAY.isoformat()
    assert acme["versions"]["schema_revision"] is not None and acme["versions"]["postgres"]
    assert acme["database"]["reachable"] is True
    days = [p["day"] for p in acme["latest_partitions"]]
    assert days == sorted(days, reverse=True) and len(days) == 3


def test_status_reports_the_read_cache(settings, api_headers):
    client = _client(settings)
    cache = getattr(client.app.state, "cache", None)

    status = client.get(STATUS, headers=api_headers).json()["cache"]

    if cache is None:
        assert status is None
    else:
        stats = cache.stats()
        assert (status["hits"], status["misses"], status["size"]) == (stats.hits, stats.misses, stats.size)


def test_cleanup_applies_retention_and_reports_what_it_removed(settings, two_workspaces, admin_headers):
    short = settings.model_copy(update={"ENGAGEMENT_DATA_RETENTION_DAYS": 2, "REJECTED_RETENTION_DAYS": 2})
    later = dt.datetime.combine(DAY + dt.timedelta(days=10), dt.time(), dt.UTC)
    client = _client(short, now=later)

    first = client.delete(CLEANUP, headers=admin_headers)
    again = client.delete(CLEANUP, headers=admin_headers)

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["cutoffs"]["raw"] == (later.date() - dt.timedelta(days=2)).isoformat()
    dropped = {r["table_or_partition"]: r["rows"] for r in body["removed"] if r["kind"] == "raw_partition"}
    assert dropped["raw.engagement_snapshots_p20261005"] == 3
    assert any(r["kind"] == "rejected" and r["rows"] == 1 for r in body["removed"])
    assert body["rows_removed"] == sum(r["rows"] for r in body["removed"])
    assert again.json()["removed"] == []
    with connect(two_workspaces) as conn:
        assert conn.execute("select count(*) from raw.engagement_snapshots").fetchone() == (0,)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_recalculate_records_a_backfill_of_the_jobs_assets_for_the_range(settings, admin_headers, instance):
    client = _client(settings, instance=instance)
    body = {"start_date": "2026-10-01", "end_date": "2026-10-05", "job_name": "analytics_job"}

    response = client.post(RECALCULATE, json=body, headers=admin_headers)

    assert response.status_code == 202, response.text
    launched = response.json()
    backfill = instance.get_backfill(launched["backfill_id"])
    assert backfill is not None and backfill.status.value == "REQUESTED"
    job = definitions().resolve_job_def("analytics_job")
    assert set(backfill.asset_selection) == set(job.asset_layer.executable_asset_keys)
    assert sorted(k.to_user_string() for k in backfill.asset_selection) == launched["assets"]
    target = backfill.get_asset_backfill_data(definitions().resolve_asset_graph()).target_subset
    expected = [f"2026-10-0{d}" for d in range(1, 6)]
    partitioned = target.partitions_subsets_by_asset_key
    assert partitioned  # the daily assets; unpartitioned ones (declarations) are targeted whole
    assert set(partitioned) | set(target.non_partitioned_asset_keys) == set(backfill.asset_selection)
    for subset in partitioned.values():
        assert sorted(subset.get_partition_keys()) == expected
    assert launched["partitions"] == 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"start_date": "2026-10-01", "end_date": "2026-10-02", "job_name": "retention_job"}, "unknown job"),
        ({"start_date": "2026-10-05", "end_date": "2026-10-01"}, "is after end"),
        ({"start_date": "2026-10-01", "end_date": NOW.date().isoformat()}, "not a finished day"),
        ({"start_date": "2020-01-01", "end_date": "2020-01-02"}, "before the first partition"),
    ],
    ids=["not-partitioned", "reversed", "unfinished", "too-early"],
)
def test_recalculate_refuses_what_cannot_run(settings, admin_headers, instance, body, message):
    client = _client(settings, instance=instance)

    response = client.post(RECALCULATE, json=body, headers=admin_headers)

    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert instance.get_backfills() == []
