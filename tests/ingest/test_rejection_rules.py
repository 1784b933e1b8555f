"""Each validation rule quarantines the record with a reason naming the field; good rows still land."""

from __future__ import annotations

import json

import pytest

from dagster_project.ingest.landing import LandingFileError
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import DAY, NOW, snapshot, write_csv, write_jsonl

CSV_CASES = [
    ("missing content_id", snapshot(content_id=""), "content_id", "content_id: missing"),
    (
        "unknown platform",
        snapshot(platform="myspace"),
        "platform",
        "platform: unknown platform 'myspace'",
    ),
    ("non-numeric counter", snapshot(views="12k"), "views", "views: not a whole number '12k'"),
    ("negative counter", snapshot(likes=-3), "likes", "likes: negative counter '-3'"),
    ("huge counter", snapshot(views=10**30), "views", "views: out of range"),
    ("missing views", snapshot(views=None), "views", "views: missing"),
    (
        "bad rate",
        snapshot(engagement_rate="high"),
        "engagement_rate",
        "engagement_rate: not a number",
    ),
    (
        "unparseable time",
        snapshot(captured_at="yesterday"),
        "captured_at",
        "captured_at: unparseable",
    ),
    (
        "impossible date",
        snapshot(captured_at="2026-02-30T00:00:00Z"),
        "captured_at",
        "captured_at: unparseable",
    ),
    (
        "no time zone",
        snapshot(captured_at="2026-10-05T06:00:00"),
        "captured_at",
        "captured_at: no time-zone offset",
    ),
    (
        "far future",
        snapshot(captured_at="2099-01-01T00:00:00Z"),
        "captured_at",
        "captured_at: in the future",
    ),
    (
        "too old",
        snapshot(captured_at="2026-09-01T00:00:00Z"),
        "captured_at",
        "captured_at: older than the late-arrival window (7 days",
    ),
    (
        "before publish",
        snapshot(published_at="2026-10-05T07:00:00Z"),
        "captured_at",
        "captured_at: before published_at",
    ),
    (
        "bad published_at",
        snapshot(published_at="soon"),
        "published_at",
        "published_at: unparseable",
    ),
]


def _rejects(url: str) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(
            "select source_file, source_line, field, reason, payload from raw.rejected_snapshots "
            "order by source_file, source_line"
        ).fetchall()


def _accepted_ids(url: str) -> list[str]:
    with connect(url) as conn:
        rows = conn.execute("select content_id from raw.engagement_snapshots order by content_id")
        return [r[0] for r in rows]


@pytest.mark.parametrize(("case", "bad", "field", "reason"), CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_each_rule_quarantines_with_field_and_keeps_good_rows(settings, case, bad, field, reason):
    good = snapshot("yt-good")
    write_csv(settings.LANDING_DIR, "youtube", [good, bad])

    report = load_landing_day(settings.DATABASE_URL.get_secret_value(), DAY, settings=settings, now=NOW)

    url = settings.DATABASE_URL.get_secret_value()
    assert (report.received, report.accepted, report.rejected) == (2, 1, 1)
    assert _accepted_ids(url) == ["yt-good"]
    [(source_file, line, got_field, got_reason, payload)] = _rejects(url)
    assert (source_file, line, got_field) == ("youtube/2026-10-05/a.csv", 3, field)
    assert got_reason.startswith(reason), got_reason
    stored = json.loads(payload)
    assert stored.get("content_id", "") == bad["content_id"]


def test_duplicate_in_batch_names_the_first_line(settings):
    write_csv(settings.LANDING_DIR, "youtube", [snapshot("yt-1"), snapshot("yt-2")], name="a.csv")
    write_csv(settings.LANDING_DIR, "youtube", [snapshot("yt-3"), snapshot("yt-1")], name="b.csv")
    url = settings.DATABASE_URL.get_secret_value()

    report = load_landing_day(url, DAY, settings=settings, now=NOW)

    assert (report.accepted, report.rejected) == (3, 1)
    [(source_file, line, field, reason, _)] = _rejects(url)
    assert (source_file, line, field) == ("youtube/2026-10-05/b.csv", 3, "captured_at")
    assert reason == "captured_at: duplicate snapshot of line youtube/2026-10-05/a.csv:2"


def test_duplicate_in_the_same_file_after_a_rejected_row(settings):
    rows = [snapshot("bad", views="x"), snapshot("yt-1"), snapshot("yt-2"), snapshot("yt-1")]
    write_csv(settings.LANDING_DIR, "youtube", rows)
    url = settings.DATABASE_URL.get_secret_value()

    report = load_landing_day(url, DAY, settings=settings, now=NOW)

    assert (report.accepted, report.rejected) == (2, 2)
    reasons = {line: reason for _, line, _, reason, _ in _rejects(url)}
    assert reasons[5] == "captured_at: duplicate snapshot of line youtube/2026-10-05/a.csv:3"


def test_jsonl_malformed_wrong_type_and_encoding_are_quarantined(settings):
    good = json.dumps(
        {
            "content_id": "tt-1",
            "platform": "tiktok",
            "timestamp": "2026-10-05T01:00:00Z",
            "metrics": {"views": 10, "watch_time": 5.0},
            "metadata": {"tags": ["a", "b"]},
        }
    )
    lines = [
        good,
        '{"content_id": "tt-2", "plat',
        json.dumps(
            {
                "content_id": "tt-3",
                "platform": "tiktok",
                "captured_at": "2026-10-05T01:00:00Z",
                "views": {"nested": 1},
            }
        ),
        b'{"content_id": "tt-4", "platform": "tiktok", "captured_at": "2026-10-05T01:00:00Z", '
        b'"views": 1, "title": "caf\xe9"}',
        "[1, 2]",
    ]
    write_jsonl(settings.LANDING_DIR, "tiktok", lines)
    url = settings.DATABASE_URL.get_secret_value()

    report = load_landing_day(url, DAY, settings=settings, now=NOW)

    assert (report.received, report.accepted, report.rejected) == (5, 1, 4)
    rejects = {line: (field, reason, payload) for _, line, field, reason, payload in _rejects(url)}
    assert rejects[2][0] == "record" and rejects[2][1].startswith("malformed JSON line")
    assert rejects[2][2] == '{"content_id": "tt-2", "plat'
    assert rejects[3][:2] == ("views", "views: wrong type (nested value)")
    assert rejects[4][0] == "record" and rejects[4][1] == "wrong encoding: not valid UTF-8"
    assert "caf\\xe9" in rejects[4][2]
    assert rejects[5][1] == "malformed JSON line: not an object"
    with connect(url) as conn:
        row = conn.execute("select views, watch_time_seconds from raw.engagement_snapshots").fetchone()
    assert row == (10, 5)


def test_csv_wrong_field_count_and_bad_encoding_are_quarantined(settings):
    path = write_csv(settings.LANDING_DIR, "youtube", [snapshot("yt-1"), snapshot("yt-3")])
    text = path.read_bytes().splitlines(keepends=True)
    bad_field_count = b"yt-2,youtube,2026-10-05T06:00:00Z,3\n"
    bad_encoding = b",yt-4,youtube,2026-10-05T06:00:00Z,3,,,,,,,,,caf\xe9" + b"," * 10 + b"\n"
    path.write_bytes(b"".join([text[0], text[1], bad_field_count, bad_encoding, text[2]]))
    url = settings.DATABASE_URL.get_secret_value()

    report = load_landing_day(url, DAY, settings=settings, now=NOW)

    assert (report.received, report.accepted, report.rejected) == (4, 2, 2)
    rejects = {line: (field, reason, payload) for _, line, field, reason, payload in _rejects(url)}
    assert rejects[3][:2] == ("record", "malformed CSV row: 4 fields, header has 24")
    assert rejects[3][2] == bad_field_count.decode().strip()
    assert rejects[4][:2] == ("record", "wrong encoding: not valid UTF-8")
    with connect(url) as conn:
        lines = conn.execute(
            "select content_id, source_line from raw.engagement_snapshots order by 1"
        ).fetchall()
    assert lines == [("yt-1", 2), ("yt-3", 5)]


def test_native_envelopes_are_mapped_by_adapters(settings):
    item = {
        "kind": "youtube#video",
        "id": "dQw4w9WgXcQ",
        "snippet": {
            "publishedAt": "2026-10-01T10:00:00Z",
            "title": "Why?",
            "channelId": "UC1",
            "categoryId": "27",
        },
        "statistics": {"viewCount": "1500", "likeCount": "120", "commentCount": "25"},
        "contentDetails": {"duration": "PT4M13S"},
    }
    envelope = {
        "source": "youtube.videos.list",
        "captured_at": "2026-10-05T09:00:00Z",
        "item": item,
    }
    broken = {
        "source": "youtube.videos.list",
        "captured_at": "2026-10-05T09:00:00Z",
        "item": {**item, "id": "x2", "statistics": "n/a"},
    }
    write_jsonl(settings.LANDING_DIR, "youtube", [json.dumps(envelope), json.dumps(broken)])
    url = settings.DATABASE_URL.get_secret_value()

    report = load_landing_day(url, DAY, settings=settings, now=NOW)

    assert (report.accepted, report.rejected) == (1, 1)
    with connect(url) as conn:
        snap = conn.execute(
            "select content_id, views, likes, comments from raw.engagement_snapshots"
        ).fetchone()
        content = conn.execute("select title, duration_seconds, category from raw.content").fetchone()
    assert snap == ("dQw4w9WgXcQ", 1500, 120, 25)
    assert content == ("Why?", 253, "Education")
    [(_, line, field, reason, _)] = _rejects(url)
    assert line == 2 and field == "item.statistics" and "not an object" in reason


def test_unreadable_file_fails_the_run_naming_its_path(settings):
    path = settings.LANDING_DIR / "youtube" / DAY.isoformat() / "bad.csv"
    path.parent.mkdir(parents=True)
    path.write_text("content_id,platform,captured_at,followers\nx,youtube,2026-10-05T00:00:00Z,1\n")

    with pytest.raises(LandingFileError) as error:
        load_landing_day(settings.DATABASE_URL.get_secret_value(), DAY, settings=settings, now=NOW)

    assert str(path) in str(error.value)
    assert "followers" in str(error.value)


def test_capture_before_the_known_publish_time_is_rejected_without_published_at_on_the_row(
    settings,
):
    url = settings.DATABASE_URL.get_secret_value()
    previous = DAY.replace(day=4)
    write_csv(
        settings.LANDING_DIR,
        "youtube",
        [snapshot("yt-1", captured_at="2026-10-04T12:00:00Z", published_at="2026-10-04T11:00:00Z")],
        day=previous,
    )
    load_landing_day(url, previous, settings=settings, now=NOW)
    write_csv(
        settings.LANDING_DIR,
        "youtube",
        [
            snapshot("yt-1", captured_at="2026-10-04T10:00:00Z"),
            snapshot("yt-1", captured_at="2026-10-05T10:00:00Z"),
        ],
    )

    report = load_landing_day(url, DAY, settings=settings, now=NOW)

    assert (report.accepted, report.rejected) == (1, 1)
    [(_, line, field, reason, _)] = _rejects(url)
    assert (line, field) == (2, "captured_at")
    assert reason.startswith("captured_at: before published_at '2026-10-04 11:00:00+00:00'")
