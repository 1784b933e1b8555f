"""Platform comparisons: Kruskal-Wallis with Holm pairs and rank-biserial; Cochran's Q on Fisher z."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dagster_project.analytics.multiple_testing import benjamini_hochberg, holm
from dagster_project.analytics.platform_comparison import compare_platforms, feature_effect_differences

ALPHA = 0.05


def platforms_frame(seed: int = 0, n: int = 1800) -> pd.DataFrame:
    """youtube has higher views_day_7; x matters more on tiktok; likes do not differ."""
    rng = np.random.default_rng(seed)
    platform = rng.choice(["youtube", "tiktok", "instagram"], n)
    x = rng.normal(size=n)
    slope = np.where(platform == "tiktok", 0.7, 0.2)
    views = np.exp(8 + 0.6 * (platform == "youtube") + slope * x + rng.normal(size=n))
    return pd.DataFrame(
        {
            "platform": platform,
            "x": x,
            "w": rng.normal(size=n),
            "category": rng.choice(["a", "b"], n),
            "views_day_7": views,
            "likes_day_7": rng.lognormal(3, 1, n),
        }
    )


def test_planted_platform_difference_is_found_with_holm_pairs() -> None:
    data = platforms_frame()
    views, likes = compare_platforms(data, ["views_day_7", "likes_day_7"], alpha=ALPHA, min_sample_size=20)
    groups = [data.loc[data.platform == p, "views_day_7"] for p in ("instagram", "tiktok", "youtube")]
    expected = stats.kruskal(*groups)
    assert views.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert views.p_value == pytest.approx(expected.pvalue, rel=1e-8)
    assert views.is_significant and not likes.is_significant
    raw = np.array([views.p_value, likes.p_value], dtype=float)
    assert [views.adjusted_p_value, likes.adjusted_p_value] == pytest.approx(list(benjamini_hochberg(raw)))
    pairs = {(p.group_a, p.group_b): p for p in views.pairwise}
    assert set(pairs) == {("instagram", "tiktok"), ("instagram", "youtube"), ("tiktok", "youtube")}
    assert (
        pairs[("instagram", "youtube")].is_significant and pairs[("instagram", "youtube")].rank_biserial < 0
    )
    assert pairs[("tiktok", "youtube")].is_significant and pairs[("tiktok", "youtube")].rank_biserial < 0
    np.testing.assert_allclose(
        [p.adjusted_p_value for p in views.pairwise], holm([p.p_value for p in views.pairwise])
    )
    assert "youtube" in views.interpretation and "differs between platforms" in views.interpretation
    assert [s.level for s in views.platforms] == ["instagram", "tiktok", "youtube"]


def test_rank_biserial_is_the_probability_difference_of_pairs() -> None:
    data = platforms_frame(seed=1, n=300)
    (result,) = compare_platforms(data, ["views_day_7"], alpha=ALPHA, min_sample_size=20)
    pair = result.pairwise[0]
    a = data.loc[data.platform == pair.group_a, "views_day_7"].to_numpy()
    b = data.loc[data.platform == pair.group_b, "views_day_7"].to_numpy()
    difference = (a[:, None] > b[None, :]).mean() - (a[:, None] < b[None, :]).mean()
    assert pair.rank_biserial == pytest.approx(difference, abs=1e-12)


def test_small_platforms_are_excluded_and_one_platform_is_insufficient() -> None:
    data = platforms_frame(seed=2, n=600)
    data.loc[data.index[:5], "platform"] = "linkedin"
    (result,) = compare_platforms(data, ["views_day_7"], alpha=ALPHA, min_sample_size=20)
    assert result.excluded_platforms == ("linkedin",)
    assert "linkedin" not in {s.level for s in result.platforms}
    only = data[data.platform == "youtube"]
    (single,) = compare_platforms(only, ["views_day_7"], alpha=ALPHA, min_sample_size=20)
    assert single.insufficient_data and single.p_value is None and single.pairwise == ()
    assert single.insufficient_reason == "1 platform(s) have at least 20 items with views_day_7; 2 are needed"
    empty = data.assign(views_day_7=np.nan)
    (nothing,) = compare_platforms(empty, ["views_day_7"], alpha=ALPHA, min_sample_size=20)
    assert nothing.insufficient_data and nothing.sample_size == 0


def test_feature_effect_that_differs_by_platform_is_detected() -> None:
    data = platforms_frame(seed=3)
    results = feature_effect_differences(
        data, ["x", "w", "category"], ["views_day_7"], alpha=ALPHA, min_sample_size=20, method="spearman"
    )
    by_feature = {r.feature: r for r in results}
    assert by_feature["x"].is_significant
    coefficients = {c.platform: c.coefficient for c in by_feature["x"].per_platform}
    assert (
        coefficients["tiktok"] > coefficients["youtube"]
        and coefficients["tiktok"] > coefficients["instagram"]
    )
    assert not by_feature["w"].is_significant
    assert by_feature["category"].insufficient_data and by_feature["category"].q_statistic is None
    tested = [r for r in results if not r.insufficient_data]
    adjusted = np.array([r.adjusted_p_value for r in tested], dtype=float)
    np.testing.assert_allclose(
        adjusted, benjamini_hochberg(np.array([r.p_value for r in tested], dtype=float))
    )


def test_two_platform_q_equals_the_squared_fisher_z_test() -> None:
    data = platforms_frame(seed=4)
    data = data[data.platform != "instagram"]
    (result,) = feature_effect_differences(data, ["x"], ["views_day_7"], alpha=ALPHA, min_sample_size=20)
    (first, second) = result.per_platform
    z = (np.arctanh(first.coefficient) - np.arctanh(second.coefficient)) / np.sqrt(
        1 / (first.sample_size - 3) + 1 / (second.sample_size - 3)
    )
    assert result.q_statistic == pytest.approx(z**2, rel=1e-10)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-8)
    assert result.df == 1.0


def test_heterogeneity_needs_two_platforms_with_enough_items() -> None:
    data = platforms_frame(seed=5, n=200)
    data.loc[data.platform != "youtube", "x"] = np.nan
    (result,) = feature_effect_differences(data, ["x"], ["views_day_7"], alpha=ALPHA, min_sample_size=20)
    assert result.insufficient_data and result.p_value is None and not result.is_significant
    assert [c.platform for c in result.per_platform] == ["youtube"]


def test_non_numeric_metrics_are_explained_not_raised() -> None:
    data = platforms_frame(seed=6, n=300).assign(label="high")
    (result,) = compare_platforms(data, ["label"], alpha=ALPHA, min_sample_size=20)
    assert result.insufficient_data and result.insufficient_reason == "metric label is not numeric (str)"
    (effect,) = feature_effect_differences(data, ["x"], ["label"], alpha=ALPHA, min_sample_size=20)
    assert effect.insufficient_data and effect.q_statistic is None
