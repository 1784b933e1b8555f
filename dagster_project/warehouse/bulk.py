"""COPY helpers: stream a DataFrame into a table as CSV in one server round trip."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql

_WRITE_OPTIONS = pa_csv.WriteOptions(include_header=False)


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """CSV for ``COPY ... (FORMAT csv)``: nulls unquoted-empty, strings always quoted."""
    buffer = io.BytesIO()
    pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buffer, _WRITE_OPTIONS)
    return buffer.getvalue()


def copy_frame(
    conn: psycopg.Connection, table: str, frame: pd.DataFrame, columns: Sequence[str] | None = None
) -> int:
    """COPY ``frame`` (its ``columns``, in order) into ``schema.table``; returns rows sent."""
    if frame.empty:
        return 0
    columns = list(columns or frame.columns)
    schema, _, name = table.rpartition(".")
    target = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(frame_to_csv(frame[columns]))
    return len(frame)
