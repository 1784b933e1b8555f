"""COPY helpers: frames concatenated from empty slices (as rejects and duplicates are) load intact."""

from __future__ import annotations

import pandas as pd

from dagster_project.warehouse.bulk import copy_frame, frame_to_csv
from dagster_project.warehouse.database import connect


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"reason": pd.array(["a, b", "c"], dtype="string[pyarrow]"), "line": [1, 2]})


def test_an_empty_slice_in_a_concatenation_changes_nothing_in_the_csv():
    frame = _frame()
    joined = pd.concat([frame.iloc[0:0], frame], ignore_index=True)  # once gave NUL bytes
    assert frame_to_csv(joined) == frame_to_csv(frame) == b'"a, b",1\n"c",2\n'


def test_copy_frame_of_a_concatenation_with_an_empty_slice(db):
    joined = pd.concat([_frame().iloc[0:0], _frame()], ignore_index=True)
    with connect(db) as conn:
        conn.execute("create temporary table copied (reason text, line integer)")
        assert copy_frame(conn, "copied", joined) == 2
        rows = conn.execute("select reason, line from copied order by line").fetchall()
    assert rows == [("a, b", 1), ("c", 2)]
