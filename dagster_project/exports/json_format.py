"""JSON: one document ``{"metadata": {...}, "tables": {name: [row, ...]}}``, produced as a stream
of byte chunks (one per batch of rows), so the API can send it while it is being read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import orjson
import psycopg

from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.metadata import export_metadata
from dagster_project.exports.reader import BATCH_ROWS, ExportReport, read_table
from dagster_project.exports.tables import ExportTable
from dagster_project.exports.values import json_bytes


def json_chunks(
    conn: psycopg.Connection,
    filters: ExportFilters,
    tables: tuple[ExportTable, ...],
    report: ExportReport,
    generated_at: dt.datetime,
) -> Iterator[bytes]:
    yield b'{"metadata":' + orjson.dumps(export_metadata(filters, tables, generated_at)) + b',"tables":{'
    for number, table in enumerate(tables):
        yield (b"," if number else b"") + orjson.dumps(table.name) + b":["
        with read_table(conn, table, filters) as (columns, rows):
            names = [c.name for c in columns]
            batch: list[bytes] = []
            written = 0
            for row in rows:
                batch.append(json_bytes(dict(zip(names, row, strict=True))))
                if len(batch) == BATCH_ROWS:
                    yield (b"," if written else b"") + b",".join(batch)
                    written += len(batch)
                    report.count(table.name, len(batch))
                    batch = []
            yield (b"," if written and batch else b"") + b",".join(batch) + b"]"
            report.count(table.name, len(batch))
    yield b"}}"
