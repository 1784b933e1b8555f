"""API keys: stored hashed, verified, revocable; 401 without a valid key, 403 for non-admins."""

from __future__ import annotations

import hashlib
import logging

import psycopg
import pytest
from typer.testing import CliRunner

from dagster_project import cli
from dagster_project.config import get_settings
from dagster_project.serving.auth import issue_key, key_id_of, revoke_api_key
from dagster_project.warehouse.database import connect
from tests.test_row_level_security import _with_user, login_role  # noqa: F401  (fixture)

STATUS = "/analytics/system/status"


def test_issued_tokens_are_random_and_parse_back():
    first, second = issue_key("acme"), issue_key("acme", is_admin=True)

    assert first.token != second.token
    assert key_id_of(first.token) == first.caller.key_id
    assert first.key_hash == hashlib.sha256(first.token.encode()).digest()
    assert second.caller.is_admin and not first.caller.is_admin
    for garbage in ("", "perf_", first.token + "x", first.token.replace("perf_", "xxxx_"), "a" * 10_000):
        assert key_id_of(garbage) is None


def test_key_is_stored_hashed_and_nowhere_in_plaintext(settings, issue_key):
    key = issue_key("acme", label="ci")
    secret = key.token.split(".", 1)[1]

    with connect(settings.DATABASE_URL.get_secret_value()) as conn:
        row = conn.execute(
            "select k::text, key_hash from raw.api_keys as k where key_id = %s", (key.caller.key_id,)
        ).fetchone()

    assert row is not None
    text, stored_hash = row
    assert key.token not in text and secret not in text
    assert bytes(stored_hash) == hashlib.sha256(key.token.encode()).digest()


def test_valid_key_is_accepted_and_its_use_recorded(settings, api_client, issue_key):
    key = issue_key("acme")

    response = api_client.get(STATUS, headers={"X-API-Key": key.token})

    assert response.status_code == 200
    assert response.json()["workspace_id"] == "acme"
    with connect(settings.DATABASE_URL.get_secret_value()) as conn:
        used = conn.execute(
            "select last_used_at is not null from raw.api_keys where key_id = %s", (key.caller.key_id,)
        ).fetchone()[0]
    assert used


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": "perf_0123456789abcdef." + "A" * 43},  # well-formed, unknown id
    ],
    ids=["missing", "empty", "malformed", "unknown"],
)
def test_missing_or_unknown_key_is_401(api_client, headers):
    response = api_client.get(STATUS, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "X-API-Key"


def test_wrong_secret_for_a_real_key_id_is_401(api_client, issue_key):
    key = issue_key("acme")
    forged = key.token[:-4] + ("AAAA" if not key.token.endswith("AAAA") else "BBBB")

    assert api_client.get(STATUS, headers={"X-API-Key": forged}).status_code == 401


def test_revoked_key_is_401(settings, api_client, issue_key):
    key = issue_key("acme")
    headers = {"X-API-Key": key.token}
    assert api_client.get(STATUS, headers=headers).status_code == 200

    with connect(settings.DATABASE_URL.get_secret_value()) as conn:
        assert revoke_api_key(conn, key.caller.key_id) is True
        assert revoke_api_key(conn, key.caller.key_id) is False  # already revoked

    assert api_client.get(STATUS, headers=headers).status_code == 401


def test_admin_routes_need_an_admin_key(api_client, api_headers, admin_headers):
    body = {"start_date": "2026-10-01", "end_date": "2026-10-02", "job_name": "no_such_job"}

    assert api_client.delete("/analytics/admin/cleanup").status_code == 401
    assert api_client.delete("/analytics/admin/cleanup", headers=api_headers).status_code == 403
    assert api_client.post("/analytics/admin/recalculate", json=body, headers=api_headers).status_code == 403
    assert api_client.delete("/analytics/admin/cleanup", headers=admin_headers).status_code == 200


def test_tokens_are_never_logged(api_client, issue_key, caplog):
    key = issue_key("acme", is_admin=True)
    caplog.set_level(logging.DEBUG)

    api_client.get(STATUS, headers={"X-API-Key": key.token})
    api_client.post(
        "/analytics/engagement/track",
        headers={"X-API-Key": key.token},
        json={"content_id": "c", "platform": "youtube", "metrics": {"views": 1}},
    )
    api_client.get(STATUS, headers={"X-API-Key": key.token + "x"})

    assert key.caller.key_id in caplog.text  # the key is named by its id ...
    assert key.token.split(".", 1)[1] not in caplog.text  # ... never by its secret


@pytest.fixture
def cli_env(settings, monkeypatch):
    """The CLI reads the test database from the environment (settings are cached per process)."""
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL.get_secret_value())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_creates_a_key_that_works_and_revokes_it(cli_env, api_client):
    runner = CliRunner()

    created = runner.invoke(cli.app, ["api-key", "create", "--workspace", "acme", "--label", "cli test"])

    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    headers = {"X-API-Key": token}
    assert api_client.get(STATUS, headers=headers).json()["workspace_id"] == "acme"
    assert api_client.delete("/analytics/admin/cleanup", headers=headers).status_code == 403

    revoked = runner.invoke(cli.app, ["api-key", "revoke", token])
    assert revoked.exit_code == 0, revoked.output
    assert api_client.get(STATUS, headers=headers).status_code == 401
    assert runner.invoke(cli.app, ["api-key", "revoke", key_id_of(token)]).exit_code == 1


def test_bi_readers_cannot_read_the_key_table(settings, issue_key, login_role):  # noqa: F811
    issue_key("acme")
    reader = login_role("perf_reader")
    with connect(settings.DATABASE_URL.get_secret_value()) as conn:
        conn.execute("insert into raw.workspace_access values (%s, 'acme')", (reader,))

    with (
        psycopg.connect(_with_user(settings.DATABASE_URL.get_secret_value(), reader)) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("select key_hash from raw.api_keys")
