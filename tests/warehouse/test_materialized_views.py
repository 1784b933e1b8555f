"""Materialized views for dashboards and the BI views over them.

Hand-made history of two workspaces (``acme``, ``beta``) loaded through the landing files; the
MVs are compared with their own compiled SQL run against the base tables, the second build must
refresh them CONCURRENTLY (a reader holding a lock on them must not block it), and a reader
login role sees only its workspace through schema ``bi`` and nothing of the MVs themselves.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from dagster_project.config import DBT_PROJECT_DIR, PROJECT_ROOT
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import NOW, write_csv

# Relation -> its unique key (the grain), as declared in the models' `indexes` config.
MATERIALIZED_VIEWS = {
    "mv_dashboard_overview": ("workspace_id", "metric_date"),
    "mv_platform_daily_metrics": ("workspace_id", "platform", "metric_date"),
    "mv_trending_content": ("workspace_id", "platform", "content_id"),
}
BI_VIEWS = {
    "bi.dashboard_overview": "marts.mv_dashboard_overview",
    "bi.platform_daily_metrics": "marts.mv_platform_daily_metrics",
    "bi.trending_content": "marts.mv_trending_content",
    "bi.content_performance_history": "marts.content_performance_history",
}
# The MVs with their upstream models and everything downstream (the bi views), and the
# history's bi view.
SELECT = (
    "+mv_dashboard_overview+",
    "+mv_platform_daily_metrics+",
    "+mv_trending_content+",
    "+bi_content_performance_history",
)
README = PROJECT_ROOT / "README.md"
BI_SECTION = "## BI access and example queries"

FIRST_DAY = dt.date(2026, 9, 1)
LAST_DAY = dt.date(2026, 9, 30)
NEW_DAYS = (dt.date(2026, 10, 1), dt.date(2026, 10, 2))
GAP_DAY = dt.date(2026, 9, 26)
DECREASE_DAY = dt.date(2026, 9, 20)


# --- the hand-made history -------------------------------------------------------------------


YT_PUBLISHED = "2026-09-01T12:00:00+00:00"  # 05:00 in Los Angeles: YouTube's local day 09-01
# workspace, platform, content_id, category, published_at, views a day
ITEMS = (
    *(("acme", "youtube", f"yt-m{k}", "music", YT_PUBLISHED, (k + 1) * 100) for k in range(6)),
    ("acme", "youtube", "yt-hot", "music", YT_PUBLISHED, 100),  # 1000 a day from age 27
    ("acme", "youtube", "yt-gap", "gaming", YT_PUBLISHED, 200),  # no snapshot on GAP_DAY
    ("acme", "tiktok", "tt-1", "dance", "2026-09-20T00:00:00+00:00", 50),
    ("beta", "youtube", "yt-b1", "music", YT_PUBLISHED, 300),
    ("beta", "tiktok", "tt-b2", "dance", "2026-09-10T00:00:00+00:00", 70),
)


def _views(content_id: str, per_day: int, age: int) -> int:
    if content_id == "yt-hot" and age > 26:  # the last 3 days of the first load, and after
        return 26 * per_day + 1000 * (age - 26)
    return per_day * age


def _snapshots(day: dt.date) -> dict[str, list[dict[str, object]]]:
    """The day's snapshots by platform, captured at 20:00 UTC (the same local day everywhere)."""
    rows: dict[str, list[dict[str, object]]] = {}
    for workspace, platform, content_id, category, published_at, per_day in ITEMS:
        age = (day - dt.datetime.fromisoformat(published_at).date()).days
        if age < 0 or (content_id == "yt-gap" and day == GAP_DAY):
            continue
        views = _views(content_id, per_day, age)
        likes = views // 20
        if content_id == "yt-gap" and day == DECREASE_DAY:
            likes -= 50  # lower than the day before: a counter decrease
        rows.setdefault(platform, []).append(
            {
                "workspace_id": workspace,
                "content_id": content_id,
                "platform": platform,
                "captured_at": f"{day.isoformat()}T20:00:00+00:00",
                "views": views,
                "likes": likes,
                "comments": views // 100,
                "shares": views // 50 if platform == "tiktok" else None,
                "category": category,
                "published_at": published_at,
            }
        )
    return rows


def _load(settings, days: Sequence[dt.date]) -> None:
    """Load the days in landing days of up to a week (the late-arrival window)."""
    url = settings.DATABASE_URL.get_secret_value()
    for start in range(0, len(days), 7):
        chunk = days[start : start + 7]
        landing_day = chunk[-1]
        for day in chunk:
            for platform, rows in _snapshots(day).items():
                write_csv(settings.LANDING_DIR, platform, rows, name=f"{day}.csv", day=landing_day)
        load_landing_day(url, landing_day, settings=settings, now=NOW)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture
def built(settings, dbt_build) -> str:
    """The first load (09-01 .. 09-30) built; returns the database URL."""
    _load(settings, _days(FIRST_DAY, LAST_DAY))
    dbt_build(select=SELECT)
    return settings.DATABASE_URL.get_secret_value()


# --- reader login roles ----------------------------------------------------------------------


@pytest.fixture
def reader(db: str) -> Iterator[Callable[[Sequence[str]], str]]:
    """``reader(["acme"])``: a login role in perf_reader mapped to the given workspaces."""
    created: list[str] = []

    def make(workspaces: Sequence[str]) -> str:
        name = f"perf_test_bi_{uuid.uuid4().hex[:8]}"
        with connect(db, autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(name)))
            conn.execute(sql.SQL("grant perf_reader to {}").format(sql.Identifier(name)))
            for workspace in workspaces:
                conn.execute("insert into raw.workspace_access values (%s, %s)", (name, workspace))
        created.append(name)
        return name

    yield make
    with connect(db, autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def _as(url: str, role: str) -> psycopg.Connection:
    parts = urlsplit(url)
    netloc = f"{role}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return psycopg.connect(urlunsplit(parts._replace(netloc=netloc)))


# --- comparing an MV with its defining query -------------------------------------------------


def _artifact(kind: str, model: str) -> str:
    """SQL of ``model`` from this process's last dbt run (``compiled`` or ``run`` folder)."""
    path = (
        DBT_PROJECT_DIR / "target" / f"run-{os.getpid()}" / kind / "content_performance" / "models"
        / "marts" / f"{model}.sql"
    )  # fmt: skip
    return path.read_text(encoding="utf-8")


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return left == right


def _assert_mv_matches_its_query(conn: psycopg.Connection, model: str) -> int:
    """Every row of the MV equals the row its compiled SQL gives now, key by key."""
    key = MATERIALIZED_VIEWS[model]
    order = ", ".join(key)
    cursor = conn.execute(f"select * from marts.{model} order by {order}")
    columns = [c.name for c in cursor.description]
    stored = cursor.fetchall()
    fresh = conn.execute(f"select * from ({_artifact('compiled', model)}) as q order by {order}").fetchall()
    assert len(stored) == len(fresh), model
    for old, new in zip(stored, fresh, strict=True):
        differing = [(name, a, b) for name, a, b in zip(columns, old, new, strict=True) if not _same(a, b)]
        assert not differing, f"{model} {dict(zip(columns, old, strict=True))}: {differing}"
    return len(stored)


def _least_squares_slope(ys: Sequence[float | None]) -> float:
    points = [(x, y) for x, y in enumerate(ys, start=1) if y is not None]
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)


def _row(conn: psycopg.Connection, relation: str, where: str) -> dict[str, object]:
    cursor = conn.execute(f"select * from {relation} where {where}")
    rows = cursor.fetchall()
    assert len(rows) == 1, (relation, where, rows)
    return dict(zip([c.name for c in cursor.description], rows[0], strict=True))


# --- tests -----------------------------------------------------------------------------------


def test_materialized_views_hold_the_expected_figures(built):
    with connect(built) as conn:
        hot = _row(conn, "marts.mv_trending_content", "workspace_id = 'acme' and content_id = 'yt-hot'")
        gap = _row(conn, "marts.mv_trending_content", "workspace_id = 'acme' and content_id = 'yt-gap'")
        tiktok = _row(conn, "marts.mv_trending_content", "workspace_id = 'acme' and content_id = 'tt-1'")
        overview = _row(
            conn, "marts.mv_dashboard_overview", "workspace_id = 'acme' and metric_date = '2026-09-30'"
        )
        decrease = _row(
            conn,
            "marts.mv_platform_daily_metrics",
            "workspace_id = 'acme' and platform = 'youtube' and metric_date = '2026-09-20'",
        )
        after_gap = _row(
            conn,
            "marts.mv_platform_daily_metrics",
            "workspace_id = 'acme' and platform = 'youtube' and metric_date = '2026-09-27'",
        )
        ranks = conn.execute(
            "select workspace_id, array_agg(trend_rank order by trend_rank) "
            "from marts.mv_trending_content group by workspace_id order by 1"
        ).fetchall()

    # yt-hot: 1000 views a day over the last 3 days, 100 a day in the 14 before.
    assert hot["as_of_date"] == LAST_DAY
    assert (hot["age_days"], hot["lifetime_views"]) == (29, 5600)
    assert (hot["velocity"], hot["baseline"], hot["velocity_vs_baseline"]) == (1000, 100, 10)
    assert (hot["velocity_days"], hot["baseline_days"]) == (3, 14)
    assert hot["velocity_slope"] == pytest.approx(_least_squares_slope([100] * 4 + [1000] * 3))
    # Music at age 29: the six yt-m items (2900 .. 17400) and yt-hot (5600): median 8700.
    assert (hot["benchmark_category"], hot["benchmark_sample_size"]) == ("music", 7)
    assert hot["benchmark_views_p50"] == 8700
    assert hot["views_vs_age_benchmark"] == pytest.approx(5600 / 8700)
    # Three days younger (age 26) the same group's median was 7800 (2600 x 2, 5200, 7800, ...):
    # the median item gained 300 views a day over those ages; yt-hot gains 1000.
    assert hot["benchmark_velocity"] == pytest.approx((8700 - 7800) / 3)
    assert hot["velocity_vs_age_benchmark"] == pytest.approx(1000 / 300)
    assert hot["trend_rank"] == 1
    # yt-gap (gaming, alone in its category): 'all' categories; the day after the gap carries
    # 2 days of views, spread over them: still 200 a day, no slope.
    assert (gap["velocity"], gap["baseline"], gap["velocity_slope"]) == (200, 200, 0)
    assert (gap["benchmark_category"], gap["benchmark_sample_size"]) == ("all", 8)
    assert gap["benchmark_views_p50"] == (5800 + 8700) / 2
    assert gap["views_vs_age_benchmark"] == pytest.approx(5800 / 7250)
    # A single TikTok item: no benchmark group is large enough.
    assert tiktok["benchmark_category"] is None and tiktok["views_vs_age_benchmark"] is None
    assert tiktok["benchmark_velocity"] is None and tiktok["velocity_vs_age_benchmark"] is None
    assert ranks == [("acme", list(range(1, 10))), ("beta", [1, 2])]

    assert overview["content_items"] == 9
    assert (overview["platforms_active"], overview["platforms"]) == (2, ["tiktok", "youtube"])
    assert overview["total_daily_views"] == 2100 + 1000 + 200 + 50
    assert (decrease["counter_decrease_items"], decrease["gap_items"]) == (1, 0)
    assert (after_gap["counter_decrease_items"], after_gap["gap_items"]) == (0, 1)


def test_views_equal_their_query_and_a_rebuild_refreshes_concurrently(settings, dbt_build):
    url = settings.DATABASE_URL.get_secret_value()
    with connect(url) as conn:  # from scratch: the first build must create the MVs
        for model in MATERIALIZED_VIEWS:
            conn.execute(f"drop materialized view if exists marts.{model} cascade")
    _load(settings, _days(FIRST_DAY, LAST_DAY))
    dbt_build(select=SELECT)
    for model in MATERIALIZED_VIEWS:
        assert "create materialized view" in _artifact("run", model)
    with connect(url) as conn:
        first = {model: _assert_mv_matches_its_query(conn, model) for model in MATERIALIZED_VIEWS}

    _load(settings, list(NEW_DAYS))
    # A reader holds ACCESS SHARE locks on every MV for the whole second build. REFRESH
    # CONCURRENTLY (EXCLUSIVE lock) does not wait for it; a plain REFRESH (ACCESS EXCLUSIVE)
    # would: that wait shows as an ungranted lock on an MV, and the reader then lets go.
    waiting: list[tuple[str, str]] = []
    with connect(url) as holder, connect(url, autocommit=True) as monitor:
        for model in MATERIALIZED_VIEWS:
            holder.execute(f"select count(*) from marts.{model}").fetchone()
        errors: list[BaseException] = []

        def build() -> None:
            try:
                dbt_build(select=SELECT)
            except BaseException as error:  # re-raised in the test's thread
                errors.append(error)

        builder = threading.Thread(target=build)
        builder.start()
        deadline = time.monotonic() + 300
        while builder.is_alive() and time.monotonic() < deadline:
            waiting = monitor.execute(
                "select relation::regclass::text, mode from pg_locks where not granted "
                "and database = (select oid from pg_database where datname = current_database()) "
                "and relation = any(%s::regclass[])",
                ([f"marts.{model}" for model in MATERIALIZED_VIEWS],),
            ).fetchall()
            if waiting:
                break
            time.sleep(0.1)
        # The reader still reads while (or after) the views are refreshed.
        still_readable = holder.execute("select count(*) from marts.mv_trending_content").fetchone()[0]
        holder.rollback()
        builder.join()
    if errors:
        raise errors[0]

    assert waiting == [], "the rebuild waited for a reader: REFRESH was not CONCURRENTLY"
    assert still_readable > 0
    for model in MATERIALIZED_VIEWS:
        assert re.search(r"refresh materialized view concurrently", _artifact("run", model)), model
    with connect(url) as conn:
        second = {model: _assert_mv_matches_its_query(conn, model) for model in MATERIALIZED_VIEWS}
        latest = conn.execute("select max(metric_date) from marts.mv_dashboard_overview").fetchone()[0]
        as_of = conn.execute("select distinct as_of_date from marts.mv_trending_content").fetchall()
    assert latest == NEW_DAYS[-1] and as_of == [(NEW_DAYS[-1],)]
    assert second["mv_dashboard_overview"] == first["mv_dashboard_overview"] + 2 * len(NEW_DAYS)
    assert second["mv_platform_daily_metrics"] == first["mv_platform_daily_metrics"] + 4 * len(NEW_DAYS)


def test_unique_indexes_exist_and_every_column_is_documented(built):
    with connect(built) as conn:
        undocumented = conn.execute(
            "select attrelid::regclass::text, attname from pg_attribute "
            "where attrelid = any(%s::regclass[]) and attnum > 0 and not attisdropped "
            "and col_description(attrelid, attnum) is null",
            ([f"marts.{model}" for model in MATERIALIZED_VIEWS],),
        ).fetchall()
        indexes = conn.execute(
            "select tablename, indexdef from pg_indexes where schemaname = 'marts' and tablename = any(%s)",
            (list(MATERIALIZED_VIEWS),),
        ).fetchall()
    unique: dict[str, list[tuple[str, ...]]] = {}
    for table, definition in indexes:
        # Plain columns, no predicate: what REFRESH ... CONCURRENTLY requires.
        match = re.fullmatch(r"CREATE UNIQUE INDEX \S+ ON marts\.(\w+) USING btree \(([\w, ]+)\)", definition)
        if match:
            unique.setdefault(table, []).append(tuple(match.group(2).split(", ")))
    assert unique == {model: [key] for model, key in MATERIALIZED_VIEWS.items()}
    # The YAML descriptions, written as column comments by the MVs' post-hook.
    assert undocumented == []


def test_reader_sees_only_its_workspace_through_bi_views(built, reader):
    role = reader(["beta"])
    with connect(built) as conn:
        expected = {
            view: conn.execute(f"select count(*) from {table} where workspace_id = 'beta'").fetchone()[0]
            for view, table in BI_VIEWS.items()
        }
        options = dict(
            conn.execute(
                "select oid::regclass::text, reloptions from pg_class where relnamespace = 'bi'::regnamespace"
            ).fetchall()
        )

    with _as(built, role) as conn:
        seen = {
            view: conn.execute(f"select workspace_id, count(*) from {view} group by 1").fetchall()
            for view in BI_VIEWS
        }
        for model in MATERIALIZED_VIEWS:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from marts.{model} limit 1")
            conn.rollback()

    assert all(count > 0 for count in expected.values())
    assert seen == {view: [("beta", count)] for view, count in expected.items()}
    # Owner-rights views behind a security barrier, never security_invoker (see macros/bi_views.sql).
    assert all(options[view] == ["security_barrier=true"] for view in BI_VIEWS), options


def test_full_refresh_recreates_the_bi_views(built, dbt_build, reader):
    """--full-refresh drops the MVs with `cascade`, which takes the bi views with them."""
    role = reader(["acme"])
    dbt_build(select=SELECT, full_refresh=True)

    with _as(built, role) as conn:
        counts = {view: conn.execute(f"select count(*) from {view}").fetchone()[0] for view in BI_VIEWS}
    with connect(built) as conn:
        for model in MATERIALIZED_VIEWS:
            _assert_mv_matches_its_query(conn, model)
    assert all(count > 0 for count in counts.values()), counts


def _documented_queries() -> list[str]:
    """The SQL blocks of the README's BI section."""
    section = README.read_text(encoding="utf-8").split(BI_SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_documented_bi_queries_run_as_a_reader(built, reader):
    overview_query, platforms_query, trending_query = _documented_queries()
    role = reader(["acme"])

    with _as(built, role) as conn:
        overview = conn.execute(overview_query).fetchall()
        platforms = conn.execute(platforms_query).fetchall()
        trending = conn.execute(trending_query).fetchall()

    # workspace_id, metric_date, content_items, platforms_active, total_daily_views, ...
    assert [row[1] for row in overview] == _days(LAST_DAY - dt.timedelta(days=29), LAST_DAY)
    assert overview[-1][:5] == ("acme", LAST_DAY, 9, 2, 3350)
    # workspace_id, platform, views_7d, avg_engagement_rate, gap_days, counter_decreases:
    # yt-m* 2100 a day, yt-gap 200 a day, yt-hot 4 x 100 + 3 x 1000; tt-1 50 a day.
    assert [(row[0], row[1], row[2], row[4], row[5]) for row in platforms] == [
        ("acme", "youtube", 14700 + 1400 + 3400, 1, 0),
        ("acme", "tiktok", 350, 0, 0),
    ]
    # workspace_id, trend_rank, platform, content_id, category, views_per_day, ...
    assert [row[1] for row in trending] == list(range(1, 10))
    assert trending[0][:7] == ("acme", 1, "youtube", "yt-hot", "music", 1000, 10)
    assert {row[0] for row in trending} == {"acme"}


def test_documented_queries_are_the_three_bi_queries():
    queries = _documented_queries()
    assert len(queries) == 3
    assert all(re.search(r"\bfrom bi\.\w+", query) for query in queries)


def test_reader_sees_only_its_workspace_in_the_mart_tables(settings, dbt_build, reader):
    """Mart tables carry row-level security themselves (the enable_workspace_rls post-hook)."""
    _load(settings, _days(FIRST_DAY, LAST_DAY))
    dbt_build(select=("+content_performance_history", "+content_feature_analysis", "+performance_benchmarks"))
    url = settings.DATABASE_URL.get_secret_value()
    tables = (
        "marts.content_performance_history",
        "marts.content_feature_analysis",
        "marts.performance_benchmarks",
    )
    role = reader(["acme"])
    with connect(url) as conn:
        counts = {
            t: conn.execute(
                f"select count(*) filter (where workspace_id = 'acme'), count(*) from {t}"
            ).fetchone()
            for t in tables
        }
    expected = {t: acme for t, (acme, _) in counts.items()}
    others = {t: total - acme for t, (acme, total) in counts.items()}

    with _as(url, role) as conn:
        seen = {
            t: conn.execute(f"select workspace_id, count(*) from {t} group by 1").fetchall() for t in tables
        }

    assert all(count > 0 for count in [*expected.values(), *others.values()]), (expected, others)
    assert seen == {t: [("acme", count)] for t, count in expected.items()}
