"""The BI reader role sees only its workspaces' rows, through real login roles."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import DAY, NOW, snapshot, write_csv

TABLES = ("raw.engagement_snapshots", "raw.content", "raw.rejected_snapshots", "raw.ingest_log")


@pytest.fixture
def login_role(db: str) -> Iterator[Callable[[str], str]]:
    created: list[str] = []

    def make(group: str) -> str:
        name = f"perf_test_{group}_{uuid.uuid4().hex[:8]}"
        with connect(db, autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(name)))
            conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(name)))
        created.append(name)
        return name

    yield make
    with connect(db, autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def _with_user(url: str, role: str) -> str:
    parts = urlsplit(url)
    netloc = f"{role}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _as(url: str, role: str) -> psycopg.Connection:
    return psycopg.connect(_with_user(url, role))


def _load_two_workspaces(settings) -> str:
    url = settings.DATABASE_URL.get_secret_value()
    rows = [
        snapshot("yt-a", workspace_id="acme", title="A"),
        snapshot("yt-b", workspace_id="beta", title="B"),
        snapshot("yt-bad", workspace_id="beta", views="x"),
    ]
    write_csv(settings.LANDING_DIR, "youtube", rows)
    load_landing_day(url, DAY, settings=settings, now=NOW)
    return url


def test_reader_sees_only_granted_workspaces(settings, login_role):
    url = _load_two_workspaces(settings)
    reader = login_role("perf_reader")
    with connect(url) as conn:
        conn.execute("insert into raw.workspace_access values (%s, 'beta')", (reader,))

    with _as(url, reader) as conn:
        seen = {
            table: conn.execute(f"select distinct workspace_id from {table}").fetchall() for table in TABLES
        }
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from raw.engagement_snapshots")

    assert seen == {table: [("beta",)] for table in TABLES}


def test_reader_without_grant_sees_nothing_and_cannot_read_partitions(settings, login_role):
    url = _load_two_workspaces(settings)
    reader = login_role("perf_reader")

    with _as(url, reader) as conn:
        counts = [conn.execute(f"select count(*) from {table}").fetchone()[0] for table in TABLES]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from raw.engagement_snapshots_p20261005")

    assert counts == [0, 0, 0, 0]


def test_writer_role_loads_a_day_and_creates_partitions(settings, login_role):
    writer = login_role("perf_writer")
    url = settings.DATABASE_URL.get_secret_value()
    # Role attributes (BYPASSRLS) are not inherited: the login acts as the writer via SET ROLE.
    writer_url = _with_user(url, writer) + ("&" if "?" in url else "?") + "options=-c%20role%3Dperf_writer"
    write_csv(
        settings.LANDING_DIR,
        "youtube",
        [snapshot("yt-1", workspace_id="acme"), snapshot("x", views="-1")],
    )

    report = load_landing_day(writer_url, DAY, settings=settings, now=NOW)

    assert (report.accepted, report.rejected) == (1, 1)
    with psycopg.connect(writer_url) as conn:
        assert conn.execute("select count(*) from raw.engagement_snapshots").fetchone()[0] == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("drop table raw.content")
