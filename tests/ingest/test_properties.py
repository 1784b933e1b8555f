"""Property-based tests: random and hostile records never crash ingestion, and every record is
accounted for - accepted with the schema's invariants, or rejected with a reason naming a field.

Records come from :mod:`tests.ingest.strategies` (one hostile mutation per record, so the field
the reject must name is known).  The validators are exercised through the landing readers on
temporary files (no database); the end-to-end tests run ``load_landing_day`` on the session's
Postgres database, emptied before every example.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.landing import LandingFile, read_landing_file
from dagster_project.ingest.loader import load_landing_day
from dagster_project.ingest.schema import COUNTER_FIELDS, FIELD_ALIASES, PLATFORMS, SNAPSHOT_COLUMNS
from dagster_project.ingest.validation import SeenKeys, ValidationContext, validate_chunk
from dagster_project.warehouse.database import connect
from tests.conftest import RAW_TABLES
from tests.ingest import strategies as rs
from tests.ingest.landing_helpers import DAY, NOW

Format = Literal["jsonl", "csv"]

CONTEXT = ValidationContext(
    landing_day=DAY,
    default_workspace_id="default",
    late_arrival_days=7,
    future_tolerance=dt.timedelta(minutes=60),
    now=NOW,
)
INT32_MAX = 2**31 - 1
#: CSV rows no record can be read from (physical text after the header): field ``record``.
BROKEN_CSV_ROWS: tuple[bytes, ...] = (
    b"only,three,fields",
    b",id-x,youtube,2026-10-05T06:00:00Z,1,,,,,,,,,caf\xe9" + b"," * 10,  # not UTF-8
)

# ----------------------------------------------------------------------------- helpers


def _write_jsonl(path: Path, cases: Sequence[rs.Case], broken: dict[int, bytes]) -> list[tuple[str, Any]]:
    """Write the cases with broken lines at the given positions; returns (kind, item) per record
    in file order, where kind is "case" or "broken"."""
    order = _interleave(cases, broken)
    lines = [rs.jsonl_line(item).encode() if kind == "case" else item for kind, item in order]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return order


def _write_csv(path: Path, cases: Sequence[rs.Case], broken: dict[int, bytes]) -> list[tuple[str, Any]]:
    order = _interleave(cases, broken)
    header, *_ = rs.csv_text([]).encode().splitlines(keepends=True)
    parts = [header]
    for kind, item in order:
        parts.append(
            rs.csv_text([rs.csv_row(item)]).encode().split(b"\n", 1)[1] if kind == "case" else item + b"\n"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(parts))
    return order


def _interleave(cases: Sequence[rs.Case], broken: dict[int, bytes]) -> list[tuple[str, Any]]:
    order: list[tuple[str, Any]] = [("case", c) for c in cases]
    for position, line in sorted(broken.items()):
        order.insert(min(position, len(order)), ("broken", line))
    return order


def _validate_file(path: Path, chunk_rows: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Read one landing file in chunks and validate each: (accepted, rejected, received)."""
    seen = SeenKeys()
    accepted, rejected, received = [], [], 0
    for chunk in read_landing_file(LandingFile(path, path.parts[-3]), chunk_rows):
        received += len(chunk)
        result = validate_chunk(chunk, CONTEXT, seen)
        accepted.append(result.accepted)
        rejected.append(result.rejected)
    return pd.concat(accepted, ignore_index=True), pd.concat(rejected, ignore_index=True), received


def _outcomes(accepted_lines: Sequence[int], rejected: Sequence[tuple[int, str | None, str]]) -> list[tuple]:
    """Per record in file order: ("accept",) or ("reject", field, reason).  Records are ranked
    by source line, so the mapping holds whether lines count rows or physical lines."""
    rows = [(line, ("accept",)) for line in accepted_lines]
    rows += [(line, ("reject", field, reason)) for line, field, reason in rejected]
    lines = [line for line, _ in rows]
    assert len(set(lines)) == len(lines), "a source line is both accepted and rejected, or twice"
    return [outcome for _, outcome in sorted(rows)]


def _check_outcomes(order: list[tuple[str, Any]], outcomes: list[tuple], fmt: Format) -> None:
    assert len(outcomes) == len(order), "received != accepted + rejected"
    for (kind, item), outcome in zip(order, outcomes, strict=True):
        if outcome[0] == "reject":
            _check_reason(outcome[1], outcome[2])
        if kind == "broken":
            assert outcome[:2] == ("reject", "record"), (item, outcome)
            continue
        expected = item.expect(fmt)
        context = (item.note, item.record, item.duplicate_keys, outcome)
        if expected.outcome == "accept":
            assert outcome == ("accept",), context
        elif expected.outcome == "reject":
            assert outcome[:2] == ("reject", expected.field), context


def _check_reason(field: str | None, reason: str) -> None:
    """A reject names its field, and its reason starts with that field (parse errors: 'record')."""
    assert isinstance(reason, str) and reason.strip(), reason
    assert isinstance(field, str) and field, (field, reason)
    assert reason.startswith(f"{field}: ") or field == "record", (field, reason)


def _check_accepted(accepted: pd.DataFrame) -> None:
    """The schema's invariants on accepted, typed rows."""
    if accepted.empty:
        return
    for name in COUNTER_FIELDS:
        values = accepted[name]
        assert str(values.dtype) == "Int64", (name, values.dtype)
        assert (values.dropna() >= 0).all(), name
    assert accepted["views"].notna().all()
    rate = accepted["engagement_rate"].dropna().to_numpy(dtype=float)
    assert np.isfinite(rate).all() and (rate >= 0).all()
    captured = accepted["captured_at"]
    assert str(captured.dtype).startswith("datetime64") and captured.dt.tz is not None
    assert ((captured >= CONTEXT.window_start) & (captured < CONTEXT.window_end)).all()
    published = accepted["meta_published_at"]
    known = published.notna()
    assert (published[known] <= captured[known]).all()
    assert (published[known] >= pd.Timestamp("0001-01-01", tz="UTC")).all()
    duration = accepted["meta_duration_seconds"].dropna()
    assert ((duration >= 0) & (duration <= INT32_MAX)).all()
    for name in ("workspace_id", "content_id"):
        ids = accepted[name]
        assert (ids.str.len() > 0).all() and (ids == ids.str.strip()).all(), name
    assert accepted["platform"].isin(PLATFORMS).all()
    key = accepted[["workspace_id", "platform", "content_id", "captured_at"]]
    assert not key.duplicated().any()
    for name in accepted.columns:
        if accepted[name].dtype == object or str(accepted[name].dtype).startswith("str"):
            assert not accepted[name].dropna().astype(str).str.contains("\x00", regex=False).any(), name


broken_jsonl = st.dictionaries(st.integers(0, 40), st.sampled_from(rs.BROKEN_JSON_LINES), max_size=3)
broken_csv = st.dictionaries(st.integers(0, 40), st.sampled_from(BROKEN_CSV_ROWS), max_size=2)


def _case(record: dict[str, Any], jsonl: rs.Expectation, csv: rs.Expectation | None = None) -> rs.Case:
    return rs.Case(record, jsonl, csv or jsonl, "explicit example")


def _valid(**values: Any) -> dict[str, Any]:
    record = {"content_id": "id-0", "platform": "youtube", "captured_at": "2026-10-05T06:00:00Z", "views": 1}
    return {**record, **values}


# Bugs found by these tests (each used to crash the whole landing day in Postgres).
NUL_IN_CONTENT_ID = [_case(_valid(content_id="a\x00b"), rs.reject("content_id"))]
NUL_IN_TITLE = [_case(_valid(title="x\x00"), rs.reject("title"))]
DURATION_OVER_INT32 = [_case(_valid(duration_seconds=2**31), rs.reject("duration_seconds"))]
LONG_CONTENT_ID = [_case(_valid(content_id="長" * 3000), rs.reject("content_id"))]
PUBLISHED_BEFORE_YEAR_1 = [
    _case(_valid(published_at="0001-01-01T00:00:00+05:00"), rs.reject("published_at")),
    _case(_valid(published_at="-0001-01-01T00:00:00Z"), rs.reject("published_at")),
]
#: Arrow's CSV reader turned "nan", "NA", "null" ... into nulls: an optional counter "nan" was accepted.
NAN_TEXT_IN_CSV = [_case(_valid(watch_time_seconds="nan"), rs.reject("watch_time_seconds"))]
#: Arrow's text-to-int64 cast reads hex: "0x10" was accepted as 16 when the whole column cast.
HEX_COUNTER = [_case(_valid(saves="0x10"), rs.reject("saves"))]
#: ... and any int64: 19 digits below 2**63 were accepted, unlike in a chunk with another bad value.
NINETEEN_DIGITS = [_case(_valid(views="1000000000000000000"), rs.reject("views"))]
RAW_NUL_BYTE_LINE = {0: b'{"content_id": "a\x00b", "platform": "youtube"}'}

# ----------------------------------------------------------------------------- validators


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=rs.case_batches(), broken=broken_jsonl, chunk_rows=st.integers(3, 50))
@example(batch=NUL_IN_CONTENT_ID + NUL_IN_TITLE, broken=RAW_NUL_BYTE_LINE, chunk_rows=5)
@example(batch=HEX_COUNTER + NINETEEN_DIGITS, broken={}, chunk_rows=1)
@example(batch=DURATION_OVER_INT32 + LONG_CONTENT_ID + PUBLISHED_BEFORE_YEAR_1, broken={}, chunk_rows=2)
def test_jsonl_records_are_accepted_or_rejected_naming_the_field(batch, broken, chunk_rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "youtube" / DAY.isoformat() / "b.jsonl"
        order = _write_jsonl(path, batch, broken)
        accepted, rejected, received = _validate_file(path, chunk_rows)

    assert received == len(order) == len(accepted) + len(rejected)
    _check_accepted(accepted)
    rejects = list(zip(rejected["source_line"], rejected["field"], rejected["reason"], strict=True))
    _check_outcomes(order, _outcomes(list(accepted["source_line"]), rejects), "jsonl")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=rs.case_batches(), broken=broken_csv, chunk_rows=st.integers(3, 50))
@example(batch=NUL_IN_CONTENT_ID + NUL_IN_TITLE + NAN_TEXT_IN_CSV, broken={}, chunk_rows=5)
@example(batch=HEX_COUNTER + NINETEEN_DIGITS, broken={}, chunk_rows=1)
@example(
    batch=DURATION_OVER_INT32 + LONG_CONTENT_ID + PUBLISHED_BEFORE_YEAR_1,
    broken={1: BROKEN_CSV_ROWS[1]},
    chunk_rows=2,
)
def test_csv_records_are_accepted_or_rejected_naming_the_field(batch, broken, chunk_rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "youtube" / DAY.isoformat() / "a.csv"
        order = _write_csv(path, batch, broken)
        accepted, rejected, received = _validate_file(path, chunk_rows)

    assert received == len(order) == len(accepted) + len(rejected)
    _check_accepted(accepted)
    rejects = list(zip(rejected["source_line"], rejected["field"], rejected["reason"], strict=True))
    _check_outcomes(order, _outcomes(list(accepted["source_line"]), rejects), "csv")


any_text = st.one_of(
    st.none(), st.text(max_size=20), rs.hostile_text, st.sampled_from(rs.MALFORMED_TIMESTAMPS)
)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.fixed_dictionaries({}, optional=dict.fromkeys(SNAPSHOT_COLUMNS, any_text)), max_size=30)
)
def test_validate_chunk_partitions_any_text_frame(rows):
    """Arbitrary text (NUL, surrogate-free unicode, blanks) in every column of a raw chunk."""
    frame = pd.DataFrame.from_records(
        [{name: row.get(name) for name in SNAPSHOT_COLUMNS} for row in rows], columns=list(SNAPSHOT_COLUMNS)
    )
    for name in SNAPSHOT_COLUMNS:  # as the landing readers type them
        frame[name] = frame[name].astype("str")
    frame["_source_file"] = "api/request"
    frame["_source_line"] = np.arange(1, len(frame) + 1)

    result = validate_chunk(frame, CONTEXT, SeenKeys())

    assert len(result.accepted) + len(result.rejected) == len(rows)
    lines = [*result.accepted["source_line"], *result.rejected["source_line"]]
    assert sorted(lines) == list(range(1, len(rows) + 1))
    _check_accepted(result.accepted)
    for field, reason in zip(result.rejected["field"], result.rejected["reason"], strict=True):
        _check_reason(field, reason)


# ----------------------------------------------------------------------------- end to end


def _empty_raw(url: str) -> None:
    with connect(url) as conn:
        conn.execute(
            sql.SQL("truncate {} restart identity").format(
                sql.SQL(", ").join(sql.Identifier("raw", t) for t in RAW_TABLES)
            )
        )


def _written_text(value: Any) -> str | None:
    """A JSON value as the landing reader receives it (the text the validator sees)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def _received_values(line: bytes) -> dict[str, str]:
    record = orjson.loads(line)  # the loader's parser: duplicate keys keep the last value
    flat = {k: v for k, v in record.items() if k not in ("metrics", "metadata")}
    for nested in ("metrics", "metadata"):
        if isinstance(record.get(nested), dict):
            flat.update(record[nested])
    texts = {FIELD_ALIASES.get(k, k): _written_text(v) for k, v in flat.items()}
    return {k: v for k, v in texts.items() if k in SNAPSHOT_COLUMNS and v is not None}


def _check_payload(kind: str, item: Any, fmt: Format, line: bytes, field: str, payload: str) -> None:
    """The quarantined payload is what was written: the line itself when it could not be read as a
    record, else the record's received values (JSON object of text)."""
    escaped = line.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    if (
        kind == "broken"
        or field == "record"
        or (fmt == "jsonl" and payload.startswith("{") and not _is_flat(payload))
    ):
        assert payload == escaped, (payload, escaped)
        return
    stored = json.loads(payload)
    if fmt == "csv":
        assert stored == {k: v for k, v in rs.csv_row(item).items() if v != ""}
    else:
        assert stored == _received_values(line), (stored, item.record)


def _is_flat(payload: str) -> bool:
    try:
        document = json.loads(payload)
    except ValueError:
        return False
    return isinstance(document, dict) and all(isinstance(v, str) for v in document.values())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    jsonl_batch=rs.case_batches(max_size=25),
    csv_batch=rs.case_batches(max_size=25, id_prefix="csv", first_minute=60),
    broken=broken_jsonl,
    chunk_rows=st.integers(3, 40),
)
@example(
    jsonl_batch=NUL_IN_CONTENT_ID + NUL_IN_TITLE + DURATION_OVER_INT32,
    csv_batch=LONG_CONTENT_ID + PUBLISHED_BEFORE_YEAR_1,
    broken=RAW_NUL_BYTE_LINE,
    chunk_rows=3,
)
def test_load_landing_day_accounts_for_every_hostile_record(
    database_url, jsonl_batch, csv_batch, broken, chunk_rows
):
    url = database_url
    _empty_raw(url)
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        jsonl_path = landing / "tiktok" / DAY.isoformat() / "b.jsonl"
        csv_path = landing / "youtube" / DAY.isoformat() / "a.csv"
        jsonl_order = _write_jsonl(jsonl_path, jsonl_batch, broken)
        csv_order = _write_csv(csv_path, csv_batch, {})
        jsonl_lines = jsonl_path.read_bytes().split(b"\n")
        options = AnalyticsSettings(
            DATABASE_URL=url,
            DATA_DIR=Path(tmp) / ".data",
            LANDING_DIR=landing,
            APP_ENV="testing",
            INGEST_CHUNK_ROWS=chunk_rows,
        )
        report = load_landing_day(url, DAY, settings=options, now=NOW)

    written = len(jsonl_order) + len(csv_order)
    with connect(url) as conn:
        snapshots = conn.execute(
            "select source_file, source_line, content_id from raw.engagement_snapshots"
        ).fetchall()
        rejects = conn.execute(
            "select source_file, source_line, field, reason, payload from raw.rejected_snapshots"
        ).fetchall()
        tables = conn.execute(
            "select to_regclass('raw.content'), to_regclass('raw.engagement_snapshots')"
        ).fetchone()
    assert None not in tables
    assert len(snapshots) + len(rejects) == written == report.received
    assert (report.accepted, report.rejected) == (len(snapshots), len(rejects))

    for name, order, fmt in (("tiktok", jsonl_order, "jsonl"), ("youtube", csv_order, "csv")):
        file_name = f"{name}/{DAY.isoformat()}/{'b.jsonl' if fmt == 'jsonl' else 'a.csv'}"
        accepted_lines = [line for f, line, _ in snapshots if f == file_name]
        file_rejects = [(line, field, reason) for f, line, field, reason, _ in rejects if f == file_name]
        outcomes = _outcomes(accepted_lines, file_rejects)
        _check_outcomes(order, outcomes, fmt)
        payloads = sorted((line, field, payload) for f, line, field, _, payload in rejects if f == file_name)
        by_line = dict(zip(sorted([*accepted_lines, *(r[0] for r in file_rejects)]), order, strict=True))
        for line, field, payload in payloads:
            kind, item = by_line[line]
            raw = jsonl_lines[line - 1] if fmt == "jsonl" else b""
            if fmt == "csv" and kind == "broken":
                continue
            _check_payload(kind, item, fmt, raw, field, payload)

    stored_ids = {content_id for _, _, content_id in snapshots}
    for fmt, order in (("jsonl", jsonl_order), ("csv", csv_order)):
        for kind, item in order:
            if (
                kind == "case"
                and item.expect(fmt).outcome == "accept"
                and item.note.startswith("benign content_id")
            ):
                content_id = str(item.record["content_id"]).strip()
                assert content_id in stored_ids, (content_id, item.note)
