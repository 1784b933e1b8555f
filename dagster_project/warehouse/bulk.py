"""COPY helpers: DataFrames to Postgres as CSV, one statement per frame or streamed."""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import AbstractContextManager
from types import TracebackType

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

_WRITE_OPTIONS = pa_csv.WriteOptions(include_header=False)


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """CSV for ``COPY ... (FORMAT csv)``: nulls unquoted-empty, strings always quoted.

    Time-zone-aware timestamps are written as UTC text with an explicit ``+00`` (Arrow's
    own formatting of zoned timestamps is ~20x slower than of naive ones).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for index, column in enumerate(table.columns):
        if column.num_chunks > 1:
            # A frame concatenated from an empty slice keeps an empty chunk, which Arrow's CSV
            # writer (pyarrow 26) turns into NUL bytes: leave the empty chunks out.
            column = pa.chunked_array([c for c in column.chunks if len(c)], type=column.type)
            table = table.set_column(index, table.field(index), column)
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            naive = column.cast(pa.timestamp(column.type.unit, tz="UTC")).cast(pa.timestamp(column.type.unit))
            text = pc.binary_join_element_wise(pc.cast(naive, pa.string()), pa.scalar("+00"), "")
            table = table.set_column(index, table.field(index).name, text)
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, _WRITE_OPTIONS)
    return buffer.getvalue()


def copy_statement(table: str, columns: Sequence[str]) -> sql.Composed:
    schema, _, name = table.rpartition(".")
    target = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    return sql.SQL("copy {} ({}) from stdin (format csv)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def copy_frame(
    conn: psycopg.Connection, table: str, frame: pd.DataFrame, columns: Sequence[str] | None = None
) -> int:
    """COPY ``frame`` (its ``columns``, in order) into ``schema.table``; returns rows sent."""
    if frame.empty:
        return 0
    columns = list(columns or frame.columns)
    with conn.cursor() as cursor, cursor.copy(copy_statement(table, columns)) as copy:
        copy.write(frame_to_csv(frame[columns]))
    return len(frame)


class CopyStream(AbstractContextManager["CopyStream"]):
    """One long-running COPY fed frame by frame.

    A writer thread sends data while the caller prepares the next frame, so Python work and
    the server's insert work overlap.  ``pause()`` ends the current COPY so other statements
    can run on the connection; the next ``write()`` starts a new one.
    """

    def __init__(self, conn: psycopg.Connection, table: str, columns: Sequence[str]) -> None:
        self._conn = conn
        self._statement = copy_statement(table, columns)
        self._columns = list(columns)
        self._cursor: psycopg.Cursor | None = None
        self._copy_cm: AbstractContextManager | None = None
        self._copy: psycopg.Copy | None = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        if self._copy is None:
            self._cursor = self._conn.cursor()
            self._copy_cm = self._cursor.copy(self._statement, writer=QueuedLibpqWriter(self._cursor))
            self._copy = self._copy_cm.__enter__()
        self._copy.write(frame_to_csv(frame[self._columns]))
        self.rows += len(frame)

    def pause(self) -> None:
        """Finish the running COPY (raising the server's error, if any)."""
        self._finish(None, None, None)

    def _finish(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._copy_cm is None:
            return
        copy_cm, cursor = self._copy_cm, self._cursor
        self._copy_cm = self._copy = self._cursor = None
        try:
            copy_cm.__exit__(exc_type, exc, traceback)
        finally:
            cursor.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._finish(exc_type, exc, traceback)
