"""Vectorised validation of raw snapshot records.

Input: a chunk from :mod:`dagster_project.ingest.landing` (string columns as received).
Output: the accepted rows with typed columns ready for COPY, and the rejected rows with
one ``reason`` and ``field`` each (the first rule a record breaks) plus the original
payload, ready for ``raw.rejected_snapshots``.  Rules, in order:

1. unparseable record (malformed JSON line / CSV row, wrong encoding) - from the reader
2. ``content_id`` missing
3. ``platform`` missing or unknown
4. a counter or ``engagement_rate`` not a number, negative, or out of range
5. ``captured_at`` missing, unparseable or without a time-zone offset
6. ``published_at`` present but unparseable
7. ``captured_at`` far in the future (after the landing day's end + tolerance, or now)
8. ``captured_at`` older than the late-arrival window of the landing day
9. ``captured_at`` before ``published_at``
10. duplicate (workspace, platform, content_id, captured_at) earlier in the same landing day
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import orjson
import pandas as pd

from dagster_project.ingest.schema import (
    COUNTER_FIELDS,
    METADATA_FIELDS,
    PLATFORMS,
    REQUIRED_COUNTERS,
    SNAPSHOT_COLUMNS,
)

MAX_COUNTER = 2**62  # far above any real counter, safely inside bigint
_INTEGER = r"\s*\+?\d{1,19}\s*"
_NEGATIVE = r"\s*-\s*\d+(\.\d*)?\s*"
_DECIMAL = r"\s*\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*"
_HAS_OFFSET = r".*(Z|z|[+-]\d\d(:?\d\d)?)\s*"

SNAPSHOT_KEY = ["workspace_id", "platform", "content_id", "captured_at"]
REJECT_COLUMNS = [
    "workspace_id",
    "content_id",
    "platform",
    "reason",
    "field",
    "source_file",
    "source_line",
    "payload",
]


@dataclass(frozen=True)
class ValidationContext:
    """What a record is judged against: its landing day and the ingestion settings."""

    landing_day: dt.date
    default_workspace_id: str
    late_arrival_days: int
    future_tolerance: dt.timedelta
    now: dt.datetime
    platforms: tuple[str, ...] = PLATFORMS

    @property
    def window_start(self) -> pd.Timestamp:
        start = dt.datetime.combine(self.landing_day, dt.time(), dt.UTC)
        return pd.Timestamp(start - dt.timedelta(days=self.late_arrival_days))

    @property
    def window_end(self) -> pd.Timestamp:
        """Exclusive upper bound for captured_at."""
        day_end = dt.datetime.combine(self.landing_day + dt.timedelta(days=1), dt.time(), dt.UTC)
        return pd.Timestamp(min(day_end, self.now) + self.future_tolerance)

    def partition_days(self) -> list[dt.date]:
        """UTC days whose snapshot partitions may receive rows of this landing day."""
        first = self.window_start.date()
        last = (self.window_end - pd.Timedelta(microseconds=1)).date()
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass
class SeenKeys:
    """Hashes of snapshot keys accepted so far in a landing day (duplicates across chunks)."""

    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    refs: list[str] = field(default_factory=list)

    def add(self, hashes: np.ndarray, refs: list[str]) -> None:
        order = np.argsort(np.concatenate([self.hashes, hashes]), kind="stable")
        all_refs = self.refs + refs
        self.hashes = np.concatenate([self.hashes, hashes])[order]
        self.refs = [all_refs[i] for i in order]

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
        if not len(self.hashes):
            return np.zeros(len(hashes), dtype=bool), [None] * len(hashes)
        pos = np.searchsorted(self.hashes, hashes).clip(max=len(self.hashes) - 1)
        found = self.hashes[pos] == hashes
        return found, [self.refs[p] if f else None for p, f in zip(pos, found, strict=True)]


@dataclass(frozen=True)
class ValidationResult:
    accepted: pd.DataFrame
    rejected: pd.DataFrame


class _Rejections:
    """First failing rule per row: reason and field, filled vectorised."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series(None, index=index, dtype="object")
        self.field = pd.Series(None, index=index, dtype="object")

    def add(self, mask: pd.Series, field_name: str, reason: str | pd.Series) -> None:
        new = mask.fillna(False).astype(bool) & self.reason.isna()
        if not new.any():
            return
        self.reason[new] = reason[new] if isinstance(reason, pd.Series) else reason
        self.field[new] = field_name

    @property
    def ok(self) -> pd.Series:
        return self.reason.isna()


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.str.strip() == "")


def _quoted(values: pd.Series, limit: int = 60) -> pd.Series:
    return "'" + values.fillna("").str.slice(0, limit) + "'"


def _parse_timestamps(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(parsed UTC timestamps, unparseable mask, missing-offset mask) for present values."""
    present = ~_blank(values)
    parsed = pd.to_datetime(values.where(present), utc=True, format="ISO8601", errors="coerce")
    unparseable = present & parsed.isna()
    no_offset = present & ~unparseable & ~values.str.fullmatch(_HAS_OFFSET).fillna(False)
    return parsed, unparseable, no_offset


def _parse_counter(values: pd.Series, name: str, rules: _Rejections, required: bool) -> pd.Series:
    blank = _blank(values)
    if required:
        rules.add(blank, name, f"{name}: missing")
    integer = values.str.fullmatch(_INTEGER).fillna(False)
    negative = values.str.fullmatch(_NEGATIVE).fillna(False)
    rules.add(negative, name, f"{name}: negative counter " + _quoted(values))
    rules.add(~blank & ~integer & ~negative, name, f"{name}: not a whole number " + _quoted(values))
    numbers = pd.to_numeric(values.where(integer), errors="coerce")
    rules.add(numbers > MAX_COUNTER, name, f"{name}: out of range " + _quoted(values))
    return numbers.where(integer & (numbers <= MAX_COUNTER)).astype("Int64")


def _parse_rate(values: pd.Series, name: str, rules: _Rejections) -> pd.Series:
    blank = _blank(values)
    decimal = values.str.fullmatch(_DECIMAL).fillna(False)
    negative = values.str.fullmatch(_NEGATIVE).fillna(False)
    rules.add(negative, name, f"{name}: negative rate " + _quoted(values))
    rules.add(~blank & ~decimal & ~negative, name, f"{name}: not a number " + _quoted(values))
    numbers = pd.to_numeric(values.where(decimal), errors="coerce")
    rules.add(~np.isfinite(numbers.fillna(0.0)), name, f"{name}: not finite " + _quoted(values))
    return numbers.where(decimal & np.isfinite(numbers.fillna(0.0)))


PublishedLookup = Callable[[pd.DataFrame], pd.Series]


def validate_chunk(
    raw: pd.DataFrame,
    context: ValidationContext,
    seen: SeenKeys,
    known_published: PublishedLookup | None = None,
) -> ValidationResult:
    """Split one raw chunk into typed accepted rows and quarantined rejects.

    ``known_published`` maps a frame of (workspace_id, platform, content_id) to the publish
    times already known for them (NaT when unknown), so a snapshot without its own
    ``published_at`` is still checked against the content's publish time.
    """
    frame = raw.reset_index(drop=True)
    for name in SNAPSHOT_COLUMNS:
        if name not in frame:
            frame[name] = pd.Series(None, index=frame.index, dtype="str")
    rules = _Rejections(frame.index)
    if "_parse_reason" in frame:
        rules.add(frame["_parse_reason"].notna(), "", frame["_parse_reason"])
        rules.field[frame["_parse_reason"].notna()] = frame["_parse_field"]

    workspace = frame["workspace_id"].str.strip().where(~_blank(frame["workspace_id"]))
    workspace = workspace.fillna(context.default_workspace_id)
    content_id = frame["content_id"].str.strip()
    rules.add(_blank(frame["content_id"]), "content_id", "content_id: missing")
    platform = frame["platform"].str.strip().str.lower()
    rules.add(_blank(frame["platform"]), "platform", "platform: missing")
    rules.add(
        ~_blank(frame["platform"]) & ~platform.isin(context.platforms),
        "platform",
        "platform: unknown platform " + _quoted(frame["platform"]) + f" (known: {', '.join(context.platforms)})",
    )

    typed: dict[str, pd.Series] = {}
    for name in COUNTER_FIELDS:
        typed[name] = _parse_counter(frame[name], name, rules, required=name in REQUIRED_COUNTERS)
    typed["engagement_rate"] = _parse_rate(frame["engagement_rate"], "engagement_rate", rules)
    duration = _parse_counter(frame["duration_seconds"], "duration_seconds", rules, required=False)

    captured, bad_captured, captured_no_tz = _parse_timestamps(frame["captured_at"])
    rules.add(_blank(frame["captured_at"]), "captured_at", "captured_at: missing")
    rules.add(bad_captured, "captured_at", "captured_at: unparseable timestamp " + _quoted(frame["captured_at"]))
    rules.add(captured_no_tz, "captured_at", "captured_at: no time-zone offset " + _quoted(frame["captured_at"]))
    published, bad_published, published_no_tz = _parse_timestamps(frame["published_at"])
    rules.add(bad_published, "published_at", "published_at: unparseable timestamp " + _quoted(frame["published_at"]))
    rules.add(published_no_tz, "published_at", "published_at: no time-zone offset " + _quoted(frame["published_at"]))
    rules.add(
        captured >= context.window_end,
        "captured_at",
        "captured_at: in the future (after landing day "
        f"{context.landing_day} + {context.future_tolerance}) " + _quoted(frame["captured_at"]),
    )
    rules.add(
        captured < context.window_start,
        "captured_at",
        f"captured_at: older than the late-arrival window ({context.late_arrival_days} days "
        f"before landing day {context.landing_day}) " + _quoted(frame["captured_at"]),
    )
    published_ref = published
    if known_published is not None:
        keys = pd.DataFrame({"workspace_id": workspace, "platform": platform, "content_id": content_id})
        candidates = rules.ok
        published_ref = published.copy()
        published_ref[candidates] = published[candidates].fillna(known_published(keys[candidates]))
    rules.add(
        captured < published_ref,
        "captured_at",
        "captured_at: before published_at '" + published_ref.astype("str") + "'",
    )

    line_refs = frame["_source_file"] + ":" + frame["_source_line"].astype("str")
    epoch_us = captured.to_numpy(dtype="datetime64[us]").view("int64")
    key = pd.DataFrame({"w": workspace, "p": platform, "c": content_id, "t": epoch_us})
    hashes = pd.util.hash_pandas_object(key, index=False).to_numpy()
    candidates = rules.ok.to_numpy()
    in_earlier, earlier_refs = seen.lookup(hashes)
    candidate_hashes = pd.Series(hashes[candidates])
    in_chunk = np.zeros(len(frame), dtype=bool)
    in_chunk[candidates] = candidate_hashes.duplicated(keep="first").to_numpy()
    first_ref = pd.Series(None, index=frame.index, dtype="object")
    first_ref[candidates] = (
        pd.Series(line_refs[candidates].to_numpy()).groupby(candidate_hashes).transform("first").to_numpy()
    )
    dup_ref = np.where(in_earlier, pd.Series(earlier_refs, dtype="object"), first_ref)
    duplicate = pd.Series((in_earlier & candidates) | in_chunk, index=frame.index)
    rules.add(
        duplicate,
        "captured_at",
        "captured_at: duplicate snapshot of line " + pd.Series(dup_ref, index=frame.index).astype("str"),
    )
    ok = rules.ok
    seen.add(hashes[ok.to_numpy()], line_refs[ok].tolist())

    accepted = pd.DataFrame(
        {
            "workspace_id": workspace,
            "platform": platform,
            "content_id": content_id,
            "captured_at": captured,
            **typed,
            "source_file": frame["_source_file"],
            "source_line": frame["_source_line"].astype("int64"),
        }
    )[ok]
    metadata = frame.loc[ok, list(METADATA_FIELDS)].copy()
    metadata["published_at"] = published[ok]
    metadata["duration_seconds"] = duration[ok]
    accepted = pd.concat([accepted, metadata.add_prefix("meta_")], axis=1)

    bad = ~ok
    rejected = pd.DataFrame(
        {
            "workspace_id": workspace[bad],
            "content_id": frame.loc[bad, "content_id"],
            "platform": frame.loc[bad, "platform"],
            "reason": rules.reason[bad],
            "field": rules.field[bad].replace("", None),
            "source_file": frame.loc[bad, "_source_file"],
            "source_line": frame.loc[bad, "_source_line"],
            "payload": _payloads(frame[bad]),
        },
        columns=REJECT_COLUMNS,
    )
    return ValidationResult(accepted=accepted.reset_index(drop=True), rejected=rejected.reset_index(drop=True))


def _payloads(rows: pd.DataFrame) -> pd.Series:
    """Original payload text: the received line, or the row's received values as JSON."""
    if rows.empty:
        return pd.Series(dtype="object")
    given = rows["_payload"] if "_payload" in rows else pd.Series(None, index=rows.index)
    values = rows[list(SNAPSHOT_COLUMNS)].astype("object").where(rows[list(SNAPSHOT_COLUMNS)].notna(), None)
    rebuilt = [
        orjson.dumps({k: v for k, v in record.items() if v is not None}).decode()
        for record in values.to_dict("records")
    ]
    return given.where(given.notna(), pd.Series(rebuilt, index=rows.index))
