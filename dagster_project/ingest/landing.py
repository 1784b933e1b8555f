"""Reading landing files into chunks of raw string records.

Layout: ``<landing_dir>/<platform>/<YYYY-MM-DD>/*.csv|*.jsonl``; the date folder is the day the
files were received (the ingestion partition).  Every reader yields :class:`RawChunk` frames
whose value columns are strings exactly as received (``None`` when absent), plus
``_source_file`` / ``_source_line`` and, for records that could not even be parsed, a
``_parse_reason`` / ``_parse_field`` / ``_payload`` so the validator quarantines them.

CSV is read by pyarrow (quoted newlines allowed); a file with a malformed row or invalid
UTF-8 is re-read exactly by Python's csv module so each bad row is quarantined with its
physical line number.  JSONL line by line with orjson, nested ``metrics``
/ ``metadata`` objects flattened and platform-native envelopes mapped by the adapters.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from dagster_project.ingest.adapters import AdapterError, adapt_envelope
from dagster_project.ingest.schema import FIELD_ALIASES, SNAPSHOT_COLUMNS

SUFFIXES = (".csv", ".jsonl")
SOURCE_COLUMNS = ("_source_file", "_source_line", "_parse_reason", "_parse_field", "_payload")
CHUNK_BYTES = 16 << 20


class LandingFileError(Exception):
    """A landing file that cannot be read at all (fails the run, naming the path)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class LandingFile:
    path: Path
    platform_folder: str

    @property
    def relative_name(self) -> str:
        return "/".join(self.path.parts[-3:])


def landing_files(landing_dir: Path, day: dt.date) -> list[LandingFile]:
    """All landing files of one received day, in a stable order."""
    found = []
    if not landing_dir.is_dir():
        return found
    for platform_dir in sorted(p for p in landing_dir.iterdir() if p.is_dir()):
        day_dir = platform_dir / day.isoformat()
        if day_dir.is_dir():
            found.extend(
                LandingFile(path, platform_dir.name)
                for path in sorted(day_dir.iterdir())
                if path.is_file() and path.suffix in SUFFIXES
            )
    return found


def landing_days(landing_dir: Path) -> list[dt.date]:
    """Every day that has a landing folder, sorted."""
    days: set[dt.date] = set()
    if landing_dir.is_dir():
        for day_dir in landing_dir.glob("*/*"):
            try:
                days.add(dt.date.fromisoformat(day_dir.name))
            except ValueError:
                continue
    return sorted(days)


def read_landing_file(file: LandingFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield raw chunks of one file (see module docstring for the columns)."""
    if not file.path.exists():
        raise LandingFileError(file.path, "file does not exist")
    reader = _read_csv if file.path.suffix == ".csv" else _read_jsonl
    yield from reader(file, chunk_rows)


# ----------------------------------------------------------------------------- CSV


def _read_csv(file: LandingFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Fast path: pyarrow parses the whole file; any malformed row or invalid UTF-8 sends the
    file to the exact (slower) Python reader, which reports physical line numbers."""
    header = _csv_header(file.path)
    unknown = [name for name in header if _canonical(name) not in SNAPSHOT_COLUMNS]
    if unknown:
        raise LandingFileError(file.path, f"unknown CSV column(s): {', '.join(unknown)}")
    columns = [_canonical(name) for name in header]
    batches = _arrow_batches(file, columns)
    if batches is None:
        yield from _read_csv_exact(file, columns, chunk_rows)
        return
    next_line = 2  # line 1 is the header
    pending: list[pd.DataFrame] = []
    pending_rows = 0
    for batch in batches:
        pending.append(_batch_frame(batch, file, next_line))
        next_line += batch.num_rows
        pending_rows += batch.num_rows
        if pending_rows >= chunk_rows:
            yield pd.concat(pending, ignore_index=True)
            pending, pending_rows = [], 0
    if pending:
        yield pd.concat(pending, ignore_index=True)


def _arrow_batches(file: LandingFile, columns: list[str]) -> list[pa.RecordBatch] | None:
    """All record batches of a clean file, or None when a row is malformed or not UTF-8."""
    malformed: list[int] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        malformed.append(row.number or 0)
        return "skip"

    try:
        reader = pa_csv.open_csv(
            file.path,
            read_options=pa_csv.ReadOptions(
                column_names=columns, skip_rows=1, block_size=CHUNK_BYTES, use_threads=False
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                null_values=[""],  # not Arrow's defaults ("NA", "nan", "null" ...): those are data
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        batches = list(reader)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    except OSError as error:
        raise LandingFileError(file.path, f"unreadable CSV: {error}") from error
    return None if malformed else batches


def _batch_frame(batch: pa.RecordBatch, file: LandingFile, first_line: int) -> pd.DataFrame:
    frame = batch.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get)
    frame["_source_file"] = file.relative_name
    frame["_source_line"] = np.arange(first_line, first_line + batch.num_rows)
    for name in ("_parse_reason", "_parse_field", "_payload"):
        frame[name] = None
    return frame


def _read_csv_exact(file: LandingFile, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Python's csv reader with physical line numbers; bad rows become parse rejects."""
    records: list[dict[str, Any]] = []
    with file.path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        line = reader.line_num + 1
        for fields in reader:
            raw = ",".join(fields)
            if not any(f.strip() for f in fields):
                pass
            elif _has_surrogates(raw):
                payload = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                records.append(_reject_line(file, line, "wrong encoding: not valid UTF-8", "record", payload))
            elif len(fields) != len(columns):
                reason = f"malformed CSV row: {len(fields)} fields, header has {len(columns)}"
                records.append(_reject_line(file, line, reason, "record", raw))
            else:
                row = {name: value or None for name, value in zip(columns, fields, strict=True)}
                row.update(_source_file=file.relative_name, _source_line=line, _payload=None)
                records.append(row)
            line = reader.line_num + 1
            if len(records) >= chunk_rows:
                yield records_frame(records)
                records = []
    if records:
        yield records_frame(records)


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise LandingFileError(path, "CSV header is not valid UTF-8") from error
    if not text:
        raise LandingFileError(path, "empty CSV file (no header)")
    return [name.strip().strip('"') for name in text.split(",")]


# ----------------------------------------------------------------------------- JSONL


def _read_jsonl(file: LandingFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    records: list[dict[str, Any]] = []
    try:
        handle = file.path.open("rb")
    except OSError as error:
        raise LandingFileError(file.path, f"unreadable file: {error}") from error
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            records.append(_parse_json_line(raw, file, line_number))
            if len(records) >= chunk_rows:
                yield records_frame(records)
                records = []
    if records:
        yield records_frame(records)


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=[*SNAPSHOT_COLUMNS, *SOURCE_COLUMNS])
    for name in SNAPSHOT_COLUMNS:
        frame[name] = frame[name].astype("str")
    return frame


def _reject_line(file: LandingFile, line: int, reason: str, field: str, payload: str) -> dict[str, Any]:
    return {
        "_source_file": file.relative_name,
        "_source_line": line,
        "_parse_reason": reason,
        "_parse_field": field,
        "_payload": payload,
    }


def _parse_json_line(raw: bytes, file: LandingFile, line: int) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        payload = raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
        return _reject_line(file, line, "wrong encoding: not valid UTF-8", "record", payload)
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return _reject_line(file, line, f"malformed JSON line: {error.msg}", "record", text)
    if not isinstance(document, dict):
        return _reject_line(file, line, "malformed JSON line: not an object", "record", text)
    if "source" in document and "item" in document:
        try:
            document = adapt_envelope(document)
        except AdapterError as error:
            return _reject_line(file, line, f"{error.field}: {error.reason}", error.field, text)
    flat, wrong_type = flatten_record(document)
    if wrong_type:
        return _reject_line(file, line, f"{wrong_type}: wrong type (nested value)", wrong_type, text)
    flat.update(_source_file=file.relative_name, _source_line=line, _payload=None)
    return flat


def flatten_record(document: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Canonical flat string values; the name of the first nested scalar field, if any."""
    flat: dict[str, Any] = {}
    items = list(document.items())
    for nested in ("metrics", "metadata"):
        inner = document.get(nested)
        if isinstance(inner, dict):
            items.extend(inner.items())
    for key, value in items:
        name = _canonical(key)
        if name not in SNAPSHOT_COLUMNS or value is None:
            continue
        if name == "tags" and isinstance(value, list):
            flat[name] = "|".join(str(tag) for tag in value)
        elif isinstance(value, dict | list):
            return flat, name
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            flat[name] = str(int(value))
        else:
            flat[name] = str(value)
    return flat, None


def _canonical(name: str) -> str:
    return FIELD_ALIASES.get(name, name)
