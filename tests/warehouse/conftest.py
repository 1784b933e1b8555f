"""Fixtures for dbt models: a migrated, seeded scratch database and a build helper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pytest

from dagster_project.warehouse.dbt import run_dbt, window_vars

Build = Callable[..., str]


@pytest.fixture
def dbt_build(db: str) -> Build:
    """``dbt_build(select=..., start=..., end=...)`` builds models on the test database.

    ``start``/``end`` (inclusive) set the metric-date window like a Dagster partition range;
    without them the wide defaults rebuild everything.  Returns dbt's stdout.
    """

    def build(
        select: Sequence[str] = ("+content_performance_history",),
        start: dt.date | None = None,
        end: dt.date | None = None,
        command: str = "build",
        full_refresh: bool = False,
    ) -> str:
        args = [command, "--select", *select]
        if start is not None and end is not None:
            args += ["--vars", window_vars(start, end + dt.timedelta(days=1))]
        if full_refresh:
            args.append("--full-refresh")
        return run_dbt(db, args).stdout

    return build


@pytest.fixture
def seeded(db: str) -> str:
    run_dbt(db, ["seed", "--full-refresh"])
    return db
