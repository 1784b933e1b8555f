"""content_feature_analysis from a hand-made snapshot set with known answers.

tiktok reports in UTC, youtube in America/Los_Angeles (PDT = UTC-7 in September 2026).

tt-1 (creator c1, Asia/Tokyo): published 2026-09-01T16:30Z = Wed 2026-09-02 01:30 in Tokyo
    (Tue 16:30 in UTC). Observed on days 0, 1, 7 (twice: the later capture counts), 30 and 32.
tt-2 (creator c1, invalid zone -> tiktok's UTC): published 2.5 days after tt-1, on a Friday
    at 04:30. Observed on days 0 and 7 only: day 1 and day 30 are missing.
tt-3 (creator c2, no zone): c2's first post, observed on day 7 only.
yt-1 (creator c1 on youtube, no zone -> Los Angeles): published 2026-09-10T05:00Z = Wed
    2026-09-09 22:00 PDT, so its Pacific day 1 is 2026-09-10 (captures until 09-11T07:00Z).
acme/tt-1: same content id and creator in another workspace, published with tt-1; its zone
    is spelled "asia/TOKYO" (zone names are case-insensitive).

The set is landed and built once per module (a dbt build takes ~10 s); the tests read the
rows captured right after that build.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

import pytest

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import snapshot, write_csv

NOW = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
SELECT = ["+content_feature_analysis", "+performance_benchmarks"]

META_TT1 = {
    "title": "Why 3 cats? 🐱 #pets #cats @bob",
    "published_at": "2026-09-01T16:30:00Z",
    "creator_id": "c1",
    "creator_timezone": "Asia/Tokyo",
    "category": "pets",
    "format": "short",
    "language": "en",
    "tags": "cute|funny|cats",
    "duration_seconds": 45,
}
META_TT2 = {
    "title": "Plain title #pets",
    "description": "Hello #Pets and #new stuff, mail me at x@y.com, C#rocks",
    "published_at": "2026-09-04T04:30:00Z",
    "creator_id": "c1",
    "creator_timezone": "Mars/Olympus_Mons",
    "format": "video",
    "duration_seconds": 120,
}
META_TT3 = {
    "title": "Top 10 ☀ tips",
    "published_at": "2026-09-01T10:00:00Z",
    "creator_id": "c2",
    "category": "pets",
}
META_YT1 = {"title": "Pacific", "published_at": "2026-09-10T05:00:00Z", "creator_id": "c1"}
META_ACME = {**META_TT1, "title": "Acme cats", "workspace_id": "acme", "creator_timezone": "asia/TOKYO"}


def tiktok(content_id: str, captured_at: str, views: int, meta: Mapping[str, object], **counters: object):
    return snapshot(
        content_id, platform="tiktok", captured_at=captured_at, views=views, **{**meta, **counters}
    )


SNAPSHOTS = [
    tiktok("tt-1", "2026-09-01T20:00:00Z", 50, META_TT1),
    tiktok("tt-1", "2026-09-02T10:00:00Z", 300, META_TT1),
    tiktok("tt-1", "2026-09-08T08:00:00Z", 600, META_TT1),
    tiktok("tt-1", "2026-09-08T22:00:00Z", 700, META_TT1, likes=40, comments=10, shares=5, saves=15),
    tiktok("tt-1", "2026-10-01T12:00:00Z", 2000, META_TT1, likes=90, comments=20, shares=30, saves=50),
    tiktok("tt-1", "2026-10-03T12:00:00Z", 2100, META_TT1),
    tiktok("tt-2", "2026-09-04T12:00:00Z", 10, META_TT2),
    tiktok("tt-2", "2026-09-11T12:00:00Z", 400, META_TT2, likes=20, comments=0),
    tiktok("tt-3", "2026-09-08T12:00:00Z", 1000, META_TT3),
    tiktok("tt-1", "2026-09-08T12:00:00Z", 5, META_ACME),
    snapshot("yt-1", captured_at="2026-09-10T06:00:00Z", views=100, **META_YT1),  # Pacific day 0
    snapshot("yt-1", captured_at="2026-09-11T03:00:00Z", views=250, **META_YT1),  # Pacific day 1
    snapshot("yt-1", captured_at="2026-09-11T08:00:00Z", views=999, **META_YT1),  # Pacific day 2
]


def land(settings: AnalyticsSettings, snapshots: Sequence[Mapping[str, object]], now: dt.datetime) -> None:
    """Deliver each snapshot with the landing day of its UTC capture day and load the days."""
    url = settings.DATABASE_URL.get_secret_value()
    by_day: defaultdict[dt.date, defaultdict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in snapshots:
        captured = dt.datetime.fromisoformat(str(row["captured_at"])).astimezone(dt.UTC)
        by_day[captured.date()][str(row["platform"])].append(row)
    for day in sorted(by_day):
        for platform, rows in by_day[day].items():
            write_csv(settings.LANDING_DIR, platform, rows, day=day)
        report = load_landing_day(url, day, settings=settings, now=now)
        assert report.rejected == 0, report.as_metadata()


@pytest.fixture(scope="module")
def _built() -> dict[str, object]:
    return {}


@pytest.fixture
def built(settings, dbt_build, _built) -> dict[str, object]:
    if not _built:
        land(settings, SNAPSHOTS, NOW)
        dbt_build(select=SELECT)
        url = settings.DATABASE_URL.get_secret_value()
        with connect(url) as conn:
            cursor = conn.execute("select * from marts.content_feature_analysis")
            names = [column.name for column in cursor.description]
            _built["rows"] = {(r[0], r[1], r[2]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
            _built["columns"] = names
            _built["table"] = conn.execute(
                """
                select c.relrowsecurity,
                       (select array_agg(indexdef) from pg_indexes
                        where schemaname = 'marts' and tablename = 'content_feature_analysis'),
                       array_agg(a.attname order by a.attnum)
                           filter (where col_description(c.oid, a.attnum) is null)
                from pg_class as c
                join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                where c.oid = 'marts.content_feature_analysis'::regclass
                group by c.oid, c.relrowsecurity
                """
            ).fetchone()
    return _built


def row(built: dict[str, object], content_id: str, platform: str = "tiktok", workspace: str = "default"):
    return built["rows"][(workspace, platform, content_id)]


def pick(r: Mapping[str, object], *names: str) -> tuple[object, ...]:
    return tuple(r[name] for name in names)


FLAGS = ("title_has_question", "title_has_number", "title_has_emoji")
LOCAL_TIME = ("publish_timezone", "publish_hour_local", "publish_weekday_local")


def test_one_row_per_content_item_in_each_workspace(built):
    assert sorted(built["rows"]) == [
        ("acme", "tiktok", "tt-1"),
        ("default", "tiktok", "tt-1"),
        ("default", "tiktok", "tt-2"),
        ("default", "tiktok", "tt-3"),
        ("default", "youtube", "yt-1"),
    ]


def test_title_features(built):
    tt1 = row(built, "tt-1")
    assert tt1["title"] == "Why 3 cats? 🐱 #pets #cats @bob"
    assert pick(tt1, *FLAGS) == (True, True, True)
    assert (tt1["hashtag_count"], tt1["mention_count"]) == (2, 1)
    assert (tt1["title_length"], tt1["title_words"]) == (len(META_TT1["title"]), 7) == (30, 7)
    assert tt1["description_length"] is None

    # Hashtags of title and description together, distinct case-insensitively; C#rocks is
    # no hashtag and an e-mail address no mention.
    tt2 = row(built, "tt-2")
    assert pick(tt2, *FLAGS) == (False, False, False)
    assert (tt2["hashtag_count"], tt2["mention_count"]) == (2, 0)
    assert (tt2["title_words"], tt2["description_length"]) == (3, len(META_TT2["description"]))

    tt3 = row(built, "tt-3")  # "Top 10 ☀ tips": U+2600 is in the emoji ranges
    assert pick(tt3, *FLAGS) == (False, True, True)
    assert (tt3["hashtag_count"], tt3["mention_count"]) == (0, 0)


def test_descriptive_features(built):
    tt1, tt2, tt3 = row(built, "tt-1"), row(built, "tt-2"), row(built, "tt-3")
    described = ("tag_count", "duration_seconds", "category", "format", "language")
    assert pick(tt1, *described) == (3, 45, "pets", "short", "en")
    assert pick(tt2, *described) == (None, 120, "unknown", "video", None)
    assert tt3["creator_id"] == "c2"


def test_publish_hour_and_weekday_in_the_creators_time_zone(built):
    tt1 = row(built, "tt-1")  # 2026-09-01T16:30Z is Wednesday 01:30 in Tokyo
    assert pick(tt1, *LOCAL_TIME) == ("Asia/Tokyo", 1, 3)
    assert tt1["published_date"] == dt.date(2026, 9, 1)  # tiktok's reporting day (UTC)
    acme = row(built, "tt-1", workspace="acme")
    assert (acme["creator_timezone"], *pick(acme, *LOCAL_TIME)) == ("asia/TOKYO", "Asia/Tokyo", 1, 3)


def test_missing_or_invalid_creator_zone_falls_back_to_the_platform_zone(built):
    tt2 = row(built, "tt-2")  # invalid zone: tiktok reports in UTC, Friday 04:30
    assert tt2["creator_timezone"] == "Mars/Olympus_Mons"
    assert pick(tt2, *LOCAL_TIME) == ("UTC", 4, 5)
    tt3 = row(built, "tt-3")  # no zone, Tuesday 10:00 UTC
    assert pick(tt3, *LOCAL_TIME) == ("UTC", 10, 2)
    yt1 = row(built, "yt-1", "youtube")  # youtube: Wednesday 22:00 in Los Angeles
    assert pick(yt1, *LOCAL_TIME) == ("America/Los_Angeles", 22, 3)
    assert yt1["published_date"] == dt.date(2026, 9, 9)


def test_days_since_previous_post_per_creator_platform_and_workspace(built):
    assert row(built, "tt-1")["days_since_previous_post"] is None  # c1's first tiktok post
    assert row(built, "tt-2")["days_since_previous_post"] == pytest.approx(2.5)
    assert row(built, "tt-3")["days_since_previous_post"] is None  # c2's first post
    # c1's youtube post is its first on youtube; acme's tt-1 is the first in acme.
    assert row(built, "yt-1", "youtube")["days_since_previous_post"] is None
    assert row(built, "tt-1", workspace="acme")["days_since_previous_post"] is None


def test_views_at_equal_ages(built):
    tt1 = row(built, "tt-1")
    # Day 7 had two captures: the day's last one counts.
    assert (tt1["views_day_1"], tt1["views_day_7"], tt1["views_day_30"]) == (300, 700, 2000)
    tt2 = row(built, "tt-2")  # no snapshot on days 1 and 30
    assert (tt2["views_day_1"], tt2["views_day_7"], tt2["views_day_30"]) == (None, 400, None)
    # Pacific day 1 of yt-1 ends at 2026-09-11T07:00Z: the 08:00Z capture belongs to day 2.
    yt1 = row(built, "yt-1", "youtube")
    assert (yt1["views_day_1"], yt1["views_day_7"], yt1["views_day_30"]) == (250, None, None)
    assert row(built, "tt-1", workspace="acme")["views_day_7"] == 5


def test_engagement_rate_at_equal_ages(built):
    tt1 = row(built, "tt-1")  # tiktok: (likes + comments + shares + saves) / views
    assert tt1["engagement_rate_day_7"] == pytest.approx((40 + 10 + 5 + 15) / 700)
    assert tt1["engagement_rate_day_30"] == pytest.approx((90 + 20 + 30 + 50) / 2000)
    tt2 = row(built, "tt-2")
    assert tt2["engagement_rate_day_7"] == pytest.approx(20 / 400)
    assert tt2["engagement_rate_day_30"] is None


def test_latest_observation(built):
    assert {
        key[2] + "@" + key[0]: (r["latest_metric_date"], r["latest_views"], r["age_days_at_latest"])
        for key, r in built["rows"].items()
    } == {
        "tt-1@default": (dt.date(2026, 10, 3), 2100, 32),
        "tt-2@default": (dt.date(2026, 9, 11), 400, 7),
        "tt-3@default": (dt.date(2026, 9, 8), 1000, 7),
        "yt-1@default": (dt.date(2026, 9, 11), 999, 2),  # 08:00Z on 09-11 = 01:00 PDT
        "tt-1@acme": (dt.date(2026, 9, 8), 5, 7),
    }


def test_table_has_row_level_security_a_unique_grain_index_and_documented_columns(built):
    rls, indexes, undocumented = built["table"]
    assert rls is True
    assert any("UNIQUE" in index and "(workspace_id, platform, content_id)" in index for index in indexes)
    assert undocumented is None  # persist_docs wrote a description on every column
