"""One optimisation insights day: read the day's results per workspace, generate the insights,
compare each with its latest earlier report (new / updated / unchanged) and build the rows.
Nothing here writes: the asset replaces the day's rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from dagster_project.analytics.insights import ReportedInsight, generate_insights, report
from dagster_project.analytics_io.insight_inputs import read_day, read_previous_reports
from dagster_project.analytics_io.insight_rows import insight_rows
from dagster_project.analytics_io.rows import Row


@dataclass(frozen=True)
class InsightDay:
    workspaces: int
    reported: list[ReportedInsight]
    rows: list[Row]


def insight_day(
    conn: psycopg.Connection,
    day: dt.date,
    window_days: int,
    low_performance_threshold: float,
    run_id: str | None,
) -> InsightDay:
    workspaces = read_day(conn, day, window_days, low_performance_threshold)
    previous = read_previous_reports(conn, day)
    reported = [
        item
        for inputs in workspaces
        for item in report(generate_insights(inputs), previous.get(inputs.workspace_id, {}), day)
    ]
    return InsightDay(len(workspaces), reported, insight_rows(reported, day, run_id))
