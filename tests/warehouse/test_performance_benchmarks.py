"""performance_benchmarks from a hand-made snapshot set with known answers.

Every item is published on 2026-09-01T12:00Z: tiktok's day (UTC) and youtube's Pacific day
are both 2026-09-01, so age N is the reporting day 2026-09-01 + N. tiktok's engagement rate is
(likes + comments + shares + saves) / views; only likes and comments are given here.

The set is landed and built once per module (a dbt build takes ~10 s); the tests read the
rows captured right after that build.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pytest

from dagster_project.config import get_platform_config
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import snapshot
from tests.warehouse.test_content_features import SELECT, land

NOW = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
PUBLISHED = "2026-09-01T12:00:00Z"
QUANTILES = (25, 50, 75, 90)

# (content_id, category, age_days) -> (views, likes, comments, watch_time_seconds)
TIKTOK = {
    ("p1", "pets", 1): (10, 1, 0, 100),
    ("p1", "pets", 7): (100, 5, 1, 1000),
    ("p2", "pets", 1): (40, 3, 1, 500),
    ("p2", "pets", 7): (400, 30, 2, 3000),
    ("p3", "pets", 7): (250, 10, 5, None),  # no watch time reported
    ("p4", "pets", 7): (1000, 100, 20, 9000),
    ("p4", "pets", 30): (5000, 400, 50, 60000),
    ("t1", "tech", 1): (0, 0, 0, 0),  # no views: no engagement rate
    ("t1", "tech", 3): (30, 1, 0, 150),  # age 3 is no benchmark age
    ("t1", "tech", 7): (50, 1, 1, 200),
    ("t2", "tech", 7): (3000, 60, 30, 20000),
    ("u1", None, 7): (700, 7, 0, 4000),  # no category: 'unknown'
}


def tiktok_snapshot(
    content_id: str, category: str | None, age: int, values: tuple, workspace: str = "default"
):
    views, likes, comments, watch_time = values
    captured = dt.datetime(2026, 9, 1, 18, tzinfo=dt.UTC) + dt.timedelta(days=age)
    return snapshot(
        content_id,
        workspace_id=workspace,
        platform="tiktok",
        captured_at=captured.isoformat(),
        views=views,
        likes=likes,
        comments=comments,
        watch_time_seconds=watch_time,
        published_at=PUBLISHED,
        category=category,
        title=content_id,
    )


META_Y1 = {"published_at": PUBLISHED, "category": "pets", "title": "y1"}
SNAPSHOTS = [
    *(tiktok_snapshot(content_id, category, age, v) for (content_id, category, age), v in TIKTOK.items()),
    tiktok_snapshot("p1", "pets", 7, (99_999, 1, 1, 10), workspace="acme"),
    # youtube reports in Los Angeles: 2026-09-09T06:00Z is still 2026-09-08 (age 7) there,
    # 08:00Z is 2026-09-09 (age 8).
    snapshot("y1", captured_at="2026-09-09T06:00:00Z", views=800, likes=20, comments=4, **META_Y1),
    snapshot("y1", captured_at="2026-09-09T08:00:00Z", views=900, likes=30, comments=4, **META_Y1),
]


@pytest.fixture(scope="module")
def _built() -> dict[tuple[str, str, str, int], dict[str, object]]:
    return {}


@pytest.fixture
def benchmarks(settings, dbt_build, _built) -> dict[tuple[str, str, str, int], dict[str, object]]:
    """Rows of marts.performance_benchmarks by (workspace, platform, category, age_days)."""
    if not _built:
        land(settings, SNAPSHOTS, NOW)
        dbt_build(select=SELECT)
        with connect(settings.DATABASE_URL.get_secret_value()) as conn:
            cursor = conn.execute("select * from marts.performance_benchmarks")
            names = [column.name for column in cursor.description]
            for values in cursor.fetchall():
                record = dict(zip(names, values, strict=True))
                key = (record["workspace_id"], record["platform"], record["category"], record["age_days"])
                _built[key] = record
    return _built


def expected(category: str | None, age: int) -> dict[str, list[float]]:
    """Hand-known samples of the tiktok items of a category (None: all) at an age."""
    rows = [v for (_, cat, a), v in TIKTOK.items() if a == age and category in (None, cat or "unknown")]
    return {
        "views": [views for views, *_ in rows],
        "engagement_rate": [(likes + comments) / views for views, likes, comments, _ in rows if views > 0],
        "watch_time_seconds": [w for *_, w in rows if w is not None],
    }


def percentiles(row: Mapping[str, object], metric: str) -> list[object]:
    return [row[f"{metric}_p{q}"] for q in QUANTILES]


def test_one_row_per_workspace_platform_category_and_benchmark_age(benchmarks):
    assert sorted(benchmarks) == [
        ("acme", "tiktok", "all", 7),
        ("acme", "tiktok", "pets", 7),
        ("default", "tiktok", "all", 1),
        ("default", "tiktok", "all", 7),
        ("default", "tiktok", "all", 30),
        ("default", "tiktok", "pets", 1),
        ("default", "tiktok", "pets", 7),
        ("default", "tiktok", "pets", 30),
        ("default", "tiktok", "tech", 1),
        ("default", "tiktok", "tech", 7),
        ("default", "tiktok", "unknown", 7),
        ("default", "youtube", "all", 7),
        ("default", "youtube", "pets", 7),
    ]


@pytest.mark.parametrize(
    ("category", "age", "sample_size"),
    [("pets", 7, 4), ("pets", 1, 2), ("tech", 7, 2), (None, 7, 7), (None, 1, 3), ("pets", 30, 1)],
)
def test_percentiles_equal_numpy_linear_percentiles(benchmarks, category, age, sample_size):
    row = benchmarks[("default", "tiktok", category or "all", age)]
    samples = expected(category, age)
    assert row["sample_size"] == len(samples["views"]) == sample_size
    assert row["engagement_rate_sample_size"] == len(samples["engagement_rate"])
    assert row["watch_time_sample_size"] == len(samples["watch_time_seconds"])
    for metric, values in samples.items():
        want = np.percentile(values, QUANTILES, method="linear").tolist()
        assert percentiles(row, metric) == pytest.approx(want), metric


def test_hand_computed_values(benchmarks):
    pets = benchmarks[("default", "tiktok", "pets", 7)]  # views 100, 250, 400, 1000
    assert percentiles(pets, "views") == pytest.approx([212.5, 325.0, 550.0, 820.0])
    assert (pets["sample_size"], pets["watch_time_sample_size"]) == (4, 3)
    everything = benchmarks[("default", "tiktok", "all", 7)]  # + 50, 3000 (tech), 700 (unknown)
    assert (everything["sample_size"], everything["views_p50"]) == (7, 400.0)


def test_items_without_views_have_no_engagement_rate(benchmarks):
    tech = benchmarks[("default", "tiktok", "tech", 1)]  # t1 with 0 views only
    assert (tech["sample_size"], tech["engagement_rate_sample_size"], tech["views_p50"]) == (1, 0, 0.0)
    assert percentiles(tech, "engagement_rate") == [None] * 4
    assert tech["engagement_rate_vs_industry"] is None


def test_industry_benchmark_from_the_platforms_seed(benchmarks):
    for (_, platform, *_), row in benchmarks.items():
        assert row["benchmark_engagement_rate"] == get_platform_config(platform).benchmark_engagement_rate
    pets = benchmarks[("default", "tiktok", "pets", 7)]
    assert pets["benchmark_engagement_rate"] == 0.059
    median_rate = float(np.median([6 / 100, 32 / 400, 15 / 250, 120 / 1000]))
    assert pets["engagement_rate_vs_industry"] == pytest.approx(median_rate / 0.059)


def test_age_is_counted_in_the_platforms_reporting_day(benchmarks):
    youtube = benchmarks[("default", "youtube", "pets", 7)]  # the Pacific day 2026-09-08
    assert (youtube["sample_size"], youtube["views_p50"]) == (1, 800.0)
    assert youtube["engagement_rate_p50"] == pytest.approx(24 / 800)
    assert youtube["engagement_rate_vs_industry"] == pytest.approx(24 / 800 / 0.035)


def test_benchmarks_are_per_workspace(benchmarks):
    acme = benchmarks[("acme", "tiktok", "pets", 7)]
    assert (acme["sample_size"], acme["views_p50"]) == (1, 99_999.0)
    assert benchmarks[("default", "tiktok", "pets", 7)]["views_p90"] == pytest.approx(820.0)
