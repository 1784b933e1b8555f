"""Track and batch-track: the landing files' rules, quarantine, partial acceptance, workspaces,
and API rows that survive the re-ingestion of their landing day."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings

from dagster_project.ingest.loader import load_landing_day
from dagster_project.serving.app import create_app
from dagster_project.serving.deps import request_time
from dagster_project.serving.models_tracking import MAX_BATCH_RECORDS
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import run_dbt
from tests.ingest import strategies as rs
from tests.ingest.landing_helpers import DAY, snapshot, write_csv
from tests.ingest.test_properties import _empty_raw

TRACK = "/analytics/engagement/track"
BATCH = "/analytics/engagement/batch-track"
#: The API's clock in these tests: just after landing day DAY, so DAY's captures are on time.
NOW = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(), dt.UTC)
CAPTURED = "2026-10-05T06:00:00+00:00"


@pytest.fixture
def api_client(settings) -> TestClient:
    """The API with its clock at ``NOW``."""
    app = create_app(settings)
    app.dependency_overrides[request_time] = lambda: NOW
    with TestClient(app) as client:
        yield client


@pytest.fixture
def url(settings) -> str:
    return settings.DATABASE_URL.get_secret_value()


def track_body(content_id: str = "c-1", **metrics: object) -> dict:
    return {
        "content_id": content_id,
        "platform": "youtube",
        "captured_at": CAPTURED,
        "metrics": {"views": 1500, "likes": 120, "watch_time": 1200, **metrics},
        "metadata": {"title": "My Great Video", "tags": ["a", "b"], "source": "webhook"},
    }


def _rows(url: str, query: str, *params: object) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(query, params).fetchall()


def test_track_stores_the_snapshot_and_its_metadata(api_client, api_headers, url):
    response = api_client.post(TRACK, json=track_body(), headers=api_headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["workspace_id"] == "acme"
    assert body["snapshot"]["snapshot_id"] == f"youtube:c-1:{CAPTURED}"
    stored = _rows(
        url,
        "select workspace_id, views, likes, watch_time_seconds, ingest_date, source_file, source_line "
        "from raw.engagement_snapshots",
    )
    assert len(stored) == 1
    workspace, views, likes, watch_time, ingest_date, source_file, line = stored[0]
    assert (workspace, views, likes, watch_time, ingest_date, line) == (
        "acme",
        1500,
        120,
        1200,
        NOW.date(),
        0,
    )
    assert source_file.startswith("api:") and source_file.endswith("/" + body["request_id"])
    assert _rows(url, "select title, tags from raw.content") == [("My Great Video", ["a", "b"])]


def test_track_defaults_captured_at_to_now(api_client, api_headers, url):
    body = {"content_id": "c-now", "platform": "tiktok", "metrics": {"views": 3}}

    response = api_client.post(TRACK, json=body, headers=api_headers)

    assert response.status_code == 201, response.text
    assert _rows(url, "select captured_at from raw.engagement_snapshots") == [(NOW,)]


@pytest.mark.parametrize(
    ("change", "field", "loc"),
    [
        ({"metrics": {"views": -5}}, "views", ["body", "metrics", "views"]),
        ({"platform": "myspace"}, "platform", ["body", "platform"]),
        ({"captured_at": "2026-10-05T06:00:00"}, "captured_at", ["body", "captured_at"]),
        ({"captured_at": "2026-09-01T06:00:00Z"}, "captured_at", ["body", "captured_at"]),
        ({"metadata": {"published_at": "2026-10-06T00:00:00Z"}}, "captured_at", ["body", "captured_at"]),
        (
            {"metrics": {"views": 1, "engagement_rate": -0.1}},
            "engagement_rate",
            ["body", "metrics", "engagement_rate"],
        ),
    ],
    ids=["negative", "unknown-platform", "no-offset", "too-old", "before-publish", "negative-rate"],
)
def test_rejected_record_is_422_with_field_and_reason_and_quarantined(
    api_client, api_headers, url, change, field, loc
):
    body = {**track_body(), **change}

    response = api_client.post(TRACK, json=body, headers=api_headers)

    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert (detail["index"], detail["field"], detail["loc"], detail["type"]) == (0, field, loc, "rejected")
    assert detail["reason"].startswith(f"{field}: ")
    assert _rows(url, "select count(*) from raw.engagement_snapshots") == [(0,)]
    quarantined = _rows(
        url, "select workspace_id, source, field, reason, payload, request_id from raw.rejected_snapshots"
    )
    assert len(quarantined) == 1
    workspace, source, q_field, reason, payload, request_id = quarantined[0]
    assert (workspace, source, q_field, reason) == ("acme", "api", field, detail["reason"])
    assert '"content_id": "c-1"' in payload and request_id == response.json()["request_id"]


def test_body_that_is_not_a_track_record_gets_fastapis_422(api_client, api_headers, url):
    response = api_client.post(TRACK, json={"content_id": "x", "platform": "youtube"}, headers=api_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "metrics"]
    assert _rows(url, "select count(*) from raw.rejected_snapshots") == [(0,)]


def test_the_same_snapshot_twice_is_a_duplicate(api_client, api_headers, url):
    assert api_client.post(TRACK, json=track_body(), headers=api_headers).status_code == 201

    again = api_client.post(TRACK, json=track_body(views=9), headers=api_headers)

    assert again.status_code == 422
    assert again.json()["detail"][0]["reason"] == "captured_at: duplicate snapshot already loaded"
    assert _rows(url, "select views from raw.engagement_snapshots") == [(1500,)]


def test_track_without_key_writes_nothing(api_client, url):
    assert api_client.post(TRACK, json=track_body()).status_code == 401
    assert _rows(url, "select count(*) from raw.engagement_snapshots") == [(0,)]


def test_a_record_naming_another_workspace_is_rejected(api_client, api_headers, url):
    body = {
        "records": [{**track_body(), "workspace_id": "beta"}, {**track_body("c-2"), "workspace_id": "acme"}]
    }

    response = api_client.post(BATCH, json=body, headers=api_headers)

    assert response.json()["errors"] == [
        {"index": 0, "field": "workspace_id", "reason": "workspace_id: not the API key's workspace"}
    ]
    assert _rows(url, "select distinct workspace_id from raw.engagement_snapshots") == [("acme",)]
    assert _rows(url, "select distinct workspace_id from raw.rejected_snapshots") == [("acme",)]


def test_batch_accepts_the_good_records_and_accounts_for_every_one(api_client, api_headers, url):
    records = [
        track_body("c-1"),
        {"content_id": "c-2", "platform": "tiktok", "views": "42", "captured_at": CAPTURED},  # flat, text
        track_body("c-3", views={"$gt": ""}),  # nested value where a number belongs
        "not an object",
        track_body("c-1"),  # duplicate of record 0 in the same request
        {**track_body("c-5"), "platform": "  YouTube "},
        track_body("c-6", views=10**30),
    ]

    response = api_client.post(BATCH, json={"records": records}, headers=api_headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["accepted"], body["rejected"]) == (7, 3, 4)
    assert [s["index"] for s in body["snapshots"]] == [0, 1, 5]
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (2, "views"),
        (3, "record"),
        (4, "captured_at"),
        (6, "views"),
    ]
    assert body["errors"][0]["reason"] == "views: wrong type (nested value)"
    assert _rows(url, "select count(*) from raw.engagement_snapshots") == [(3,)]
    assert _rows(url, "select count(*), count(distinct request_id) from raw.rejected_snapshots") == [(4, 1)]


@pytest.mark.parametrize("records", [[], [track_body()] * (MAX_BATCH_RECORDS + 1)], ids=["empty", "too-many"])
def test_batch_size_is_bounded(api_client, api_headers, records):
    response = api_client.post(BATCH, json={"records": records}, headers=api_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "records"]


def test_reingesting_a_landing_day_keeps_api_tracked_rows(api_client, api_headers, settings, url):
    tracked = api_client.post(TRACK, json=track_body("api-item"), headers=api_headers)
    assert tracked.status_code == 201
    write_csv(settings.LANDING_DIR, "youtube", [snapshot("file-item", workspace_id="acme")], day=NOW.date())

    for _ in range(2):  # a landing day re-ingested replaces its file rows, never the API's
        load_landing_day(url, NOW.date(), settings=settings, now=NOW)

    stored = _rows(
        url, "select content_id, source_file like 'api:%%' from raw.engagement_snapshots order by 1"
    )
    assert stored == [("api-item", True), ("file-item", False)]


def test_a_file_snapshot_already_tracked_by_the_api_is_quarantined_by_the_loader(
    api_client, api_headers, settings, url
):
    assert api_client.post(TRACK, json=track_body("same"), headers=api_headers).status_code == 201
    file_row = snapshot("same", workspace_id="acme", captured_at=CAPTURED, views=1)
    write_csv(settings.LANDING_DIR, "youtube", [file_row], day=NOW.date())

    report = load_landing_day(url, NOW.date(), settings=settings, now=NOW)

    assert (report.accepted, report.rejected) == (0, 1)
    assert _rows(url, "select views from raw.engagement_snapshots") == [(1500,)]


def test_tracked_snapshots_flow_into_the_warehouse_like_file_rows(api_client, api_headers, settings, url):
    """One item tracked through the API, its twin delivered in a landing file the same day: the
    history mart holds the same rows for both."""
    captures = [("2026-10-03T06:00:00Z", 100, 4), ("2026-10-04T06:00:00Z", 250, 9), (CAPTURED, 400, 20)]
    metadata = {"published_at": "2026-10-01T12:00:00Z", "category": "howto", "format": "video"}
    file_rows = []
    for captured_at, views, likes in captures:
        body = {
            **track_body("via-api", views=views, likes=likes),
            "captured_at": captured_at,
            "metadata": metadata,
        }
        assert api_client.post(TRACK, json=body, headers=api_headers).status_code == 201
        file_rows.append(
            snapshot(
                "via-file",
                workspace_id="acme",
                captured_at=captured_at,
                views=views,
                likes=likes,
                comments=None,
                watch_time_seconds=1200,
                **metadata,
            )
        )
    write_csv(settings.LANDING_DIR, "youtube", file_rows, day=NOW.date())
    load_landing_day(url, NOW.date(), settings=settings, now=NOW)

    run_dbt(url, ["build", "--select", "+content_performance_history"])

    history = _rows(
        url,
        "select content_id, jsonb_agg(to_jsonb(h) - 'content_id' order by metric_date) "
        "from marts.content_performance_history as h group by content_id order by content_id",
    )
    assert [content_id for content_id, _ in history] == ["via-api", "via-file"]
    via_api, via_file = (rows for _, rows in history)
    assert len(via_api) == 3
    assert [day["daily_views"] for day in via_api] == [None, 150, 150]
    differing = [
        {k: (v, file_day[k]) for k, v in api_day.items() if file_day[k] != v}
        for api_day, file_day in zip(via_api, via_file, strict=True)
    ]
    assert differing == [{}, {}, {}]


@hyp_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=rs.case_batches(max_size=12))
def test_hostile_batches_never_fail_and_every_record_is_accounted_for(api_client, api_headers, url, batch):
    """Issue 8 point 5 through the API: random and hostile records (tests.ingest.strategies)."""
    _empty_raw(url)
    body = '{"records": [' + ", ".join(rs.jsonl_line(case) for case in batch) + "]}"

    response = api_client.post(
        BATCH, content=body, headers={**api_headers, "content-type": "application/json"}
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["received"] == len(batch) == result["accepted"] + result["rejected"]
    accepted = {s["index"] for s in result["snapshots"]}
    errors = {e["index"]: e for e in result["errors"]}
    assert accepted.isdisjoint(errors) and len(errors) == result["rejected"]
    for index, case in enumerate(batch):
        expected = _api_expectation(case)
        if expected.outcome == "accept":
            assert index in accepted, (case.note, errors.get(index))
        elif expected.outcome == "reject":
            assert index in errors, case.note
            assert expected.field in ("record", errors[index]["field"]), (case.note, errors[index])
        if index in errors:
            assert errors[index]["reason"].strip()
    stored = _rows(
        url, "select (select count(*) from raw.engagement_snapshots), count(*) from raw.rejected_snapshots"
    )
    assert stored == [(result["accepted"], result["rejected"])]


def _api_expectation(case: rs.Case) -> rs.Expectation:
    """What the API must do with a case: as for a JSON line, except that a record without
    ``captured_at`` is captured now, and NaN / inf (which Python's JSON parser reads) are judged
    by the field's rule rather than refused as unreadable ("record" accepts any field)."""
    flat = {**case.record, **(case.record.get("metrics") or {})} if isinstance(case.record, dict) else {}
    missing_capture = not ({"captured_at", "timestamp"} & flat.keys())
    if missing_capture and case.jsonl == rs.reject("captured_at") and case.note != "duplicate":
        return rs.ACCEPT
    return case.jsonl
