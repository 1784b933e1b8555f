"""The analytics tables of migrations 0004 and 0005: documented, guarded against NaN, and readable by BI
reader logins only for their workspaces."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from dagster_project.analytics_io.rows import Row
from dagster_project.warehouse.database import connect
from tests.analytics_assets.conftest import THRESHOLDS
from tests.analytics_assets.helpers import write_all_results

TABLES = (
    "ab_test_performance",
    "correlation_analysis_results",
    "experiments",
    "feature_importance_results",
    "performance_anomalies",
    "platform_comparison_results",
    "trend_analysis_results",
)
DAY = dt.date(2026, 10, 31)


def test_tables_have_row_level_security_grants_and_documented_columns(warehouse):
    with connect(warehouse.url) as conn:
        found = conn.execute(
            """
            select c.relname, c.relrowsecurity, obj_description(c.oid, 'pg_class') is not null,
                   has_table_privilege('perf_reader', c.oid, 'select'),
                   has_table_privilege('perf_reader', c.oid, 'insert'),
                   has_table_privilege('perf_writer', c.oid, 'delete'),
                   (select count(*) from pg_attribute as a
                    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                      and col_description(c.oid, a.attnum) is null),
                   (select count(*) from pg_policies as p
                    where p.schemaname = 'analytics' and p.tablename = c.relname
                      and p.policyname = 'reader_workspace' and p.roles = '{perf_reader}')
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = 'analytics' and c.relkind = 'r' order by 1
            """
        ).fetchall()
    assert [row[0] for row in found] == sorted([*TABLES, "optimization_insights"])  # 0006 adds it
    assert all(row[1:] == (True, True, True, False, True, 0, 1) for row in found), found


def test_checks_refuse_nan_and_an_insufficient_row_with_a_number(warehouse):
    row = {
        "analysis_date": DAY,
        "workspace_id": "w",
        "scope": "overall",
        "feature": "f",
        "metric": "m",
        "method": "pearson",
        "feature_kind": "continuous",
        "metric_source": "views_day_7",
        "metric_transform": "log1p",
        "metric_adjustment": "none",
        "metric_age_days": 7,
        "strength": "weak",
        "significance_level": 0.05,
        "is_significant": False,
        "sample_size": 20,
        "insufficient_data": False,
        "interpretation": "x",
        "window_start": DAY,
        "window_end": DAY,
    }
    insert = sql.SQL("insert into analytics.correlation_analysis_results ({}) values ({})")

    def try_insert(**changes: object) -> None:
        values = {**row, **changes}
        with connect(warehouse.url) as conn:
            conn.execute(
                insert.format(
                    sql.SQL(", ").join(map(sql.Identifier, values)),
                    sql.SQL(", ").join(sql.Placeholder() * len(values)),
                ),
                list(values.values()),
            )
            conn.rollback()

    try_insert(p_value=0.2, adjusted_p_value=0.3, correlation_coefficient=0.1)  # a valid row
    with pytest.raises(psycopg.errors.CheckViolation):
        try_insert(p_value=float("nan"))
    with pytest.raises(psycopg.errors.CheckViolation):
        try_insert(p_value=0.2, correlation_coefficient=float("nan"))
    with pytest.raises(psycopg.errors.CheckViolation):
        try_insert(insufficient_data=True, insufficient_reason="too few", p_value=0.2)


@pytest.fixture
def login_role(warehouse) -> Iterator[Callable[[str], str]]:
    created: list[str] = []

    def make(group: str) -> str:
        name = f"perf_test_{group}_{uuid.uuid4().hex[:8]}"
        with connect(warehouse.url, autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(name)))
            conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(name)))
        created.append(name)
        return name

    yield make
    with connect(warehouse.url, autocommit=True) as conn:
        for name in created:
            conn.execute("delete from raw.workspace_access where role_name = %s", (name,))
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def _as(url: str, role: str) -> psycopg.Connection:
    parts = urlsplit(url)
    netloc = f"{role}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return psycopg.connect(urlunsplit(parts._replace(netloc=netloc)))


def _lab_anomaly(row: Row) -> Row:
    """The lab workspace's few experiment items have no unusual day: give the reader one to see."""
    return {
        **row,
        "workspace_id": "lab",
        "series_level": "platform",
        "platform": "tiktok",
        "series_id": "tiktok",
    }


def _write_all_results(url: str) -> None:
    write_all_results(url, DAY, THRESHOLDS, extra_anomalies=[_lab_anomaly])


def test_reader_sees_only_its_workspaces_in_every_analytics_table(clean, login_role):
    _write_all_results(clean.url)
    reader = login_role("perf_reader")
    with connect(clean.url) as conn:
        conn.execute("insert into raw.workspace_access values (%s, 'lab')", (reader,))
        as_admin = {
            t: conn.execute(f"select distinct workspace_id from analytics.{t} order by 1").fetchall()
            for t in TABLES
        }

    with _as(clean.url, reader) as conn:
        seen = {
            t: conn.execute(f"select distinct workspace_id from analytics.{t}").fetchall() for t in TABLES
        }
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from analytics.ab_test_performance")

    assert as_admin == {t: [("default",), ("lab",)] for t in TABLES}
    assert seen == {t: [("lab",)] for t in TABLES}


def test_reader_without_a_grant_sees_no_result(clean, login_role):
    _write_all_results(clean.url)
    reader = login_role("perf_reader")
    with _as(clean.url, reader) as conn:
        counts = [conn.execute(f"select count(*) from analytics.{t}").fetchone()[0] for t in TABLES]
    assert counts == [0] * len(TABLES)
