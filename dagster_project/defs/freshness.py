"""Freshness of the daily assets: yesterday's partition is expected some hours after the schedule.

Partition-aware checks (``build_time_partition_freshness_checks``): a check fails when the
latest complete day's partition has not been materialised by the deadline, whatever else was
backfilled. A sensor evaluates them, so stale data shows on the asset pages and in the checks.
Dagster 1.12+ suggests asset FreshnessPolicy objects instead, but those judge an asset by its
last materialisation of any partition (a backfill of an old day would look fresh) and are still
in preview behind an instance flag; these checks judge the partition that matters.
"""

import dagster as dg

from dagster_project.config import get_settings
from dagster_project.defs.analytics.assets import CORRELATIONS
from dagster_project.defs.analytics.trend_assets import TRENDS
from dagster_project.defs.ingest.assets import SNAPSHOTS

HISTORY = dg.AssetKey(["marts", "content_performance_history"])
FRESH_ASSETS = (SNAPSHOTS, HISTORY, CORRELATIONS, TRENDS)
FRESHNESS_CHECK = "freshness_check"
# The jobs leave these out: the sensor evaluates them against the clock, not the run's partitions.
FRESHNESS_CHECKS = dg.AssetSelection.checks(*(dg.AssetCheckKey(key, FRESHNESS_CHECK) for key in FRESH_ASSETS))
HOURS_AFTER_SCHEDULE = 4  # the daily run takes minutes; four hours leaves room for retries and backfills


@dg.definitions
def freshness() -> dg.Definitions:
    deadline_hour = (get_settings().DAILY_SCHEDULE_HOUR + HOURS_AFTER_SCHEDULE) % 24
    checks = dg.build_time_partition_freshness_checks(
        assets=list(FRESH_ASSETS),
        deadline_cron=f"0 {deadline_hour} * * *",
        timezone="UTC",
    )
    sensor = dg.build_sensor_for_freshness_checks(freshness_checks=checks, name="freshness_checks_sensor")
    return dg.Definitions(asset_checks=checks, sensors=[sensor])
