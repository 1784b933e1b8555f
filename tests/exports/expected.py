"""What an export should hold, computed apart from the exporter: every row of a table read
plainly, then the filters applied in Python; and the comparison of a value read back from a
file (JSON, CSV text, Excel cell) with the database's value."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

from psycopg import sql

from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.tables import ContentMatch, ExportTable
from dagster_project.warehouse.database import connect

Row = dict[str, Any]


def all_rows(url: str, table: ExportTable) -> list[Row]:
    with connect(url) as conn:
        cursor = conn.execute(
            sql.SQL("select * from {} order by {}").format(
                sql.Identifier(table.schema, table.table),
                sql.SQL(", ").join(map(sql.Identifier, table.order_by)),
            )
        )
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


def _selected(table: ExportTable, filters: ExportFilters, row: Row) -> bool:
    start, end = filters.window
    if table.date_column and not start <= row[table.date_column] <= end:
        return False
    if filters.workspace_id and row["workspace_id"] != filters.workspace_id:
        return False
    if filters.platforms and table.platform_column and row[table.platform_column] not in filters.platforms:
        return False
    if filters.content_ids and table.content == ContentMatch.COLUMN:
        return row["content_id"] in filters.content_ids
    if filters.content_ids and table.content == ContentMatch.SERIES:
        return row["series_level"] == "content" and row["series_id"] in filters.content_ids
    if filters.content_ids and table.content == ContentMatch.AFFECTED:
        return bool(set(row["affected_content"]) & set(filters.content_ids))
    return True


def expected_rows(url: str, table: ExportTable, filters: ExportFilters) -> list[Row]:
    return [row for row in all_rows(url, table) if _selected(table, filters, row)]


def same_json(read: Any, stored: Any) -> bool:
    """A JSON value read back against the database value."""
    if isinstance(stored, dt.date):
        return read == stored.isoformat()
    if isinstance(stored, float | Decimal):  # Excel keeps 15 significant digits
        return math.isclose(read, float(stored), rel_tol=1e-14)
    return read == stored


def same_text(read: str, stored: Any) -> bool:
    """A CSV cell against the database value."""
    if stored is None:
        return read == ""
    if isinstance(stored, bool):
        return read == str(stored).lower()
    if isinstance(stored, dict | list):
        return json.loads(read) == stored
    if isinstance(stored, dt.datetime):
        return dt.datetime.fromisoformat(read) == stored
    if isinstance(stored, dt.date):
        return dt.date.fromisoformat(read) == stored
    if isinstance(stored, float):
        return float(read) == stored or (math.isnan(stored) and read == "nan")
    if isinstance(stored, int | Decimal):
        return type(stored)(read) == stored
    return read == stored


def same_cell(read: Any, stored: Any) -> bool:
    """An Excel cell (as openpyxl reads it) against the database value."""
    if isinstance(stored, dict | list):
        return json.loads(read) == stored
    if isinstance(stored, dt.datetime):  # Excel keeps times as fractions of a day: to the millisecond
        return abs(read - stored.astimezone(dt.UTC).replace(tzinfo=None)) <= dt.timedelta(milliseconds=1)
    if isinstance(stored, dt.date):
        return read == dt.datetime.combine(stored, dt.time())
    if isinstance(stored, float | Decimal):  # Excel keeps 15 significant digits
        return math.isclose(read, float(stored), rel_tol=1e-14)
    return read == stored
