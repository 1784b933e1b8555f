"""Reading export tables through a given connection: the day the timeframe ends on, which tables
exist, and each table's rows from a server-side (named) cursor, a batch at a time."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Literal

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.tables import HISTORY, ExportTable, filter_conditions

log = logging.getLogger(__name__)

BATCH_ROWS = 2_000
Kind = Literal["integer", "number", "date", "timestamp", "boolean", "json", "text"]
_KINDS: dict[str, Kind] = {
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "float4": "number",
    "float8": "number",
    "numeric": "number",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "bool": "boolean",
    "json": "json",
    "jsonb": "json",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind


@dataclass
class ExportReport:
    """Rows written per table as the export goes (``progress`` is told after every batch)."""

    rows: dict[str, int] = field(default_factory=dict)
    truncated_cells: int = 0
    progress: Callable[[str, int], None] | None = None

    def count(self, table: str, rows: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + rows
        if self.progress:
            self.progress(table, self.rows[table])


def resolve_as_of(
    conn: psycopg.Connection, filters: ExportFilters, tables: tuple[ExportTable, ...]
) -> ExportFilters:
    """The filters with ``as_of`` set: as given, else the latest day of the tables' date columns
    visible through ``conn`` within the filters' workspace (an analysis day may come after the
    last metric day); today (UTC) when they are empty."""
    if filters.as_of is not None:
        return filters
    dated = [t for t in tables if t.date_column]
    if not dated:
        return filters.on(dt.datetime.now(dt.UTC).date())
    workspace = sql.SQL("workspace_id = %s") if filters.workspace_id else sql.SQL("true")
    latest = sql.SQL(" union all ").join(
        sql.SQL("select max({}) as day from {} where {}").format(
            sql.Identifier(t.date_column), sql.Identifier(t.schema, t.table), workspace
        )
        for t in dated
    )
    params = [filters.workspace_id] * len(dated) if filters.workspace_id else []
    day = conn.execute(sql.SQL("select max(day) from ({}) as days").format(latest), params).fetchone()[0]
    return filters.on(day or dt.datetime.now(dt.UTC).date())


def existing_tables(conn: psycopg.Connection, tables: tuple[ExportTable, ...]) -> tuple[ExportTable, ...]:
    """The tables the database has (a table a later migration or dbt run creates may be missing)."""
    found = conn.execute(
        "select name from unnest(%s::text[]) as name where to_regclass(name) is not null",
        ([t.source for t in tables],),
    ).fetchall()
    present = {name for (name,) in found}
    missing = [t.source for t in tables if t.source not in present]
    if missing:
        log.warning("export skips tables that do not exist: %s", ", ".join(missing))
    return tuple(t for t in tables if t.source in present)


def _kind(conn: psycopg.Connection, oid: int) -> Kind:
    info = conn.adapters.types.get(oid)
    if info is None:
        return "text"
    if info.array_oid == oid:
        return "json"  # arrays are written as JSON lists
    return _KINDS.get(info.name, "text")


@contextmanager
def read_table(
    conn: psycopg.Connection, table: ExportTable, filters: ExportFilters, batch_rows: int = BATCH_ROWS
) -> Iterator[tuple[list[Column], Iterator[tuple]]]:
    """The table's columns and its selected rows, fetched ``batch_rows`` at a time.

    A named cursor lives in a transaction: the caller's if one is open (the API's workspace
    scope), else one opened here (read-only work, so commit or rollback is the same).
    """
    statement, params = table.query(filters)
    with ExitStack() as stack:
        if conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
            stack.enter_context(conn.transaction())
        cursor = stack.enter_context(conn.cursor(name=f"export_{table.name}"))
        cursor.itersize = batch_rows
        cursor.execute(statement, params)
        columns = [Column(d.name, _kind(conn, d.type_code)) for d in cursor.description]
        yield columns, iter(cursor)


def summary_rows(
    conn: psycopg.Connection, select: sql.Composable, group_by: sql.Composable, filters: ExportFilters
) -> list[tuple]:
    """``select <select> from <performance history> where <filters> group by <group_by>``: the
    aggregates behind the Excel charts, under the same filters as the history sheet."""
    conditions, params = filter_conditions(HISTORY, filters)
    statement = sql.SQL("select {} from {} where {} group by {} order by {}").format(
        select,
        sql.Identifier(HISTORY.schema, HISTORY.table),
        sql.SQL(" and ").join(conditions),
        group_by,
        group_by,
    )
    return conn.execute(statement, params).fetchall()
