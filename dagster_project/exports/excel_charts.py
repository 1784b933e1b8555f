"""The two chart sheets of the Excel export: daily views per platform over the timeframe (a line
chart) and the platforms side by side (bar charts), both aggregated from the performance
history under the export's filters. Native Excel charts: they stay live when a reader edits the
numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import psycopg
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from psycopg import sql

from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.reader import summary_rows
from dagster_project.exports.values import excel_value

DAILY_VIEWS_SHEET = "daily_views"
PLATFORM_SHEET = "platform_summary"
PLATFORM_COLUMNS = (
    "platform",
    "content_items",
    "total_daily_views",
    "avg_engagement_rate",
    "avg_performance_score",
)
PLATFORM_CHARTS = (
    ("total_daily_views", "Views by platform"),
    ("avg_engagement_rate", "Mean engagement rate"),
)


def pivot_daily_views(
    rows: Sequence[tuple[dt.date, str, float | Decimal | None]],
) -> tuple[list[str], list[list[object]]]:
    """(metric day, platform, views) rows as one row per day: date, views per platform, total."""
    platforms = sorted({platform for _, platform, _ in rows})
    by_day: dict[dt.date, dict[str, float]] = {}
    for day, platform, views in rows:
        by_day.setdefault(day, {})[platform] = float(views or 0)
    table = [
        [day, *(views.get(p, 0.0) for p in platforms), sum(views.values())]
        for day, views in sorted(by_day.items())
    ]
    return platforms, table


def _sized(sheet: WriteOnlyWorksheet, widths: Sequence[int]) -> None:
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A2"


def add_daily_views_sheet(workbook: Workbook, conn: psycopg.Connection, filters: ExportFilters) -> int:
    """The sheet and its line chart; returns the number of days."""
    rows = summary_rows(
        conn, sql.SQL("metric_date, platform, sum(daily_views)"), sql.SQL("metric_date, platform"), filters
    )
    platforms, table = pivot_daily_views(rows)
    sheet = workbook.create_sheet(DAILY_VIEWS_SHEET)
    _sized(sheet, [12] + [14] * (len(platforms) + 1))
    sheet.append(["date", *platforms, "total"])
    for row in table:
        sheet.append(row)
    if table:
        chart = LineChart()
        chart.title = "Daily views by platform"
        chart.y_axis.title = "views per day"
        chart.x_axis.number_format = "yyyy-mm-dd"
        chart.width, chart.height = 24, 12
        chart.add_data(
            Reference(sheet, min_col=2, max_col=len(platforms) + 1, min_row=1, max_row=len(table) + 1),
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(table) + 1))
        sheet.add_chart(chart, f"{get_column_letter(len(platforms) + 4)}2")
    return len(table)


def add_platform_sheet(workbook: Workbook, conn: psycopg.Connection, filters: ExportFilters) -> int:
    """The sheet and its bar charts; returns the number of platforms."""
    rows = summary_rows(
        conn,
        sql.SQL(
            "platform, count(distinct content_id), sum(daily_views), avg(engagement_rate), "
            "avg(performance_score)"
        ),
        sql.SQL("platform"),
        filters,
    )
    sheet = workbook.create_sheet(PLATFORM_SHEET)
    _sized(sheet, [12, 14, 18, 20, 22])
    sheet.append(list(PLATFORM_COLUMNS))
    for row in rows:
        sheet.append([excel_value(value)[0] for value in row])
    if rows:
        for number, (column, title) in enumerate(PLATFORM_CHARTS):
            index = PLATFORM_COLUMNS.index(column) + 1
            chart = BarChart()
            chart.title = title
            chart.width, chart.height = 16, 8
            chart.add_data(
                Reference(sheet, min_col=index, max_col=index, min_row=1, max_row=len(rows) + 1),
                titles_from_data=True,
            )
            chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(rows) + 1))
            sheet.add_chart(chart, f"G{2 + 17 * number}")
    return len(rows)
