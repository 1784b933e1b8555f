"""Incremental warehouse benchmark: does a day's build cost grow with the history behind it?

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/incremental.py [--items 300]

Builds two scratch warehouses with the same items, one holding 30 days of snapshots and one
365, runs the full backfill once in each, then times the daily build of the last day (its
window pulled back by the 7-day lookback, as the schedule runs it) several times and prints
the median of each and their ratio (target <= 1.3).  Then times the dashboard reads: each
materialized view against the equivalent query on the base tables (ratio reported).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.synthetic import SyntheticSpec, generate
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import (
    database_name,
    ensure_database,
    resolve_database_url,
    with_database,
)
from dagster_project.warehouse.dbt import InProcessDbt, window_vars

END = dt.date(2026, 6, 30)
LOOKBACK = 7
DAILY = "config.materialized:incremental"
REPEATS = 3

# (materialized view, equivalent query on the tables it is built from)
DASHBOARD_READS = {
    "marts.mv_platform_daily_metrics": """
        select workspace_id, platform, metric_date, count(*) as content_items,
               sum(daily_views) as daily_views, avg(engagement_rate) as avg_engagement_rate,
               avg(performance_score) as avg_performance_score
        from marts.content_performance_history
        group by workspace_id, platform, metric_date
    """,
    "marts.mv_dashboard_overview": """
        select workspace_id, metric_date, count(*) as content_items, sum(daily_views) as daily_views,
               avg(engagement_rate) as avg_engagement_rate
        from marts.content_performance_history
        group by workspace_id, metric_date
    """,
}


def build_warehouse(server: str, days: int, items: int) -> str:
    url = with_database(server, f"perf_bench_incr_{days}_{int(time.time())}")
    ensure_database(url)
    migrate.upgrade(url)
    with tempfile.TemporaryDirectory(prefix="perf-bench-incr-") as tmp:
        landing = Path(tmp)
        generate(landing, SyntheticSpec(items=items, days=days, end_date=END, seed=11, dirty_fraction=0.0))
        settings = AnalyticsSettings(DATABASE_URL=url, LANDING_DIR=landing)
        now = dt.datetime.combine(END + dt.timedelta(days=1), dt.time(12), dt.UTC)
        for offset in range(days - 1, -1, -1):
            load_landing_day(url, END - dt.timedelta(days=offset), settings=settings, now=now)
    return url


def time_last_day(url: str, days: int) -> tuple[float, int]:
    dbt = InProcessDbt(url)
    first = END - dt.timedelta(days=days - 1)
    dbt(
        "build",
        "--select",
        f"+{DAILY}",
        "--vars",
        window_vars(first - dt.timedelta(days=LOOKBACK), END + dt.timedelta(days=1)),
    )
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        dbt(
            "run",
            "--select",
            DAILY,
            "--vars",
            window_vars(END - dt.timedelta(days=LOOKBACK), END + dt.timedelta(days=1)),
        )
        seconds.append(time.perf_counter() - started)
    with psycopg.connect(url) as conn:
        rows = conn.execute("select count(*) from marts.content_performance_history").fetchone()[0]
    return statistics.median(seconds), rows


def time_query(conn: psycopg.Connection, sql: str, repeats: int = 5) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        conn.execute(sql).fetchall()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def dashboard_reads(url: str) -> None:
    InProcessDbt(url)("build", "--select", "path:models/marts", "--exclude", DAILY)
    with psycopg.connect(url) as conn:
        for view, base in DASHBOARD_READS.items():
            mv = time_query(conn, f"select * from {view}")  # noqa: S608 - constant names
            raw = time_query(conn, base)
            print(
                f"{view:40s} MV {mv * 1000:7.1f} ms  base query {raw * 1000:7.1f} ms  ratio {raw / mv:5.1f}x"
            )


def drop(server: str, url: str) -> None:
    with psycopg.connect(with_database(server, "postgres"), autocommit=True) as admin:
        admin.execute(
            psycopg.sql.SQL("drop database if exists {} with (force)").format(
                psycopg.sql.Identifier(database_name(url))
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    args = parser.parse_args()
    server = resolve_database_url(AnalyticsSettings())
    results = {}
    urls = []
    try:
        for days in (30, 365):
            started = time.perf_counter()
            url = build_warehouse(server, days, args.items)
            urls.append(url)
            results[days] = time_last_day(url, days)
            print(
                f"{days:3d} days of history: {results[days][1]:,} history rows "
                f"(prepared in {time.perf_counter() - started:.0f}s); "
                f"daily build of the last day: {results[days][0]:.2f}s (median of {REPEATS})"
            )
        ratio = results[365][0] / results[30][0]
        print(f"ratio 365/30 days of history: {ratio:.2f}  (target <= 1.3)")
        dashboard_reads(urls[-1])
    finally:
        for url in urls:
            drop(server, url)


if __name__ == "__main__":
    main()
