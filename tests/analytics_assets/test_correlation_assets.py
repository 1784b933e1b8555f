"""Correlations, feature importance and platform comparisons on the synthetic warehouse: the
planted effects come out with the right sign, rows carry the seed's CorrelationResult fields,
a re-run replaces the day with identical rows, and tiny data gives insufficient rows, not NaN."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dagster_project.analytics.feature_metric_analysis import analyse_feature_metric_pairs
from dagster_project.analytics_io.daily import (
    METRIC_NAMES,
    correlation_day,
    importance_day,
    platform_day,
)
from dagster_project.analytics_io.frames import (
    FEATURES,
    OVERALL_SCOPE,
    WITHIN_CREATOR_SCOPE,
    AnalysisWindow,
    analysis_scopes,
    prepare_features,
    read_content_features,
)
from dagster_project.analytics_io.rows import CORRELATION_COLUMNS, IMPORTANCE_COLUMNS, PLATFORM_COLUMNS
from dagster_project.analytics_io.store import replace_day
from dagster_project.warehouse.database import connect
from tests.analytics_assets.conftest import THRESHOLDS
from tests.analytics_assets.helpers import day_checksum, result_rows

DAY = dt.date(2026, 10, 31)  # the last landing day
EARLY_DAY = dt.date(2026, 9, 18)  # the second landing day: no item is 7 days old yet
VIEWS_7 = "log1p_views_day_7"
# Planted binary effects (ground truth "effects") and the mart feature that carries each.
TITLE_EFFECTS = {
    "question_in_title": "title_has_question",
    "number_in_title": "title_has_number",
    "title_over_60_chars": "title_length",
}


def _frame(url: str, day: dt.date):
    window = AnalysisWindow.ending(day, 90)
    with connect(url) as conn:
        return window, prepare_features(read_content_features(conn, window), day)


@pytest.fixture(scope="module")
def analysed(warehouse):
    window, frame = _frame(warehouse.url, DAY)
    rows = correlation_day(frame, window, THRESHOLDS, min_items_per_creator=5, run_id="first")
    return window, frame, rows


def _pick(rows, scope, feature, metric, method, workspace="default"):
    [row] = [
        r
        for r in rows
        if (r["workspace_id"], r["scope"], r["feature"], r["metric"], r["method"])
        == (workspace, scope, feature, metric, method)
    ]
    return row


def test_planted_title_effects_have_the_right_sign_within_creator(warehouse, analysed):
    """Creators' audiences differ ~2.5-fold (lognormal sd 0.9), which drowns 1.15-1.3x title effects
    between creators; compared with the same creator's other items, each planted effect shows."""
    _, _, rows = analysed
    effects = warehouse.ground_truth["effects"]
    for effect, feature in TITLE_EFFECTS.items():
        expected = 1 if effects[effect]["factor"] > 1 else -1
        method = "pearson" if feature == "title_length" else "point_biserial"
        for metric in (VIEWS_7, "log1p_views_day_30"):
            row = _pick(rows, WITHIN_CREATOR_SCOPE, feature, metric, method)
            assert row["sample_size"] > 100
            assert math.copysign(1, row["correlation_coefficient"]) == expected, (effect, metric, row)
    assert effects["question_in_title"]["factor"] > 1 > effects["title_over_60_chars"]["factor"]


def test_strong_planted_effects_are_significant_with_the_planted_order(warehouse, analysed):
    _, _, rows = analysed
    factors = warehouse.ground_truth["effects"]["category"]["factors"]
    for method in ("welch_anova", "kruskal"):
        row = _pick(rows, OVERALL_SCOPE, "category", VIEWS_7, method)
        assert row["is_significant"] and row["adjusted_p_value"] < 0.001
        assert row["effect_size"] > 0.14  # a large share of variance
    levels = _pick(rows, OVERALL_SCOPE, "category", VIEWS_7, "kruskal")["level_summaries"].obj
    means = {level.level: level.mean for level in levels}
    rho = stats.spearmanr([means[c] for c in means], [math.log(factors[c]) for c in means]).statistic
    assert rho > 0.5, (means, factors)

    # Long videos on short-form platforms (short_form_over_60s, 0.75x) and live streams (0.6x).
    duration = _pick(rows, "tiktok", "duration_seconds", VIEWS_7, "pearson")
    assert duration["is_significant"] and duration["direction"] == "negative"
    # Night posts (0.75x) do worst of the parts of the day.
    daypart = _pick(rows, OVERALL_SCOPE, "publish_daypart", VIEWS_7, "welch_anova")
    assert daypart["is_significant"]
    means = {level.level: level.mean for level in daypart["level_summaries"].obj}
    assert min(means, key=means.get) == "night"


def test_rows_carry_the_fields_of_the_seed_dataclass(clean, analysed):
    window, frame, rows = analysed
    with connect(clean.url) as conn:
        replace_day(conn, "correlation_analysis_results", DAY, CORRELATION_COLUMNS, rows)
    stored = {
        (r["feature"], r["metric"], r["method"]): r
        for r in result_rows(
            clean.url,
            "correlation_analysis_results",
            "workspace_id = 'default' and scope = %s and analysis_date = %s",
            (OVERALL_SCOPE, DAY),
        )
    }
    overall = next(
        s for s in analysis_scopes(frame[frame["workspace_id"] == "default"], 5) if s.name == "overall"
    )
    expected = analyse_feature_metric_pairs(
        overall.frame,
        FEATURES,
        METRIC_NAMES,
        alpha=THRESHOLDS.alpha,
        min_sample_size=THRESHOLDS.min_sample_size,
    )
    assert len(stored) == len(expected.correlations) + len(expected.group_comparisons)
    for result in expected.correlations:
        row = stored[(result.feature, result.metric, result.method)]
        interval = (row["confidence_interval_lower"], row["confidence_interval_upper"])
        assert (
            row["correlation_coefficient"],
            row["p_value"],
            row["strength"],
            row["direction"],
            row["significance_level"],
            row["sample_size"],
            None if interval == (None, None) else interval,
            row["interpretation"],
            row["adjusted_p_value"],
            row["is_significant"],
            row["insufficient_data"],
            row["insufficient_reason"],
        ) == (
            result.correlation_coefficient,
            result.p_value,
            result.strength,
            result.direction,
            result.significance_level,
            result.sample_size,
            result.confidence_interval,
            result.interpretation,
            result.adjusted_p_value,
            result.is_significant,
            result.insufficient_data,
            result.insufficient_reason,
        )
    for result in expected.group_comparisons:
        row = stored[(result.feature, result.metric, result.method)]
        assert (row["effect_size"], row["effect_size_name"], row["test_statistic"], row["p_value"]) == (
            result.effect_size,
            result.effect_size_name,
            result.statistic,
            result.p_value,
        )
        assert [level["level"] for level in row["level_summaries"]] == [
            level.level for level in result.levels
        ]
    spearman = stored[("title_length", VIEWS_7, "spearman")]
    assert spearman["metric_source"] == "views_day_7" and spearman["metric_transform"] == "log1p"
    assert (spearman["window_start"], spearman["window_end"]) == (window.start, DAY)


def test_rerunning_a_day_replaces_it_with_identical_rows(clean, analysed):
    window, frame, rows = analysed
    other_day = DAY - dt.timedelta(days=1)
    other_rows = [{**r, "analysis_date": other_day, "window_end": other_day} for r in rows[:5]]
    with connect(clean.url) as conn:
        replace_day(conn, "correlation_analysis_results", DAY, CORRELATION_COLUMNS, rows)
        replace_day(conn, "correlation_analysis_results", other_day, CORRELATION_COLUMNS, other_rows)
        with pytest.raises(ValueError, match="include rows of other days"):
            replace_day(conn, "correlation_analysis_results", DAY, CORRELATION_COLUMNS, other_rows)
    first = day_checksum(clean.url, "correlation_analysis_results", DAY)

    again = correlation_day(frame, window, THRESHOLDS, min_items_per_creator=5, run_id="second")
    with connect(clean.url) as conn:
        deleted, inserted = replace_day(conn, "correlation_analysis_results", DAY, CORRELATION_COLUMNS, again)

    assert (deleted, inserted) == (len(rows), len(rows)) == (first[0], first[0])
    assert day_checksum(clean.url, "correlation_analysis_results", DAY) == first
    with connect(clean.url) as conn:
        runs = conn.execute(
            "select analysis_date, run_id, count(*) from analytics.correlation_analysis_results "
            "group by 1, 2 order by 1"
        ).fetchall()
    assert runs == [(other_day, "first", 5), (DAY, "second", len(rows))]


def test_tiny_data_gives_insufficient_rows_and_never_nan(clean):
    window, frame = _frame(clean.url, EARLY_DAY)
    rows = correlation_day(frame, window, THRESHOLDS, min_items_per_creator=5)
    importance = importance_day(frame, window, THRESHOLDS, min_items_per_creator=5, bootstrap_resamples=50)
    platforms = platform_day(frame, window, THRESHOLDS)
    with connect(clean.url) as conn:
        replace_day(conn, "correlation_analysis_results", EARLY_DAY, CORRELATION_COLUMNS, rows)
        replace_day(conn, "feature_importance_results", EARLY_DAY, IMPORTANCE_COLUMNS, importance)
        replace_day(conn, "platform_comparison_results", EARLY_DAY, PLATFORM_COLUMNS, platforms)

    measured = frame[list(METRIC_NAMES)].notna().any(axis=1).sum()
    assert len(frame) > 50 and 0 < measured < THRESHOLDS.min_sample_size  # published, but too young
    for table, expected in (
        ("correlation_analysis_results", len(rows)),
        ("feature_importance_results", len(importance)),
        ("platform_comparison_results", len(platforms)),
    ):
        stored = result_rows(clean.url, table)
        assert len(stored) == expected > 0
        assert all(r["insufficient_data"] and r["insufficient_reason"] for r in stored), table
        assert not any(r.get("is_significant") for r in stored)
        for row in stored:
            numbers = [v for v in row.values() if isinstance(v, float)]
            assert not any(np.isnan(numbers)), row
    example = _pick(
        result_rows(clean.url, "correlation_analysis_results"),
        OVERALL_SCOPE,
        "title_length",
        VIEWS_7,
        "pearson",
    )
    assert (
        example["correlation_coefficient"]
        is example["p_value"]
        is example["confidence_interval_lower"]
        is None
    )
    assert example["strength"] == "insufficient data"
    assert re.fullmatch(
        r"only [0-9] items have both title_length and log1p_views_day_7; at least 10 are needed",
        example["insufficient_reason"],
    )
    assert example["interpretation"].startswith("insufficient data")


def test_feature_importance_ranks_the_publish_hour_first_and_excludes_constant_features(analysed):
    window, frame, _ = analysed
    rows = importance_day(frame, window, THRESHOLDS, min_items_per_creator=5, bootstrap_resamples=200)
    overall = {
        r["feature"]: r
        for r in rows
        if (r["workspace_id"], r["scope"], r["metric"]) == ("default", OVERALL_SCOPE, VIEWS_7)
    }
    hour = overall["publish_hour_local"]  # night posts 0.75x, evening posts 1.25x
    assert (hour["rank"], hour["excludes_zero"], hour["coefficient"] > 0) == (1, True, True)
    assert hour["rank_ci_lower"] == 1 and hour["ci_lower"] < hour["coefficient"] < hour["ci_upper"]
    assert hour["standardised_within"] == "platform" and hour["sample_size"] > 150
    assert overall["hashtag_count"]["coefficient"] is None
    assert overall["hashtag_count"]["excluded_reason"] == "constant over the complete rows"
    scopes = {r["scope"] for r in rows if r["workspace_id"] == "default"}
    assert scopes == {
        OVERALL_SCOPE,
        WITHIN_CREATOR_SCOPE,
        "instagram",
        "linkedin",
        "tiktok",
        "twitter",
        "youtube",
    }


def test_platforms_differ_in_age_matched_views_in_the_planted_direction(warehouse, analysed):
    window, frame, _ = analysed
    rows = platform_day(frame, window, THRESHOLDS)
    views = next(
        r
        for r in rows
        if (r["workspace_id"], r["comparison"], r["metric"]) == ("default", "metric_by_platform", VIEWS_7)
    )
    assert views["is_significant"] and views["effect_size"] > 0.14
    base = {p: m["base_views"] for p, m in warehouse.ground_truth["model"]["platforms"].items()}
    pairs = {(p.group_a, p.group_b): p for p in views["pairwise"].obj}
    linkedin_tiktok = pairs[("linkedin", "tiktok")]  # base views 2,500 vs 30,000
    assert base["linkedin"] < base["tiktok"]
    assert linkedin_tiktok.is_significant and linkedin_tiktok.rank_biserial < -0.5
    lab = [r for r in rows if r["workspace_id"] == "lab" and r["comparison"] == "metric_by_platform"]
    assert lab and all(r["insufficient_data"] for r in lab)  # the lab workspace posts on tiktok only


def test_centring_skips_rows_whose_group_key_is_missing():
    from dagster_project.analytics_io.frames import centre_within

    frame = pd.DataFrame({"creator": ["a", "a", None, "b", "b"], "m": [1.0, 3.0, 5.0, 10.0, 20.0]})

    centred = centre_within(frame, ["m"], ["creator"], min_group_size=2)

    assert centred["m"].tolist()[:2] == [-1.0, 1.0]
    assert pd.isna(centred["m"].iloc[2])
    assert centred["m"].tolist()[3:] == [-5.0, 5.0]
