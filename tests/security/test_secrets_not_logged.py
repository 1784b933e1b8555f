"""The database password never reaches a log, the console, Dagster's storage or a file the run writes.

A login role with a distinctive password is created on the test server and the pipeline runs
through Dagster in-process with that role's URL in ``DATABASE_URL``: the ingest assets and the dbt
assets (reference data, day models, marts) for one partition day, on a local Dagster instance
under a temporary ``DATA_DIR``. Everything is captured: Python logging at DEBUG, the process's
stdout and stderr (Dagster's console logger at DEBUG, and dbt's output), the run's event log,
the run record and its job snapshot, and every file written under the temporary folders and
dbt's project folder during the test (dbt's target folders, with ``dbt.log``, are copied aside
before the dbt assets remove them). The password must appear in none of them (neither as is
nor URL-encoded). A run that fails to connect (a closed port) is checked the same way: errors
are where connection strings usually leak.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import dagster as dg
import pytest
from dagster._serdes import serialize_value
from psycopg import sql

from dagster_project import config
from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.definitions import defs
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import connect, database_name
from tests.conftest import create_scratch_database
from tests.ingest.landing_helpers import snapshot, write_csv

DAY = dt.date(2026, 3, 1)
# Letters, digits and characters that URL-encode differently, so an encoded copy is caught too.
PASSWORD = f"Pw-{uuid.uuid4().hex[:12]}-s3cr3t!$"
ENCODED = quote(PASSWORD, safe="")
DEBUG_CONSOLE = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
PIPELINE_JOB = "security_ingest_and_warehouse_job"


def _url_for(server_url: str, database_url: str, role: str, port: int | None = None) -> str:
    parts = urlsplit(database_url)
    host = urlsplit(server_url).hostname or ""
    port_part = f":{port or parts.port}" if (port or parts.port) else ""
    return urlunsplit(parts._replace(netloc=f"{role}:{ENCODED}@{host}{port_part}"))


def _drop_database(server_url: str, url: str) -> None:
    """Drop the scratch database (by its parsed name: the server URL may carry a socket path)."""
    with connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database_name(url)))
        )


@pytest.fixture
def secret_url(server_url: str) -> Iterator[str]:
    """A migrated scratch database and the URL of a login role with the password, for it.

    The role is a superuser so that the whole pipeline (dbt creates schemas, enables RLS and
    grants) runs as it; it exists only during the test.
    """
    role = f"perf_sec_login_{uuid.uuid4().hex[:8]}"
    url = create_scratch_database(server_url, "perf_secrets")
    with connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create role {} login superuser password {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD)
            )
        )
    try:
        migrate.upgrade(url)
        yield _url_for(server_url, url, role)
    finally:
        _drop_database(server_url, url)
        with connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop owned by {} cascade").format(sql.Identifier(role)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Settings read from this test's environment; the variables the dbt assets export into the
    process (PERF_DBT_*) are restored afterwards."""
    for name in ("PERF_DBT_HOST", "PERF_DBT_PORT", "PERF_DBT_USER", "PERF_DBT_PASSWORD", "PERF_DBT_DBNAME"):
        monkeypatch.setenv(name, "")  # remembered, restored at teardown
    monkeypatch.setenv("DATA_DIR", str(tmp_path / ".data"))
    monkeypatch.setenv("LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("APP_ENV", "testing")
    config.get_settings.cache_clear()
    yield monkeypatch
    config.get_settings.cache_clear()


def _instance(tmp_path: Path) -> dg.DagsterInstance:
    """A Dagster instance whose storage (runs, event log, compute logs) is on disk under DATA_DIR."""
    home = tmp_path / ".data" / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.local_temp(tempdir=str(home))


def _texts_of_run(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """The run as Dagster stored it: every event (message and structured data), the run record
    (run config, tags) and the job and execution plan snapshots."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    texts = {f"event {i}": serialize_value(entry) for i, entry in enumerate(instance.all_logs(run_id))}
    texts["run record"] = serialize_value(run)
    if run.job_snapshot_id:
        texts["job snapshot"] = serialize_value(instance.get_job_snapshot(run.job_snapshot_id))
    if run.execution_plan_snapshot_id:
        texts["plan snapshot"] = serialize_value(
            instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
        )
    return texts


def _files_written(folders: list[Path], since: float) -> dict[str, bytes]:
    found = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path.stat().st_mtime >= since:
                found[str(path)] = path.read_bytes()
    return found


def _leaks(texts: dict[str, str], files: dict[str, bytes]) -> list[str]:
    places = [name for name, text in texts.items() if PASSWORD in text or ENCODED in text]
    secret = (PASSWORD.encode(), ENCODED.encode())
    places += [name for name, data in files.items() if any(s in data for s in secret)]
    return places


@pytest.fixture
def kept_dbt_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The dbt assets remove each invocation's target folder (with dbt.log) when the step ends:
    copy it aside first, so its files are searched too."""
    kept = tmp_path / "dbt_targets"
    remove = shutil.rmtree
    target_root = DBT_PROJECT_DIR / "target"

    def copy_then_remove(path, *args, **kwargs):
        if Path(path).is_dir() and Path(path).is_relative_to(target_root):
            shutil.copytree(path, kept / Path(path).name, dirs_exist_ok=True)
        return remove(path, *args, **kwargs)

    # Imported here: the dbt assets read target/manifest.json, which the session fixture writes.
    from dagster_project.defs.warehouse import assets as warehouse_assets

    monkeypatch.setattr(warehouse_assets.shutil, "rmtree", copy_then_remove)
    return kept


def _pipeline_definitions() -> dg.Definitions:
    job = dg.define_asset_job(PIPELINE_JOB, selection=dg.AssetSelection.groups("ingest", "warehouse"))
    return dg.Definitions.merge(defs(), dg.Definitions(jobs=[job]))


def _logging_texts(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    texts = {"python logging": caplog.text}
    for i, record in enumerate(caplog.records):  # messages and their raw arguments and exceptions
        texts[f"log record {i}"] = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
    return texts


def test_a_pipeline_run_never_writes_the_password(
    secret_url, environment, kept_dbt_folders, caplog, capfd, tmp_path
):
    environment.setenv("DATABASE_URL", secret_url)
    started = time.time() - 1
    rows = [snapshot(f"yt-{i}", captured_at=f"{DAY}T10:00:00+00:00", title=f"t{i}") for i in range(5)]
    write_csv(tmp_path / "landing", "youtube", rows, day=DAY)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("dagster_project").debug("capture check %s", "canary-4711")

    job = _pipeline_definitions().resolve_job_def(PIPELINE_JOB)
    with _instance(tmp_path) as instance:
        result = job.execute_in_process(
            instance=instance, partition_key=DAY.isoformat(), raise_on_error=False, run_config=DEBUG_CONSOLE
        )
        stored = _texts_of_run(instance, result.run_id)
    captured = capfd.readouterr()
    texts = {**_logging_texts(caplog), "stdout": captured.out, "stderr": captured.err, **stored}
    files = _files_written([tmp_path, DBT_PROJECT_DIR], started)

    # The capture is real: the run succeeded as the role, with dbt, and left logs behind.
    assert result.success
    steps = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    assert any("warehouse" in (key or "") for key in steps), steps
    assert "canary-4711" in texts["python logging"]
    assert len(stored) > 20
    assert any("/compute_logs/" in name for name in files) and any(name.endswith("runs.db") for name in files)
    assert "Running dbt command" in " ".join(stored.values())
    dbt_logs = [name for name in files if name.startswith(str(kept_dbt_folders)) and name.endswith("dbt.log")]
    assert len(dbt_logs) == 3  # reference, day models, marts
    assert "STEP_SUCCESS" in captured.err  # Dagster's console logger at DEBUG
    with connect(secret_url) as conn:
        assert conn.execute("select count(*) from raw.engagement_snapshots").fetchone()[0] == 5
        assert conn.execute("select count(*) from marts.content_performance_history").fetchone()[0] > 0
        assert conn.execute("select current_user").fetchone()[0] == urlsplit(secret_url).username

    assert _leaks(texts, files) == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failed_connection_never_reports_the_password(environment, caplog, capfd, tmp_path):
    url = f"postgresql://perf_nobody:{ENCODED}@127.0.0.1:{_closed_port()}/nothing"
    environment.setenv("DATABASE_URL", url)
    environment.setenv("DB_RETRY_ATTEMPTS", "1")
    environment.setenv("DB_RETRY_BASE_SECONDS", "0")
    started = time.time() - 1
    write_csv(
        tmp_path / "landing", "youtube", [snapshot("yt-1", captured_at=f"{DAY}T10:00:00+00:00")], day=DAY
    )
    caplog.set_level(logging.DEBUG)

    job = defs().resolve_job_def("ingest_job")
    with _instance(tmp_path) as instance:
        result = job.execute_in_process(
            instance=instance, partition_key=DAY.isoformat(), raise_on_error=False, run_config=DEBUG_CONSOLE
        )
        stored = _texts_of_run(instance, result.run_id)
    captured = capfd.readouterr()
    texts = {**_logging_texts(caplog), "stdout": captured.out, "stderr": captured.err, **stored}

    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert not result.success and failures
    assert "127.0.0.1" in str(failures[0].step_failure_data.error)  # the error names the server ...
    assert _leaks(texts, _files_written([tmp_path], started)) == []  # ... but not the password


def test_settings_mask_the_url_when_printed(environment, secret_url):
    environment.setenv("DATABASE_URL", secret_url)
    settings = config.get_settings()
    assert settings.DATABASE_URL is not None
    assert settings.DATABASE_URL.get_secret_value() == secret_url
    assert PASSWORD not in repr(settings) and ENCODED not in str(settings)
    assert PASSWORD not in settings.model_dump_json() and ENCODED not in settings.model_dump_json()
