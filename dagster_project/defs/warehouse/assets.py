"""dbt models as assets: reference data, the day-partitioned incremental models, the marts.

Three invocations keep the graph acyclic and the partitioning honest:
- ``warehouse_reference``: seeds and staging views (unpartitioned, cheap);
- ``warehouse_daily``: incremental models, partitioned by day; a run over a partition range
  is one ``dbt build`` whose window is the range pulled back by the late-arrival lookback;
- ``warehouse_marts``: full-rebuild marts, materialized views (refreshed concurrently) and the
  BI views, after the daily models.
"""

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject, dbt_assets

from dagster_project.config import DBT_PROJECT_DIR, get_settings
from dagster_project.defs.partitions import daily_partitions
from dagster_project.defs.resources import PostgresResource
from dagster_project.defs.warehouse.translator import WarehouseTranslator
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import INDIRECT_SELECTION, MANIFEST_PATH, dbt_env, window_vars
from dagster_project.warehouse.generations import bump_generations

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
TRANSLATOR = WarehouseTranslator()

REFERENCE_SELECT = "resource_type:seed path:models/staging"
DAILY_SELECT = "config.materialized:incremental"


def daily_window(context: AssetExecutionContext, lookback_days: int) -> tuple[dt.date, dt.date]:
    """[start, end) of metric dates for the run: the partition range, pulled back by the lookback
    so late snapshots of the previous days are folded in."""
    window = context.partition_time_window
    return window.start.date() - dt.timedelta(days=lookback_days), window.end.date()


def dbt_vars(start: dt.date, end: dt.date) -> str:
    settings = get_settings()
    return window_vars(
        start,
        end,
        {
            "low_performance_threshold": settings.LOW_PERFORMANCE_THRESHOLD,
            "high_performance_threshold": settings.HIGH_PERFORMANCE_THRESHOLD,
        },
    )


def _stream(invocation: DbtCliInvocation) -> Iterator[Any]:
    """Yield dbt's events, then remove the invocation's target folder (~1.4 MB each)."""
    try:
        yield from invocation.stream()
    finally:
        shutil.rmtree(invocation.target_path, ignore_errors=True)


def _build(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: PostgresResource, args: list[str]
) -> Iterator[Any]:
    os.environ.update(dbt_env(warehouse.url()))
    built: list[str] = []
    try:
        # A test runs in the step that builds the last of its parents (a relationships test of the
        # history against a seed belongs to the history's step, not the seed's).
        for event in _stream(
            dbt.cli(["build", "--indirect-selection", INDIRECT_SELECTION, *args], context=context)
        ):
            if isinstance(event, dg.Output):
                built.append(".".join(context.asset_key_for_output(event.output_name).path))
            yield event
    finally:
        # Models built before a failure changed too: serving caches of every built model recompute.
        if built:
            with connect(warehouse.url()) as conn:
                bump_generations(conn, built)
            context.log.info(f"bumped the generations of {len(built)} relations for serving caches")


@dbt_assets(
    manifest=MANIFEST_PATH,
    project=dbt_project,
    select=REFERENCE_SELECT,
    name="warehouse_reference",
    dagster_dbt_translator=TRANSLATOR,
    pool="dbt",
)
def warehouse_reference(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: PostgresResource):
    """Seeds (platforms, metric registry) and staging views over the raw tables."""
    yield from _build(context, dbt, warehouse, ["--vars", dbt_vars(dt.date(2000, 1, 1), dt.date(2100, 1, 1))])


@dbt_assets(
    manifest=MANIFEST_PATH,
    project=dbt_project,
    select=DAILY_SELECT,
    name="warehouse_daily",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=TRANSLATOR,
    pool="dbt",
)
def warehouse_daily(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: PostgresResource):
    """Incremental day models; one dbt invocation for the whole partition range."""
    start, end = daily_window(context, get_settings().LATE_ARRIVAL_DAYS)
    context.log.info(f"building metric dates {start} .. {end - dt.timedelta(days=1)}")
    yield from _build(context, dbt, warehouse, ["--vars", dbt_vars(start, end)])


@dbt_assets(
    manifest=MANIFEST_PATH,
    project=dbt_project,
    exclude=f"{REFERENCE_SELECT} {DAILY_SELECT}",
    name="warehouse_marts",
    dagster_dbt_translator=TRANSLATOR,
    pool="dbt",
)
def warehouse_marts(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: PostgresResource):
    """Full-rebuild marts, materialized views (refreshed concurrently) and BI views."""
    yield from _build(context, dbt, warehouse, ["--vars", dbt_vars(dt.date(2000, 1, 1), dt.date(2100, 1, 1))])
