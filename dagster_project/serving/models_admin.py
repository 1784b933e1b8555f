"""Response and request models of health, system status and the admin endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from dagster_project.serving.recalculation import DEFAULT_JOB


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["reachable", "unreachable"]
    latency_ms: float | None = Field(description="Round trip of `select 1`, opening the connection included.")


class Versions(BaseModel):
    api: str
    python: str
    postgres: str
    schema_revision: str | None = Field(description="Alembic revision of the warehouse schema.")
    dagster: str
    dbt: str
    fastapi: str


class DatabaseStatus(BaseModel):
    reachable: bool
    latency_ms: float
    database: str


class TableCount(BaseModel):
    relation: str
    rows: int | None = Field(
        description="Rows of the caller's workspace; null when the relation is not built yet."
    )


class SnapshotPartition(BaseModel):
    partition: str
    day: dt.date


class CacheStatus(BaseModel):
    backend: str
    ttl_seconds: int
    size: int
    hits: int
    misses: int
    stale: int = 0
    errors: int = 0
    hit_ratio: float | None = Field(description="hits / (hits + misses); null before the first lookup.")


class SystemStatus(BaseModel):
    """What the API runs on and what the caller's workspace holds."""

    workspace_id: str
    versions: Versions
    database: DatabaseStatus
    row_counts: list[TableCount]
    latest_partitions: list[SnapshotPartition] = Field(description="Newest raw snapshot day partitions.")
    latest_ingest_date: dt.date | None = Field(description="Newest landing day ingested for the workspace.")
    cache: CacheStatus | None = Field(description="Read cache counters; null when no cache is configured.")


class RemovedData(BaseModel):
    table_or_partition: str
    kind: str = Field(description="raw_partition, ingest_log, history, results or rejected")
    rows: int
    cutoff: dt.date


class CleanupResponse(BaseModel):
    """What retention removed, warehouse-wide (every workspace), as of ``today``."""

    today: dt.date
    cutoffs: dict[str, dt.date] = Field(description="Oldest day kept per data class.")
    removed: list[RemovedData]
    rows_removed: int


class RecalculateRequest(BaseModel):
    start_date: dt.date
    end_date: dt.date = Field(description="Inclusive; a finished UTC day.")
    job_name: str = Field(
        default=DEFAULT_JOB,
        description="A partitioned job: daily_pipeline_job, history_backfill_job, ingest_job, "
        "analytics_job or trends_job.",
    )


class RecalculateResponse(BaseModel):
    """The backfill recorded on the Dagster instance; its daemon runs it."""

    backfill_id: str
    job_name: str
    start_date: dt.date
    end_date: dt.date
    partitions: int
    assets: list[str]
