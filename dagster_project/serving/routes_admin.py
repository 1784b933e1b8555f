"""Endpoints: health, system status, admin cleanup and recalculate.

- ``GET /analytics/health`` (no key): 200 when the warehouse answers, 503 when it does not.
- ``GET /analytics/system/status`` (any key): versions, database, the caller's workspace's row
  counts (through its row-level security), newest partitions, read-cache counters.
- ``DELETE /analytics/admin/cleanup`` (admin key): applies the configured retention now,
  warehouse-wide, and returns what it removed.  It detaches partitions, so the API's login needs
  the warehouse owner's privileges (otherwise 503: leave retention to ``retention_sensor``).
- ``POST /analytics/admin/recalculate`` (admin key): records a Dagster backfill of a partitioned
  job's assets for a date range and returns its id (202); the daemon runs it.
"""

from __future__ import annotations

import logging
import platform
import time
from importlib import metadata
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from psycopg import sql

from dagster_project.serving.deps import AdminCaller, ApiCaller, ApiConnection, Now, workspace_scope
from dagster_project.serving.models_admin import (
    CacheStatus,
    CleanupResponse,
    DatabaseStatus,
    Health,
    RecalculateRequest,
    RecalculateResponse,
    RemovedData,
    SnapshotPartition,
    SystemStatus,
    TableCount,
    Versions,
)
from dagster_project.serving.recalculation import RecalculationError, request_recalculation
from dagster_project.serving.responses import FORBIDDEN, UNAUTHORISED, UNREADABLE_BODY
from dagster_project.warehouse.retention import RetentionPolicy, apply_retention, read_partitions

log = logging.getLogger(__name__)

router = APIRouter(prefix="/analytics", tags=["system"])

#: Relations whose rows system status counts (those not built yet are reported as null).
COUNTED_RELATIONS = (
    ("raw", "engagement_snapshots"),
    ("raw", "content"),
    ("raw", "rejected_snapshots"),
    ("marts", "content_performance_history"),
    ("analytics", "trend_analysis_results"),
    ("analytics", "optimization_insights"),
)
LATEST_PARTITIONS = 3


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The warehouse does not answer."}},
    summary="Is the API up and its database reachable (no key needed)",
)
def health(request: Request) -> Health | JSONResponse:
    started = time.perf_counter()
    try:
        with request.app.state.connections.connect() as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as error:
        # The error class only: libpq messages can name hosts and users.
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        down = Health(status="unavailable", database="unreachable", latency_ms=None)
        return JSONResponse(down.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return Health(status="ok", database="reachable", latency_ms=(time.perf_counter() - started) * 1000)


def _row_counts(conn: psycopg.Connection) -> list[TableCount]:
    counts = []
    for schema, table in COUNTED_RELATIONS:
        name = f"{schema}.{table}"
        exists = conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]
        rows = None
        if exists:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
            rows = conn.execute(query).fetchone()[0]
        counts.append(TableCount(relation=name, rows=rows))
    return counts


def _cache_status(request: Request) -> CacheStatus | None:
    cache = getattr(request.app.state, "cache", None)
    return None if cache is None else CacheStatus.model_validate(cache.stats(), from_attributes=True)


@router.get(
    "/system/status",
    response_model=SystemStatus,
    responses=UNAUTHORISED,
    summary="Versions, database, row counts, cache",
)
def system_status(request: Request, conn: ApiConnection, caller: ApiCaller) -> SystemStatus:
    started = time.perf_counter()
    server, database = conn.execute("select current_setting('server_version'), current_database()").fetchone()
    latency = (time.perf_counter() - started) * 1000
    revision = conn.execute("select max(version_num) from alembic_version").fetchone()[0]
    partitions = sorted((p for p in read_partitions(conn) if p.lower), key=lambda p: p.lower, reverse=True)
    with workspace_scope(conn, caller.workspace_id):
        counts = _row_counts(conn)
        latest_ingest = conn.execute("select max(ingest_date) from raw.ingest_log").fetchone()[0]
    return SystemStatus(
        workspace_id=caller.workspace_id,
        versions=Versions(
            api=request.app.version,
            python=platform.python_version(),
            postgres=server,
            schema_revision=revision,
            dagster=_version("dagster"),
            dbt=_version("dbt-core"),
            fastapi=_version("fastapi"),
        ),
        database=DatabaseStatus(reachable=True, latency_ms=latency, database=database),
        row_counts=counts,
        latest_partitions=[
            SnapshotPartition(partition=p.qualified, day=p.lower.date())
            for p in partitions[:LATEST_PARTITIONS]
        ],
        latest_ingest_date=latest_ingest,
        cache=_cache_status(request),
    )


@router.delete(
    "/admin/cleanup",
    response_model=CleanupResponse,
    responses={
        **UNAUTHORISED,
        **FORBIDDEN,
        503: {"description": "The API's login may not detach partitions (not the owner)."},
    },
    summary="Apply the retention windows now (admin)",
)
def cleanup(request: Request, caller: AdminCaller, now: Now) -> CleanupResponse:
    settings = request.app.state.settings
    policy = RetentionPolicy.from_settings(settings)
    today = now.date()
    try:
        removals = apply_retention(request.app.state.connections.url, today, policy)
    except psycopg.errors.InsufficientPrivilege as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "retention needs the warehouse owner's privileges; the API's login lacks them "
            "(retention_sensor runs it daily)",
        ) from error
    rows = sum(r.rows for r in removals)
    log.info("cleanup by key %s as of %s: %d removals, %d rows", caller.key_id, today, len(removals), rows)
    return CleanupResponse(
        today=today,
        cutoffs={name: policy.cutoff(name, today) for name in ("raw", "history", "results", "rejected")},
        removed=[
            RemovedData(table_or_partition=r.table_or_partition, kind=r.kind, rows=r.rows, cutoff=r.cutoff)
            for r in removals
        ],
        rows_removed=rows,
    )


def dagster_instance(request: Request) -> Any:
    """The Dagster instance of these settings (``DATA_DIR/dagster_home``), opened on first use."""
    state = request.app.state
    if getattr(state, "dagster_instance", None) is None:
        import dagster as dg

        from dagster_project.warehouse.instance import prepare_dagster_home

        prepare_dagster_home(state.settings)
        state.dagster_instance = dg.DagsterInstance.get()
    return state.dagster_instance


DagsterInstance = Annotated[Any, Depends(dagster_instance)]


@router.post(
    "/admin/recalculate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RecalculateResponse,
    responses={**UNAUTHORISED, **FORBIDDEN, **UNREADABLE_BODY},
    summary="Recalculate a date range: a Dagster backfill the daemon runs (admin)",
)
def recalculate(
    body: RecalculateRequest, caller: AdminCaller, now: Now, instance: DagsterInstance
) -> RecalculateResponse:
    try:
        launched = request_recalculation(
            instance,
            body.start_date,
            body.end_date,
            job_name=body.job_name,
            requested_by=f"api key {caller.key_id}",
            today=now.date(),
        )
    except RecalculationError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    log.info(
        "recalculation %s requested by key %s: %s for %s..%s (%d partitions)",
        launched.backfill_id,
        caller.key_id,
        launched.job_name,
        body.start_date,
        body.end_date,
        len(launched.partition_keys),
    )
    return RecalculateResponse(
        backfill_id=launched.backfill_id,
        job_name=launched.job_name,
        start_date=body.start_date,
        end_date=body.end_date,
        partitions=len(launched.partition_keys),
        assets=launched.asset_keys,
    )
