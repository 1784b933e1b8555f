"""content_performance_history from a hand-made snapshot set with known answers.

youtube reports in America/Los_Angeles (PST = UTC-8 in early March), tiktok in UTC.
yt-1: published 2026-03-01T08:00Z (= local midnight). Its 07:30Z capture on March 2 still
belongs to the Pacific day March 1; March 3 has no snapshot (gap); on March 4 views went down
(spam removal); the March 5 snapshot arrived a day late.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import snapshot, write_csv

NOW = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
META_YT = {"published_at": "2026-03-01T08:00:00Z", "category": "Education", "title": "t"}
META_TT = {"published_at": "2026-03-02T00:00:00Z", "category": "Education", "title": "t"}

LANDING = {
    dt.date(2026, 3, 1): [
        snapshot("yt-1", captured_at="2026-03-01T20:00:00Z", views=100, likes=10, **META_YT)
    ],
    dt.date(2026, 3, 2): [
        snapshot("yt-1", captured_at="2026-03-02T07:30:00Z", views=150, likes=12),
        snapshot("yt-1", captured_at="2026-03-02T08:30:00Z", views=160, likes=13),
        snapshot(
            "tt-1", platform="tiktok", captured_at="2026-03-02T12:00:00Z", views=1000, likes=50, **META_TT
        ),
    ],
    dt.date(2026, 3, 3): [
        snapshot("tt-1", platform="tiktok", captured_at="2026-03-03T12:00:00Z", views=3000, likes=90)
    ],
    dt.date(2026, 3, 4): [snapshot("yt-1", captured_at="2026-03-04T20:00:00Z", views=155, likes=13)],
    # Captured on March 5 (UTC and Pacific), delivered with March 6's files.
    dt.date(2026, 3, 6): [snapshot("yt-1", captured_at="2026-03-05T10:00:00Z", views=170, likes=14)],
}

COLUMNS = (
    "content_id, metric_date::text, age_days, views, daily_views, daily_likes, days_since_previous, "
    "is_gap, is_first_observation, decreased_counters, snapshots_in_day, late_snapshots"
)
EXPECTED = [
    # content, day, age, views, Δviews, Δlikes, days since prev, gap, first, decreased, n, late
    ("tt-1", "2026-03-02", 0, 1000, 1000, 50, None, False, True, [], 1, 0),
    ("tt-1", "2026-03-03", 1, 3000, 2000, 40, 1, False, False, [], 1, 0),
    ("yt-1", "2026-03-01", 0, 150, 150, 12, None, False, True, [], 2, 0),
    ("yt-1", "2026-03-02", 1, 160, 10, 1, 1, False, False, [], 1, 0),
    ("yt-1", "2026-03-04", 3, 155, -5, 0, 2, True, False, ["views"], 1, 0),
    ("yt-1", "2026-03-05", 4, 170, 15, 1, 1, False, False, [], 1, 1),
]


@pytest.fixture
def history(settings, dbt_build) -> str:
    url = settings.DATABASE_URL.get_secret_value()
    for day, rows in LANDING.items():
        for platform in sorted({row["platform"] for row in rows}):
            write_csv(settings.LANDING_DIR, platform, [r for r in rows if r["platform"] == platform], day=day)
        load_landing_day(url, day, settings=settings, now=NOW)
    dbt_build()
    return url


def _rows(url: str) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(
            f"select {COLUMNS} from marts.content_performance_history order by content_id, metric_date"
        ).fetchall()


def test_history_rows_match_the_hand_computed_answer(history):
    assert _rows(history) == EXPECTED


def test_engagement_rate_uses_each_platforms_formula(history):
    with connect(history) as conn:
        rows = conn.execute(
            "select content_id, metric_date::text, engagement_rate, engagement_rate_formula "
            "from marts.content_performance_history where metric_date in ('2026-03-01', '2026-03-02') "
            "order by 1, 2"
        ).fetchall()
    # snapshot() gives comments=1 and no shares/saves: youtube and tiktok count likes + comments.
    assert rows == [
        ("tt-1", "2026-03-02", pytest.approx(51 / 1000), "interactions_per_view"),
        ("yt-1", "2026-03-01", pytest.approx(13 / 150), "interactions_per_view"),
        ("yt-1", "2026-03-02", pytest.approx(14 / 160), "interactions_per_view"),
    ]


def test_rebuilding_a_day_window_is_idempotent(history, dbt_build):
    before = _rows(history)

    dbt_build(select=["int_content_days_aggregated+"], start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 4))

    assert _rows(history) == before == EXPECTED


def test_a_day_whose_snapshots_vanished_is_cleared_by_its_window(history, dbt_build):
    with connect(history) as conn:
        conn.execute(
            "delete from raw.engagement_snapshots where content_id = 'tt-1' and captured_at < '2026-03-03'"
        )

    dbt_build(select=["int_content_days_aggregated+"], start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2))

    rows = _rows(history)
    assert ("tt-1", "2026-03-02") not in {(r[0], r[1]) for r in rows}
    assert rows[0][:2] == ("tt-1", "2026-03-03")


def test_scores_are_null_without_a_large_enough_benchmark_group(history):
    with connect(history) as conn:
        scores = conn.execute(
            "select distinct performance_score, performance_class from marts.content_performance_history"
        ).fetchall()
    # Two items only: below benchmark_min_group_size (5), so no score is invented.
    assert scores == [(None, None)]
