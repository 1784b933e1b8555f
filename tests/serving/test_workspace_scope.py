"""A workspace-scoped connection reads exactly what the BI reader of that workspace would."""

from __future__ import annotations

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dagster_project.ingest.loader import load_landing_day
from dagster_project.serving.app import create_app
from dagster_project.serving.deps import WorkspaceConnection, workspace_scope
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import DAY, NOW, snapshot, write_csv
from tests.test_row_level_security import _with_user, login_role  # noqa: F401  (fixture)

TABLES = ("raw.engagement_snapshots", "raw.content", "raw.rejected_snapshots", "raw.ingest_log")


@pytest.fixture
def two_workspaces(settings) -> str:
    rows = [
        snapshot("yt-a", workspace_id="acme", title="A"),
        snapshot("yt-b", workspace_id="beta", title="B"),
        snapshot("yt-bad-a", workspace_id="acme", views="x"),
        snapshot("yt-bad-b", workspace_id="beta", views="-1"),
    ]
    write_csv(settings.LANDING_DIR, "youtube", rows)
    url = settings.DATABASE_URL.get_secret_value()
    load_landing_day(url, DAY, settings=settings, now=NOW)
    return url


def _probe_app(settings) -> FastAPI:
    """The real app plus one route that reports what its workspace connection sees."""
    app = create_app(settings)

    @app.get("/probe")
    def probe(conn: WorkspaceConnection) -> dict[str, list[str]]:
        seen = {table: conn.execute(f"select distinct workspace_id from {table}") for table in TABLES}
        return {table: [row[0] for row in rows] for table, rows in seen.items()}

    return app


def test_each_key_sees_only_its_workspace(settings, two_workspaces, api_headers, other_headers):
    client = TestClient(_probe_app(settings))

    acme = client.get("/probe", headers=api_headers).json()
    beta = client.get("/probe", headers=other_headers).json()

    assert acme == {t: ["acme"] for t in TABLES}
    assert beta == {t: ["beta"] for t in TABLES}


def test_scope_cannot_write_and_ends_with_its_transaction(two_workspaces):
    with connect(two_workspaces, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), workspace_scope(conn, "acme"):
            conn.execute("delete from raw.engagement_snapshots")
        # The setting and the role end with the transaction: outside it the login sees all again.
        assert conn.execute("select current_setting('perf.workspace_id', true)").fetchone()[0] in ("", None)
        workspaces = conn.execute("select count(distinct workspace_id) from raw.engagement_snapshots")
        assert workspaces.fetchone() == (2,)


def test_bi_login_cannot_use_the_api_setting(two_workspaces, login_role):  # noqa: F811
    reader = login_role("perf_reader")
    with psycopg.connect(_with_user(two_workspaces, reader)) as conn:
        conn.execute("select set_config('perf.workspace_id', 'acme', false)")
        seen = conn.execute("select count(*) from raw.engagement_snapshots").fetchone()[0]
    assert seen == 0


def test_api_login_member_of_perf_api_is_scoped(two_workspaces, login_role):  # noqa: F811
    """A non-superuser API login (member of perf_api) reads through the same policies."""
    api_login = login_role("perf_api")
    with connect(_with_user(two_workspaces, api_login), autocommit=True) as conn:
        with workspace_scope(conn, "beta"):
            seen = conn.execute("select distinct workspace_id from raw.engagement_snapshots").fetchall()
        unscoped = conn.execute("select count(*) from raw.engagement_snapshots").fetchone()[0]
    assert seen == [("beta",)]
    assert unscoped == 0
