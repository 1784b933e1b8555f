"""Test fixtures: every test talks to a real Postgres.

``DATABASE_URL`` names the server when set (CI: the local PostgreSQL 15); otherwise the
embedded server under ``.data/`` is started.  Each test session works in a fresh database
created on that server and dropped at the end, so the server's own databases are untouched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from dagster_project.config import PROJECT_ROOT, AnalyticsSettings
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import (
    connect,
    database_name,
    ensure_database,
    resolve_database_url,
    with_database,
)
from dagster_project.warehouse.dbt import prepare_manifest

RAW_TABLES = (
    "engagement_snapshots",
    "content",
    "rejected_snapshots",
    "ingest_log",
    "workspace_access",
)


def _server_url() -> str:
    """The server under test; fails (never skips) when it cannot be reached."""
    env_url = os.environ.get("DATABASE_URL")
    if env_url:
        return env_url
    return resolve_database_url(AnalyticsSettings(DATABASE_URL=None, DATA_DIR=PROJECT_ROOT / ".data"))


def create_scratch_database(server_url: str, prefix: str) -> str:
    url = with_database(server_url, f"{prefix}_{uuid.uuid4().hex[:10]}")
    ensure_database(url)
    return url


def drop_database(url: str) -> None:
    name = database_name(url)  # not the URL's last "/" part: a socket URL ends in ?host=/.../pg
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """Dagster's dbt assets read target/manifest.json when the definitions load."""
    prepare_manifest()


@pytest.fixture(scope="session")
def server_url() -> str:
    url = _server_url()
    with psycopg.connect(url, connect_timeout=10) as conn:
        conn.execute("select 1")
    return url


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A migrated scratch database for the whole session."""
    url = create_scratch_database(server_url, "perf_test")
    migrate.upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
def db(database_url: str) -> Iterator[str]:
    """The session database, emptied before the test: raw tables, day partitions, and every
    schema dbt builds (incremental tables would otherwise keep rows of earlier tests)."""
    with connect(database_url) as conn:
        conn.execute("drop schema if exists staging, intermediate, marts, bi, reference cascade")
        partitions = conn.execute(
            "select inhrelid::regclass::text from pg_inherits "
            "where inhparent = 'raw.engagement_snapshots'::regclass"
        ).fetchall()
        for (partition,) in partitions:
            conn.execute(sql.SQL("drop table {}").format(sql.SQL(partition)))
        conn.execute(
            sql.SQL("truncate {} restart identity").format(
                sql.SQL(", ").join(sql.Identifier("raw", t) for t in RAW_TABLES)
            )
        )
    yield database_url


@pytest.fixture
def settings(db: str, tmp_path: Path) -> AnalyticsSettings:
    return AnalyticsSettings(
        DATABASE_URL=db,
        DATA_DIR=tmp_path / ".data",
        LANDING_DIR=tmp_path / "landing",
        APP_ENV="testing",
    )
