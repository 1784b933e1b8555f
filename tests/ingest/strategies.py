"""Hypothesis strategies for snapshot records: valid ones per platform and hostile variations.

A :class:`Case` is one JSON document (what a landing file line or, later, a track-endpoint
request body carries) together with what ingestion must do with it: accept it, or reject it
with a reason naming a given field.  Valid records are built per platform with realistic ids,
counters, metadata and a ``captured_at`` inside the landing day (written with odd but legal
UTC offsets); hostile cases apply exactly one mutation to a valid record, so the first rule it
breaks - and therefore the field the reject must name - is known in advance.  Mutations cover
huge integers (beyond 2**63), negatives, floats, NaN/inf spellings, booleans, lists and
objects in scalar fields, very long and unicode text (RTL overrides, zero-width joiners,
emoji, NUL characters), SQL-injection strings, malformed / zone-less / far-future / far-past
timestamps, missing and unknown fields, duplicate JSON keys and broken JSON lines.

Expectations differ by format where the formats differ: CSV cells are text, so a float ``5.0``
is the text ``"5.0"`` (not a whole number) while in JSON it is the integer 5, and CSV cannot
carry nested values or unknown columns.  :func:`case_batches` builds batches whose records
cannot collide on the snapshot key except where a duplicate is planted on purpose.

Encoders: :func:`jsonl_line` (with planted duplicate keys) and :func:`csv_row` (the cells
``tests.ingest.landing_helpers.write_csv`` writes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from hypothesis import strategies as st

from dagster_project.ingest.schema import (
    CONTENT_FORMATS,
    COUNTER_FIELDS,
    FIELD_ALIASES,
    METADATA_FIELDS,
    PLATFORMS,
    SNAPSHOT_COLUMNS,
)
from tests.ingest.landing_helpers import DAY

Outcome = Literal["accept", "reject", "either"]
JSON = dict[str, Any]

#: Counters plus ``duration_seconds``: whole non-negative numbers.
WHOLE_NUMBER_FIELDS = (*COUNTER_FIELDS, "duration_seconds")
TEXT_METADATA_FIELDS = tuple(
    name for name in METADATA_FIELDS if name not in ("published_at", "duration_seconds", "tags")
)
DAY_START = dt.datetime.combine(DAY, dt.time(), dt.UTC)

INJECTION_STRINGS = (
    "'; drop table raw.content; --",
    "Robert'); DROP TABLE raw.engagement_snapshots;--",
    "1' OR '1'='1",
    "$$; drop schema raw cascade; $$",
    "\\.",  # end-of-data marker of COPY text/csv format
    "\\.\n",
    "\",\"; \\copy raw.content to program 'id'",
    "E'\\x00'",
    "%s %(day)s {} {0}",
    "<script>alert(1)</script>",
    "${jndi:ldap://example.invalid/a}",
    "{{7*7}}",
)
UNICODE_STRINGS = (
    "مرحبا بالعالم",  # Arabic, right to left
    "\u202eevil.exe\u202c",  # right-to-left override
    "zero\u200bwidth\u200djoiner\u2060",
    "👩\u200d👩\u200d👧\u200d👦🔥💯",
    "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48",
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\ufeffbyte order mark",
    "line\u2028separator\u2029",
    "\U0001d573\U0001d586\U0001d588\U0001d590\U0001d58a\U0001d589",
    "tab\tand\r\nnewlines",
    '"quoted", with, commas',
    "back\\slash|pipe{brace}",
)
#: Odd but legal UTC offsets (minutes): the extremes and the non-hour zones.
ODD_OFFSETS_MINUTES = (0, 14 * 60, -12 * 60, 5 * 60 + 45, -(9 * 60 + 30), 12 * 60 + 45, -60, 60)


@dataclass(frozen=True)
class Expectation:
    outcome: Outcome
    field: str | None = None  # the field a reject must name (first broken rule)


ACCEPT = Expectation("accept")
EITHER = Expectation("either")


def reject(name: str) -> Expectation:
    return Expectation("reject", name)


@dataclass(frozen=True)
class Case:
    """A record and what ingestion must do with it, per landing format."""

    record: JSON
    jsonl: Expectation
    csv: Expectation
    note: str = "valid"
    #: Key names written twice in the JSON text, the first time with a decoy value.
    duplicate_keys: Mapping[str, Any] = field(default_factory=dict)

    def expect(self, fmt: Literal["jsonl", "csv"]) -> Expectation:
        return self.jsonl if fmt == "jsonl" else self.csv


# ----------------------------------------------------------------------------- values

_printable = st.characters(codec="utf-8", exclude_characters="\x00")
short_text = st.text(_printable, min_size=1, max_size=30)
hostile_text = st.one_of(
    st.sampled_from(INJECTION_STRINGS + UNICODE_STRINGS),
    short_text,
    st.builds(lambda unit, n: (unit * n)[:100_000], st.sampled_from(UNICODE_STRINGS), st.integers(50, 5000)),
)
nul_text = st.builds(
    lambda a, b: f"{a}\x00{b}", st.text(_printable, max_size=5), st.text(_printable, max_size=5)
)


def iso(moment: dt.datetime, offset_minutes: int = 0, fraction: bool = False, zulu: bool = False) -> str:
    """``moment`` in ISO 8601 at the given UTC offset ('Z' for UTC when ``zulu``)."""
    local = moment.astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes)))
    text = local.isoformat(timespec="microseconds" if fraction else "seconds")
    return text.replace("+00:00", "Z") if zulu and offset_minutes == 0 else text


@st.composite
def timestamps_at(draw: st.DrawFn, moment: dt.datetime) -> str:
    """A legal ISO 8601 spelling of ``moment`` with an odd offset."""
    return _timestamp_text(draw, moment)


_offsets = st.sampled_from(ODD_OFFSETS_MINUTES)


def _timestamp_text(draw: st.DrawFn, moment: dt.datetime) -> str:
    offset = draw(_offsets)
    text = iso(moment, offset, fraction=draw(st.booleans()), zulu=draw(st.booleans()))
    if draw(st.booleans()) and offset:  # basic-format offset: +0545
        text = text[:-3] + text[-2:]
    return text


MALFORMED_TIMESTAMPS = (
    "yesterday",
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-10-05T25:00:00Z",
    "2026-10-05T06:00:00+25:00",
    "2026/10/05 06:00",
    "05.10.2026 06:00 MESZ",
    "2026-10-05T06:00:00 Europe/Berlin",
    "",
    "   ",
    "NaT",
    "null",
    "0",
    "1759644000",
    "2026-10-05T06:00:00Z'; drop table raw.content; --",
)
ZONELESS_TIMESTAMPS = ("2026-10-05T06:00:00", "2026-10-05 06:00:00.123456", "2026-10-05T06:00")
FAR_FUTURE = ("2099-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00", "2026-10-06T01:00:00Z")
FAR_PAST = ("0001-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", "2026-09-27T23:59:59Z")


# ----------------------------------------------------------------------------- valid records


_digits = st.integers(10**17, 10**19 - 1).map(str)
#: Realistic native ids per platform.
CONTENT_IDS: dict[str, st.SearchStrategy[str]] = {
    "youtube": st.text(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=11, max_size=11
    ),
    "tiktok": _digits,
    "instagram": st.integers(10**16, 10**17 - 1).map(str),
    "linkedin": _digits.map(lambda d: f"urn:li:share:{d}"),
    "twitter": _digits,
}
_optional_counters = st.sets(st.sampled_from(COUNTER_FIELDS[1:]))
_rates = st.floats(0, 10, allow_nan=False)
_tag_lists = st.lists(short_text, max_size=4)
_languages = st.sampled_from(("en", "de", "ar", "zh-Hant", "pt-BR"))
_zones = st.sampled_from(("Europe/Berlin", "Asia/Kathmandu", "UTC"))
_platforms = st.sampled_from(PLATFORMS)
_formats = st.sampled_from(CONTENT_FORMATS)


counts = st.integers(0, 10**12)


@st.composite
def valid_records(
    draw: st.DrawFn,
    platform: str | None = None,
    captured: dt.datetime | None = None,
    content_id: str | None = None,
) -> JSON:
    """A record every rule accepts on landing day ``DAY`` (captured within that UTC day).

    Counters may be nested under ``metrics`` and metadata under ``metadata``, seed aliases
    (``timestamp``, ``watch_time`` ...) may replace canonical names, and counters may be
    JSON numbers or digit strings.
    """
    return _valid_record(draw, platform, captured, content_id)


def _valid_record(
    draw: st.DrawFn, platform: str | None, captured: dt.datetime | None, content_id: str | None
) -> JSON:
    platform = platform or draw(_platforms)
    if captured is None:
        captured = DAY_START + dt.timedelta(seconds=draw(st.integers(0, 86_399)))
    record: JSON = {
        "content_id": content_id or draw(CONTENT_IDS[platform]),
        "platform": (platform, platform.upper(), f" {platform} ")[draw(st.integers(0, 2))],
        "captured_at": _timestamp_text(draw, captured),
        "views": draw(counts),
    }
    optional = draw(_optional_counters)
    for name in sorted(optional):
        record[name] = draw(counts)
    if draw(st.booleans()):
        record["engagement_rate"] = draw(_rates)
    if draw(st.booleans()):
        published = captured - dt.timedelta(seconds=draw(st.integers(0, 3 * 365 * 86_400)))
        record["published_at"] = _timestamp_text(draw, published)
    if draw(st.booleans()):
        record["title"] = draw(hostile_text)
        record["tags"] = draw(_tag_lists)
        record["format"] = draw(_formats)
        record["duration_seconds"] = draw(st.integers(0, 86_400))
        record["language"] = draw(_languages)
        record["creator_timezone"] = draw(_zones)
    if draw(st.booleans()):
        record = {k: str(v) if k in WHOLE_NUMBER_FIELDS else v for k, v in record.items()}
    return record


def nest(record: JSON) -> JSON:
    """The seed's nested shape: counters under ``metrics``, metadata under ``metadata``,
    and seed aliases for the names that have one."""
    alias = {canonical: seed for seed, canonical in FIELD_ALIASES.items()}
    top: JSON = {}
    metrics: JSON = {}
    metadata: JSON = {}
    for name, value in record.items():
        target = metrics if name in COUNTER_FIELDS else metadata if name in METADATA_FIELDS else top
        target[alias.get(name, name)] = value
    return {**top, "metrics": metrics, "metadata": metadata}


# ----------------------------------------------------------------------------- mutations

Mutation = Callable[[st.DrawFn, JSON], Case]


def _set(record: JSON, name: str, value: Any) -> JSON:
    return {**record, name: value}


def _same(record: JSON, expectation: Expectation, note: str) -> Case:
    return Case(record, expectation, expectation, note)


_whole_number_fields = st.sampled_from(WHOLE_NUMBER_FIELDS)
_bad_whole_numbers = st.one_of(
    st.tuples(st.just("huge"), st.integers(2**63, 2**200)),
    st.tuples(st.just("huge text"), st.integers(10**18, 10**40).map(str)),
    st.tuples(st.just("negative"), st.integers(-(10**30), -1)),
    st.tuples(st.just("negative text"), st.sampled_from(("-1", " -0.5", "- 3"))),
    st.tuples(
        st.just("fraction"), st.floats(0.001, 1e15, allow_nan=False).filter(lambda f: not f.is_integer())
    ),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(
        st.just("number-like text"),
        st.sampled_from(
            ("NaN", "nan", "inf", "-Infinity", "1e3", "12k", "0x10", "0X1f", "\uff11\uff12", "½", "1,000")
        ),
    ),
    st.tuples(st.just("text"), st.sampled_from(UNICODE_STRINGS) | short_text.map(lambda s: s + "é")),
    st.tuples(st.just("injection"), st.sampled_from(INJECTION_STRINGS)),
)


def _bad_whole_number(draw: st.DrawFn, record: JSON) -> Case:
    name = draw(_whole_number_fields)
    kind, value = draw(_bad_whole_numbers)
    return _same(_set(record, name, value), reject(name), f"{name}: {kind} {value!r:.40}")


_numeric_fields = st.sampled_from((*WHOLE_NUMBER_FIELDS, "engagement_rate"))
_non_finite = st.sampled_from((math.nan, math.inf, -math.inf))


def _non_finite_number(draw: st.DrawFn, record: JSON) -> Case:
    """NaN / inf as JSON numbers: not JSON at all (the line is malformed); text in CSV."""
    name = draw(_numeric_fields)
    value = draw(_non_finite)
    return Case(_set(record, name, value), reject("record"), reject(name), f"{name}: {value}")


_scalar_fields = st.sampled_from([c for c in SNAPSHOT_COLUMNS if c != "tags"])
_nested_values = st.one_of(
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(_printable, max_size=5), st.integers() | short_text, max_size=3),
    st.just({"$gt": ""}),
    st.just([[[[[]]]]]),
)
#: In CSV the cell holds a nested value's repr: text where text is allowed, an error elsewhere.
_CHECKED_IN_CSV = ("platform", "captured_at", "engagement_rate", "published_at", *WHOLE_NUMBER_FIELDS)


def _nested_value(draw: st.DrawFn, record: JSON) -> Case:
    """A list or object where a scalar belongs: wrong type in JSON; its repr is text in CSV."""
    name = draw(_scalar_fields)
    value = draw(_nested_values)
    in_csv = reject(name) if name in _CHECKED_IN_CSV else ACCEPT
    return Case(_set(record, name, value), reject(name), in_csv, f"{name}: nested {value!r:.40}")


_bad_rates = st.one_of(
    st.floats(max_value=-1e-9, allow_infinity=False),
    st.sampled_from(("high", "NaN", "inf", "8.5%", "1e400", "-0.1", "0,5", "true", "0x1p-3")),
    st.booleans(),
)


def _bad_rate(draw: st.DrawFn, record: JSON) -> Case:
    value = draw(_bad_rates)
    return _same(_set(record, "engagement_rate", value), reject("engagement_rate"), f"rate {value!r}")


_bad_identities = st.one_of(
    st.tuples(st.just("content_id"), st.sampled_from(("", "   ", "\t\n", "\u3000", "\x1c"))),
    st.tuples(st.just("content_id"), st.none()),
    st.tuples(
        st.just("platform"),
        st.sampled_from(("", " ", "myspace", "\uff59\uff4f\uff55\uff54\uff55\uff42\uff45", "you tube")),
    ),
    st.tuples(st.just("platform"), st.sampled_from(INJECTION_STRINGS)),
    st.tuples(st.just("platform"), st.none()),
)


def _bad_identity(draw: st.DrawFn, record: JSON) -> Case:
    name, value = draw(_bad_identities)
    changed = {k: v for k, v in record.items() if k != name} if value is None else _set(record, name, value)
    return _same(changed, reject(name), f"{name}: {value!r}")


_bad_captures = st.one_of(
    st.sampled_from(MALFORMED_TIMESTAMPS + ZONELESS_TIMESTAMPS + FAR_FUTURE + FAR_PAST),
    st.integers(0, 2**40),
    st.booleans(),
    st.none(),
)


def _bad_captured_at(draw: st.DrawFn, record: JSON) -> Case:
    value = draw(_bad_captures)
    changed = (
        {k: v for k, v in record.items() if k != "captured_at"}
        if value is None
        else _set(record, "captured_at", value)
    )
    return _same(changed, reject("captured_at"), f"captured_at {value!r}")


_bad_publishes = st.sampled_from(
    ("soon", "2026-02-30T00:00:00Z", "2026-10-01T00:00:00", "2026-13-01", "-0001-01-01T00:00:00Z")
)
_late_publishes = st.sampled_from(
    ("9999-12-31T23:59:59Z", "2026-10-06T00:00:00+00:00", "2100-01-01T00:00:00Z")
)


def _bad_published_at(draw: st.DrawFn, record: JSON) -> Case:
    value = draw(_bad_publishes)
    return _same(_set(record, "published_at", value), reject("published_at"), f"published_at {value!r}")


def _published_after_capture(draw: st.DrawFn, record: JSON) -> Case:
    value = draw(_late_publishes)
    return _same(_set(record, "published_at", value), reject("captured_at"), f"published_at {value!r}")


_nul_fields = st.sampled_from(("content_id", "title", "description", "creator_name", "workspace_id"))


def _nul_character(draw: st.DrawFn, record: JSON) -> Case:
    """Postgres text cannot hold NUL; JSON carries it as \\u0000, CSV as a raw character."""
    name = draw(_nul_fields)
    return _same(_set(record, name, draw(nul_text)), reject(name), f"{name}: NUL")


_BENIGN_KINDS = (
    "text",
    "content_id text",
    "unknown field",
    "missing optional",
    "padded number",
    "old publish",
    "tags",
)
_benign_kinds = st.sampled_from(_BENIGN_KINDS)
_text_metadata_fields = st.sampled_from(TEXT_METADATA_FIELDS)
_odd_ids = st.one_of(st.sampled_from(INJECTION_STRINGS + UNICODE_STRINGS), short_text)
_RESERVED = {*SNAPSHOT_COLUMNS, *FIELD_ALIASES, "metrics", "metadata", "source", "item"}
_unknown_fields = st.dictionaries(short_text.filter(lambda k: k not in _RESERVED), hostile_text | counts)
_dropped_fields = st.sets(st.sampled_from(SNAPSHOT_COLUMNS[5:]), min_size=1)
_old_publishes = st.sampled_from(("0001-01-01T00:00:00Z", "1970-01-01T00:00Z"))
_hostile_tags = st.lists(hostile_text, max_size=5)


def _benign(draw: st.DrawFn, record: JSON) -> Case:
    """Odd but legal: unicode / injection text in text fields and ids, unknown fields, missing
    optional fields, whitespace around numbers, published far in the past, hostile tags."""
    kind = draw(_benign_kinds)
    jsonl = csv_ = ACCEPT
    if kind == "text":
        changed = _set(record, draw(_text_metadata_fields), draw(hostile_text))
    elif kind == "content_id text":
        value = draw(_odd_ids)
        changed = _set(record, "content_id", value)
        jsonl = csv_ = ACCEPT if value.strip() else reject("content_id")
    elif kind == "unknown field":
        changed = {**record, **draw(_unknown_fields)}
    elif kind == "missing optional":
        dropped = draw(_dropped_fields)
        changed = {k: v for k, v in record.items() if k not in dropped}
    elif kind == "padded number":
        changed = _set(record, "views", f" {draw(counts)}\t")
    elif kind == "old publish":
        changed = _set(record, "published_at", draw(_old_publishes))
    else:
        changed = _set(record, "tags", draw(_hostile_tags))
    return Case(changed, jsonl, csv_, f"benign {kind}")


MUTATIONS: tuple[Mutation, ...] = (
    _bad_whole_number,
    _non_finite_number,
    _nested_value,
    _bad_rate,
    _bad_identity,
    _bad_captured_at,
    _bad_published_at,
    _published_after_capture,
    _nul_character,
    _benign,
)


_mutations = st.sampled_from(MUTATIONS)
_decoys = st.sampled_from((-1, "x", None, {"a": 1}, "'; drop table raw.content; --"))


@st.composite
def cases(
    draw: st.DrawFn,
    platform: str | None = None,
    captured: dt.datetime | None = None,
    content_id: str | None = None,
    hostile: float | None = None,
) -> Case:
    """A valid record, or one with a single hostile mutation (``hostile`` = probability)."""
    record = _valid_record(draw, platform, captured, content_id)
    mutate = draw(st.floats(0, 1)) < hostile if hostile is not None else draw(st.booleans())
    case = draw(_mutations)(draw, record) if mutate else Case(record, ACCEPT, ACCEPT)
    if draw(st.integers(0, 9)) == 0:  # seed shape: nested metrics/metadata with aliases
        case = replace(case, record=nest(case.record))
    if draw(st.integers(0, 9)) == 0 and case.record:
        name = draw(st.sampled_from(sorted(case.record)))
        decoy = draw(_decoys)
        case = replace(case, duplicate_keys={name: decoy})
    return case


@st.composite
def case_batches(
    draw: st.DrawFn,
    min_size: int = 1,
    max_size: int = 20,
    hostile: float = 0.6,
    id_prefix: str = "id",
    first_minute: int = 0,
) -> list[Case]:
    """Records with distinct snapshot keys (capture minute = ``first_minute`` + position), plus
    planted exact duplicates of earlier records, which must be rejected when the original is
    accepted. Batches loaded together need disjoint minutes: a benign odd content_id replaces the
    ``id_prefix`` id, so two batches may share an id and then must not share a capture time."""
    size = draw(st.integers(min_size, max_size))
    batch: list[Case] = []
    for index in range(size):
        earlier = [c for c in batch if c.note != "duplicate"]
        if earlier and draw(st.integers(0, 9)) == 0:
            original = draw(st.sampled_from(earlier))
            batch.append(
                Case(
                    original.record,
                    _duplicate_of(original.jsonl),
                    _duplicate_of(original.csv),
                    "duplicate",
                    original.duplicate_keys,
                )
            )
            continue
        captured = DAY_START + dt.timedelta(minutes=first_minute + index, seconds=draw(st.integers(0, 59)))
        batch.append(draw(cases(captured=captured, content_id=f"{id_prefix}-{index}", hostile=hostile)))
    return batch


def _duplicate_of(original: Expectation) -> Expectation:
    if original.outcome == "accept":
        return reject("captured_at")
    if original.outcome == "either":
        return EITHER
    return original


# ----------------------------------------------------------------------------- broken lines

#: JSONL lines no record can be read from: each rejected with field ``record``.
BROKEN_JSON_LINES: tuple[bytes, ...] = (
    b'{"content_id": "x", "plat',
    b"[1, 2, 3]",
    b'"just a string"',
    b"42",
    b"null",
    b'{"content_id": "x\xe9", "platform": "youtube"}',  # not UTF-8
    b'{"content_id": "a\x00b", "platform": "youtube"}',  # raw NUL byte: not JSON
    b'{"content_id": "\\ud800", "platform": "youtube"}',  # lone surrogate
    b'{"views": NaN}',
    b"{'single': 'quotes'}",
    b'{"a": 1}}',
    b"\xef\xbb\xbf{}" + b"x",
)


# ----------------------------------------------------------------------------- encoders


def jsonl_line(case: Case) -> str:
    """The record as one JSON line; planted duplicate keys come first with their decoy value
    (the parser keeps the last occurrence).  NaN / inf are written as JSON can't hold them."""
    body = json.dumps(case.record, ensure_ascii=False, allow_nan=True)
    for name, decoy in case.duplicate_keys.items():
        body = "{" + json.dumps(name) + ": " + json.dumps(decoy) + ", " + body[1:]
    return body


def csv_cell(value: Any, name: str = "") -> str:
    """A value as CSV text: tags ``|``-joined, anything else as Python prints it."""
    if value is None:
        return ""
    if name == "tags" and isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def csv_row(case: Case) -> dict[str, str]:
    """The record's canonical columns as CSV cells (unknown fields have no column in CSV)."""
    record = dict(case.record)
    for nested in ("metrics", "metadata"):
        inner = record.pop(nested, None)
        if isinstance(inner, dict):
            record.update(inner)
    flat = {FIELD_ALIASES.get(k, k): v for k, v in record.items()}
    return {name: csv_cell(flat.get(name), name) for name in SNAPSHOT_COLUMNS}


def csv_text(rows: Sequence[Mapping[str, str]]) -> str:
    buffer = io.StringIO()
    # "\r\n" makes the writer quote a bare "\r" too (with "\n" it would end the row).
    writer = csv.DictWriter(buffer, fieldnames=SNAPSHOT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
