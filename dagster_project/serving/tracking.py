"""Track and batch-track: API records through the landing files' validation into the raw schema.

Each record is read like a JSON line of a landing file (:func:`flatten_record`: ``metrics`` and
``metadata`` flattened, seed aliases mapped, a nested value where a scalar belongs rejected) and
judged by :func:`validate_chunk` as a landing day received at the request's time: the same rules,
reasons and fields.  Accepted snapshots go to ``raw.engagement_snapshots`` (their metadata to
``raw.content``), rejects with their payload to ``raw.rejected_snapshots`` (source ``api``),
in one transaction as the pipeline's writer role.

Traceability: API rows carry ``source_file`` ``api:<key id>/<request id>`` and ``source_line``
= the record's index in the request; ``ingest_date`` is the UTC day they were received.  The
file loader never deletes them when it replaces a landing day.  The workspace is always the API
key's: a record naming another workspace is rejected.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.landing import flatten_record, records_frame
from dagster_project.ingest.loader import (
    SNAPSHOT_TABLE_COLUMNS,
    PublishedAtLookup,
    latest_metadata,
    upsert_content,
)
from dagster_project.ingest.validation import REJECT_COLUMNS, SeenKeys, ValidationContext, validate_chunk
from dagster_project.warehouse.bulk import copy_frame
from dagster_project.warehouse.generations import bump_generations

log = logging.getLogger(__name__)

API_SOURCE_PREFIX = "api:"
WRITTEN_RELATIONS = ("raw.engagement_snapshots", "raw.content", "raw.rejected_snapshots")
DUPLICATE_REASON = "captured_at: duplicate snapshot already loaded"

_INSERT_SNAPSHOT = sql.SQL(
    "insert into raw.engagement_snapshots ({columns}) values ({values}) "
    "on conflict do nothing returning source_line"
).format(
    columns=sql.SQL(", ").join(map(sql.Identifier, SNAPSHOT_TABLE_COLUMNS)),
    values=sql.SQL(", ").join(sql.Placeholder() * len(SNAPSHOT_TABLE_COLUMNS)),
)


@dataclass(frozen=True)
class TrackedSnapshot:
    index: int
    platform: str
    content_id: str
    captured_at: dt.datetime

    @property
    def snapshot_id(self) -> str:
        return f"{self.platform}:{self.content_id}:{self.captured_at.isoformat()}"


@dataclass(frozen=True)
class RejectedRecord:
    index: int
    field: str | None
    reason: str


@dataclass(frozen=True)
class TrackOutcome:
    """Every received record is in exactly one of ``accepted`` and ``rejected``."""

    request_id: str
    workspace_id: str
    received: int
    accepted: list[TrackedSnapshot]
    rejected: list[RejectedRecord]


# ----------------------------------------------------------------------------- pure: records -> frame


def _payload(record: Any) -> tuple[str, bool]:
    """The record as JSON text, and whether it is valid UTF-8 (no lone surrogates)."""
    text = json.dumps(record, ensure_ascii=False, allow_nan=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, allow_nan=True), False
    return text, True


def _raw_row(
    record: Any, index: int, workspace_id: str, source_file: str, now: dt.datetime
) -> dict[str, Any]:
    """One record as the validator's raw row (string values, or a parse reject)."""
    payload, readable = _payload(record)
    row: dict[str, Any] = {"_source_file": source_file, "_source_line": index, "_payload": payload}
    reason, field = None, "record"
    if not readable:
        reason = "wrong encoding: not valid UTF-8 (lone surrogate)"
    elif not isinstance(record, dict):
        reason = "malformed record: not an object"
    else:
        flat, wrong_type = flatten_record(record)
        given_workspace = (flat.get("workspace_id") or "").strip()
        if wrong_type:
            reason, field = f"{wrong_type}: wrong type (nested value)", wrong_type
        elif given_workspace and given_workspace != workspace_id:
            reason, field = "workspace_id: not the API key's workspace", "workspace_id"
        row.update(flat)
        row["workspace_id"] = workspace_id
        row.setdefault("captured_at", now.isoformat())
    if reason:
        row.update(_parse_reason=reason, _parse_field=field)
    return row


def records_to_frame(
    records: Sequence[Any], workspace_id: str, source_file: str, now: dt.datetime
) -> pd.DataFrame:
    """The raw chunk :func:`validate_chunk` reads: one row per record, ``_source_line`` = index."""
    return records_frame(
        [_raw_row(record, i, workspace_id, source_file, now) for i, record in enumerate(records)]
    )


# ----------------------------------------------------------------------------- I/O


@contextmanager
def _as_writer(conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    with conn.transaction():
        conn.execute("set local role perf_writer")
        yield conn


def track_records(
    conn: psycopg.Connection,
    records: Sequence[Any],
    *,
    workspace_id: str,
    key_id: str,
    settings: AnalyticsSettings,
    now: dt.datetime,
) -> TrackOutcome:
    """Validate ``records`` as received at ``now`` and store them (``conn`` in autocommit mode)."""
    request_id = uuid.uuid4().hex
    source_file = f"{API_SOURCE_PREFIX}{key_id}/{request_id}"
    day = now.astimezone(dt.UTC).date()
    context = ValidationContext.from_settings(settings, day, now, workspace_id)
    frame = records_to_frame(records, workspace_id, source_file, now)
    with _as_writer(conn):
        published = PublishedAtLookup(lambda: nullcontext(conn))
        result = validate_chunk(frame, context, SeenKeys(), published.lookup)
    accepted = result.accepted.assign(ingest_date=day)
    for partition_day in sorted(set(accepted["captured_at"].dt.date)):
        with _as_writer(conn):  # own short transaction: creating a partition locks the parent
            conn.execute("select raw.ensure_snapshot_partition(%s)", (partition_day,))
    with _as_writer(conn):
        inserted = _insert_snapshots(conn, accepted)
        stored = accepted[accepted["source_line"].isin(inserted)]
        duplicates = _duplicates(accepted[~accepted["source_line"].isin(inserted)], frame)
        rejected = pd.concat([result.rejected, duplicates], ignore_index=True)
        copy_frame(
            conn,
            "raw.rejected_snapshots",
            rejected.assign(ingest_date=day, source="api", request_id=request_id),
            [*REJECT_COLUMNS, "ingest_date", "source", "request_id"],
        )
        upsert_content(conn, [latest_metadata(stored)], day)
        bump_generations(conn, WRITTEN_RELATIONS)
    outcome = TrackOutcome(
        request_id=request_id,
        workspace_id=workspace_id,
        received=len(records),
        accepted=[
            TrackedSnapshot(int(r.source_line), r.platform, r.content_id, r.captured_at.to_pydatetime())
            for r in stored.itertuples(index=False)
        ],
        rejected=sorted(
            (
                RejectedRecord(int(r.source_line), r.field if isinstance(r.field, str) else None, r.reason)
                for r in rejected.itertuples(index=False)
            ),
            key=lambda r: r.index,
        ),
    )
    log.info(
        "track request %s (key %s, workspace %s): %d received, %d accepted, %d rejected",
        request_id,
        key_id,
        workspace_id,
        outcome.received,
        len(outcome.accepted),
        len(outcome.rejected),
    )
    return outcome


def _insert_snapshots(conn: psycopg.Connection, accepted: pd.DataFrame) -> set[int]:
    """Insert the rows; returns the indexes stored (the others' keys were already there)."""
    if accepted.empty:
        return set()
    columns = accepted[SNAPSHOT_TABLE_COLUMNS]
    values = columns.astype(object).where(columns.notna(), None)
    with conn.cursor() as cursor:
        cursor.executemany(_INSERT_SNAPSHOT, list(values.itertuples(index=False, name=None)), returning=True)
        stored: set[int] = set()
        while True:
            stored.update(row[0] for row in cursor.fetchall())
            if not cursor.nextset():
                return stored


def _duplicates(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Reject rows for accepted records whose snapshot key was already stored (earlier request,
    landing file, or a concurrent request)."""
    payloads = frame.set_index("_source_line")["_payload"]
    return pd.DataFrame(
        {
            "workspace_id": rows["workspace_id"],
            "content_id": rows["content_id"],
            "platform": rows["platform"],
            "reason": DUPLICATE_REASON,
            "field": "captured_at",
            "source_file": rows["source_file"],
            "source_line": rows["source_line"],
            "payload": payloads.reindex(rows["source_line"]).to_numpy(),
        },
        columns=REJECT_COLUMNS,
    )
