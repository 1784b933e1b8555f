"""Launch jobs in-process over a partition range (one run per range, as a single-run backfill)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import dagster as dg

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
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
    results = []
    for first, last in day_chunks(start, end, chunk_days):
        tags = {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
        result = job.execute_in_process(
            instance=instance, tags=tags, raise_on_error=True, run_config=QUIET_CONSOLE
        )
        results.append(result)
        if on_chunk:
            on_chunk(first, last, result)
    return results
