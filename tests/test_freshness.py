"""Freshness checks of the daily assets: failing while the latest complete day is missing,
passing once it is materialised, evaluated by their sensor."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.freshness import HISTORY, freshness
from dagster_project.defs.ingest.assets import SNAPSHOTS


def _freshness_job() -> dg.JobDefinition:
    keys = [key for checks in freshness().asset_checks for key in checks.check_keys]
    job = dg.define_asset_job("freshness_only", selection=dg.AssetSelection.checks(*keys))
    return dg.Definitions.merge(defs(), dg.Definitions(jobs=[job])).resolve_job_def("freshness_only")


def _passed(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()}


def test_definitions_hold_a_freshness_check_per_daily_asset_and_its_sensor():
    definitions = defs()
    checked = {
        key.asset_key.to_user_string()
        for key in definitions.resolve_asset_graph().asset_check_keys
        if key.name == "freshness_check"
    }
    assert checked == {
        "raw/engagement_snapshots",
        "marts/content_performance_history",
        "analytics/correlation_analysis_results",
        "analytics/trend_analysis_results",
    }
    assert "freshness_checks_sensor" in {s.name for s in definitions.sensors}


def test_a_check_fails_until_the_latest_complete_day_is_materialised():
    job = _freshness_job()
    with dg.DagsterInstance.ephemeral() as instance:
        before = _passed(job.execute_in_process(instance=instance, raise_on_error=False))
        today = dt.datetime.now(dt.UTC).date()
        # Yesterday's partition, and the day before for a run before the deadline hour.
        for back in (1, 2):
            day = (today - dt.timedelta(days=back)).isoformat()
            for key in (SNAPSHOTS, HISTORY):
                instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=day))
        after = _passed(job.execute_in_process(instance=instance, raise_on_error=False))

    assert set(before.values()) == {False}
    assert after == {
        "raw/engagement_snapshots": True,
        "marts/content_performance_history": True,
        "analytics/correlation_analysis_results": False,
        "analytics/trend_analysis_results": False,
    }
