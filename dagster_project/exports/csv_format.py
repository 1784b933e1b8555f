"""CSV: one file per table (UTF-8, header row, NULL as an empty cell, JSON and array columns as
JSON text). Several tables travel as a zip (with ``metadata.json``) streamed as it is written,
or, from the command line, as a directory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg

from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.metadata import export_metadata
from dagster_project.exports.reader import BATCH_ROWS, ExportReport, read_table
from dagster_project.exports.tables import ExportTable
from dagster_project.exports.values import csv_text

METADATA_FILE = "metadata.json"


def csv_chunks(
    conn: psycopg.Connection, table: ExportTable, filters: ExportFilters, report: ExportReport
) -> Iterator[bytes]:
    """One table as CSV, a batch of rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with read_table(conn, table, filters) as (columns, rows):
        writer.writerow([c.name for c in columns])
        pending = 0
        for row in rows:
            writer.writerow([csv_text(value) for value in row])
            pending += 1
            if pending == BATCH_ROWS:
                yield _drain(buffer)
                report.count(table.name, pending)
                pending = 0
        yield _drain(buffer)
        report.count(table.name, pending)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


class _Sink:
    """A write-only, unseekable file for ``zipfile``: it collects bytes until taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_chunks(
    conn: psycopg.Connection,
    filters: ExportFilters,
    tables: tuple[ExportTable, ...],
    report: ExportReport,
    generated_at: dt.datetime,
) -> Iterator[bytes]:
    """A zip of ``metadata.json`` and ``<table>.csv`` per table, yielded as it is compressed."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        metadata = export_metadata(filters, tables, generated_at)
        archive.writestr(METADATA_FILE, orjson.dumps(metadata, option=orjson.OPT_INDENT_2))
        for table in tables:
            with archive.open(f"{table.name}.csv", "w", force_zip64=True) as member:
                for chunk in csv_chunks(conn, table, filters, report):
                    member.write(chunk)
                    yield sink.take()
    yield sink.take()


def write_csv_directory(
    conn: psycopg.Connection,
    filters: ExportFilters,
    tables: tuple[ExportTable, ...],
    directory: Path,
    report: ExportReport,
    generated_at: dt.datetime,
) -> list[Path]:
    """``metadata.json`` and ``<table>.csv`` per table in ``directory``; returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    metadata_path = directory / METADATA_FILE
    metadata_path.write_bytes(
        orjson.dumps(export_metadata(filters, tables, generated_at), option=orjson.OPT_INDENT_2)
    )
    written = [metadata_path]
    for table in tables:
        path = directory / f"{table.name}.csv"
        with path.open("wb") as handle:
            for chunk in csv_chunks(conn, table, filters, report):
                handle.write(chunk)
        written.append(path)
    return written
