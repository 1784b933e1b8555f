"""Experiments declared as data and their daily evaluation: the generator's experiments load from
its ground truth, the lab's planted lifts are found, the A/A tests are not, nothing is compared
before the fixed horizon, and broken declarations are refused with the file and line."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.analytics.results import ABTestResult
from dagster_project.analytics_io.daily import ab_day
from dagster_project.analytics_io.experiments import (
    ExperimentDeclarationError,
    declaration_files,
    read_declarations,
    sync_declarations,
    write_declarations,
)
from dagster_project.analytics_io.rows import AB_COLUMNS
from dagster_project.analytics_io.store import replace_day
from dagster_project.warehouse.database import connect
from tests.analytics_assets.conftest import THRESHOLDS
from tests.analytics_assets.helpers import (
    LAB,
    LAB_END,
    LAB_ITEMS_PER_VARIANT,
    day_checksum,
    result_rows,
)

AFTER_ALL = dt.date(2026, 10, 31)
LAB_HORIZON = LAB_END + dt.timedelta(days=7 + 1)  # last publish day + measured age + 1


def _evaluate(url: str, day: dt.date) -> tuple[list[dict], dict[str, ABTestResult]]:
    with connect(url) as conn:
        rows, results = ab_day(conn, day, THRESHOLDS, window_days=90)
    return rows, {r.experiment: r for r in results}


@pytest.fixture(scope="module")
def final(warehouse):
    return _evaluate(warehouse.url, AFTER_ALL)


def test_generator_experiments_are_declared_from_its_ground_truth(warehouse):
    truth = {e["experiment_id"]: e for e in warehouse.ground_truth["experiments"]}
    with connect(warehouse.url) as conn:
        declared = conn.execute(
            "select experiment_id, variant, bool_and(is_control), count(*), min(platform), "
            "min(start_date)::text, min(end_date)::text, min(primary_metric), min(metric_kind) "
            "from analytics.experiments where workspace_id = 'default' group by 1, 2 order by 1, 2"
        ).fetchall()
    assert len(truth) == 4 and any(e["is_aa"] for e in truth.values())
    assert declared == [
        (
            experiment_id,
            variant,
            variant == "A",
            len(truth[experiment_id]["variants"][variant]),
            truth[experiment_id]["platform"],
            truth[experiment_id]["start_date"],
            truth[experiment_id]["end_date"],
            truth[experiment_id]["primary_metric"],
            "rate" if truth[experiment_id]["primary_metric"] == "likes" else "mean",
        )
        for experiment_id in sorted(truth)
        for variant in ("A", "B")
    ]


def test_a_planted_lift_with_enough_items_is_found(final):
    _, results = final
    lift = results["lab-lift"]  # views x 1.30
    [comparison] = lift.comparisons
    assert lift.verdict == "treatment_better" and lift.horizon_reached
    assert comparison.primary_test == "welch_t" and comparison.is_significant
    assert comparison.lift_ci_low < 0.30 < comparison.lift_ci_high and comparison.lift_ci_low > 0
    assert [v.sample_size for v in lift.variants] == [LAB_ITEMS_PER_VARIANT] * 2
    assert lift.variants[1].probability_best > 0.99

    rate = results["lab-rate"]  # likes per view x 1.25, items as the unit
    [comparison] = rate.comparisons
    assert rate.verdict == "treatment_better"
    assert comparison.primary_test == "rate_difference_delta_z" and comparison.proportion_test is not None
    assert comparison.lift_ci_low < 0.25 < comparison.lift_ci_high and comparison.lift_ci_low > 0


def test_aa_experiments_are_not_declared_winners(warehouse, final):
    _, results = final
    lab_aa = results["lab-aa"]
    assert lab_aa.verdict == "inconclusive" and not lab_aa.comparisons[0].is_significant
    assert "not evidence that the variants perform the same" in lab_aa.verdict_text

    [aa_id] = [e["experiment_id"] for e in warehouse.ground_truth["experiments"] if e["is_aa"]]
    generator_aa = results[aa_id]  # 3 items per variant: too few for any verdict
    assert generator_aa.horizon_reached
    assert generator_aa.verdict == "insufficient_data" and generator_aa.comparisons == ()
    assert all(v.sample_size < THRESHOLDS.min_sample_size for v in generator_aa.variants)
    assert {r.verdict for r in results.values()}.isdisjoint({"treatment_worse"})


def test_missing_measurements_show_as_a_sample_ratio_mismatch(final):
    rows, results = final
    srm = results["lab-srm"]  # 25 treatment items never observed at day 7
    assert srm.verdict == "sample_ratio_mismatch" and srm.comparisons == ()
    assert srm.sample_ratio.counts == (40, 15) and srm.sample_ratio.p_value < 0.001
    [treatment] = [r for r in rows if r["experiment_id"] == "lab-srm" and not r["is_control"]]
    assert treatment["declared_items"] == 40 and treatment["sample_size"] == 15
    assert treatment["details"].obj["items"]["excluded"] == {"not_measured_at_age": 25}


def test_no_comparison_before_the_fixed_horizon(warehouse):
    _, before = _evaluate(warehouse.url, LAB_HORIZON - dt.timedelta(days=1))
    _, at = _evaluate(warehouse.url, LAB_HORIZON)
    _, early = _evaluate(warehouse.url, LAB_END)

    for results in (before, early):
        lift = results["lab-lift"]
        assert lift.verdict == "too_early" and not lift.horizon_reached
        assert lift.planned_end == LAB_HORIZON and lift.comparisons == ()
        assert all(v.estimate is None and v.probability_best is None for v in lift.variants)
    assert 0 < before["lab-lift"].variants[0].sample_size < LAB_ITEMS_PER_VARIANT  # measured so far
    assert at["lab-lift"].verdict == "treatment_better"
    assert {r.verdict for e, r in early.items() if e.startswith("lab-")} == {"too_early"}


def test_rows_flatten_the_result_and_a_rerun_replaces_the_day(clean, final):
    rows, results = final
    with connect(clean.url) as conn:
        replace_day(conn, "ab_test_performance", AFTER_ALL, AB_COLUMNS, rows)
    first = day_checksum(clean.url, "ab_test_performance", AFTER_ALL)
    again, _ = _evaluate(clean.url, AFTER_ALL)
    with connect(clean.url) as conn:
        assert replace_day(conn, "ab_test_performance", AFTER_ALL, AB_COLUMNS, again) == (
            len(rows),
            len(rows),
        )
    assert day_checksum(clean.url, "ab_test_performance", AFTER_ALL) == first

    stored = {
        (r["experiment_id"], r["variant"]): r
        for r in result_rows(clean.url, "ab_test_performance", "workspace_id = %s", (LAB,))
    }
    lift = results["lab-lift"]
    [comparison] = lift.comparisons
    control, treatment = stored[("lab-lift", "control")], stored[("lab-lift", "treatment")]
    assert (control["is_control"], control["relative_lift"], control["verdict"]) == (True, None, lift.verdict)
    assert (
        treatment["relative_lift"],
        treatment["lift_ci_lower"],
        treatment["lift_ci_upper"],
        treatment["adjusted_p_value"],
        treatment["welch_t"],
        treatment["mann_whitney_p_value"],
        treatment["minimum_detectable_lift"],
        treatment["achieved_power"],
        treatment["estimate"],
        treatment["probability_best"],
        treatment["planned_end"],
        treatment["verdict_text"],
    ) == (
        comparison.relative_lift,
        comparison.lift_ci_low,
        comparison.lift_ci_high,
        comparison.adjusted_p_value,
        comparison.welch.statistic,
        comparison.mann_whitney_p_value,
        comparison.minimum_detectable_lift,
        comparison.achieved_power,
        lift.variants[1].estimate,
        lift.variants[1].probability_best,
        LAB_HORIZON,
        lift.verdict_text,
    )
    assert treatment["details"]["comparison"]["welch"]["p_value"] == comparison.welch.p_value


def test_loading_declarations_again_changes_nothing(warehouse):
    query = (
        "select workspace_id, experiment_id, platform, content_id, variant, is_control, start_date, "
        "end_date, primary_metric, metric_kind, metric_age_days, planned_sample_size_per_variant, "
        "allocation, target_relative_lift, higher_is_better, source_file "
        "from analytics.experiments order by 1, 2, 3, 4"
    )
    files = declaration_files(warehouse.landing)
    with connect(warehouse.url) as conn:
        before = conn.execute(query).fetchall()
        report = sync_declarations(conn, read_declarations(files, "default"), len(files))
        after = conn.execute(query).fetchall()
    assert report.files == 2 and report.experiments == 8
    assert report.items == report.replaced_items == len(before) == 4 * 6 + 4 * 2 * LAB_ITEMS_PER_VARIANT
    assert report.kept_undeclared == ()
    assert after == before


def test_broken_declarations_are_refused_with_file_and_line(tmp_path):
    good = {
        "experiment_id": "e1",
        "platform": "tiktok",
        "variant": "a",
        "is_control": "true",
        "start_date": "2026-10-01",
        "end_date": "2026-10-03",
        "primary_metric": "views",
        "metric_kind": "mean",
    }
    write_declarations(
        tmp_path,
        "broken.csv",
        [
            {**good, "content_id": "c1"},
            {**good, "content_id": "c2", "variant": "b"},  # a second control
            {**good, "content_id": "c3", "variant": "b", "is_control": "false", "metric_kind": "rate"},
            {**good, "content_id": "c4", "variant": "b", "is_control": "maybe"},
            {**good, "content_id": "c1", "experiment_id": "e2", "end_date": "2026-09-01"},
            {**good, "content_id": "c5", "allocation": "0.3"},
            {**good, "content_id": "c5", "end_date": "2026-10-04"},
        ],
    )
    with pytest.raises(ExperimentDeclarationError) as raised:
        read_declarations(declaration_files(tmp_path), "default")
    assert raised.value.problems == [
        "broken.csv:4: primary_metric 'views' is not a per-view rate; use one of likes, comments, shares, "
        "saves, interactions",
        "broken.csv:5: is_control 'maybe' is not a valid boolean",
        "broken.csv:6: end_date 2026-09-01 is before start_date 2026-10-01",
        "experiment e1 (workspace default): end_date differs between rows (2026-10-03, 2026-10-04)",
        "experiment e1 (workspace default): allocation differs within variant a",
        "experiment e1 (workspace default): 2 control variants (a, b); exactly 1 needed",
        "experiment e1 (workspace default): allocation is given for some variants only",
        "experiment e1 (workspace default): item tiktok/c5 is declared more than once (lines 7, 8)",
    ]
