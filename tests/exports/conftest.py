"""One small warehouse for the export tests, built once: synthetic data (workspace "default")
and the hand-made "lab" workspace (tiktok, with experiments), the marts built by dbt, every
analysis run for two days (a week apart, so a 7-day timeframe holds one of them) and two
optimisation insights, in its own scratch database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg.types.json import Jsonb

from dagster_project.analytics_io.daily import (
    Thresholds,
    ab_day,
    correlation_day,
    importance_day,
    platform_day,
)
from dagster_project.analytics_io.experiments import (
    declaration_files,
    read_declarations,
    sync_declarations,
    write_declarations,
)
from dagster_project.analytics_io.frames import AnalysisWindow, prepare_features, read_content_features
from dagster_project.analytics_io.rows import (
    AB_COLUMNS,
    CORRELATION_COLUMNS,
    IMPORTANCE_COLUMNS,
    PLATFORM_COLUMNS,
)
from dagster_project.analytics_io.series_frames import read_history
from dagster_project.analytics_io.store import replace_day
from dagster_project.analytics_io.trend_day import trend_day
from dagster_project.analytics_io.trend_rows import ANOMALY_COLUMNS, TREND_COLUMNS
from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.synthetic import SyntheticSpec, generate
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import run_dbt
from tests.analytics_assets.helpers import lab_data, land_by_capture_day
from tests.conftest import create_scratch_database, drop_database

SPEC = SyntheticSpec(items=40, days=24, end_date=dt.date(2026, 10, 24), seed=7)  # lab days included
NOW = dt.datetime(2026, 10, 25, 12, tzinfo=dt.UTC)
DAY = SPEC.end_date
EARLIER_DAY = DAY - dt.timedelta(days=8)
WINDOW_DAYS = 30
THRESHOLDS = Thresholds(alpha=0.05, min_sample_size=10)
MARTS = ("content_performance_history", "content_feature_analysis", "performance_benchmarks")
IMPACT = "+12% median day-7 views (95% CI +5% to +19%)"


@dataclass(frozen=True)
class Warehouse:
    url: str
    settings: AnalyticsSettings


def _analyse(url: str, day: dt.date) -> None:
    window = AnalysisWindow.ending(day, WINDOW_DAYS)
    with connect(url) as conn:
        frame = prepare_features(read_content_features(conn, window), day)
        history = read_history(conn, day - dt.timedelta(days=WINDOW_DAYS - 1), day)
    trends = trend_day(history, day, WINDOW_DAYS, THRESHOLDS.min_sample_size, run_id="export-test")
    with connect(url) as conn:
        ab_rows, _ = ab_day(conn, day, THRESHOLDS, window_days=WINDOW_DAYS, run_id="export-test")
        tables = (
            (
                "correlation_analysis_results",
                CORRELATION_COLUMNS,
                correlation_day(frame, window, THRESHOLDS, min_items_per_creator=3, run_id="export-test"),
            ),
            (
                "feature_importance_results",
                IMPORTANCE_COLUMNS,
                importance_day(frame, window, THRESHOLDS, min_items_per_creator=3, bootstrap_resamples=30),
            ),
            ("platform_comparison_results", PLATFORM_COLUMNS, platform_day(frame, window, THRESHOLDS)),
            ("ab_test_performance", AB_COLUMNS, ab_rows),
            ("trend_analysis_results", TREND_COLUMNS, trends.trend_rows),
            ("performance_anomalies", ANOMALY_COLUMNS, trends.anomaly_rows),
        )
        for table, columns, rows in tables:
            replace_day(conn, table, day, columns, rows)


def _insights(url: str) -> None:
    """Two insights (the insights asset is tested elsewhere): one naming content, one not; titles
    that a spreadsheet would take for formulas."""
    with connect(url) as conn:
        content = [
            content_id
            for (content_id,) in conn.execute(
                "select content_id from marts.content_performance_history where workspace_id = 'default' "
                "and platform = 'youtube' group by 1 order by 1 limit 2"
            )
        ]
        for insight_id, insight_type, platform, affected, score in (
            ("rising:youtube", "rising_content", "youtube", content, 0.8),
            ("mix", "platform_mix", None, [], 0.4),
        ):
            conn.execute(
                "insert into analytics.optimization_insights (analysis_date, workspace_id, insight_id, "
                "insight_type, platform, priority, priority_score, effect_score, reach_score, "
                "confidence_score, title, description, impact_prediction, impact_unit, "
                "implementation_difficulty, affected_content, data_supporting, evidence_hash, "
                "first_reported_date, status) values (%(day)s, 'default', %(id)s, %(type)s, %(platform)s, "
                "'high', %(score)s, 0.5, 0.5, 0.5, %(title)s, 'Description', %(impact)s, 'percent', 'low', "
                "%(affected)s, %(evidence)s, 'hash', %(day)s, 'new')",
                {
                    "day": DAY,
                    "id": insight_id,
                    "type": insight_type,
                    "platform": platform,
                    "score": score,
                    "title": f"=Title of {insight_id}",
                    "impact": IMPACT,
                    "affected": affected,
                    "evidence": Jsonb({"rows": [1, 2]}),
                },
            )


@pytest.fixture(scope="package")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    url = create_scratch_database(server_url, "perf_exports")
    try:
        migrate.upgrade(url)
        landing = tmp_path_factory.mktemp("exports_landing")
        generate(landing, SPEC)
        snapshots, declarations = lab_data()
        land_by_capture_day(landing, "tiktok", snapshots)
        write_declarations(landing, "lab.csv", declarations)
        settings = AnalyticsSettings(
            DATABASE_URL=url, LANDING_DIR=landing, DATA_DIR=landing.parent / ".data", APP_ENV="testing"
        )
        for offset in range(SPEC.days):
            load_landing_day(url, SPEC.start_date + dt.timedelta(days=offset), settings=settings, now=NOW)
        run_dbt(url, ["build", "--select", *(f"+{m}" for m in MARTS), "--exclude-resource-type", "test"])
        files = declaration_files(landing)
        with connect(url) as conn:
            sync_declarations(conn, read_declarations(files, settings.DEFAULT_WORKSPACE_ID), len(files))
        for day in (EARLIER_DAY, DAY):
            _analyse(url, day)
        _insights(url)
        yield Warehouse(url, settings)
    finally:
        drop_database(url)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "exports"
