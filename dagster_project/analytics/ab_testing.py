"""A/B tests of content variants with a fixed horizon.

Experiments are declared as data (``ExperimentPlan``).  Units are content items; the frame
passed to ``analyse_experiment`` has one row per item with ``variant`` and either ``value``
(a per-item metric at a common age, e.g. views at day 7) or ``successes`` / ``trials`` (a rate
metric such as engagements / views).  An optional ``weekday`` column (publication weekday) is
checked for balance between variants.

Primary tests: Welch's t on per-item values ("mean" metrics); for rate metrics a z test of the
difference of pooled rates with delta-method standard errors over items, because views of one
item are not independent trials (the pooled two-proportion z test, which assumes they are, is
reported alongside).  Mann-Whitney is the robust check.  No comparison is reported before the
planned end date: the verdict respects the fixed horizon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower

from dagster_project.analytics.columns import numeric_values
from dagster_project.analytics.interpretation import format_p
from dagster_project.analytics.multiple_testing import holm
from dagster_project.analytics.proportions import (
    chi_square_independence,
    goodness_of_fit,
    two_proportion_ztest,
)
from dagster_project.analytics.results import (
    ABTestResult,
    Alternative,
    RateDifferenceTest,
    SampleRatioCheck,
    VariantComparison,
    VariantSummary,
    Verdict,
    WelchTTest,
)

MetricKind = Literal["mean", "rate"]
VARIANT, VALUE, SUCCESSES, TRIALS, WEEKDAY = "variant", "value", "successes", "trials", "weekday"
_BOOTSTRAP_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class ExperimentPlan:
    """An experiment declared up front; the first variant is the control.

    ``end_date`` is the fixed horizon; ``planned_sample_size_per_variant`` (if set) must also be
    reached.  ``target_relative_lift`` is the smallest lift worth detecting (for achieved power).
    """

    experiment: str
    variants: tuple[str, ...]
    primary_metric: str
    metric_kind: MetricKind
    start_date: dt.date
    end_date: dt.date
    planned_sample_size_per_variant: int | None = None
    allocation: tuple[float, ...] | None = None
    target_relative_lift: float = 0.05
    higher_is_better: bool = True


@dataclass(frozen=True)
class _Arm:
    name: str
    values: NDArray[np.float64]
    successes: NDArray[np.float64] | None
    trials: NDArray[np.float64] | None

    @property
    def n(self) -> int:
        return int(self.values.size)


def welch_t_arrays(
    x: ArrayLike, y: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Welch t, degrees of freedom and two-sided p of mean(x) - mean(y) along the last axis."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    nx, ny = xa.shape[-1], ya.shape[-1]
    vx, vy = xa.var(axis=-1, ddof=1) / nx, ya.var(axis=-1, ddof=1) / ny
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (xa.mean(axis=-1) - ya.mean(axis=-1)) / np.sqrt(vx + vy)
        df = (vx + vy) ** 2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
    return t, df, 2 * stats.t.sf(np.abs(t), df)


def welch_t_test(
    x: ArrayLike, y: ArrayLike, *, confidence: float = 0.95, alternative: Alternative = "two-sided"
) -> WelchTTest:
    """Welch's t-test of mean(x) - mean(y) with its confidence interval (R ``t.test``); NaN dropped."""
    xa, ya = _finite(x), _finite(y)
    if min(xa.size, ya.size) < 2:
        return WelchTTest(
            None, None, None, None, None, None, alternative, confidence, "each group needs 2 items"
        )
    if xa.var(ddof=1) + ya.var(ddof=1) == 0:
        return WelchTTest(
            None, None, None, None, None, None, alternative, confidence, "no variation in either group"
        )
    t, df, p_two = (float(v) for v in welch_t_arrays(xa, ya))
    difference = float(xa.mean() - ya.mean())
    se = difference / t if t != 0 else float(np.sqrt(xa.var(ddof=1) / xa.size + ya.var(ddof=1) / ya.size))
    if alternative == "two-sided":
        p, half = p_two, float(stats.t.isf((1 - confidence) / 2, df)) * se
        low, high = difference - half, difference + half
    elif alternative == "greater":
        p = float(stats.t.sf(t, df))
        low, high = difference - float(stats.t.isf(1 - confidence, df)) * se, float("inf")
    else:
        p = float(stats.t.cdf(t, df))
        low, high = float("-inf"), difference + float(stats.t.isf(1 - confidence, df)) * se
    return WelchTTest(t, df, p, difference, low, high, alternative, confidence)


def rate_difference_arrays(
    successes_1: ArrayLike, trials_1: ArrayLike, successes_2: ArrayLike, trials_2: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Rates, z and two-sided p of rate_1 - rate_2 along the last axis (items), delta-method SEs."""
    r1, v1 = _ratio_and_variance(np.asarray(successes_1, float), np.asarray(trials_1, float))
    r2, v2 = _ratio_and_variance(np.asarray(successes_2, float), np.asarray(trials_2, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (r1 - r2) / np.sqrt(v1 + v2)
    return r1 - r2, np.sqrt(v1 + v2), z, 2 * stats.norm.sf(np.abs(z))


def rate_difference_test(
    successes_1: ArrayLike,
    trials_1: ArrayLike,
    successes_2: ArrayLike,
    trials_2: ArrayLike,
    *,
    confidence: float = 0.95,
) -> RateDifferenceTest:
    """z test of pooled rate_1 - rate_2 with items as the unit (per-item successes and trials)."""
    s1, t1 = np.asarray(successes_1, float), np.asarray(trials_1, float)
    s2, t2 = np.asarray(successes_2, float), np.asarray(trials_2, float)
    if min(s1.size, s2.size) < 2 or min(t1.sum(), t2.sum()) <= 0:
        return RateDifferenceTest(
            None, None, None, None, None, None, None, None, "each group needs 2 items with trials"
        )
    difference, se, z, p = (float(v) for v in rate_difference_arrays(s1, t1, s2, t2))
    rate_1, rate_2 = float(s1.sum() / t1.sum()), float(s2.sum() / t2.sum())
    if not se > 0:
        return RateDifferenceTest(
            None, None, rate_1, rate_2, difference, None, None, None, "no variation between items"
        )
    half = float(stats.norm.isf((1 - confidence) / 2)) * se
    return RateDifferenceTest(z, p, rate_1, rate_2, difference, se, difference - half, difference + half)


def sample_ratio_check(
    counts: Sequence[int], expected_shares: Sequence[float], threshold: float = 0.001
) -> SampleRatioCheck:
    """Chi-square goodness of fit of variant counts; mismatch when p < ``threshold``."""
    test = goodness_of_fit(counts, expected_shares)
    shares = np.asarray(expected_shares, dtype=float)
    return SampleRatioCheck(
        counts=tuple(int(c) for c in counts),
        expected_shares=tuple((shares / shares.sum()).tolist()),
        chi_square=test.statistic,
        p_value=test.p_value,
        mismatch=test.p_value is not None and test.p_value < threshold,
    )


def minimum_detectable_effect(
    sd: float, n_treatment: int, n_control: int, *, alpha: float, power: float, kind: MetricKind
) -> float | None:
    """Smallest absolute difference detectable with ``power`` (two-sided, per-item SD ``sd``)."""
    if sd <= 0 or min(n_treatment, n_control) < 2:
        return None
    return _detectable_standardised_effect(n_treatment, n_control, alpha, power, kind) * sd


@cache
def _detectable_standardised_effect(
    n_treatment: int, n_control: int, alpha: float, power: float, kind: MetricKind
) -> float:
    analysis = TTestIndPower() if kind == "mean" else NormalIndPower()
    d = analysis.solve_power(
        effect_size=None, nobs1=n_treatment, alpha=alpha, power=power, ratio=n_control / n_treatment
    )
    return float(np.asarray(d).reshape(-1)[0])


def achieved_power(
    difference: float, sd: float, n_treatment: int, n_control: int, *, alpha: float, kind: MetricKind
) -> float | None:
    """Power of the two-sided test to detect an absolute ``difference`` at the achieved sizes."""
    if sd <= 0 or min(n_treatment, n_control) < 2:
        return None
    analysis = TTestIndPower() if kind == "mean" else NormalIndPower()
    value = analysis.power(
        effect_size=abs(difference) / sd, nobs1=n_treatment, alpha=alpha, ratio=n_control / n_treatment
    )
    return float(value)


def analyse_experiment(
    frame: pd.DataFrame,
    plan: ExperimentPlan,
    *,
    as_of: dt.date,
    alpha: float,
    min_sample_size: int,
    power: float = 0.8,
    confidence: float = 0.95,
    srm_threshold: float = 0.001,
    bootstrap_resamples: int = 2000,
    posterior_draws: int = 20_000,
    seed: int = 0,
) -> ABTestResult:
    """Fixed-horizon analysis of ``plan`` with data up to ``as_of``.

    Before ``plan.end_date`` only counts and the sample-ratio check are reported (verdict
    "too_early"): no interim estimate or comparison, so nobody can stop early on a lucky peek.
    A sample-ratio mismatch is reported at any time (it says nothing about the effect).
    """
    arms = [_arm(frame, variant, plan.metric_kind) for variant in plan.variants]
    counts = [arm.n for arm in arms]
    shares = plan.allocation or tuple(1.0 for _ in arms)
    srm = sample_ratio_check(counts, shares, srm_threshold)
    weekday_p = _weekday_balance(frame, plan.variants)
    horizon = as_of >= plan.end_date
    summaries = tuple(
        _summary(arm, plan.metric_kind, confidence) if horizon else _count_only(arm) for arm in arms
    )
    short = [arm.name for arm in arms if arm.n < min_sample_size]
    planned = plan.planned_sample_size_per_variant
    below_plan = [arm.name for arm in arms if planned is not None and arm.n < planned]

    def result(verdict: Verdict, text: str, comparisons: tuple[VariantComparison, ...] = ()) -> ABTestResult:
        return ABTestResult(
            experiment=plan.experiment,
            primary_metric=plan.primary_metric,
            metric_kind=plan.metric_kind,
            as_of=as_of,
            planned_end=plan.end_date,
            horizon_reached=horizon,
            significance_level=alpha,
            variants=summaries,
            comparisons=comparisons,
            sample_ratio=srm,
            weekday_balance_p_value=weekday_p,
            verdict=verdict,
            verdict_text=text,
        )

    if srm.mismatch:
        return result("sample_ratio_mismatch", _srm_text(srm, plan))
    if not horizon:
        text = (
            f"no verdict yet: {plan.experiment} runs to {plan.end_date.isoformat()} (fixed horizon); "
            f"{sum(counts)} items so far; interim comparisons are withheld so the result is not read early"
        )
        return result("too_early", text)
    if short or below_plan:
        names = ", ".join(sorted(set(short) | set(below_plan)))
        needed = max(min_sample_size, planned or 0)
        text = (
            f"insufficient data: {names} ended with fewer than {needed} items "
            f"({', '.join(f'{a.name} {a.n}' for a in arms)}); no verdict and no effect estimate"
        )
        return result("insufficient_data", text)

    rng = np.random.default_rng(seed)
    drafts = [
        _compare(arms[0], arm, plan, alpha, power, confidence, bootstrap_resamples, rng) for arm in arms[1:]
    ]
    adjusted = holm([np.nan if d.primary_p_value is None else d.primary_p_value for d in drafts])
    comparisons = tuple(_with_adjusted(d, float(a), alpha) for d, a in zip(drafts, adjusted, strict=True))
    if all(c.primary_p_value is None for c in comparisons):
        reasons = sorted({_untested_reason(c) for c in comparisons})
        return result(
            "insufficient_data", f"insufficient data: no comparison could be tested ({'; '.join(reasons)})"
        )
    best = _probability_best(arms, plan, posterior_draws, rng)
    summaries = tuple(replace(s, probability_best=b) for s, b in zip(summaries, best, strict=True))
    verdict, text = _verdict(comparisons, plan, alpha, weekday_p)
    return result(verdict, text, comparisons)


def _compare(
    control: _Arm,
    treatment: _Arm,
    plan: ExperimentPlan,
    alpha: float,
    power: float,
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
) -> VariantComparison:
    welch = welch_t_test(treatment.values, control.values, confidence=confidence)
    mw = stats.mannwhitneyu(treatment.values, control.values, alternative="two-sided")
    rank_biserial = 2 * float(mw.statistic) / (treatment.n * control.n) - 1
    rate_test = proportion = None
    if plan.metric_kind == "rate":
        assert treatment.successes is not None and treatment.trials is not None
        assert control.successes is not None and control.trials is not None
        rate_test = rate_difference_test(
            treatment.successes, treatment.trials, control.successes, control.trials, confidence=confidence
        )
        proportion = two_proportion_ztest(
            [treatment.successes.sum(), control.successes.sum()],
            [treatment.trials.sum(), control.trials.sum()],
        )
        primary_test = "rate_difference_delta_z"
        statistic, p_value, difference = rate_test.statistic, rate_test.p_value, rate_test.difference
        low, high = rate_test.ci_low, rate_test.ci_high
        control_level = float(control.successes.sum() / control.trials.sum())
        sd = _pooled_sd(_linearised(treatment), _linearised(control))
    else:
        primary_test = "welch_t"
        statistic, p_value, difference = welch.statistic, welch.p_value, welch.mean_difference
        low, high = welch.ci_low, welch.ci_high
        control_level = float(control.values.mean())
        sd = _pooled_sd(treatment.values, control.values)
    lift = difference / abs(control_level) if difference is not None and control_level != 0 else None
    lift_low, lift_high = _bootstrap_lift(control, treatment, plan.metric_kind, resamples, confidence, rng)
    mde = minimum_detectable_effect(
        sd, treatment.n, control.n, alpha=alpha, power=power, kind=plan.metric_kind
    )
    target = plan.target_relative_lift * abs(control_level)
    return VariantComparison(
        control=control.name,
        treatment=treatment.name,
        primary_test=primary_test,
        absolute_difference=difference,
        difference_ci_low=low,
        difference_ci_high=high,
        primary_statistic=statistic,
        primary_p_value=p_value,
        adjusted_p_value=None,
        is_significant=False,
        welch=welch,
        rate_test=rate_test,
        proportion_test=proportion,
        mann_whitney_u=float(mw.statistic),
        mann_whitney_p_value=float(mw.pvalue),
        rank_biserial=rank_biserial,
        relative_lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        minimum_detectable_lift=mde / abs(control_level) if mde is not None and control_level != 0 else None,
        achieved_power=achieved_power(target, sd, treatment.n, control.n, alpha=alpha, kind=plan.metric_kind)
        if target > 0
        else None,
    )


def _untested_reason(comparison: VariantComparison) -> str:
    test = comparison.rate_test if comparison.rate_test is not None else comparison.welch
    return test.insufficient_reason or "the primary test could not be computed"


def _with_adjusted(draft: VariantComparison, adjusted: float, alpha: float) -> VariantComparison:
    if not np.isfinite(adjusted):
        return draft
    return replace(draft, adjusted_p_value=adjusted, is_significant=adjusted <= alpha)


def _verdict(
    comparisons: tuple[VariantComparison, ...], plan: ExperimentPlan, alpha: float, weekday_p: float | None
) -> tuple[Verdict, str]:
    def better(c: VariantComparison) -> bool:
        return c.absolute_difference is not None and (c.absolute_difference > 0) == plan.higher_is_better

    winners = [c for c in comparisons if c.is_significant and better(c)]
    losers = [c for c in comparisons if c.is_significant and not better(c)]
    caveat = ""
    if weekday_p is not None and weekday_p < alpha:
        caveat = f"; caution: publication weekdays differ between variants ({format_p(weekday_p)})"
    if winners:
        best = max(winners, key=lambda c: (c.relative_lift or 0) * (1 if plan.higher_is_better else -1))
        return (
            "treatment_better",
            f"{best.treatment} beats {best.control}: {_effect_text(best, plan)}{caveat}",
        )
    if losers:
        worst = losers[0]
        return (
            "treatment_worse",
            f"{worst.treatment} is worse than {worst.control}: {_effect_text(worst, plan)}{caveat}",
        )
    parts = [
        f"{c.treatment} vs {c.control}: {_effect_text(c, plan)}; minimum detectable lift "
        f"{_pct(c.minimum_detectable_lift)}, power {_pct(c.achieved_power)} "
        f"for a {plan.target_relative_lift:.0%} lift"
        for c in comparisons
    ]
    text = (
        f"inconclusive: no difference on {plan.primary_metric} was detected at alpha {alpha:g} "
        f"({'; '.join(parts)}). This is not evidence that the variants perform the same; "
        f"differences smaller than the minimum detectable lift could not be detected{caveat}"
    )
    return "inconclusive", text


def _effect_text(c: VariantComparison, plan: ExperimentPlan) -> str:
    interval = ""
    if c.lift_ci_low is not None and c.lift_ci_high is not None:
        interval = f", 95% bootstrap CI {_pct(c.lift_ci_low, True)} to {_pct(c.lift_ci_high, True)}"
    p = format_p(c.adjusted_p_value, "Holm-adjusted") if c.adjusted_p_value is not None else "p not available"
    return f"lift {_pct(c.relative_lift, True)} on {plan.primary_metric}{interval}, {p} ({c.primary_test})"


def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _srm_text(srm: SampleRatioCheck, plan: ExperimentPlan) -> str:
    observed = ", ".join(f"{v} {c}" for v, c in zip(plan.variants, srm.counts, strict=True))
    expected = ", ".join(f"{s:.0%}" for s in srm.expected_shares)
    return (
        f"sample ratio mismatch: observed {observed} against planned shares {expected} "
        f"(chi-square p = {srm.p_value:.2g}); assignment or logging is broken, so no effect is reported"
    )


def _arm(frame: pd.DataFrame, variant: str, kind: MetricKind) -> _Arm:
    rows = frame[frame[VARIANT] == variant]
    if kind == "mean":
        return _Arm(variant, _finite(numeric_values(rows[VALUE])), None, None)
    successes, trials = numeric_values(rows[SUCCESSES]), numeric_values(rows[TRIALS])
    keep = np.isfinite(successes) & np.isfinite(trials) & (trials > 0)
    s, t = successes[keep], trials[keep]
    return _Arm(variant, s / t, s, t)


def _summary(arm: _Arm, kind: MetricKind, confidence: float) -> VariantSummary:
    if arm.n == 0:
        return VariantSummary(arm.name, 0, None, None, None, None, None, None, None)
    z = float(stats.norm.isf((1 - confidence) / 2))
    if kind == "rate":
        assert arm.successes is not None and arm.trials is not None
        rate, variance = (float(v) for v in _ratio_and_variance(arm.successes, arm.trials))
        half = z * np.sqrt(variance) if np.isfinite(variance) else None
        return VariantSummary(
            arm.name,
            arm.n,
            rate,
            None if half is None else float(rate - half),
            None if half is None else float(rate + half),
            None,
            float(arm.successes.sum()),
            float(arm.trials.sum()),
            None,
        )
    mean = float(arm.values.mean())
    if arm.n < 2:
        return VariantSummary(arm.name, 1, mean, None, None, None, None, None, None)
    sd = float(arm.values.std(ddof=1))
    half = float(stats.t.isf((1 - confidence) / 2, arm.n - 1)) * sd / np.sqrt(arm.n)
    return VariantSummary(arm.name, arm.n, mean, float(mean - half), float(mean + half), sd, None, None, None)


def _count_only(arm: _Arm) -> VariantSummary:
    """Before the horizon only the count is shown: per-variant estimates would invite peeking."""
    return VariantSummary(arm.name, arm.n, None, None, None, None, None, None, None)


def _ratio_and_variance(
    successes: NDArray[np.float64], trials: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ratio of sums and its delta-method variance along the last axis."""
    n = successes.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = successes.sum(axis=-1) / trials.sum(axis=-1)
        residual = successes - ratio[..., None] * trials
        mean_trials = trials.mean(axis=-1)
        variance = (residual**2).sum(axis=-1) / (n - 1) / n / mean_trials**2
    return ratio, variance


def _linearised(arm: _Arm) -> NDArray[np.float64]:
    """Per-item values whose mean's variance equals the delta-method variance of the rate."""
    assert arm.successes is not None and arm.trials is not None
    ratio = arm.successes.sum() / arm.trials.sum()
    linearised: NDArray[np.float64] = (arm.successes - ratio * arm.trials) / arm.trials.mean()
    return linearised


def _pooled_sd(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    dof = a.size + b.size - 2
    if dof <= 0:
        return 0.0
    return float(np.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / dof))


def _bootstrap_lift(
    control: _Arm,
    treatment: _Arm,
    kind: MetricKind,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float | None, float | None]:
    """Percentile interval of the relative lift, resampling items within each variant."""
    if resamples <= 0:
        return None, None
    control_levels = _bootstrap_levels(control, kind, resamples, rng)
    treatment_levels = _bootstrap_levels(treatment, kind, resamples, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        lifts = (treatment_levels - control_levels) / np.abs(control_levels)
    lifts = lifts[np.isfinite(lifts)]
    if lifts.size < resamples * 0.99:
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(lifts, [tail, 100 - tail])
    return float(low), float(high)


def _bootstrap_levels(
    arm: _Arm, kind: MetricKind, resamples: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    chunk = max(1, _BOOTSTRAP_CHUNK_ELEMENTS // max(arm.n, 1))
    levels = np.empty(resamples)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        rows = rng.integers(0, arm.n, size=(size, arm.n))
        if kind == "rate":
            assert arm.successes is not None and arm.trials is not None
            levels[start : start + size] = arm.successes[rows].sum(axis=1) / arm.trials[rows].sum(axis=1)
        else:
            levels[start : start + size] = arm.values[rows].mean(axis=1)
    return levels


def _probability_best(
    arms: list[_Arm], plan: ExperimentPlan, draws: int, rng: np.random.Generator
) -> list[float | None]:
    """Share of draws from each variant's normal posterior (flat prior) in which it is best."""
    if draws <= 0:
        return [None] * len(arms)
    centres, scales = [], []
    for arm in arms:
        if plan.metric_kind == "rate":
            assert arm.successes is not None and arm.trials is not None
            ratio, variance = _ratio_and_variance(arm.successes, arm.trials)
            centres.append(float(ratio))
            scales.append(float(np.sqrt(variance)))
        else:
            centres.append(float(arm.values.mean()))
            scales.append(float(arm.values.std(ddof=1) / np.sqrt(arm.n)))
    if not all(np.isfinite(scale) and scale > 0 for scale in scales):
        return [None] * len(arms)  # a variant without spread has no posterior to draw from
    samples = rng.normal(np.array(centres), np.array(scales), size=(draws, len(arms)))
    winners = samples.argmax(axis=1) if plan.higher_is_better else samples.argmin(axis=1)
    return [float(share) for share in np.bincount(winners, minlength=len(arms)) / draws]


def _weekday_balance(frame: pd.DataFrame, variants: tuple[str, ...]) -> float | None:
    """p of the chi-square test that publication weekdays are independent of the variant."""
    if WEEKDAY not in frame.columns:
        return None
    rows = frame[frame[VARIANT].isin(variants)].dropna(subset=[WEEKDAY])
    table = pd.crosstab(rows[VARIANT], rows[WEEKDAY])
    table = table.loc[:, table.sum(axis=0) > 0]
    return chi_square_independence(table.to_numpy()).p_value


def _finite(values: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    finite: NDArray[np.float64] = array[np.isfinite(array)]
    return finite
