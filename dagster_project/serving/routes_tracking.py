"""Endpoints: track, batch-track.

Both judge records with the landing files' rules (:mod:`dagster_project.serving.tracking`) and
write to the caller's workspace only.

- ``POST /analytics/engagement/track``: 201 with the stored snapshot, or 422 whose ``detail``
  names the field and the reason (the record is kept in quarantine).  A body that is not a
  track record at all gets FastAPI's own 422.
- ``POST /analytics/engagement/batch-track``: 200 whenever the records could be judged, even if
  some or all were rejected: the body accounts for each (``received = accepted + rejected``,
  ``errors`` with index, field and reason).  Partial acceptance is the normal case of a batch,
  so it is reported in the body rather than with 207 Multi-Status (WebDAV's status, whose
  XML body clients would not expect).  422 only when the body is not a list of records or
  holds more than ``MAX_BATCH_RECORDS``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from dagster_project.ingest.schema import COUNTER_FIELDS, METADATA_FIELDS, RATE_FIELDS
from dagster_project.serving.deps import ApiCaller, ApiConnection, Caller, Now
from dagster_project.serving.models_tracking import (
    BatchTrackRequest,
    BatchTrackResponse,
    RecordError,
    RejectionDetail,
    SnapshotRef,
    TrackRejected,
    TrackRequest,
    TrackResponse,
)
from dagster_project.serving.responses import UNAUTHORISED, UNREADABLE_BODY
from dagster_project.serving.tracking import TrackedSnapshot, TrackOutcome, track_records

router = APIRouter(prefix="/analytics", tags=["tracking"], responses={**UNAUTHORISED, **UNREADABLE_BODY})


def _snapshot_ref(snapshot: TrackedSnapshot) -> SnapshotRef:
    return SnapshotRef(
        index=snapshot.index,
        snapshot_id=snapshot.snapshot_id,
        platform=snapshot.platform,
        content_id=snapshot.content_id,
        captured_at=snapshot.captured_at,
    )


def _location(field: str | None) -> list[str | int]:
    """Where a field sits in a track request body (FastAPI's ``loc`` convention)."""
    if field in (*COUNTER_FIELDS, *RATE_FIELDS):
        return ["body", "metrics", field]
    if field in METADATA_FIELDS:
        return ["body", "metadata", field]
    return ["body"] if field in (None, "record") else ["body", field]


def _track(
    request: Request, conn: psycopg.Connection, caller: Caller, records: list[Any], now: dt.datetime
) -> TrackOutcome:
    return track_records(
        conn,
        records,
        workspace_id=caller.workspace_id,
        key_id=caller.key_id,
        settings=request.app.state.settings,
        now=now,
    )


@router.post(
    "/engagement/track",
    status_code=status.HTTP_201_CREATED,
    response_model=TrackResponse,
    responses={422: {"model": TrackRejected, "description": "The record broke a rule (quarantined)."}},
    summary="Track one engagement snapshot",
)
def track(
    body: TrackRequest, request: Request, conn: ApiConnection, caller: ApiCaller, now: Now
) -> TrackResponse | JSONResponse:
    outcome = _track(request, conn, caller, [body.record()], now)
    if outcome.rejected:
        errors = [
            RejectionDetail(
                loc=_location(e.field), msg=e.reason, type="rejected", index=0, field=e.field, reason=e.reason
            )
            for e in outcome.rejected
        ]
        rejected = TrackRejected(detail=errors, request_id=outcome.request_id)
        return JSONResponse(rejected.model_dump(mode="json"), status_code=422)
    return TrackResponse(
        request_id=outcome.request_id,
        workspace_id=outcome.workspace_id,
        snapshot=_snapshot_ref(outcome.accepted[0]),
    )


@router.post(
    "/engagement/batch-track",
    response_model=BatchTrackResponse,
    summary="Track many engagement snapshots; each record accepted or rejected on its own",
)
def batch_track(
    body: BatchTrackRequest, request: Request, conn: ApiConnection, caller: ApiCaller, now: Now
) -> BatchTrackResponse:
    outcome = _track(request, conn, caller, body.records, now)
    return BatchTrackResponse(
        request_id=outcome.request_id,
        workspace_id=outcome.workspace_id,
        received=outcome.received,
        accepted=len(outcome.accepted),
        rejected=len(outcome.rejected),
        snapshots=[_snapshot_ref(s) for s in outcome.accepted],
        errors=[RecordError(index=e.index, field=e.field, reason=e.reason) for e in outcome.rejected],
    )
