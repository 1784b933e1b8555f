"""Steps retry transient database errors with exponential backoff, and only those."""

from __future__ import annotations

import datetime as dt
import socket

import dagster as dg
import pytest

from dagster_project import config
from dagster_project.definitions import defs
from dagster_project.defs.retries import backoff_seconds
from dagster_project.runs import QUIET_CONSOLE
from tests.conftest import create_scratch_database, drop_database
from tests.ingest.landing_helpers import snapshot, write_csv

DAY = dt.date(2026, 3, 1)


def test_backoff_doubles_from_the_base():
    assert [backoff_seconds(attempt, 5.0) for attempt in range(4)] == [5.0, 10.0, 20.0, 40.0]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fresh_settings(monkeypatch):
    """Settings read again from the environment this test sets (and afterwards)."""
    config.get_settings.cache_clear()
    yield monkeypatch
    config.get_settings.cache_clear()


def _events(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> list[dg.DagsterEvent]:
    return [e for e in result.all_events if e.event_type == kind]


def test_a_refused_connection_is_retried_then_fails_with_the_reason(fresh_settings, tmp_path):
    fresh_settings.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{_closed_port()}/nothing")
    fresh_settings.setenv("LANDING_DIR", str(tmp_path))
    fresh_settings.setenv("DB_RETRY_ATTEMPTS", "2")
    fresh_settings.setenv("DB_RETRY_BASE_SECONDS", "0")
    write_csv(tmp_path, "youtube", [snapshot("yt-1", captured_at=f"{DAY}T10:00:00+00:00")], day=DAY)
    job = defs().resolve_job_def("ingest_job")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, partition_key=DAY.isoformat(), raise_on_error=False, run_config=QUIET_CONSOLE
        )
    assert not result.success
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 2
    [failure] = _events(result, dg.DagsterEventType.STEP_FAILURE)
    assert "connection" in str(failure.step_failure_data.error).lower()


def test_an_error_a_retry_cannot_fix_fails_at_once(fresh_settings, server_url, tmp_path):
    """A database without the raw schema (migrations not run): the step fails on its first attempt."""
    url = create_scratch_database(server_url, "perf_unmigrated")
    try:
        fresh_settings.setenv("DATABASE_URL", url)
        fresh_settings.setenv("LANDING_DIR", str(tmp_path))
        fresh_settings.setenv("DB_RETRY_BASE_SECONDS", "0")
        write_csv(tmp_path, "youtube", [snapshot("yt-1", captured_at=f"{DAY}T10:00:00+00:00")], day=DAY)
        job = defs().resolve_job_def("ingest_job")
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(
                instance=instance,
                partition_key=DAY.isoformat(),
                raise_on_error=False,
                run_config=QUIET_CONSOLE,
            )
    finally:
        drop_database(url)
    assert not result.success
    assert _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    [failure] = _events(result, dg.DagsterEventType.STEP_FAILURE)
    assert "does not exist" in str(failure.step_failure_data.error)
