"""Writing an analysis day: delete the day's rows and insert the new ones in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from dagster_project.warehouse.generations import bump_generations

SCHEMA = "analytics"


def replace_day(
    conn: psycopg.Connection,
    table: str,
    analysis_date: dt.date,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> tuple[int, int]:
    """Replace ``analytics.<table>`` rows of ``analysis_date`` by ``rows``; returns (deleted, inserted).

    Runs in the connection's current transaction: the caller commits (readers see the old day
    until then). Rows of other days are untouched. The table's generation is bumped in the same
    transaction, so serving caches that read it recompute after the commit.
    """
    other_days = sorted({str(row["analysis_date"]) for row in rows if row["analysis_date"] != analysis_date})
    if other_days:
        raise ValueError(f"rows for {analysis_date} include rows of other days: {', '.join(other_days)}")
    target = sql.Identifier(SCHEMA, table)
    deleted = conn.execute(
        sql.SQL("delete from {} where analysis_date = %s").format(target), (analysis_date,)
    ).rowcount
    statement = sql.SQL("copy {} ({}) from stdin").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_python(row[column]) for column in columns])
    bump_generations(conn, [f"{SCHEMA}.{table}"])
    return deleted, len(rows)


def _python(value: Any) -> Any:
    """numpy scalars as Python values (psycopg adapts those)."""
    return value.item() if isinstance(value, np.generic) else value
