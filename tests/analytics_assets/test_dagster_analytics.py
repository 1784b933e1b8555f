"""The analytics job through Dagster: one run over a partition range loads the declarations and
analyses each day in order; re-running one day replaces exactly that day."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.analytics.assets import AB_TESTS, CORRELATIONS, EXPERIMENTS, IMPORTANCE, PLATFORMS
from dagster_project.defs.analytics.trend_assets import ANOMALIES, TRENDS
from dagster_project.runs import run_range
from dagster_project.warehouse.database import connect
from tests.analytics_assets.helpers import RESULT_TABLES, day_checksum

DAYS = [dt.date(2026, 10, 29), dt.date(2026, 10, 30), dt.date(2026, 10, 31)]


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict[str, object]:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    assert events, key
    return {name: value.value for name, value in events[-1].materialization.metadata.items()}


def _per_day(url: str, table: str) -> list[tuple[dt.date, int, str]]:
    with connect(url) as conn:
        return conn.execute(
            f"select analysis_date, count(*), min(run_id) from analytics.{table} group by 1 "
            "order by min(computed_at)"
        ).fetchall()


def test_analytics_job_analyses_each_day_of_a_range_in_one_run(clean, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", clean.url)
    monkeypatch.setenv("LANDING_DIR", str(clean.landing))
    definitions = defs()

    with dg.DagsterInstance.ephemeral() as instance:
        [result] = run_range(
            "analytics_job",
            DAYS[0],
            DAYS[-1],
            instance=instance,
            definitions=definitions,
            chunk_days=len(DAYS),
        )
        partitions = {key: instance.get_materialized_partitions(key) for key in (CORRELATIONS, AB_TESTS)}
        [rerun] = run_range("analytics_job", DAYS[1], DAYS[1], instance=instance, definitions=definitions)

    assert result.success and rerun.success
    assert partitions == {key: {d.isoformat() for d in DAYS} for key in (CORRELATIONS, AB_TESTS)}
    assert _metadata(result, EXPERIMENTS)["experiments"] == 8

    # Days were processed in order, each in its own transaction; the re-run replaced its day only.
    for table in RESULT_TABLES:
        per_day = _per_day(clean.url, table)
        assert [day for day, _, _ in per_day] == [DAYS[0], DAYS[2], DAYS[1]], table
        assert all(count > 0 for _, count, _ in per_day)
        assert {run for day, _, run in per_day if day != DAYS[1]} == {result.run_id}
        assert [run for day, _, run in per_day if day == DAYS[1]] == [rerun.run_id]

    correlations = _metadata(result, CORRELATIONS)
    with connect(clean.url) as conn:
        tests, significant, insufficient = conn.execute(
            "select count(*) filter (where not insufficient_data), count(*) filter (where is_significant), "
            "count(*) filter (where insufficient_data) from analytics.correlation_analysis_results"
        ).fetchone()
    assert (correlations["days"], correlations["tests"], correlations["significant"]) == (
        3,
        tests,
        significant,
    )
    assert correlations["insufficient_data"] == insufficient > 0 and significant > 0
    assert correlations["top_findings_day"] == DAYS[-1].isoformat()
    assert str(correlations["top_findings"]).startswith("| workspace | scope | feature | metric |")
    assert _metadata(result, IMPORTANCE)["days"] == _metadata(result, PLATFORMS)["days"] == 3
    # Pictures for the Dagster UI (tests/test_plots.py checks what they draw).
    assert str(_metadata(result, PLATFORMS)["platform_comparison_plot"]).startswith("![platform means")

    ab = _metadata(result, AB_TESTS)
    assert ab["verdicts"] == {
        "inconclusive": 1,
        "insufficient_data": 4,
        "sample_ratio_mismatch": 1,
        "treatment_better": 2,
    }
    assert "| lab | lab-lift | treatment | 40 / 40 | treatment_better |" in str(ab["top_findings"])

    trends, anomalies = _metadata(result, TRENDS), _metadata(result, ANOMALIES)
    with connect(clean.url) as conn:
        last_day = conn.execute(
            "select count(*), sum(change_point_count), count(*) filter (where insufficient_data), "
            "count(*) filter (where backtest_mase is not null) "
            "from analytics.trend_analysis_results where analysis_date = %s",
            (DAYS[-1],),
        ).fetchone()
        anomalies_in_window = conn.execute(
            "select count(*) from analytics.performance_anomalies where analysis_date = %s", (DAYS[-1],)
        ).fetchone()[0]
    assert trends["days"] == anomalies["days"] == 3
    assert sum(trends["directions"].values()) == last_day[0]
    assert (trends["change_points"], trends["insufficient_data"]) == (last_day[1], last_day[2])
    assert trends["forecast_accuracy"]["series_with_backtest"] == last_day[3] > 0
    assert 0 < trends["forecast_accuracy"]["mean_coverage_95"] <= 1
    assert anomalies["anomalies_in_window"] == anomalies_in_window > 0
    assert "(data:image/png;base64," in str(trends["most_viewed_content_trend"])


def test_rerunning_a_partition_through_dagster_gives_identical_rows(clean, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", clean.url)
    monkeypatch.setenv("LANDING_DIR", str(clean.landing))
    definitions = defs()
    day = DAYS[-1]
    job = definitions.resolve_job_def("analytics_job")

    checksums = []
    with dg.DagsterInstance.ephemeral() as instance:
        for _ in range(2):
            result = job.execute_in_process(instance=instance, partition_key=day.isoformat())
            assert result.success
            checksums.append({table: day_checksum(clean.url, table, day) for table in RESULT_TABLES})

    assert checksums[0] == checksums[1]
    assert all(count > 0 for count, _ in checksums[0].values())
