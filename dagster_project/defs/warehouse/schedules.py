"""The daily pipeline job (ingestion + warehouse) and its schedule."""

import dagster as dg

from dagster_project.config import get_settings
from dagster_project.defs.freshness import FRESHNESS_CHECKS

daily_pipeline_job = dg.define_asset_job(
    "daily_pipeline_job",
    selection=dg.AssetSelection.groups("ingest", "warehouse", "analytics", "trends", "insights")
    - FRESHNESS_CHECKS,
    description=(
        "Ingest landing days, build the warehouse, run the analyses and draw the optimisation insights "
        "for the same partition range."
    ),
)

history_backfill_job = dg.define_asset_job(
    "history_backfill_job",
    selection=dg.AssetSelection.groups("ingest", "warehouse", "analytics") - FRESHNESS_CHECKS,
    description=(
        "The daily pipeline without the time-series analyses (trends, forecasts, anomalies of every "
        "series, a few seconds per day) and the insights that need them: for loading long histories; "
        "run trends_job (trends, then insights) on the days to look at."
    ),
)


@dg.definitions
def schedules() -> dg.Definitions:
    """Yesterday's partition at DAILY_SCHEDULE_HOUR (UTC), read when the definitions load."""
    schedule = dg.build_schedule_from_partitioned_job(
        daily_pipeline_job,
        name="daily_refresh_schedule",
        hour_of_day=get_settings().DAILY_SCHEDULE_HOUR,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return dg.Definitions(jobs=[daily_pipeline_job, history_backfill_job], schedules=[schedule])
