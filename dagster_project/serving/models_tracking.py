"""Request and response models of the track and batch-track endpoints.

A track record has the seed's shape (``content_id``, ``platform``, ``metrics``, ``captured_at``,
``metadata``).  The models type what a well-formed record carries; the warehouse's rules (the
same validation landing files get) judge the values: ranges, known platforms, timestamps with an
offset inside the late-arrival window, duplicates.  ``captured_at`` and ``published_at`` are
therefore text (ISO 8601 with a UTC offset), so their rule, not a parser, explains a rejection.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, WithJsonSchema

#: Most records one batch-track request may carry.
MAX_BATCH_RECORDS = 1000

Timestamp = Annotated[
    str,
    Field(
        description="ISO 8601 with a UTC offset, e.g. 2026-10-05T06:00:00+02:00",
        json_schema_extra={"format": "date-time"},
    ),
]
Counter = Annotated[int, Field(description="Lifetime counter as the platform reports it (>= 0).")]


class TrackMetrics(BaseModel):
    """Counters of one capture; ``views`` is required, the others when the platform has them."""

    views: Counter
    likes: Counter | None = None
    comments: Counter | None = None
    shares: Counter | None = None
    saves: Counter | None = None
    watch_time_seconds: Counter | None = Field(
        default=None,
        validation_alias=AliasChoices("watch_time_seconds", "watch_time"),
        description="Total watch time in seconds (the seed's ``watch_time`` is accepted too).",
    )
    impressions: Counter | None = None
    reach: Counter | None = None
    engagement_rate: float | None = Field(default=None, description="Platform-reported ratio, 0.085 = 8.5 %.")


class TrackMetadata(BaseModel):
    """Descriptive fields of the content item (latest capture wins); unknown keys are ignored."""

    title: str | None = None
    description: str | None = None
    published_at: Timestamp | None = None
    duration_seconds: int | None = Field(
        default=None, validation_alias=AliasChoices("duration_seconds", "duration")
    )
    category: str | None = None
    tags: list[str] | None = None
    language: str | None = None
    creator_id: str | None = Field(default=None, validation_alias=AliasChoices("creator_id", "channel_id"))
    creator_name: str | None = Field(
        default=None, validation_alias=AliasChoices("creator_name", "channel_title")
    )
    creator_timezone: str | None = None
    format: str | None = None


class TrackRequest(BaseModel):
    """One engagement snapshot of one content item, for the API key's workspace."""

    content_id: str = Field(examples=["content-123"])
    platform: str = Field(examples=["youtube"], description="youtube, tiktok, instagram, linkedin or twitter")
    metrics: TrackMetrics
    captured_at: Timestamp | None = Field(
        default=None, description="When the counters were read; default now."
    )
    metadata: TrackMetadata | None = None

    def record(self) -> dict[str, Any]:
        """The record as the shared validation reads it (canonical names, nested as sent)."""
        return self.model_dump(exclude_none=True)


class BatchTrackRequest(BaseModel):
    """Up to ``MAX_BATCH_RECORDS`` track records, judged one by one.

    Each record has the shape of ``TrackRequest``; a record that does not (a wrong type, a
    nested value where a number belongs) is rejected and quarantined on its own, like a
    malformed line of a landing file, and the others are still accepted.
    """

    records: Annotated[
        list[Any],
        WithJsonSchema(
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/TrackRequest"},
                "minItems": 1,
                "maxItems": MAX_BATCH_RECORDS,
            }
        ),
        Field(min_length=1, max_length=MAX_BATCH_RECORDS),
    ]


class SnapshotRef(BaseModel):
    """An accepted snapshot: its position in the request and its key in the warehouse."""

    index: int
    snapshot_id: str = Field(description="platform:content_id:captured_at (UTC), the snapshot's key")
    platform: str
    content_id: str
    captured_at: dt.datetime


class RecordError(BaseModel):
    """Why a record was rejected: the first rule it broke, and the field that broke it."""

    index: int = Field(description="Position of the record in the request (0 for track).")
    field: str | None = Field(description="The offending field; 'record' when it could not be read.")
    reason: str


class TrackResponse(BaseModel):
    """Track: the snapshot was stored."""

    request_id: str
    workspace_id: str
    snapshot: SnapshotRef


class BatchTrackResponse(BaseModel):
    """Batch-track: every record accounted for, ``received = accepted + rejected``."""

    request_id: str
    workspace_id: str
    received: int
    accepted: int
    rejected: int
    snapshots: list[SnapshotRef]
    errors: list[RecordError]


class RejectionDetail(BaseModel):
    """One 422 item: FastAPI's ``loc``/``msg``/``type`` plus the record's index, field and reason.

    Rule violations carry all six; FastAPI's own body-validation errors carry the first three.
    """

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str
    index: int | None = None
    field: str | None = None
    reason: str | None = None


class TrackRejected(BaseModel):
    """422 of track: why the record was rejected (it is kept in quarantine with its payload)."""

    detail: list[RejectionDetail]
    request_id: str | None = Field(default=None, description="Set when the record reached the rules.")
