"""The one daily partitioning shared by every partitioned asset (UTC days)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
from dagster import AssetExecutionContext

PARTITIONS_START_DATE = "2025-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START_DATE, timezone="UTC")


def partition_days(context: AssetExecutionContext) -> list[dt.date]:
    """The days of the run's partition or partition range, in order."""
    return [dt.date.fromisoformat(key) for key in context.partition_keys]
