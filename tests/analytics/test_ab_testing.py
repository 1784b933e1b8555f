"""A/B tests: A/A false-positive rates, planted lifts, the fixed horizon, SRM and power."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from dagster_project.analytics.ab_testing import (
    ExperimentPlan,
    achieved_power,
    analyse_experiment,
    minimum_detectable_effect,
    rate_difference_arrays,
    rate_difference_test,
    sample_ratio_check,
    welch_t_arrays,
    welch_t_test,
)
from dagster_project.analytics.multiple_testing import holm
from dagster_project.analytics.proportions import two_proportion_ztest

ALPHA = 0.05
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
AFTER = dt.date(2026, 4, 1)
SIMULATIONS = 4000


def plan(**changes: Any) -> ExperimentPlan:
    base = ExperimentPlan("thumbnail_test", ("control", "bold"), "views_day_7", "mean", START, END)
    return dataclasses.replace(base, **changes)


def mean_frame(rng: np.random.Generator, sizes: dict[str, int], lifts: dict[str, float]) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"variant": v, "value": rng.lognormal(5, 1, n) * (1 + lifts.get(v, 0.0))})
        for v, n in sizes.items()
    ]
    return pd.concat(parts, ignore_index=True)


def rate_frame(rng: np.random.Generator, sizes: dict[str, int], lifts: dict[str, float]) -> pd.DataFrame:
    """Engagements over views per item; item rates vary far more than binomial noise."""
    parts = []
    for variant, n in sizes.items():
        trials = rng.integers(100, 5000, n)
        rates = rng.beta(2, 40, n) * (1 + lifts.get(variant, 0.0))
        parts.append(
            pd.DataFrame({"variant": variant, "trials": trials, "successes": rng.binomial(trials, rates)})
        )
    return pd.concat(parts, ignore_index=True)


def analyse(frame: pd.DataFrame, experiment: ExperimentPlan, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "as_of": AFTER,
        "alpha": ALPHA,
        "min_sample_size": 10,
        "bootstrap_resamples": 500,
    }
    options |= kwargs
    return analyse_experiment(frame, experiment, **options)


# --- A/A: false-positive rates at alpha = 0.05 -------------------------------------------------


def test_aa_welch_false_positive_rate() -> None:
    rng = np.random.default_rng(101)
    a, b = rng.lognormal(5, 1, (SIMULATIONS, 100)), rng.lognormal(5, 1, (SIMULATIONS, 100))
    _, _, p = welch_t_arrays(a, b)
    assert 0.03 <= np.mean(p <= ALPHA) <= 0.07


def test_aa_mann_whitney_false_positive_rate() -> None:
    rng = np.random.default_rng(102)
    a, b = rng.lognormal(5, 1, (SIMULATIONS, 100)), rng.lognormal(5, 1, (SIMULATIONS, 100))
    p = stats.mannwhitneyu(a, b, axis=1).pvalue
    assert 0.03 <= np.mean(p <= ALPHA) <= 0.07


def test_aa_rate_difference_false_positive_rate_with_item_level_variation() -> None:
    """The primary rate test holds alpha; the pooled z test (views as independent trials) does not."""
    rng = np.random.default_rng(103)
    shape = (SIMULATIONS, 200)
    trials = rng.integers(100, 5000, (2, *shape))
    successes = rng.binomial(trials, rng.beta(2, 40, (2, *shape)))
    _, _, _, p = rate_difference_arrays(successes[0], trials[0], successes[1], trials[1])
    assert 0.03 <= np.mean(p <= ALPHA) <= 0.07
    sums_s, sums_t = successes.sum(axis=2), trials.sum(axis=2)
    pooled = [
        two_proportion_ztest(sums_s[:, i], sums_t[:, i]).p_value or 1.0 for i in range(SIMULATIONS // 4)
    ]
    assert np.mean(np.array(pooled) <= ALPHA) > 0.5


def test_aa_two_proportion_false_positive_rate_with_independent_trials() -> None:
    rng = np.random.default_rng(104)
    trials = np.array([2000, 2000])
    p = [two_proportion_ztest(rng.binomial(trials, 0.05), trials).p_value or 1.0 for _ in range(SIMULATIONS)]
    assert 0.03 <= np.mean(np.array(p) <= ALPHA) <= 0.07


def test_aa_verdicts_follow_the_welch_decision() -> None:
    rng = np.random.default_rng(105)
    verdicts = []
    for _ in range(300):
        frame = mean_frame(rng, {"control": 60, "bold": 60}, {})
        result = analyse(frame, plan(), bootstrap_resamples=0, posterior_draws=0)
        (comparison,) = result.comparisons
        assert comparison.primary_p_value == comparison.welch.p_value
        significant = comparison.primary_p_value <= ALPHA
        assert (result.verdict in ("treatment_better", "treatment_worse")) == significant
        assert result.verdict == "inconclusive" or significant
        verdicts.append(significant)
    assert 0.02 <= np.mean(verdicts) <= 0.09


# --- planted effects ----------------------------------------------------------------------------


def test_planted_lift_on_a_mean_metric() -> None:
    frame = mean_frame(np.random.default_rng(1), {"control": 3000, "bold": 3000}, {"bold": 0.15})
    result = analyse(frame, plan())
    (c,) = result.comparisons
    assert result.verdict == "treatment_better" and c.is_significant
    assert c.relative_lift == pytest.approx(0.15, abs=0.08)
    assert 0 < c.lift_ci_low < c.relative_lift < c.lift_ci_high
    assert c.difference_ci_low > 0
    best = {v.variant: v.probability_best for v in result.variants}
    assert best["bold"] > 0.99 and best["control"] == pytest.approx(1 - best["bold"])
    assert result.verdict_text.startswith("bold beats control: lift +")
    assert "Holm-adjusted p < 0.001 (welch_t)" in result.verdict_text


def test_planted_lift_on_a_rate_metric() -> None:
    frame = rate_frame(np.random.default_rng(2), {"control": 1500, "bold": 1500}, {"bold": 0.2})
    result = analyse(frame, plan(primary_metric="engagement_rate", metric_kind="rate"))
    (c,) = result.comparisons
    assert c.primary_test == "rate_difference_delta_z" and c.rate_test is not None
    assert c.proportion_test is not None and c.proportion_test.statistic is not None
    assert result.verdict == "treatment_better"
    assert c.relative_lift == pytest.approx(0.2, abs=0.1)
    control = result.variants[0]
    assert control.successes == frame.loc[frame.variant == "control", "successes"].sum()
    assert control.ci_low < control.estimate < control.ci_high


def test_lower_is_better_metrics_flip_the_verdict() -> None:
    frame = mean_frame(np.random.default_rng(3), {"control": 3000, "bold": 3000}, {"bold": 0.2})
    result = analyse(frame, plan(primary_metric="seconds_to_first_like", higher_is_better=False))
    assert result.verdict == "treatment_worse"
    assert result.variants[0].probability_best > 0.99


def test_three_variants_use_holm_against_the_control() -> None:
    rng = np.random.default_rng(4)
    frame = mean_frame(rng, {"control": 2000, "bold": 2000, "minimal": 2000}, {"bold": 0.2})
    result = analyse(frame, plan(variants=("control", "bold", "minimal")))
    raw = [c.primary_p_value for c in result.comparisons]
    np.testing.assert_allclose([c.adjusted_p_value for c in result.comparisons], holm(raw))
    assert result.verdict == "treatment_better" and result.verdict_text.startswith("bold beats control")
    assert sum(v.probability_best for v in result.variants) == pytest.approx(1.0)


def test_inconclusive_is_worded_with_power_not_as_no_effect() -> None:
    frame = mean_frame(np.random.default_rng(5), {"control": 200, "bold": 200}, {})
    result = analyse(frame, plan(target_relative_lift=0.05))
    (c,) = result.comparisons
    assert result.verdict == "inconclusive"
    assert "This is not evidence that the variants perform the same" in result.verdict_text
    assert c.minimum_detectable_lift is not None and c.minimum_detectable_lift > 0.05
    assert c.achieved_power is not None and c.achieved_power < 0.8
    assert f"minimum detectable lift {c.minimum_detectable_lift:.1%}" in result.verdict_text


# --- the fixed horizon and data checks ----------------------------------------------------------


def test_no_verdict_and_no_estimates_before_the_planned_end() -> None:
    frame = mean_frame(np.random.default_rng(6), {"control": 3000, "bold": 3000}, {"bold": 0.5})
    result = analyse(frame, plan(), as_of=END - dt.timedelta(days=1))
    assert result.verdict == "too_early" and not result.horizon_reached
    assert result.comparisons == ()
    assert all(v.estimate is None and v.probability_best is None for v in result.variants)
    assert [v.sample_size for v in result.variants] == [3000, 3000]
    assert "2026-03-31" in result.verdict_text
    assert analyse(frame, plan(), as_of=END).verdict == "treatment_better"


def test_planned_sample_size_must_be_reached() -> None:
    frame = mean_frame(np.random.default_rng(7), {"control": 300, "bold": 300}, {"bold": 0.5})
    result = analyse(frame, plan(planned_sample_size_per_variant=500))
    assert result.verdict == "insufficient_data" and result.comparisons == ()
    assert "fewer than 500 items" in result.verdict_text


def test_too_few_items_for_the_minimum() -> None:
    frame = mean_frame(np.random.default_rng(8), {"control": 5, "bold": 5}, {})
    result = analyse(frame, plan())
    assert result.verdict == "insufficient_data" and result.comparisons == ()
    missing = analyse(frame[frame.variant == "control"], plan())
    assert missing.verdict in ("insufficient_data", "sample_ratio_mismatch")
    assert missing.comparisons == ()


def test_sample_ratio_mismatch_blocks_the_verdict_even_before_the_end() -> None:
    frame = mean_frame(np.random.default_rng(9), {"control": 1000, "bold": 1200}, {"bold": 0.5})
    for as_of in (END - dt.timedelta(days=10), AFTER):
        result = analyse(frame, plan(), as_of=as_of)
        assert result.verdict == "sample_ratio_mismatch" and result.comparisons == ()
    expected = stats.chisquare([1000, 1200])
    assert result.sample_ratio.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert "sample ratio mismatch" in result.verdict_text
    planned = analyse(frame, plan(allocation=(5.0, 6.0)))  # 1000:1200 is the planned 5:6
    assert not planned.sample_ratio.mismatch


def test_sample_ratio_check_against_a_planned_allocation() -> None:
    check = sample_ratio_check([800, 1200], [0.4, 0.6])
    assert not check.mismatch and check.chi_square == pytest.approx(0.0)
    assert sample_ratio_check([1000, 1200], [1, 1]).mismatch


def test_weekday_imbalance_is_flagged_in_the_verdict() -> None:
    rng = np.random.default_rng(10)
    frame = mean_frame(rng, {"control": 3000, "bold": 3000}, {"bold": 0.2})
    frame["weekday"] = np.where(
        frame.variant == "bold", rng.integers(0, 3, len(frame)), rng.integers(0, 7, len(frame))
    )
    result = analyse(frame, plan())
    assert result.weekday_balance_p_value is not None and result.weekday_balance_p_value < 1e-6
    assert "publication weekdays differ between variants" in result.verdict_text


def test_results_hold_no_nan() -> None:
    frame = mean_frame(np.random.default_rng(11), {"control": 50, "bold": 50}, {})
    frame.loc[frame.index[:3], "value"] = np.nan
    result = analyse(frame, plan())
    assert [v.sample_size for v in result.variants] == [47, 50]

    def numbers(value: Any) -> list[float]:
        if isinstance(value, float):
            return [value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return [x for f in dataclasses.fields(value) for x in numbers(getattr(value, f.name))]
        if isinstance(value, tuple):
            return [x for item in value for x in numbers(item)]
        return []

    assert all(math.isfinite(x) for x in numbers(result))


def test_bootstrap_and_posterior_are_seeded() -> None:
    frame = mean_frame(np.random.default_rng(12), {"control": 400, "bold": 400}, {"bold": 0.1})
    first, again = analyse(frame, plan(), seed=3), analyse(frame, plan(), seed=3)
    other = analyse(frame, plan(), seed=4)
    assert first == again
    assert first.comparisons[0].lift_ci_low != other.comparisons[0].lift_ci_low


# --- building blocks ----------------------------------------------------------------------------


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_welch_matches_scipy(alternative: str) -> None:
    rng = np.random.default_rng(13)
    x, y = rng.normal(0.3, 1, 30), rng.normal(0, 2, 45)
    result = welch_t_test(x, y, alternative=alternative, confidence=0.9)  # type: ignore[arg-type]
    expected = stats.ttest_ind(x, y, equal_var=False, alternative=alternative)
    interval = expected.confidence_interval(0.9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-10)


def test_welch_degenerate_inputs() -> None:
    assert welch_t_test([1.0], [1.0, 2.0]).insufficient_reason == "each group needs 2 items"
    assert welch_t_test([1.0, 1.0], [1.0, 1.0]).insufficient_reason == "no variation in either group"


def test_rate_difference_with_one_trial_per_item_is_the_unpooled_wald_test() -> None:
    rng = np.random.default_rng(14)
    a, b = rng.random(400) < 0.3, rng.random(500) < 0.25
    result = rate_difference_test(a, np.ones(400), b, np.ones(500))
    pa, pb = a.mean(), b.mean()
    se = math.sqrt(pa * (1 - pa) / 399 + pb * (1 - pb) / 499)
    assert result.standard_error == pytest.approx(se, rel=1e-12)
    assert result.difference == pytest.approx(pa - pb)
    assert rate_difference_test([1.0], [2.0], [1.0, 2.0], [3.0, 3.0]).insufficient_reason is not None


def test_minimum_detectable_effect_round_trips_through_power() -> None:
    mde = minimum_detectable_effect(2.0, 400, 600, alpha=0.05, power=0.8, kind="mean")
    assert mde is not None
    power = achieved_power(mde, 2.0, 400, 600, alpha=0.05, kind="mean")
    assert power == pytest.approx(0.8, abs=1e-6)
    expected = TTestIndPower().power(effect_size=mde / 2.0, nobs1=400, alpha=0.05, ratio=1.5)
    assert power == pytest.approx(expected)
    z = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    assert mde == pytest.approx(z * 2.0 * math.sqrt(1 / 400 + 1 / 600), rel=0.01)
    assert minimum_detectable_effect(0.0, 400, 600, alpha=0.05, power=0.8, kind="rate") is None


def test_no_variation_at_all_gives_insufficient_data_not_a_verdict() -> None:
    frame = pd.DataFrame({"variant": ["control"] * 20 + ["bold"] * 20, "value": 0.0})
    result = analyse(frame, plan())
    assert result.verdict == "insufficient_data" and result.comparisons == ()
    assert "no variation in either group" in result.verdict_text
    rates = pd.DataFrame({"variant": ["control"] * 20 + ["bold"] * 20, "trials": 100, "successes": 0})
    result = analyse(rates, plan(metric_kind="rate"))
    assert result.verdict == "insufficient_data"
    assert all(v.probability_best is None for v in result.variants)
