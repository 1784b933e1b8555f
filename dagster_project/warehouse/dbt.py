"""Running dbt against the warehouse the app is configured for.

``profiles.yml`` reads ``PERF_DBT_*`` variables; :func:`dbt_env` derives them from the same
URL the app uses (DATABASE_URL or the embedded server's socket), so dbt, Dagster and the CLI
always talk to one database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.warehouse.database import connection_params
from dagster_project.warehouse.locks import exclusive_file_lock

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
# A test runs with the selection that builds the last of its parents, never before them.
INDIRECT_SELECTION = "buildable"


def dbt_executable() -> str:
    """The ``dbt`` next to the running interpreter (works without the venv on PATH)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env(url: str) -> dict[str, str]:
    """Environment variables that point ``profiles.yml`` at ``url``."""
    params = connection_params(url)
    return {
        "PERF_DBT_HOST": params.host,
        "PERF_DBT_PORT": str(params.port),
        "PERF_DBT_USER": params.user,
        "PERF_DBT_PASSWORD": params.password,
        "PERF_DBT_DBNAME": params.dbname,
    }


def window_vars(start: dt.date, end_exclusive: dt.date, extra: Mapping[str, object] | None = None) -> str:
    """``--vars`` JSON for a half-open window of metric dates [start, end_exclusive)."""
    return json.dumps({"min_date": start.isoformat(), "max_date": end_exclusive.isoformat(), **(extra or {})})


def run_dbt(url: str, args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` in the project against ``url`` (tests, CLI, benchmarks).

    Each process gets its own target and log folders, so concurrent test workers and a
    running Dagster never overwrite each other's artifacts.
    """
    scratch = DBT_PROJECT_DIR / "target" / f"run-{os.getpid()}"
    env = {
        **os.environ,
        **dbt_env(url),
        "DBT_TARGET_PATH": str(scratch),
        "DBT_LOG_PATH": str(scratch / "logs"),
        "DBT_INDIRECT_SELECTION": INDIRECT_SELECTION,
    }
    command = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
               str(DBT_PROJECT_DIR)]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return result


def prepare_manifest(force: bool = False) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than a project file.

    Dagster's dbt assets read ``target/manifest.json`` when the definitions load, so the
    CLI, the tests and ``perf-analytics dev`` call this first (never at import).
    """
    with exclusive_file_lock(MANIFEST_PATH.parent / ".parse.lock"):  # pytest workers start together
        if force or _manifest_stale():
            _parse()
    return MANIFEST_PATH


def _parse() -> None:
    env = {**os.environ, **_parse_env()}
    command = [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR)]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")


def _parse_env() -> dict[str, str]:
    """Parsing renders the profile but never connects: placeholders are enough."""
    defaults = {"PERF_DBT_HOST": "localhost", "PERF_DBT_USER": "postgres", "PERF_DBT_DBNAME": "warehouse"}
    return {key: os.environ.get(key, value) for key, value in defaults.items()}


def _manifest_stale() -> bool:
    if not MANIFEST_PATH.exists():
        return True
    built = MANIFEST_PATH.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return any(path.stat().st_mtime > built for path in sources)


class InProcessDbt:
    """Repeated dbt invocations in this process (tests, benchmarks): one import, one target.

    Saves the ~2 s start-up of a dbt process per call; the profile variables are exported to
    this process's environment, so use it only where nothing else depends on them.
    """

    def __init__(self, url: str) -> None:
        from dbt.cli.main import dbtRunner

        self._scratch = DBT_PROJECT_DIR / "target" / f"inproc-{os.getpid()}"
        os.environ.update(dbt_env(url))
        os.environ["DBT_TARGET_PATH"] = str(self._scratch)
        os.environ["DBT_LOG_PATH"] = str(self._scratch / "logs")
        os.environ["DBT_INDIRECT_SELECTION"] = INDIRECT_SELECTION
        self._runner = dbtRunner()

    def __call__(self, *args: str) -> None:
        common = ["--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        result = self._runner.invoke([*args, *common])
        if not result.success:
            failures = [
                f"{node.node.name}: {node.status} {node.message}"
                for node in getattr(result.result, "results", None) or []
                if str(node.status) in {"error", "fail"}
            ]
            raise RuntimeError(f"dbt {' '.join(args)} failed: {result.exception or '; '.join(failures)}")
