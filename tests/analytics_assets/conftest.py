"""One warehouse for the whole folder: synthetic data with planted effects (workspace "default"),
a hand-made "lab" workspace with large experiments, both experiment declaration files, loaded
and built once (in its own scratch database, so the session database's per-test cleanup does
not drop the marts between tests)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dagster_project.analytics_io.daily import Thresholds
from dagster_project.analytics_io.experiments import (
    declaration_files,
    read_declarations,
    sync_declarations,
    write_declarations,
)
from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.synthetic import SyntheticSpec, experiment_declarations, generate
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import run_dbt
from tests.analytics_assets.helpers import (
    RESULT_TABLES,
    lab_data,
    land_by_capture_day,
)
from tests.conftest import create_scratch_database, drop_database

SPEC = SyntheticSpec(items=300, days=45, end_date=dt.date(2026, 10, 31), seed=42)
NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
# The seed defaults of the settings (MIN_DATA_POINTS_FOR_ANALYSIS, CORRELATION_SIGNIFICANCE_THRESHOLD).
THRESHOLDS = Thresholds(alpha=0.05, min_sample_size=10)
MARTS = ("content_performance_history", "content_feature_analysis")


def build_marts(url: str) -> None:
    """Seeds, staging, intermediate models and the two marts the analyses read (no dbt tests)."""
    run_dbt(url, ["build", "--select", *(f"+{m}" for m in MARTS), "--exclude-resource-type", "test"])


@dataclass(frozen=True)
class Warehouse:
    url: str
    landing: Path
    settings: AnalyticsSettings
    ground_truth: dict[str, Any]


@pytest.fixture(scope="package")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    url = create_scratch_database(server_url, "perf_analytics")
    try:
        migrate.upgrade(url)
        landing = tmp_path_factory.mktemp("analytics_landing")
        summary = generate(landing, SPEC)
        snapshots, lab_declarations = lab_data()
        land_by_capture_day(landing, "tiktok", snapshots)
        write_declarations(landing, "synthetic.csv", experiment_declarations(summary.ground_truth_path))
        write_declarations(landing, "lab.csv", lab_declarations)
        settings = AnalyticsSettings(
            DATABASE_URL=url, LANDING_DIR=landing, DATA_DIR=landing.parent / ".data", APP_ENV="testing"
        )
        for offset in range(SPEC.days):
            load_landing_day(url, SPEC.start_date + dt.timedelta(days=offset), settings=settings, now=NOW)
        build_marts(url)
        files = declaration_files(landing)
        with connect(url) as conn:
            sync_declarations(conn, read_declarations(files, settings.DEFAULT_WORKSPACE_ID), len(files))
        truth = json.loads(summary.ground_truth_path.read_text(encoding="utf-8"))
        yield Warehouse(url, landing, settings, truth)
    finally:
        drop_database(url)


@pytest.fixture
def clean(warehouse: Warehouse) -> Warehouse:
    """The warehouse with empty result tables (declared experiments stay)."""
    with connect(warehouse.url) as conn:
        conn.execute("truncate " + ", ".join(f"analytics.{t}" for t in RESULT_TABLES))
    return warehouse
