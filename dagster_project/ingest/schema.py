"""The canonical engagement-snapshot record: the one shape every input is mapped to.

A landing file (``landing/<platform>/<YYYY-MM-DD>/*.jsonl|*.csv``) holds one record per
JSON line or CSV row.  JSON lines may nest counters under ``metrics`` and descriptive
fields under ``metadata`` (the seed's ``EngagementSnapshot`` shape); CSV files are flat
with the column names below.  Platform-native API payloads arrive as envelopes
``{"source": "<adapter name>", "captured_at": ..., "item": {...}}`` and are mapped to
this shape by :mod:`dagster_project.ingest.adapters`.
"""

from __future__ import annotations

from typing import Final

PLATFORMS: Final = ("youtube", "tiktok", "instagram", "linkedin", "twitter")

#: Identity of a snapshot; ``captured_at`` is ISO 8601 with a time-zone offset.
KEY_FIELDS: Final = ("content_id", "platform", "captured_at")

#: Lifetime counters as the platform reports them: non-negative integers.
#: ``views`` is required, the others are optional (empty when a platform has no such counter).
COUNTER_FIELDS: Final = (
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "watch_time_seconds",
    "impressions",
    "reach",
)
REQUIRED_COUNTERS: Final = ("views",)

#: Optional platform-reported ratio, a non-negative float (0.085 = 8.5 %).
RATE_FIELDS: Final = ("engagement_rate",)

#: Descriptive fields of the content item; optional on every snapshot, upserted into
#: ``raw.content`` (latest capture wins).  ``tags`` is a JSON list, or ``|``-separated in CSV.
METADATA_FIELDS: Final = (
    "title",
    "description",
    "published_at",
    "duration_seconds",
    "category",
    "tags",
    "language",
    "creator_id",
    "creator_name",
    "creator_timezone",
    "format",
)

#: Column order of canonical CSV landing files (``workspace_id`` optional, default from settings).
SNAPSHOT_COLUMNS: Final = (
    "workspace_id",
    *KEY_FIELDS,
    *COUNTER_FIELDS,
    *RATE_FIELDS,
    *METADATA_FIELDS,
)

#: Aliases accepted on input (seed names and common spellings) -> canonical name.
FIELD_ALIASES: Final = {
    "timestamp": "captured_at",
    "watch_time": "watch_time_seconds",
    "duration": "duration_seconds",
    "channel_id": "creator_id",
    "channel_title": "creator_name",
}

CONTENT_FORMATS: Final = (
    "video",
    "short",
    "reel",
    "story",
    "image",
    "carousel",
    "text",
    "article",
    "live",
)
