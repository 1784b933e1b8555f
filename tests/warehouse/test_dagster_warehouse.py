"""The daily pipeline job through Dagster: ingestion, then dbt, with dbt tests as asset checks."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.runs import run_range
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import run_dbt
from tests.ingest.landing_helpers import snapshot, write_csv

HISTORY = dg.AssetKey(["marts", "content_performance_history"])
DAYS = [dt.date(2026, 4, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 3)]


def _land(settings) -> None:
    for offset, day in enumerate(DAYS):
        rows = [
            snapshot(f"tt-{i}", platform="tiktok", captured_at=f"{day}T12:00:00+00:00",
                     views=100 * (offset + 1) + i, published_at="2026-04-01T00:00:00Z", title=f"c{i}")
            for i in range(6)
        ]  # fmt: skip
        write_csv(settings.LANDING_DIR, "tiktok", rows, day=day)


def test_daily_pipeline_job_builds_partitions_and_runs_dbt_tests_as_checks(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL.get_secret_value())
    monkeypatch.setenv("LANDING_DIR", str(settings.LANDING_DIR))
    _land(settings)
    definitions = defs()

    with dg.DagsterInstance.ephemeral() as instance:
        [result] = run_range(
            "daily_pipeline_job", DAYS[0], DAYS[-1], instance=instance, definitions=definitions
        )
        partitions = instance.get_materialized_partitions(HISTORY)

    assert result.success
    assert partitions == {d.isoformat() for d in DAYS}
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert (
        "unique_combination_content_performance_history_workspace_id__platform__content_id__metric_date"
        in checks
    )
    assert len(checks) > 20 and all(checks.values())
    with connect(settings.DATABASE_URL.get_secret_value()) as conn:
        rows = conn.execute(
            "select metric_date::text, count(*), sum(daily_views) "
            "from marts.content_performance_history group by 1 order by 1"
        ).fetchall()
        comment = conn.execute(
            "select col_description('marts.content_performance_history'::regclass, attnum) from pg_attribute "
            "where attrelid = 'marts.content_performance_history'::regclass and attname = 'performance_score'"
        ).fetchone()[0]
    assert rows == [("2026-04-01", 6, 615), ("2026-04-02", 6, 600), ("2026-04-03", 6, 600)]
    assert comment.startswith("0-10: lifetime views against the benchmark percentiles")


def test_dbt_docs_generate_works(seeded):
    result = run_dbt(seeded, ["docs", "generate"])
    assert "Catalog written" in result.stdout
