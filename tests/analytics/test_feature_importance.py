"""Standardised coefficients: planted ranking recovered, OLS parity, platform confounding removed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from dagster_project.analytics.feature_importance import (
    feature_importance_by_platform,
    standardised_coefficients,
)

FEATURES = ["a", "b", "c", "noise", "flag"]


def frame(seed: int = 0, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({f: rng.normal(size=n) for f in ["a", "b", "c", "noise"]})
    data["flag"] = rng.random(n) < 0.3
    data["platform"] = rng.choice(["youtube", "tiktok", "instagram"], n)
    data["metric"] = 0.6 * data["a"] - 0.35 * data["b"] + 0.15 * data["c"] + rng.normal(size=n)
    return data


def test_planted_ranking_signs_and_intervals() -> None:
    result = standardised_coefficients(frame(), FEATURES, "metric", min_sample_size=10, seed=1)
    by_name = {f.feature: f for f in result.features}
    assert [f.feature for f in result.features[:3]] == ["a", "b", "c"]
    assert [f.rank for f in result.features] == [1, 2, 3, 4, 5]
    assert by_name["a"].coefficient > 0 > by_name["b"].coefficient
    assert by_name["a"].excludes_zero and by_name["b"].excludes_zero and by_name["c"].excludes_zero
    assert by_name["a"].rank_ci_low == by_name["a"].rank_ci_high == 1
    assert by_name["noise"].rank >= 4 and by_name["noise"].rank_ci_high == 5
    for item in result.features:
        assert item.ci_low <= item.coefficient <= item.ci_high
        assert item.importance == pytest.approx(abs(item.coefficient))


def test_bootstrap_intervals_cover_a_null_coefficient_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(11)
    covered = []
    for seed in range(400):
        data = frame(seed=int(rng.integers(1 << 30)), n=250)
        result = standardised_coefficients(
            data, FEATURES, "metric", min_sample_size=10, bootstrap_resamples=200, seed=seed
        )
        noise = next(f for f in result.features if f.feature == "noise")
        covered.append(noise.ci_low <= 0 <= noise.ci_high)
    assert 0.90 <= np.mean(covered) <= 0.98


def test_zero_resamples_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        standardised_coefficients(frame(), FEATURES, "metric", min_sample_size=10, bootstrap_resamples=0)


def test_coefficients_equal_ols_on_z_scored_data() -> None:
    data = frame(seed=2)
    result = standardised_coefficients(data, FEATURES, "metric", min_sample_size=10, bootstrap_resamples=50)
    columns = [*FEATURES, "metric"]
    z = (data[columns].astype(float) - data[columns].astype(float).mean()) / data[columns].astype(float).std()
    fit = sm.OLS(z["metric"], z[FEATURES]).fit()
    for item in result.features:
        assert item.coefficient == pytest.approx(fit.params[item.feature], abs=1e-10)
    assert result.r_squared == pytest.approx(fit.rsquared, abs=1e-10)


def test_bootstrap_is_seeded() -> None:
    data = frame(seed=3, n=300)
    first = standardised_coefficients(data, FEATURES, "metric", min_sample_size=10, seed=7)
    again = standardised_coefficients(data, FEATURES, "metric", min_sample_size=10, seed=7)
    other = standardised_coefficients(data, FEATURES, "metric", min_sample_size=10, seed=8)
    assert first == again
    assert first.features[0].ci_low != other.features[0].ci_low


def test_overall_ranking_is_within_platform_so_platform_level_differences_do_not_count() -> None:
    """x differs by platform and so does the metric, but within each platform x is unrelated."""
    rng = np.random.default_rng(4)
    n = 1200
    platform = rng.choice(["youtube", "tiktok"], n)
    shift = np.where(platform == "youtube", 2.0, 0.0)
    data = pd.DataFrame({"platform": platform, "x": shift + rng.normal(size=n), "z": rng.normal(size=n)})
    data["metric"] = 3 * shift + rng.normal(size=n)
    results = feature_importance_by_platform(data, ["x", "z"], "metric", min_sample_size=10, seed=0)
    overall = next(r for r in results if r.scope == "all")
    x = next(f for f in overall.features if f.feature == "x")
    assert abs(x.coefficient) < 0.1 and x.ci_low < 0 < x.ci_high
    naive = standardised_coefficients(data, ["x", "z"], "metric", min_sample_size=10, bootstrap_resamples=20)
    assert next(f for f in naive.features if f.feature == "x").coefficient > 0.5
    assert [r.scope for r in results] == ["all", "tiktok", "youtube"]


def test_per_platform_results_and_small_platforms() -> None:
    data = frame(seed=5, n=900)
    data.loc[data.index[:6], "platform"] = "linkedin"
    results = feature_importance_by_platform(
        data, FEATURES, "metric", min_sample_size=30, bootstrap_resamples=100
    )
    linkedin = next(r for r in results if r.scope == "linkedin")
    assert linkedin.insufficient_data and linkedin.features == ()
    assert linkedin.insufficient_reason == "only 6 complete rows; at least 30 are needed"
    for result in results:
        if result.scope != "linkedin":
            assert not result.insufficient_data and result.features[0].feature == "a"


def test_degenerate_features_are_excluded_with_reasons() -> None:
    data = frame(seed=6, n=200).assign(constant=1.0, label="x")
    data.loc[data.index[:20], "a"] = np.nan
    result = standardised_coefficients(data, [*FEATURES, "constant", "label"], "metric", min_sample_size=10)
    excluded = dict(result.excluded_features)
    assert excluded["constant"] == "constant over the complete rows"
    assert excluded["label"].startswith("not numeric")
    assert result.sample_size == 180
    assert {f.feature for f in result.features} == set(FEATURES)


@pytest.mark.parametrize(
    ("features", "metric_value", "reason"),
    [
        (["constant"], None, "no usable feature"),
        (["a"], 5.0, "metric is constant over the complete rows"),
    ],
)
def test_insufficient_models(features: list[str], metric_value: float | None, reason: str) -> None:
    data = frame(seed=7, n=100).assign(constant=2.0)
    if metric_value is not None:
        data["metric"] = metric_value
    result = standardised_coefficients(data, features, "metric", min_sample_size=10)
    assert result.insufficient_data and result.insufficient_reason == reason
    assert result.r_squared is None and result.features == ()


def test_non_numeric_metric_is_explained() -> None:
    result = standardised_coefficients(frame(n=50).assign(label="x"), FEATURES, "label", min_sample_size=10)
    assert result.insufficient_data and result.insufficient_reason == "metric label is not numeric (str)"
