"""Vectorised validation of raw snapshot records.

Input: a chunk from :mod:`dagster_project.ingest.landing` (string columns as received).
Output: the accepted rows with typed columns ready for COPY, and the rejected rows with
one ``reason`` and ``field`` each (the first rule a record breaks) plus the original
payload, ready for ``raw.rejected_snapshots``.  Rules, in order:

1. unparseable record (malformed JSON line / CSV row, wrong encoding) - from the reader
2. a field containing a NUL character (Postgres text cannot store it)
3. ``content_id`` missing, or ``content_id`` / ``workspace_id`` too long for the key index
4. ``platform`` missing or unknown
5. a counter or ``engagement_rate`` not a number, negative, or out of range
   (``duration_seconds`` at most 2**31 - 1, the range of ``raw.content``)
6. ``captured_at`` missing, unparseable or without a time-zone offset
7. ``published_at`` present but unparseable, or before year 1
8. ``captured_at`` far in the future (after the landing day's end + tolerance, or now)
9. ``captured_at`` older than the late-arrival window of the landing day
10. ``captured_at`` before ``published_at``
11. duplicate (workspace, platform, content_id, captured_at) earlier in the same landing day

NUL characters in quarantined text (payload, ids) are stored escaped as ``\\x00``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.ingest.schema import (
    COUNTER_FIELDS,
    METADATA_FIELDS,
    PLATFORMS,
    REQUIRED_COUNTERS,
    SNAPSHOT_COLUMNS,
)

if TYPE_CHECKING:
    from dagster_project.config import AnalyticsSettings

_INTEGER = r"\s*\d{1,18}\s*"
_NEGATIVE = r"\s*-\s*\d+(\.\d*)?\s*"
_DECIMAL = r"\s*\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*"
_HAS_OFFSET = r"\d\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)\s*$"
#: Longest ``content_id`` / ``workspace_id``: keeps the primary-key index entry within its limit.
MAX_ID_CHARS = 256
INT32_MAX = 2**31 - 1
EARLIEST = pd.Timestamp("0001-01-01", tz="UTC")

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

    @classmethod
    def from_settings(
        cls, settings: AnalyticsSettings, day: dt.date, now: dt.datetime, workspace_id: str | None = None
    ) -> ValidationContext:
        """Landing day ``day`` judged at ``now`` with the ingestion settings; records without a
        workspace get ``workspace_id`` (default: ``DEFAULT_WORKSPACE_ID``)."""
        return cls(
            landing_day=day,
            default_workspace_id=workspace_id or settings.DEFAULT_WORKSPACE_ID,
            late_arrival_days=settings.LATE_ARRIVAL_DAYS,
            future_tolerance=dt.timedelta(minutes=settings.FUTURE_TOLERANCE_MINUTES),
            now=now,
        )

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
    """Hashes of snapshot keys accepted so far in a landing day (duplicates across chunks),
    each with a reference ``file:line`` to name the first occurrence."""

    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    lines: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    files: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    file_names: list[str] = field(default_factory=list)

    def add(self, hashes: np.ndarray, file_name: pd.Series, lines: np.ndarray) -> None:
        names = pd.Categorical(file_name)
        offset = len(self.file_names)
        self.file_names.extend(str(c) for c in names.categories)
        hashes = np.concatenate([self.hashes, hashes])
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.lines = np.concatenate([self.lines, lines])[order]
        self.files = np.concatenate([self.files, names.codes.astype(np.int32) + offset])[order]

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
        """(found mask, ``file:line`` of the earlier occurrence or None) per hash."""
        if not len(self.hashes):
            return np.zeros(len(hashes), dtype=bool), [None] * len(hashes)
        pos = np.searchsorted(self.hashes, hashes).clip(max=len(self.hashes) - 1)
        found = self.hashes[pos] == hashes
        refs = [
            f"{self.file_names[self.files[p]]}:{self.lines[p]}" if f else None
            for p, f in zip(pos[found], found[found], strict=True)
        ]
        out: list[str | None] = [None] * len(hashes)
        for i, ref in zip(np.flatnonzero(found), refs, strict=True):
            out[i] = ref
        return found, out


@dataclass(frozen=True)
class ValidationResult:
    accepted: pd.DataFrame
    rejected: pd.DataFrame


class _Rejections:
    """First failing rule per row: reason and field, filled vectorised.

    Reason text is built only for the rows a rule newly rejects, so clean data costs no
    string work.  ``value`` adds the offending value, quoted and shortened, to the reason.
    """

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series(None, index=index, dtype="object")
        self.field = pd.Series(None, index=index, dtype="object")

    def add(
        self,
        mask: pd.Series | np.ndarray,
        field_name: str,
        reason: str | pd.Series,
        value: pd.Series | None = None,
    ) -> None:
        given = mask.fillna(False).to_numpy(dtype=bool) if isinstance(mask, pd.Series) else mask
        new = given & self.reason.isna().to_numpy()
        if not new.any():
            return
        text = (
            reason[new] if isinstance(reason, pd.Series) else pd.Series(reason, index=self.reason.index[new])
        )
        if value is not None:
            text = text + " '" + value[new].fillna("").astype("str").str.slice(0, 60) + "'"
        self.reason[new] = text
        self.field[new] = field_name

    @property
    def ok(self) -> pd.Series:
        return self.reason.isna()


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    return pa.array(values, type=pa.string(), from_pandas=True)


def _matches(values: pd.Series, pattern: str) -> np.ndarray:
    """Whole-value regex match (RE2, vectorised); null is no match."""
    matched = pc.match_substring_regex(_arrow(values), f"^(?:{pattern})$")
    return np.asarray(matched.fill_null(False))


def _blank(values: pd.Series) -> np.ndarray:
    arrow = _arrow(values)
    empty = pc.equal(pc.utf8_trim_whitespace(arrow), "")
    return np.asarray(empty.fill_null(True))


def _has_nul(values: pd.Series) -> np.ndarray:
    return np.asarray(pc.match_substring(_arrow(values), "\x00").fill_null(False))


def _too_long(values: pd.Series) -> np.ndarray:
    return np.asarray(pc.greater(pc.utf8_length(_arrow(values)), MAX_ID_CHARS).fill_null(False))


def _escape_nul(values: pd.Series) -> pd.Series:
    return values.where(values.isna(), values.astype("object").astype(str).str.replace("\x00", "\\x00"))


def _all_null(values: pd.Series) -> bool:
    return bool(values.isna().all())


def _parse_timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(parsed UTC timestamps, unparseable mask, missing-offset mask) for present values."""
    if _all_null(values):
        none = np.zeros(len(values), dtype=bool)
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]"), none, none
    present = ~_blank(values)
    parsed = pd.to_datetime(values.where(present), utc=True, format="ISO8601", errors="coerce")
    unparseable = present & parsed.isna().to_numpy()
    has_offset = np.asarray(pc.match_substring_regex(_arrow(values), _HAS_OFFSET).fill_null(False))
    no_offset = present & ~unparseable & ~has_offset
    return parsed, unparseable, no_offset


def _as_int64(values: pd.Series, valid: pa.Array | None = None) -> pd.Series:
    arrow = _arrow(values)
    digits = pc.utf8_trim_whitespace(arrow if valid is None else pc.if_else(valid, arrow, None))
    numbers = pc.cast(digits, pa.int64()).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    return pd.Series(numbers.array, index=values.index, dtype="Int64")


def _parse_counter(values: pd.Series, name: str, rules: _Rejections, required: bool) -> pd.Series:
    if required:
        rules.add(_blank(values), name, f"{name}: missing")
    if _all_null(values):
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    try:  # fast path: every present value is a plain integer of 1-18 digits (Arrow also reads 0x10)
        numbers = _as_int64(values)
        text = pc.utf8_trim_whitespace(_arrow(values))
        plain = not pc.any(pc.match_substring(text, "x", ignore_case=True)).as_py()
        if plain and (pc.max(pc.utf8_length(text)).as_py() or 0) <= 18 and not (numbers < 0).any():
            return numbers
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    blank = _blank(values)
    integer = _matches(values, _INTEGER)
    negative = _matches(values, _NEGATIVE)
    too_long = _matches(values, r"\s*\d{19,}\s*")
    rules.add(negative, name, f"{name}: negative counter", values)
    rules.add(too_long, name, f"{name}: out of range", values)
    rules.add(~blank & ~integer & ~negative & ~too_long, name, f"{name}: not a whole number", values)
    return _as_int64(values, pa.array(integer))


def _parse_rate(values: pd.Series, name: str, rules: _Rejections) -> pd.Series:
    if _all_null(values):
        return pd.Series(np.nan, index=values.index, dtype="float64")
    blank = _blank(values)
    decimal = _matches(values, _DECIMAL)
    negative = _matches(values, _NEGATIVE)
    rules.add(negative, name, f"{name}: negative rate", values)
    rules.add(~blank & ~decimal & ~negative, name, f"{name}: not a number", values)
    numbers = pd.to_numeric(values.where(decimal), errors="coerce")
    finite = np.isfinite(numbers.fillna(0.0).to_numpy())
    rules.add(~finite, name, f"{name}: not finite", values)
    return numbers.where(decimal & finite)


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

    for name in SNAPSHOT_COLUMNS:
        if not _all_null(frame[name]):
            rules.add(_has_nul(frame[name]), name, f"{name}: contains a NUL character")

    workspace = frame["workspace_id"].str.strip().where(~_blank(frame["workspace_id"]))
    workspace = workspace.fillna(context.default_workspace_id)
    content_id = frame["content_id"].str.strip()
    rules.add(_blank(frame["content_id"]), "content_id", "content_id: missing")
    for name in ("content_id", "workspace_id"):
        rules.add(_too_long(frame[name]), name, f"{name}: too long (over {MAX_ID_CHARS} characters)")
    platform = frame["platform"].str.strip().str.lower()
    rules.add(_blank(frame["platform"]), "platform", "platform: missing")
    rules.add(~platform.isin(context.platforms), "platform", "platform: unknown platform", frame["platform"])

    typed: dict[str, pd.Series] = {}
    for name in COUNTER_FIELDS:
        typed[name] = _parse_counter(frame[name], name, rules, required=name in REQUIRED_COUNTERS)
    typed["engagement_rate"] = _parse_rate(frame["engagement_rate"], "engagement_rate", rules)
    duration = _parse_counter(frame["duration_seconds"], "duration_seconds", rules, required=False)
    rules.add(
        duration > INT32_MAX, "duration_seconds", "duration_seconds: out of range", frame["duration_seconds"]
    )

    raw_captured = frame["captured_at"]
    captured, bad_captured, captured_no_tz = _parse_timestamps(raw_captured)
    rules.add(_blank(raw_captured), "captured_at", "captured_at: missing")
    rules.add(bad_captured, "captured_at", "captured_at: unparseable timestamp", raw_captured)
    rules.add(captured_no_tz, "captured_at", "captured_at: no time-zone offset", raw_captured)
    raw_published = frame["published_at"]
    published, bad_published, published_no_tz = _parse_timestamps(raw_published)
    rules.add(bad_published, "published_at", "published_at: unparseable timestamp", raw_published)
    rules.add(published_no_tz, "published_at", "published_at: no time-zone offset", raw_published)
    rules.add(
        published < EARLIEST, "published_at", "published_at: out of range (before year 1)", raw_published
    )
    rules.add(
        captured >= context.window_end,
        "captured_at",
        f"captured_at: in the future (after landing day {context.landing_day} + {context.future_tolerance})",
        raw_captured,
    )
    rules.add(
        captured < context.window_start,
        "captured_at",
        f"captured_at: older than the late-arrival window ({context.late_arrival_days} days "
        f"before landing day {context.landing_day})",
        raw_captured,
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
        "captured_at: before published_at",
        published_ref,
    )

    lines = frame["_source_line"].to_numpy(dtype=np.int64)
    epoch_us = captured.to_numpy(dtype="datetime64[us]").view("int64")
    key = pd.DataFrame({"w": workspace, "p": platform, "c": content_id, "t": epoch_us})
    hashes = pd.util.hash_pandas_object(key, index=False).to_numpy()
    candidates = rules.ok.to_numpy()
    in_earlier, earlier_refs = seen.lookup(hashes)
    in_earlier &= candidates
    candidate_hashes = pd.Series(hashes[candidates])
    in_chunk = np.zeros(len(frame), dtype=bool)
    in_chunk[candidates] = candidate_hashes.duplicated(keep="first").to_numpy()
    duplicate = in_earlier | in_chunk
    if duplicate.any():
        candidate_refs = pd.Series(
            frame["_source_file"].to_numpy()[candidates].astype(str) + ":" + lines[candidates].astype(str)
        )
        chunk_refs = np.full(len(frame), None, dtype=object)
        chunk_refs[candidates] = (
            candidate_refs.groupby(candidate_hashes.to_numpy()).transform("first").to_numpy()
        )
        refs = np.where(in_earlier, np.array(earlier_refs, dtype=object), chunk_refs)
        rules.add(
            duplicate,
            "captured_at",
            "captured_at: duplicate snapshot of line " + pd.Series(refs, index=frame.index).astype("str"),
        )
    ok = rules.ok
    ok_mask = ok.to_numpy()
    seen.add(hashes[ok_mask], frame["_source_file"][ok], lines[ok_mask])

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
            "workspace_id": _escape_nul(workspace[bad]),
            "content_id": _escape_nul(frame.loc[bad, "content_id"]),
            "platform": _escape_nul(frame.loc[bad, "platform"]),
            "reason": rules.reason[bad],
            "field": rules.field[bad].replace("", None),
            "source_file": frame.loc[bad, "_source_file"],
            "source_line": frame.loc[bad, "_source_line"],
            "payload": _payloads(frame[bad]),
        },
        columns=REJECT_COLUMNS,
    )
    return ValidationResult(
        accepted=accepted.reset_index(drop=True), rejected=rejected.reset_index(drop=True)
    )


def _payloads(rows: pd.DataFrame) -> pd.Series:
    """Original payload text: the received line, or the row's received values as JSON."""
    if rows.empty:
        return pd.Series(dtype="object")
    given = _escape_nul(rows["_payload"]) if "_payload" in rows else pd.Series(None, index=rows.index)
    values = rows[list(SNAPSHOT_COLUMNS)].astype("object").where(rows[list(SNAPSHOT_COLUMNS)].notna(), None)
    rebuilt = [
        orjson.dumps({k: v for k, v in record.items() if v is not None}).decode()
        for record in values.to_dict("records")
    ]
    return given.where(given.notna(), pd.Series(rebuilt, index=rows.index))
