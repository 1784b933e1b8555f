"""Each format read back and compared with the database, row for row and value for value."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart

from dagster_project.exports import json_format
from dagster_project.exports.excel_charts import DAILY_VIEWS_SHEET, PLATFORM_SHEET
from dagster_project.exports.excel_format import HEADER_FILL, METADATA_SHEET, P_VALUE_FORMAT
from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.formats import ExportFormat, export_chunks, export_to_path, prepare
from dagster_project.exports.reader import ExportReport
from dagster_project.exports.tables import TABLES_BY_NAME
from dagster_project.warehouse.database import connect
from tests.exports.conftest import DAY, EARLIER_DAY
from tests.exports.expected import expected_rows, same_cell, same_json, same_text

GENERATED_AT = dt.datetime(2026, 10, 25, 6, 30, tzinfo=dt.UTC)


def _export_bytes(url: str, fmt: ExportFormat, filters: ExportFilters, tables: tuple[str, ...] = ()):
    with connect(url) as conn:
        filters, selected = prepare(conn, filters, tables)
        report = ExportReport()
        data = b"".join(export_chunks(conn, fmt, filters, selected, report, GENERATED_AT))
    return data, filters, selected, report


def test_json_holds_every_table_row_for_row(warehouse):
    data, filters, tables, report = _export_bytes(warehouse.url, ExportFormat.JSON, ExportFilters("1y"))
    document = json.loads(data)

    assert list(document) == ["metadata", "tables"]
    assert list(document["tables"]) == [t.name for t in tables] == list(TABLES_BY_NAME)
    assert document["metadata"]["generated_at"] == "2026-10-25T06:30:00+00:00"
    assert document["metadata"]["window_end"] == DAY.isoformat() == filters.as_of.isoformat()
    assert document["metadata"]["tables"]["trend_results"] == {
        "source": "analytics.trend_analysis_results",
        "filters_applied": [f"analysis_date {DAY - dt.timedelta(days=364)}..{DAY}"],
    }
    for table in tables:
        stored = expected_rows(warehouse.url, table, filters)
        read = document["tables"][table.name]
        assert len(read) == len(stored) == report.rows[table.name] > 0, table.name
        for got, row in zip(read, stored, strict=True):
            assert list(got) == list(row)
            assert all(same_json(got[k], v) for k, v in row.items()), (table.name, got, row)


def test_json_streams_one_chunk_per_batch_from_a_server_side_cursor(warehouse, monkeypatch):
    monkeypatch.setattr(json_format, "BATCH_ROWS", 100)
    with connect(warehouse.url) as conn:
        filters, tables = prepare(conn, ExportFilters("1y"), ("performance_history",))
        chunks = export_chunks(conn, ExportFormat.JSON, filters, tables, ExportReport(), GENERATED_AT)
        head = [next(chunks), next(chunks), next(chunks)]
        cursors = conn.execute("select name from pg_cursors").fetchall()
        rest = list(chunks)
    assert cursors == [("export_performance_history",)]
    rows = json.loads(b"".join(head + rest))["tables"]["performance_history"]
    assert len(rest) == len(rows) // 100 + 1  # the last chunk closes the list and the document


def test_csv_directory_and_zip_hold_the_filtered_rows(warehouse, tmp_path):
    filters = ExportFilters("7d", platforms=("youtube",))
    with connect(warehouse.url) as conn:
        filters, tables = prepare(conn, filters)
        report = ExportReport()
        files = export_to_path(
            conn, ExportFormat.CSV, filters, tables, tmp_path / "csv", report, GENERATED_AT
        )
    zipped, _, _, _ = _export_bytes(warehouse.url, ExportFormat.CSV, filters)

    assert [f.name for f in files] == ["metadata.json", *(f"{t.name}.csv" for t in tables)]
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    assert archive.namelist() == [f.name for f in files]
    for path in files[1:]:
        assert archive.read(path.name) == path.read_bytes(), path.name
    metadata = json.loads(files[0].read_text())
    assert metadata["platforms"] == ["youtube"] and metadata["window_start"] == str(
        DAY - dt.timedelta(days=6)
    )

    for table, path in zip(tables, files[1:], strict=True):
        stored = expected_rows(warehouse.url, table, filters)
        with path.open(newline="", encoding="utf-8") as handle:
            read = list(csv.DictReader(handle))
        assert len(read) == len(stored) == report.rows[table.name], table.name
        for got, row in zip(read, stored, strict=True):
            assert list(got) == list(row)
            assert all(same_text(got[k], v) for k, v in row.items()), (table.name, got, row)


def test_csv_of_one_table_is_plain_csv(warehouse):
    data, _, tables, report = _export_bytes(
        warehouse.url, ExportFormat.CSV, ExportFilters("30d"), ("platform_comparison",)
    )
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert [t.name for t in tables] == ["platform_comparison"]
    assert rows[0][:3] == ["analysis_date", "workspace_id", "comparison"]
    assert len(rows) - 1 == report.rows["platform_comparison"] > 0


def test_filters_select_what_they_say(warehouse):
    youtube = ExportFilters("7d", platforms=("youtube",))
    data = _export_bytes(warehouse.url, ExportFormat.JSON, youtube)[0]
    tables = json.loads(data)["tables"]
    window = {str(DAY - dt.timedelta(days=d)) for d in range(7)}

    assert {r["metric_date"] for r in tables["performance_history"]} == window
    assert {r["platform"] for r in tables["performance_history"]} == {"youtube"}
    assert {r["platform"] for r in tables["benchmarks"]} == {"youtube"}
    assert {r["scope"] for r in tables["correlations"]} == {"youtube"}
    for name in ("correlations", "platform_comparison", "ab_tests", "trend_results", "anomalies"):
        assert {r["analysis_date"] for r in tables[name]} == {str(DAY)}, name  # EARLIER_DAY is older
    # Tables without a platform column are not filtered by platform.
    assert {r["comparison"] for r in tables["platform_comparison"]} == {
        "metric_by_platform",
        "feature_effect_by_platform",
    }
    assert [r["insight_id"] for r in tables["optimization_insights"]] == ["rising:youtube"]

    month = _export_bytes(warehouse.url, ExportFormat.JSON, ExportFilters("30d"))[0]
    assert {r["analysis_date"] for r in json.loads(month)["tables"]["trend_results"]} == {
        str(EARLIER_DAY),
        str(DAY),
    }


def test_content_filter_keeps_the_items_and_their_series(warehouse):
    insight = next(
        r
        for r in json.loads(_export_bytes(warehouse.url, ExportFormat.JSON, ExportFilters("7d"))[0])[
            "tables"
        ]["optimization_insights"]
        if r["affected_content"]
    )
    wanted = insight["affected_content"][:1]
    data = _export_bytes(warehouse.url, ExportFormat.JSON, ExportFilters("30d", content_ids=tuple(wanted)))[0]
    tables = json.loads(data)["tables"]

    assert {r["content_id"] for r in tables["performance_history"]} == set(wanted)
    assert {(r["series_level"], r["series_id"]) for r in tables["trend_results"]} == {("content", wanted[0])}
    assert [r["insight_id"] for r in tables["optimization_insights"]] == ["rising:youtube"]
    assert len(tables["correlations"]) > 0  # not about content: kept whole


def test_workspace_filter_and_the_latest_day_of_its_tables(warehouse):
    lab = ExportFilters("1y", workspace_id="lab")
    data, filters, _, _ = _export_bytes(warehouse.url, ExportFormat.JSON, lab)
    tables = json.loads(data)["tables"]
    _, history_only, _, _ = _export_bytes(warehouse.url, ExportFormat.JSON, lab, ("performance_history",))
    with connect(warehouse.url) as conn:
        latest_metric_day = conn.execute(
            "select max(metric_date) from marts.content_performance_history where workspace_id = 'lab'"
        ).fetchone()[0]

    # The lab's experiments were analysed on DAY, after its last metric day.
    assert filters.as_of == DAY and history_only.as_of == latest_metric_day < DAY
    assert tables["performance_history"] and tables["ab_tests"]
    assert all(r["workspace_id"] == "lab" for rows in tables.values() for r in rows)


def test_excel_workbook_has_formatted_sheets_metadata_and_charts(warehouse, tmp_path):
    filters = ExportFilters("30d", platforms=("youtube", "tiktok"))
    path = tmp_path / "export.xlsx"
    with connect(warehouse.url) as conn:
        filters, tables = prepare(conn, filters)
        report = ExportReport()
        export_to_path(conn, ExportFormat.EXCEL, filters, tables, path, report, GENERATED_AT)
    workbook = load_workbook(path)

    assert workbook.sheetnames == [
        METADATA_SHEET,
        DAILY_VIEWS_SHEET,
        PLATFORM_SHEET,
        *(t.name for t in tables),
    ]
    info = {row[0]: row[1] for row in workbook[METADATA_SHEET].iter_rows(values_only=True) if row and row[0]}
    assert info["generated_at"] == "2026-10-25T06:30:00+00:00" and info["timeframe"] == "30d"
    assert info["platforms"] == "tiktok, youtube" and info["window_end"] == str(DAY)
    assert info["performance_history"] == "marts.content_performance_history"
    table_rows = {
        row[0]: row[2]
        for row in workbook[METADATA_SHEET].iter_rows(values_only=True)
        if row[0] in TABLES_BY_NAME
    }
    assert table_rows == report.rows

    for table in tables:
        sheet = workbook[table.name]
        stored = expected_rows(warehouse.url, table, filters)
        header, *read = list(sheet.iter_rows(values_only=True))
        assert len(read) == len(stored) == report.rows[table.name], table.name
        for got, row in zip(read, stored, strict=True):
            assert header == tuple(row)
            bad = [(k, g, v) for g, (k, v) in zip(got, row.items(), strict=True) if not same_cell(g, v)]
            assert not bad, (table.name, bad)
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(read) + 1}"
        assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith(HEADER_FILL.fgColor.rgb[-6:])
        assert sheet.column_dimensions["A"].width >= 12

    history = workbook["performance_history"]
    columns = {cell.value: cell.column_letter for cell in history[1]}
    assert history[f"{columns['metric_date']}2"].number_format == "yyyy-mm-dd"
    assert history[f"{columns['views']}2"].number_format == "#,##0"
    correlations = workbook["correlations"]
    p_column = next(c.column for c in correlations[1] if c.value == "p_value")
    p_values = [row[p_column - 1] for row in correlations.iter_rows(min_row=2) if row[p_column - 1].value]
    assert p_values and {cell.number_format for cell in p_values} == {P_VALUE_FORMAT}
    insights = workbook["optimization_insights"]
    title = next(c.column_letter for c in insights[1] if c.value == "title")
    assert insights[f"{title}2"].value.startswith("=Title") and insights[f"{title}2"].data_type == "s"

    daily = workbook[DAILY_VIEWS_SHEET]
    [line] = daily._charts
    assert isinstance(line, LineChart) and len(line.series) == 2  # tiktok, youtube
    header, *days = list(daily.iter_rows(values_only=True))
    assert header == ("date", "tiktok", "youtube", "total")
    with connect(warehouse.url) as conn:
        views = dict(
            conn.execute(
                "select metric_date, sum(daily_views) from marts.content_performance_history "
                "where platform in ('youtube', 'tiktok') and metric_date between %s and %s group by 1",
                filters.window,
            ).fetchall()
        )
    assert {d.date(): total for d, *_, total in days} == {d: float(v) for d, v in views.items()} != {}
    bars = workbook[PLATFORM_SHEET]._charts
    assert len(bars) == 2 and all(isinstance(chart, BarChart) for chart in bars)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"timeframe": "2w"}, "unknown timeframe"),
        ({"platforms": ("myspace",)}, "unknown platform myspace"),
    ],
)
def test_unknown_filters_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        ExportFilters(**arguments)


def test_unknown_or_missing_tables(warehouse):
    with connect(warehouse.url) as conn:
        with pytest.raises(ValueError, match="unknown table nope"):
            prepare(conn, ExportFilters(), ("nope",))
        conn.execute("alter table analytics.optimization_insights rename to optimization_insights_away")
        _, tables = prepare(conn, ExportFilters())
        conn.rollback()
    assert "optimization_insights" not in {t.name for t in tables} and len(tables) == len(TABLES_BY_NAME) - 1


def test_excel_keeps_filter_text_excel_cannot_hold_out_of_the_workbook(warehouse, tmp_path):
    """A content id with a control character (schemathesis sent ``%1F``) made openpyxl refuse the
    metadata sheet: the filter is shown without it, and matches nothing."""
    filters = ExportFilters("7d", content_ids=("id\x1fwith-control", "=cmd()"))
    path = tmp_path / "odd.xlsx"
    with connect(warehouse.url) as conn:
        filters, tables = prepare(conn, filters, ("performance_history",))
        report = ExportReport()
        export_to_path(conn, ExportFormat.EXCEL, filters, tables, path, report, GENERATED_AT)
    info = {row[0]: row[1] for row in load_workbook(path)[METADATA_SHEET].iter_rows(values_only=True) if row}
    assert info["content_ids"] == "=cmd(), idwith-control"
    assert report.rows == {"performance_history": 0}
