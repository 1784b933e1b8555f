"""One entry point per use: ``prepare`` resolves the filters and tables, ``export_chunks`` streams
an export (the API), ``export_to_path`` writes it to disk (the CLI, the Dagster asset)."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import psycopg

from dagster_project.exports.csv_format import csv_chunks, write_csv_directory, zip_chunks
from dagster_project.exports.excel_format import write_workbook
from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.json_format import json_chunks
from dagster_project.exports.reader import ExportReport, existing_tables, resolve_as_of
from dagster_project.exports.tables import ExportTable, select_tables

log = logging.getLogger(__name__)

FILE_CHUNK_BYTES = 1 << 16


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    EXCEL = "excel"


EXCEL_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def prepare(
    conn: psycopg.Connection, filters: ExportFilters, table_names: tuple[str, ...] = ()
) -> tuple[ExportFilters, tuple[ExportTable, ...]]:
    """The filters with their as-of day, and the requested tables that exist (ValueError for an
    unknown table name). The as-of day is the latest day of the requested tables."""
    tables = existing_tables(conn, select_tables(table_names))
    return resolve_as_of(conn, filters, tables), tables


def _single_csv(fmt: ExportFormat, tables: tuple[ExportTable, ...]) -> bool:
    return fmt == ExportFormat.CSV and len(tables) == 1


def media_type(fmt: ExportFormat, tables: tuple[ExportTable, ...]) -> str:
    if fmt == ExportFormat.JSON:
        return "application/json"
    if fmt == ExportFormat.EXCEL:
        return EXCEL_MEDIA_TYPE
    return "text/csv; charset=utf-8" if _single_csv(fmt, tables) else "application/zip"


def file_name(fmt: ExportFormat, filters: ExportFilters, tables: tuple[ExportTable, ...]) -> str:
    """``analytics_<timeframe>_<as-of day>.<ext>`` (a single CSV table is named after the table)."""
    single = _single_csv(fmt, tables)
    stem = f"{tables[0].name if single else 'analytics'}_{filters.timeframe}_{filters.as_of}"
    extensions = {ExportFormat.JSON: "json", ExportFormat.EXCEL: "xlsx", ExportFormat.CSV: "zip"}
    extension = "csv" if single else extensions[fmt]
    return f"{stem}.{extension}"


def export_chunks(
    conn: psycopg.Connection,
    fmt: ExportFormat,
    filters: ExportFilters,
    tables: tuple[ExportTable, ...],
    report: ExportReport,
    generated_at: dt.datetime,
) -> Iterator[bytes]:
    """The export as byte chunks. JSON and CSV are produced while the rows are read; a workbook
    is written to a temporary file first (its zip directory comes last), then read back."""
    if fmt == ExportFormat.JSON:
        yield from json_chunks(conn, filters, tables, report, generated_at)
    elif _single_csv(fmt, tables):
        yield from csv_chunks(conn, tables[0], filters, report)
    elif fmt == ExportFormat.CSV:
        yield from zip_chunks(conn, filters, tables, report, generated_at)
    else:
        with tempfile.TemporaryFile() as handle:
            write_workbook(conn, filters, tables, handle, report, generated_at)
            handle.seek(0)
            while chunk := handle.read(FILE_CHUNK_BYTES):
                yield chunk
    log.info("exported %s rows of %s tables as %s", sum(report.rows.values()), len(tables), fmt.value)


def export_to_path(
    conn: psycopg.Connection,
    fmt: ExportFormat,
    filters: ExportFilters,
    tables: tuple[ExportTable, ...],
    path: Path,
    report: ExportReport,
    generated_at: dt.datetime,
) -> list[Path]:
    """Write the export to ``path`` (a directory for CSV: one file per table); returns the files."""
    if fmt == ExportFormat.CSV:
        written = write_csv_directory(conn, filters, tables, path, report, generated_at)
    else:
        # Written beside the target and renamed when complete: a failed export leaves the last one.
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        if fmt == ExportFormat.EXCEL:
            write_workbook(conn, filters, tables, partial, report, generated_at)
        else:
            with partial.open("wb") as handle:
                for chunk in json_chunks(conn, filters, tables, report, generated_at):
                    handle.write(chunk)
        partial.replace(path)
        written = [path]
    log.info(
        "exported %s rows of %s tables as %s to %s", sum(report.rows.values()), len(tables), fmt.value, path
    )
    return written
