"""The multi-machine deployment config loads and runs a job of the project.

``deploy/multiprocess/dagster.yaml`` is copied into a scratch DAGSTER_HOME, its ``env:`` entries
pointed at a scratch database on the test server (DATABASE_URL's, or the embedded one through
its socket directory), and ``ingest_job`` runs for one landing day with the multiprocess
executor selected by ``deploy/multiprocess/run_config.yaml``.  The run, its events and the pool
slot its step took are then read back from that database with plain SQL.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from psycopg import sql

from dagster_project.config import PROJECT_ROOT
from dagster_project.warehouse.database import connect, connection_params, database_name, with_database
from tests.conftest import create_scratch_database
from tests.ingest.landing_helpers import snapshot, write_csv

DEPLOY_DIR = PROJECT_ROOT / "deploy" / "multiprocess"
DAY = dt.date(2026, 4, 2)
PG_ENV = ("PERF_DAGSTER_PG_HOST", "PERF_DAGSTER_PG_PORT", "PERF_DAGSTER_PG_USER", "PERF_DAGSTER_PG_PASSWORD",
          "PERF_DAGSTER_PG_DB")  # fmt: skip


def ingest_job() -> dg.JobDefinition:
    """Module-level job factory: every step process of the multiprocess executor rebuilds it."""
    from dagster_project.definitions import defs

    return defs().resolve_job_def("ingest_job")


def load_yaml(name: str) -> dict:
    return yaml.safe_load((DEPLOY_DIR / name).read_text())


@pytest.fixture
def dagster_storage_url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scratch database for Dagster's tables, exported through the PERF_DAGSTER_PG_* variables."""
    url = create_scratch_database(server_url, "perf_dagster")
    params = connection_params(url)
    if params.host.startswith("/"):
        # A unix socket directory (the embedded server) is no host name: libpq takes it from PGHOST.
        monkeypatch.setenv("PGHOST", params.host)
        host = ""
    else:
        host = params.host
    values = (host, str(params.port), params.user, params.password, params.dbname)
    for name, value in zip(PG_ENV, values, strict=True):
        monkeypatch.setenv(name, value)
    yield url
    # By name, not by the URL's last path segment: an embedded server's URL ends in ?host=/socket/dir.
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database_name(url)))
        )


@pytest.fixture
def instance(dagster_storage_url: str, tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_DIR / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def test_instance_config_reads_every_connection_setting_from_the_environment():
    config = load_yaml("dagster.yaml")
    db = config["storage"]["postgres"]["postgres_db"]
    assert {key: value["env"] for key, value in db.items()} == {
        "hostname": "PERF_DAGSTER_PG_HOST",
        "port": "PERF_DAGSTER_PG_PORT",
        "username": "PERF_DAGSTER_PG_USER",
        "password": "PERF_DAGSTER_PG_PASSWORD",
        "db_name": "PERF_DAGSTER_PG_DB",
    }
    assert config["concurrency"]["pools"]["default_limit"] == 1
    run_config = load_yaml("run_config.yaml")
    assert set(run_config["execution"]["config"]) == {"multiprocess"}
    assert run_config["execution"]["config"]["multiprocess"]["max_concurrent"] >= 2


def test_workspace_config_is_valid_and_names_the_code_server_from_the_environment(monkeypatch):
    from dagster._core.workspace.config_schema import ensure_workspace_config

    monkeypatch.setenv("PERF_CODE_SERVER_HOST", "worker-1")
    monkeypatch.setenv("PERF_CODE_SERVER_PORT", "4000")
    config = ensure_workspace_config(load_yaml("workspace.yaml"), str(DEPLOY_DIR / "workspace.yaml"))
    [location] = config["load_from"]
    assert location["grpc_server"] == {
        "host": "worker-1",
        "port": 4000,
        "location_name": "content_performance_warehouse",
    }


def test_instance_from_the_deploy_config_uses_postgres_and_one_slot_per_pool(instance, dagster_storage_url):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
    concurrency = instance.get_concurrency_config()
    assert concurrency.pool_config.default_pool_limit == 1
    assert concurrency.run_queue_config.max_concurrent_runs == 4
    # The tables were created in the scratch database named by the environment, not elsewhere.
    with psycopg.connect(dagster_storage_url) as conn:
        tables = {
            row[0] for row in conn.execute("select tablename from pg_tables where schemaname = 'public'")
        }
    assert {"runs", "event_logs", "jobs", "concurrency_limits"} <= tables


@pytest.mark.slow
def test_ingest_job_runs_with_the_multiprocess_executor_into_the_postgres_storage(
    instance, dagster_storage_url, settings, monkeypatch
):
    warehouse_url = settings.DATABASE_URL.get_secret_value()
    monkeypatch.setenv("DATABASE_URL", warehouse_url)
    monkeypatch.setenv("LANDING_DIR", str(settings.LANDING_DIR))
    rows = [snapshot(f"yt-{i}", captured_at=f"{DAY}T10:00:00+00:00", title=f"t{i}") for i in range(6)]
    write_csv(settings.LANDING_DIR, "youtube", [*rows, snapshot("bad", platform="myspace")], day=DAY)

    result = dg.execute_job(
        dg.reconstructable(ingest_job),
        instance=instance,
        run_config=load_yaml("run_config.yaml"),
        tags={"dagster/partition": DAY.isoformat()},
    )

    assert result.success
    run_id = result.run_id
    step_pids = {
        e.step_key: e.pid for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START
    }
    assert "raw_engagement_snapshots" in step_pids
    # Every step ran in a process of its own (the job also carries the freshness check step).
    assert os.getpid() not in step_pids.values()
    assert len(set(step_pids.values())) == len(step_pids)
    with connect(warehouse_url) as conn:
        assert conn.execute("select count(*) from raw.engagement_snapshots").fetchone()[0] == 6
        assert conn.execute("select count(*) from raw.rejected_snapshots").fetchone()[0] == 1

    with psycopg.connect(dagster_storage_url) as conn:
        status, job_name = conn.execute(
            "select status, pipeline_name from runs where run_id = %s", (run_id,)
        ).fetchone()
        event_types = {
            row[0]
            for row in conn.execute("select dagster_event_type from event_logs where run_id = %s", (run_id,))
        }
        materialized = conn.execute(
            "select count(*) from event_logs where run_id = %s "
            "and dagster_event_type = 'ASSET_MATERIALIZATION' and partition = %s",
            (run_id, DAY.isoformat()),
        ).fetchone()[0]
        pool_slots = conn.execute(
            "select count(*) from concurrency_slots where concurrency_key = 'raw_ingest'"
        ).fetchone()[0]
    assert (status, job_name) == ("SUCCESS", "ingest_job")
    expected = ("RUN_START", "STEP_WORKER_STARTING", "STEP_START", "STEP_SUCCESS", "RUN_SUCCESS")
    assert {dg.DagsterEventType[name].value for name in expected} <= event_types
    assert materialized == 3  # raw snapshots, content and quarantine, for that day
    assert pool_slots == 1  # the step's pool was created with the instance's default limit
