"""Re-running a landing day gives identical rows; a failing re-run keeps the previous version."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.ingest.landing import LandingFileError
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse.database import connect
from tests.checksums import relation_checksum
from tests.ingest.landing_helpers import DAY, NOW, snapshot, write_csv, write_jsonl


def checksums(url: str) -> dict[str, tuple[int, str]]:
    tables = {
        "snapshots": "raw.engagement_snapshots",
        "content": "(select workspace_id, platform, content_id, title, tags, published_at from raw.content)",
        "rejects": "(select source_file, source_line, reason, field, payload from raw.rejected_snapshots)",
    }
    with connect(url) as conn:
        return {name: relation_checksum(conn, table) for name, table in tables.items()}


def _day_rows(n: int, day: dt.date = DAY) -> list[dict[str, object]]:
    return [
        snapshot(
            f"yt-{i}",
            captured_at=f"{day}T{h:02d}:00:00+00:00",
            views=100 * i + h,
            title=f"video {i}" if h == 0 else None,
        )
        for i in range(n)
        for h in (0, 6, 12, 18)
    ]


def test_rerun_gives_identical_rows(settings):
    url = settings.DATABASE_URL.get_secret_value()
    write_csv(settings.LANDING_DIR, "youtube", [*_day_rows(20), snapshot("bad", views="x")])
    write_jsonl(
        settings.LANDING_DIR,
        "tiktok",
        ['{"content_id": "tt-1", "platform": "tiktok", "captured_at": "2026-10-05T03:00:00Z", "views": 7}'],
    )

    first = load_landing_day(url, DAY, settings=settings, now=NOW)
    before = checksums(url)
    second = load_landing_day(url, DAY, settings=settings, now=NOW)

    assert before["snapshots"][0] == 81 and before["rejects"][0] == 1 and before["content"][0] == 20
    assert checksums(url) == before
    assert first.as_metadata() | {"seconds": 0} == second.as_metadata() | {"seconds": 0}


def test_partitions_are_created_for_the_late_arrival_window(settings):
    url = settings.DATABASE_URL.get_secret_value()
    late = snapshot("yt-late", captured_at="2026-10-02T23:59:00+00:00")
    write_csv(settings.LANDING_DIR, "youtube", [snapshot("yt-1"), late])

    report = load_landing_day(url, DAY, settings=settings, now=NOW)

    expected = [
        f"raw.engagement_snapshots_p{(DAY - dt.timedelta(days=d)):%Y%m%d}" for d in range(7, -2, -1)
    ]  # +1: future tolerance
    assert report.partitions == expected
    with connect(url) as conn:
        placed = conn.execute(
            "select content_id, tableoid::regclass::text from raw.engagement_snapshots order by 1"
        ).fetchall()
    assert placed == [
        ("yt-1", "raw.engagement_snapshots_p20261005"),
        ("yt-late", "raw.engagement_snapshots_p20261002"),
    ]


def test_failed_rerun_leaves_previous_version(settings):
    url = settings.DATABASE_URL.get_secret_value()
    write_csv(settings.LANDING_DIR, "youtube", _day_rows(10), name="a.csv")
    load_landing_day(url, DAY, settings=settings, now=NOW)
    before = checksums(url)

    # A corrected first file and an unreadable second one: the run fails after COPYing file one.
    write_csv(settings.LANDING_DIR, "youtube", _day_rows(3), name="a.csv")
    broken = settings.LANDING_DIR / "youtube" / DAY.isoformat() / "b.csv"
    broken.write_text("content_id,platform,captured_at,followers\n")
    with pytest.raises(LandingFileError):
        load_landing_day(url, DAY, settings=settings, now=NOW)

    assert checksums(url) == before


def test_snapshot_already_loaded_from_another_day_is_quarantined(settings):
    url = settings.DATABASE_URL.get_secret_value()
    next_day = DAY + dt.timedelta(days=1)
    write_csv(settings.LANDING_DIR, "youtube", [snapshot("yt-1"), snapshot("yt-2")])
    # Redelivered next day: yt-1's snapshot again (late, same key) plus a new one.
    write_csv(
        settings.LANDING_DIR,
        "youtube",
        [snapshot("yt-1"), snapshot("yt-1", captured_at=f"{next_day}T06:00:00+00:00")],
        day=next_day,
    )
    load_landing_day(url, DAY, settings=settings, now=NOW)

    report = load_landing_day(url, next_day, settings=settings, now=NOW)
    again = load_landing_day(url, next_day, settings=settings, now=NOW)

    assert report.used_duplicate_safe_path
    assert (report.received, report.accepted, report.rejected) == (2, 1, 1)
    assert (again.accepted, again.rejected) == (1, 1)
    with connect(url) as conn:
        counts = conn.execute(
            "select ingest_date::text, count(*) from raw.engagement_snapshots group by 1 order by 1"
        ).fetchall()
        [(reason, field, line)] = conn.execute(
            "select reason, field, source_line from raw.rejected_snapshots"
        ).fetchall()
    assert counts == [("2026-10-05", 2), ("2026-10-06", 1)]
    assert field == "captured_at" and line == 2
    assert reason == (
        "captured_at: duplicate snapshot already loaded from landing day 2026-10-05 "
        "(youtube/2026-10-05/a.csv:2)"
    )


def test_metadata_fields_merge_across_captures_of_one_day(settings):
    url = settings.DATABASE_URL.get_secret_value()
    rows = [
        snapshot("yt-1", captured_at="2026-10-05T01:00:00+00:00", title="First title", category="Gaming"),
        snapshot("yt-1", captured_at="2026-10-05T09:00:00+00:00", title="Better title"),
        snapshot("yt-1", captured_at="2026-10-05T12:00:00+00:00"),
    ]
    write_csv(settings.LANDING_DIR, "youtube", rows)

    load_landing_day(url, DAY, settings=settings, now=NOW)

    with connect(url) as conn:
        row = conn.execute("select title, category, metadata_captured_at::text from raw.content").fetchone()
    assert row == ("Better title", "Gaming", "2026-10-05 09:00:00+00")
