"""The export from its three entry points: the REST API (streamed, scoped to the caller's
workspace), the command line, and the daily Dagster asset in its own job."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import dagster as dg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from dagster_project import config
from dagster_project.cli import app as cli
from dagster_project.defs.resources import PostgresResource
from dagster_project.defs.serving.export_assets import EXPORT, analytics_export
from dagster_project.exports.filters import ExportFilters
from dagster_project.exports.formats import EXCEL_MEDIA_TYPE
from dagster_project.exports.tables import TABLES_BY_NAME
from dagster_project.serving.app import create_app
from dagster_project.serving.auth import create_api_key
from dagster_project.warehouse.database import connect
from tests.exports.conftest import DAY
from tests.exports.expected import expected_rows

LAB = "lab"


def _count(url: str, source: str, workspace: str) -> int:
    with connect(url) as conn:
        return conn.execute(
            f"select count(*) from {source} where workspace_id = %s", (workspace,)
        ).fetchone()[0]


@pytest.fixture(scope="module")
def api(warehouse) -> TestClient:
    return TestClient(create_app(warehouse.settings))


@pytest.fixture(scope="module")
def lab_headers(warehouse) -> dict[str, str]:
    with connect(warehouse.url) as conn:
        return {"X-API-Key": create_api_key(conn, LAB, label="export tests").token}


def test_api_streams_the_callers_workspace_only(warehouse, api, lab_headers):
    response = api.get("/analytics/export", params={"format": "json", "timeframe": "1y"}, headers=lab_headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert "content-length" not in response.headers  # streamed, not buffered
    # The window ends on the workspace's latest day: its experiments' last analysis.
    assert response.headers["content-disposition"] == f'attachment; filename="analytics_1y_{DAY}.json"'
    document = response.json()
    assert document["metadata"]["window_end"] == str(DAY)
    tables = document["tables"]
    assert all(row["workspace_id"] == LAB for rows in tables.values() for row in rows)
    history = _count(warehouse.url, "marts.content_performance_history", LAB)
    assert len(tables["performance_history"]) == history > 0
    assert len(tables["ab_tests"]) == _count(warehouse.url, "analytics.ab_test_performance", LAB) > 0


def test_api_csv_is_one_file_for_one_table_and_a_zip_for_several(warehouse, api, lab_headers):
    one = api.get(
        "/analytics/export",
        params={"format": "csv", "timeframe": "1y", "table": "performance_history", "platform": "tiktok"},
        headers=lab_headers,
    )
    several = api.get(
        "/analytics/export",
        params={"format": "csv", "timeframe": "1y", "table": ["performance_history", "benchmarks"]},
        headers=lab_headers,
    )

    assert one.status_code == several.status_code == 200
    assert one.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="performance_history_1y_' in one.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(one.text)))
    assert len(rows) == _count(warehouse.url, "marts.content_performance_history", LAB)
    assert several.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(several.content))
    assert archive.namelist() == ["metadata.json", "performance_history.csv", "benchmarks.csv"]
    assert archive.read("performance_history.csv").decode() == one.text


def test_api_excel_is_a_workbook(warehouse, api, lab_headers):
    response = api.get(
        "/analytics/export", params={"format": "excel", "timeframe": "1y"}, headers=lab_headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == EXCEL_MEDIA_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    assert set(TABLES_BY_NAME) <= set(workbook.sheetnames)
    assert workbook["performance_history"].max_row - 1 == _count(
        warehouse.url, "marts.content_performance_history", LAB
    )


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"timeframe": "2w"}, 422),
        ({"format": "pdf"}, 422),
        ({"platform": "myspace"}, 422),
        ({"table": "secrets"}, 422),
        ({"content_id": ""}, 422),
        ({"content_id": "a\x00b"}, 422),
    ],
)
def test_api_refuses_bad_parameters(api, lab_headers, params, status):
    response = api.get("/analytics/export", params=params, headers=lab_headers)
    assert response.status_code == status, response.text


def test_api_needs_a_key(api):
    assert api.get("/analytics/export").status_code == 401
    assert api.get("/analytics/export", headers={"X-API-Key": "perf_nope"}).status_code == 401


@pytest.fixture
def cli_environment(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", warehouse.url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def test_cli_writes_a_csv_directory_and_reports_rows(warehouse, cli_environment):
    target = cli_environment / "csv"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "-f",
            "csv",
            "--timeframe",
            "1y",
            "--workspace",
            LAB,
            "--table",
            "performance_history",
            "--table",
            "ab_tests",
            "--output",
            str(target),
        ],
    )

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == [
        "ab_tests.csv",
        "metadata.json",
        "performance_history.csv",
    ]
    history = _count(warehouse.url, "marts.content_performance_history", LAB)
    with (target / "performance_history.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == history
    assert (
        f"wrote {history + _count(warehouse.url, 'analytics.ab_test_performance', LAB):,} rows"
        in result.output
    )
    assert json.loads((target / "metadata.json").read_text())["workspace_id"] == LAB


def test_cli_excel_goes_to_the_data_directory_by_default(cli_environment):
    result = CliRunner().invoke(
        cli, ["export", "--as-of", str(DAY), "--timeframe", "7d", "--platform", "youtube"]
    )

    assert result.exit_code == 0, result.output
    path = cli_environment / "data" / "exports" / f"analytics_7d_{DAY}.xlsx"
    assert load_workbook(path)["metadata"]["B1"].value  # generated_at
    assert CliRunner().invoke(cli, ["export", "--timeframe", "2w"]).exit_code == 2


def test_asset_writes_the_days_excel_and_json(warehouse, tmp_path):
    result = dg.materialize(
        [analytics_export],
        partition_key=str(DAY),
        resources={"warehouse": PostgresResource(database_url=warehouse.url)},
        run_config={"ops": {"exports__analytics_export": {"config": {"directory": str(tmp_path)}}}},
    )

    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    json_path, excel_path = (
        tmp_path / str(DAY) / f"analytics_7d_{DAY}.json",
        tmp_path / str(DAY) / f"analytics_7d_{DAY}.xlsx",
    )
    assert (metadata["json_path"], metadata["excel_path"]) == (str(json_path), str(excel_path))
    assert (metadata["json_bytes"], metadata["excel_bytes"]) == (
        json_path.stat().st_size,
        excel_path.stat().st_size,
    )
    tables = json.loads(json_path.read_bytes())["tables"]
    assert metadata["rows_per_table"] == {name: len(rows) for name, rows in tables.items()}
    assert metadata["rows"] == sum(len(rows) for rows in tables.values()) > 0
    assert json.loads(json_path.read_bytes())["metadata"]["window_start"] == str(DAY - dt.timedelta(days=6))
    expected = expected_rows(
        warehouse.url, TABLES_BY_NAME["performance_history"], ExportFilters("7d", as_of=DAY)
    )
    assert len(tables["performance_history"]) == len(expected) > 0
    assert load_workbook(excel_path)["performance_history"].max_row - 1 == len(expected)
    assert not list(tmp_path.rglob("*.partial"))


def test_export_job_holds_only_the_export_asset():
    from dagster_project.definitions import defs

    definitions = defs()
    job = definitions.resolve_job_def("export_job")
    assert job.asset_layer.executable_asset_keys == {EXPORT}
    daily = definitions.resolve_job_def("daily_pipeline_job")
    assert EXPORT not in daily.asset_layer.executable_asset_keys
