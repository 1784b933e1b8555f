"""Child process of the failure-recovery tests: run a job over a day range as the CLI does.

``python -m tests.operations.recovery_child JOB START END`` prepares the Dagster home (on the
warehouse's server, from DATABASE_URL / DATA_DIR), then calls :func:`dagster_project.runs.run_range`
with the persistent instance, exactly like ``perf-analytics ingest`` / ``pipeline``. Besides the
project's jobs it knows ``warehouse_job``: the dbt assets alone (seeds and staging, the daily
incremental models, the marts), so a test can kill a dbt build without re-running the ingestion.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys

import dagster as dg

from dagster_project.runs import load_definitions, run_range
from dagster_project.warehouse.dbt import prepare_manifest
from dagster_project.warehouse.instance import prepare_dagster_home

WAREHOUSE_JOB = dg.define_asset_job("warehouse_job", selection=dg.AssetSelection.groups("warehouse"))


def main(job_name: str, start: str, end: str) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    prepare_dagster_home()
    prepare_manifest()
    definitions = dg.Definitions.merge(load_definitions(), dg.Definitions(jobs=[WAREHOUSE_JOB]))
    with dg.DagsterInstance.get() as instance:
        for result in run_range(
            job_name,
            dt.date.fromisoformat(start),
            dt.date.fromisoformat(end),
            instance=instance,
            definitions=definitions,
        ):
            print(f"run {result.run_id} {job_name} {start}..{end}: ok", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
