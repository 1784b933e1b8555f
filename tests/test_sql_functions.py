"""The SQL analytics functions from the migrations, against hand-computed values."""

from __future__ import annotations

import pytest

from dagster_project.warehouse.database import connect

CASES = [
    ("analytics.engagement_rate(85, 1000)", 0.085),
    ("analytics.engagement_rate(5, 0)", None),
    ("analytics.growth_rate(150, 100)", 0.5),
    ("analytics.growth_rate(150, 0)", None),
    # y = 2x + 1 at x = 1..4, and the classic 1,2,4 -> slope 1.5
    ("analytics.linear_slope(array[3, 5, 7, 9]::float8[])", 2.0),
    ("analytics.linear_slope(array[1, 2, 4]::float8[])", 1.5),
    ("analytics.linear_slope(array[7]::float8[])", None),
    ("analytics.performance_score(50, 100, 200, 300, 400)", 1.25),
    ("analytics.performance_score(200, 100, 200, 300, 400)", 5.0),
    ("analytics.performance_score(250, 100, 200, 300, 400)", 6.25),
    ("analytics.performance_score(400, 100, 200, 300, 400)", 9.0),
    ("analytics.performance_score(2000, 100, 200, 300, 400)", 10.0),
    ("analytics.performance_score(null, 100, 200, 300, 400)", None),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function_values(database_url, expression, expected):
    with connect(database_url) as conn:
        [(value,)] = conn.execute(f"select {expression}").fetchall()
    assert value == (pytest.approx(expected) if expected is not None else None)
