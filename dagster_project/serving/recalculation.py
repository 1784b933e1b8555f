"""Recalculate a date range: an asset backfill on the Dagster instance, run by its daemon.

The backfill targets the assets of one partitioned job (``daily_pipeline_job`` by default) for
the day partitions of [start, end]; every asset has ``BackfillPolicy.single_run()``, so the
daemon launches one run for the whole range (the same work ``perf-analytics pipeline --start
--end`` does in-process).  The API only records the request and returns the backfill id: the
work happens in the daemon, with the pipeline's credentials, and shows in the Dagster UI.

``PartitionBackfill`` is Dagster's own record (``dagster._core``; what the UI's "Materialize"
dialog creates through GraphQL): there is no public constructor for an asset backfill in 1.13.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # dagster is imported when a recalculation is requested, not with the API
    import dagster as dg

DEFAULT_JOB = "daily_pipeline_job"
REQUESTED_BY_TAG = "perf-analytics/requested-by"


class RecalculationError(ValueError):
    """A recalculation that cannot be requested as asked (unknown job, days out of range)."""


@dataclass(frozen=True)
class Recalculation:
    backfill_id: str
    job_name: str
    partition_keys: list[str]
    asset_keys: list[str]


@cache
def definitions() -> dg.Definitions:
    """The project's definitions, loaded once per process (the dbt manifest takes seconds)."""
    from dagster_project.runs import load_definitions

    return load_definitions()


def partitioned_jobs(defs: dg.Definitions) -> dict[str, dg.JobDefinition]:
    """Jobs over daily-partitioned assets, by name (Dagster's implicit asset job excluded)."""
    jobs = (defs.resolve_job_def(job.name) for job in defs.resolve_all_job_defs())
    return {
        job.name: job
        for job in jobs
        if job.partitions_def is not None
        and job.asset_layer.executable_asset_keys
        and not job.name.startswith("__")
    }


def request_recalculation(
    instance: dg.DagsterInstance,
    start: dt.date,
    end: dt.date,
    *,
    job_name: str = DEFAULT_JOB,
    requested_by: str,
    defs: dg.Definitions | None = None,
    today: dt.date | None = None,
) -> Recalculation:
    """Record a backfill of ``job_name``'s assets for [start, end] and return what it targets."""
    import dagster as dg
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.utils import make_new_backfill_id

    defs = defs or definitions()
    jobs = partitioned_jobs(defs)
    if job_name not in jobs:
        raise RecalculationError(f"unknown job {job_name!r}; one of: {', '.join(sorted(jobs))}")
    job = jobs[job_name]
    today = today or dt.datetime.now(dt.UTC).date()
    if start > end:
        raise RecalculationError(f"start {start} is after end {end}")
    if end >= today:
        raise RecalculationError(f"end {end} is not a finished day (today is {today} UTC)")
    first = job.partitions_def.get_first_partition_key()
    if first is None or start.isoformat() < first:
        raise RecalculationError(f"start {start} is before the first partition {first}")
    partition_keys = job.partitions_def.get_partition_keys_in_range(
        dg.PartitionKeyRange(start.isoformat(), end.isoformat())
    )
    asset_keys = sorted(job.asset_layer.executable_asset_keys)
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=make_new_backfill_id(),
        asset_graph=defs.resolve_asset_graph(),
        partition_names=partition_keys,
        asset_selection=asset_keys,
        backfill_timestamp=dt.datetime.now(dt.UTC).timestamp(),
        tags={REQUESTED_BY_TAG: requested_by},
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=f"Recalculate {job_name} {start}..{end}",
        description=f"Requested through the REST API by {requested_by}.",
        run_config=None,
    )
    instance.add_backfill(backfill)
    return Recalculation(
        backfill_id=backfill.backfill_id,
        job_name=job_name,
        partition_keys=list(partition_keys),
        asset_keys=[key.to_user_string() for key in asset_keys],
    )
