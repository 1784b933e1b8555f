"""API fixtures: a test client over ``create_app(settings)`` on the test database, and API keys.

``api_headers`` acts for workspace ``acme``, ``other_headers`` for ``beta``, ``admin_headers`` is
an admin key of ``acme``; ``issue_key(workspace_id, is_admin=..., label=...)`` makes more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from dagster_project.config import AnalyticsSettings
from dagster_project.serving.app import create_app
from dagster_project.serving.auth import IssuedKey, create_api_key
from dagster_project.warehouse.database import connect
from tests.conftest import create_scratch_database, drop_database
from tests.serving.reads_warehouse import ReadsWarehouse, build_reads_warehouse

WORKSPACE = "acme"
OTHER_WORKSPACE = "beta"

IssueKey = Callable[..., IssuedKey]


@pytest.fixture
def api_client(settings: AnalyticsSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def issue_key(settings: AnalyticsSettings) -> IssueKey:
    url = settings.DATABASE_URL.get_secret_value()

    def issue(
        workspace_id: str = WORKSPACE, *, is_admin: bool = False, label: str | None = None
    ) -> IssuedKey:
        with connect(url) as conn:
            return create_api_key(conn, workspace_id, is_admin=is_admin, label=label)

    return issue


def _headers(key: IssuedKey) -> dict[str, str]:
    return {"X-API-Key": key.token}


@pytest.fixture
def api_headers(issue_key: IssueKey) -> dict[str, str]:
    return _headers(issue_key(WORKSPACE, label="tests"))


@pytest.fixture
def other_headers(issue_key: IssueKey) -> dict[str, str]:
    return _headers(issue_key(OTHER_WORKSPACE, label="tests (other workspace)"))


@pytest.fixture
def admin_headers(issue_key: IssueKey) -> dict[str, str]:
    return _headers(issue_key(WORKSPACE, is_admin=True, label="tests (admin)"))


@pytest.fixture(scope="package")
def reads_warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadsWarehouse]:
    """A small built warehouse with analysis results, shared by the read tests (built once per
    worker, in its own scratch database: the per-test cleanup of ``db`` does not touch it)."""
    url = create_scratch_database(server_url, "perf_reads")
    try:
        yield build_reads_warehouse(url, tmp_path_factory.mktemp("reads_warehouse"))
    finally:
        drop_database(url)
