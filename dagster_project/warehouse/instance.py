"""The Dagster instance: run, event and schedule storage on the warehouse's Postgres server.

``prepare_dagster_home`` writes ``<DATA_DIR>/dagster_home/dagster.yaml`` pointing at a
``dagster`` database beside the warehouse and sets ``DAGSTER_HOME``, so the CLI, the demo and
``dagster dev`` share one history that survives restarts.  With an external DATABASE_URL the
file references the environment variable ``DAGSTER_PG_URL`` instead of holding credentials.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_project.config import AnalyticsSettings, get_settings
from dagster_project.warehouse.database import dagster_storage_url, resolve_database_url

STORAGE_ENV = "DAGSTER_PG_URL"

_TEMPLATE = """\
# Written by perf-analytics; regenerate with `perf-analytics dev --print-env`.
storage:
  postgres:
    postgres_url: {postgres_url}
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def prepare_dagster_home(settings: AnalyticsSettings | None = None) -> Path:
    """Write the instance config for the current database and export DAGSTER_HOME."""
    settings = settings or get_settings()
    storage_url = dagster_storage_url(resolve_database_url(settings))
    home = settings.DATA_DIR / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if settings.embedded:
        postgres_url = f'"{storage_url}"'
    else:
        postgres_url = f"{{env: {STORAGE_ENV}}}"
        os.environ[STORAGE_ENV] = storage_url
    config = _TEMPLATE.format(postgres_url=postgres_url)
    path = home / "dagster.yaml"
    if not path.exists() or path.read_text() != config:
        path.write_text(config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
