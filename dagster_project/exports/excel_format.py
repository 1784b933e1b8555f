"""Excel (openpyxl, write-only mode: rows go to disk as they are read): a metadata sheet (filters,
generation time, rows per table), the chart sheets, then one formatted sheet per table: styled
and frozen header, column widths and number formats by column type, an autofilter over the rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import BinaryIO

import psycopg
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from dagster_project.exports.excel_charts import add_daily_views_sheet, add_platform_sheet
from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.metadata import export_metadata
from dagster_project.exports.reader import BATCH_ROWS, Column, ExportReport, read_table
from dagster_project.exports.tables import ExportTable
from dagster_project.exports.values import EXCEL_MAX_CELL_CHARACTERS, excel_value

METADATA_SHEET = "metadata"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
NUMBER_FORMATS = {
    "integer": "#,##0",
    "number": "#,##0.0000",
    "date": "yyyy-mm-dd",
    "timestamp": "yyyy-mm-dd hh:mm:ss",
}
P_VALUE_FORMAT = "0.00E+00"  # p-values span many orders of magnitude
WIDTHS = {"integer": 12, "number": 14, "date": 12, "timestamp": 20, "boolean": 10, "json": 40, "text": 20}
MAX_WIDTH = 50


def number_format(column: Column) -> str | None:
    if column.kind == "number" and "p_value" in column.name:
        return P_VALUE_FORMAT
    return NUMBER_FORMATS.get(column.kind)


def column_width(column: Column) -> int:
    return min(max(WIDTHS[column.kind], len(column.name) + 3), MAX_WIDTH)


def _header(sheet: WriteOnlyWorksheet, names: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        cells.append(cell)
    return cells


def _cell(sheet: WriteOnlyWorksheet, value: object, fmt: str | None) -> object:
    """A plain value where the default style shows it right, else a cell with its format. Text
    starting with '=' is made a string cell: openpyxl would otherwise write it as a formula."""
    if isinstance(value, str):
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    if value is None or fmt is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = fmt
    return cell


def _table_sheet(
    workbook: Workbook,
    conn: psycopg.Connection,
    table: ExportTable,
    filters: ExportFilters,
    report: ExportReport,
) -> None:
    sheet = workbook.create_sheet(table.name)
    with read_table(conn, table, filters) as (columns, rows):
        for number, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = column_width(column)
        sheet.freeze_panes = "A2"
        sheet.append(_header(sheet, [c.name for c in columns]))
        formats = [number_format(c) for c in columns]
        written = pending = 0
        for row in rows:
            cells = []
            for value, fmt in zip(row, formats, strict=True):
                converted, truncated = excel_value(value)
                report.truncated_cells += truncated
                cells.append(_cell(sheet, converted, fmt))
            sheet.append(cells)
            pending += 1
            if pending == BATCH_ROWS:
                written += pending
                report.count(table.name, pending)
                pending = 0
        written += pending
        report.count(table.name, pending)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{written + 1}"


def _safe_row(sheet: WriteOnlyWorksheet, values: list[object]) -> list[object]:
    """Cells Excel can hold, for rows that carry the caller's text (filters may hold control
    characters or start with '=')."""
    return [_cell(sheet, excel_value(value)[0], None) for value in values]


def _metadata_sheet(
    sheet: WriteOnlyWorksheet,
    filters: ExportFilters,
    tables: tuple[ExportTable, ...],
    report: ExportReport,
    generated_at: dt.datetime,
) -> None:
    metadata = export_metadata(filters, tables, generated_at)
    for number, width in enumerate((24, 40, 12, 80), start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    for key, value in metadata.items():
        if key != "tables":
            sheet.append(_safe_row(sheet, [key, ", ".join(value) if isinstance(value, list) else value]))
    sheet.append(["truncated_cells", report.truncated_cells])
    if report.truncated_cells:
        sheet.append(["", f"text cut to Excel's {EXCEL_MAX_CELL_CHARACTERS:,} characters; JSON has it all"])
    sheet.append([])
    sheet.append(_header(sheet, ["table", "source", "rows", "filters applied"]))
    for name, about in metadata["tables"].items():
        filters_applied = "; ".join(about["filters_applied"])
        sheet.append(_safe_row(sheet, [name, about["source"], report.rows.get(name, 0), filters_applied]))


def write_workbook(
    conn: psycopg.Connection,
    filters: ExportFilters,
    tables: tuple[ExportTable, ...],
    target: Path | BinaryIO,
    report: ExportReport,
    generated_at: dt.datetime,
) -> None:
    """Write the workbook to ``target`` (a path or a binary file)."""
    workbook = Workbook(write_only=True)
    metadata = workbook.create_sheet(METADATA_SHEET)  # first, filled last (it counts the rows)
    add_daily_views_sheet(workbook, conn, filters)
    add_platform_sheet(workbook, conn, filters)
    for table in tables:
        _table_sheet(workbook, conn, table, filters, report)
    _metadata_sheet(metadata, filters, tables, report, generated_at)
    workbook.save(target)
