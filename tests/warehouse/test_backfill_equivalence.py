"""A 30-day backfill (one dbt invocation over the range) equals 30 daily runs, table by table."""

from __future__ import annotations

import datetime as dt

from dagster_project.ingest.loader import load_landing_day
from dagster_project.synthetic import SyntheticSpec, generate
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import InProcessDbt, window_vars
from tests.checksums import relation_checksum

DAYS = 30
END = dt.date(2026, 9, 30)
LOOKBACK = 7
DAILY = "config.materialized:incremental"
TABLES = (
    "intermediate.int_content_days_aggregated",
    "intermediate.int_age_benchmarks_computed",
    "marts.content_performance_history",
)


def checksums(url: str) -> dict[str, tuple[int, str]]:
    with connect(url) as conn:
        return {table: relation_checksum(conn, table) for table in TABLES}


def drop_daily_tables(url: str) -> None:
    with connect(url) as conn:
        for table in TABLES:
            conn.execute(f"drop table if exists {table} cascade")


def test_backfill_equals_daily_runs(settings):
    url = settings.DATABASE_URL.get_secret_value()
    spec = SyntheticSpec(items=40, days=DAYS, end_date=END, seed=3)
    generate(settings.LANDING_DIR, spec)
    first = END - dt.timedelta(days=DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range(DAYS)]
    for day in days:
        load_landing_day(url, day, settings=settings, now=dt.datetime(2026, 10, 2, tzinfo=dt.UTC))
    dbt = InProcessDbt(url)
    dbt("seed")

    for day in days:  # the daily schedule: each run rebuilds its day and the lookback before it
        dbt("run", "--select", f"+{DAILY}", "--vars", window_vars(day - dt.timedelta(days=LOOKBACK),
                                                                  day + dt.timedelta(days=1)))  # fmt: skip
    daily = checksums(url)

    drop_daily_tables(url)
    dbt("run", "--select", f"+{DAILY}", "--vars", window_vars(first - dt.timedelta(days=LOOKBACK),
                                                              END + dt.timedelta(days=1)))  # fmt: skip
    backfill = checksums(url)

    with connect(url) as conn:
        scored = conn.execute(
            "select count(*) from marts.content_performance_history where performance_score is not null"
        ).fetchone()[0]
    assert daily["marts.content_performance_history"][0] > 40 * 10
    assert scored > 100  # point-in-time benchmarks are exercised, not just NULL scores
    assert backfill == daily
