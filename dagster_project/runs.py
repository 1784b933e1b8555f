"""Launch jobs in-process over a partition range (one run per range, as a single-run backfill).

Each run is tagged with the host and process that executes it.  A process killed mid-run
(``kill -9``, OOM, a lost container) leaves its run STARTED and keeps the concurrency slots its
steps held in the instance (the ``dbt`` pool has one slot), so every later run would wait for
them forever: :func:`release_orphaned_runs`, called before launching, marks such runs failed and
frees their slots.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Iterator

import dagster as dg

log = logging.getLogger(__name__)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
HOST_TAG = "perf-analytics/host"
PID_TAG = "perf-analytics/pid"
UNFINISHED_STATUSES = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
# Runs still log everything to the instance (the UI shows it); the console only gets warnings.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def day_chunks(start: dt.date, end: dt.date, size: int) -> Iterator[tuple[dt.date, dt.date]]:
    """Inclusive [start, end] split into consecutive inclusive ranges of ``size`` days."""
    current = start
    while current <= end:
        last = min(current + dt.timedelta(days=size - 1), end)
        yield current, last
        current = last + dt.timedelta(days=1)


def load_definitions() -> dg.Definitions:
    from dagster_project.definitions import defs

    return defs()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the unfinished runs launched on this host by a process that no longer exists,
    and free the concurrency slots they held; returns their run ids."""
    host = socket.gethostname()
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED_STATUSES, tags={HOST_TAG: host}))
    released = []
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or _process_alive(int(pid)):
            continue
        message = (
            f"process {pid} on {host} ended without finishing this run (killed or crashed); "
            "marked failed and its concurrency slots freed by the next perf-analytics run"
        )
        instance.report_run_failed(run, message=message)
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        log.warning("run %s of %s: %s", run.run_id, run.job_name, message)
        released.append(run.run_id)
    return released


def run_range(
    job_name: str,
    start: dt.date,
    end: dt.date,
    *,
    instance: dg.DagsterInstance,
    definitions: dg.Definitions | None = None,
    chunk_days: int = 10,
    on_chunk: Callable[[dt.date, dt.date, dg.ExecuteInProcessResult], None] | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Run ``job_name`` in-process for every day in [start, end], ``chunk_days`` per run."""
    definitions = definitions or load_definitions()
    job = definitions.resolve_job_def(job_name)
    release_orphaned_runs(instance)
    launcher = {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    results = []
    for first, last in day_chunks(start, end, chunk_days):
        tags = {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat(), **launcher}
        result = job.execute_in_process(
            instance=instance, tags=tags, raise_on_error=True, run_config=QUIET_CONSOLE
        )
        results.append(result)
        if on_chunk:
            on_chunk(first, last, result)
    return results
