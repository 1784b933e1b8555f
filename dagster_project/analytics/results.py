"""Frozen result types of the analytics statistics.

Numbers are ``None`` (never NaN) when a statistic could not be computed; such results carry
``insufficient_data=True`` and a human-readable ``insufficient_reason``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Alternative = Literal["two-sided", "greater", "less"]
Strength = Literal["negligible", "weak", "moderate", "strong", "insufficient data"]
Direction = Literal["positive", "negative", "none"]
FeatureKind = Literal["continuous", "binary", "categorical"]
GroupMethod = Literal["anova", "welch_anova", "kruskal"]
Verdict = Literal[
    "too_early",
    "insufficient_data",
    "sample_ratio_mismatch",
    "treatment_better",
    "treatment_worse",
    "inconclusive",
]


@dataclass(frozen=True)
class CorrelationEstimate:
    """One correlation test of two samples, outside any multiple-testing family."""

    method: str
    sample_size: int
    coefficient: float | None
    statistic: float | None
    df: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    alternative: Alternative
    confidence: float
    insufficient_reason: str | None = None

    @property
    def insufficient_data(self) -> bool:
        return self.insufficient_reason is not None


@dataclass(frozen=True)
class CorrelationResult:
    """A feature-metric association as reported (seed fields first, then ours).

    ``p_value`` is the raw p; ``adjusted_p_value`` is Benjamini-Hochberg over every test of
    the run and ``is_significant`` compares it with ``significance_level``.
    """

    feature: str
    metric: str
    correlation_coefficient: float | None
    p_value: float | None
    strength: Strength
    direction: Direction
    significance_level: float
    sample_size: int
    confidence_interval: tuple[float, float] | None
    interpretation: str
    method: str
    feature_kind: FeatureKind
    test_statistic: float | None
    degrees_of_freedom: float | None
    adjusted_p_value: float | None
    is_significant: bool
    insufficient_data: bool
    insufficient_reason: str | None


@dataclass(frozen=True)
class LevelSummary:
    """Mean (with a t interval) and median of one group."""

    level: str
    sample_size: int
    mean: float | None
    std: float | None
    ci_low: float | None
    ci_high: float | None
    median: float | None


@dataclass(frozen=True)
class AnovaTable:
    """Classic one-way ANOVA (equal variances) and Welch's test (unequal variances)."""

    n_groups: int
    sample_size: int
    df_between: float | None = None
    df_within: float | None = None
    ss_between: float | None = None
    ss_within: float | None = None
    ms_between: float | None = None
    ms_within: float | None = None
    f_statistic: float | None = None
    p_value: float | None = None
    eta_squared: float | None = None
    residual_sd: float | None = None
    welch_f: float | None = None
    welch_df_within: float | None = None
    welch_p_value: float | None = None
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class KruskalWallisTest:
    """Kruskal-Wallis H (tie-corrected) with epsilon-squared = H / (n - 1)."""

    n_groups: int
    sample_size: int
    h_statistic: float | None
    df: float | None
    p_value: float | None
    epsilon_squared: float | None
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class GroupComparisonResult:
    """A categorical feature against a metric: ANOVA (eta-squared) or Kruskal-Wallis (epsilon-squared)."""

    feature: str
    metric: str
    method: GroupMethod
    statistic: float | None
    df_between: float | None
    df_within: float | None
    p_value: float | None
    adjusted_p_value: float | None
    effect_size: float | None
    effect_size_name: Literal["eta_squared", "epsilon_squared"]
    strength: Strength
    significance_level: float
    sample_size: int
    levels: tuple[LevelSummary, ...]
    dropped_levels: tuple[str, ...]
    is_significant: bool
    insufficient_data: bool
    insufficient_reason: str | None
    interpretation: str


@dataclass(frozen=True)
class FeatureMetricAnalysis:
    """Every feature x metric test of one frame, with BH applied across all of them."""

    correlations: tuple[CorrelationResult, ...]
    group_comparisons: tuple[GroupComparisonResult, ...]
    significance_level: float
    min_sample_size: int
    n_tests: int
    n_significant: int
    n_insufficient: int


@dataclass(frozen=True)
class FeatureImportance:
    """Standardised OLS coefficient of one feature with bootstrap intervals for it and its rank."""

    feature: str
    coefficient: float
    ci_low: float
    ci_high: float
    importance: float
    rank: int
    rank_ci_low: int
    rank_ci_high: int
    excludes_zero: bool


@dataclass(frozen=True)
class FeatureImportanceResult:
    """Ranking of features for one metric in one scope ("all" or a platform)."""

    metric: str
    scope: str
    sample_size: int
    r_squared: float | None
    features: tuple[FeatureImportance, ...]
    excluded_features: tuple[tuple[str, str], ...]
    bootstrap_resamples: int
    confidence: float
    insufficient_data: bool
    insufficient_reason: str | None


@dataclass(frozen=True)
class PairwiseComparison:
    """Mann-Whitney test of two groups; rank-biserial > 0 means ``group_a`` tends to be larger."""

    group_a: str
    group_b: str
    n_a: int
    n_b: int
    u_statistic: float
    p_value: float
    adjusted_p_value: float
    rank_biserial: float
    strength: Strength
    is_significant: bool


@dataclass(frozen=True)
class PlatformComparison:
    """Kruskal-Wallis across platforms with Holm-corrected pairwise Mann-Whitney tests."""

    metric: str
    statistic: float | None
    df: float | None
    p_value: float | None
    adjusted_p_value: float | None
    epsilon_squared: float | None
    strength: Strength
    significance_level: float
    sample_size: int
    platforms: tuple[LevelSummary, ...]
    excluded_platforms: tuple[str, ...]
    pairwise: tuple[PairwiseComparison, ...]
    is_significant: bool
    insufficient_data: bool
    insufficient_reason: str | None
    interpretation: str


@dataclass(frozen=True)
class PlatformCorrelation:
    """Correlation of a feature and a metric within one platform."""

    platform: str
    sample_size: int
    coefficient: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class FeatureEffectHeterogeneity:
    """Whether a feature-metric correlation differs between platforms (Cochran's Q on Fisher z)."""

    feature: str
    metric: str
    method: str
    per_platform: tuple[PlatformCorrelation, ...]
    q_statistic: float | None
    df: float | None
    p_value: float | None
    adjusted_p_value: float | None
    significance_level: float
    is_significant: bool
    insufficient_data: bool
    insufficient_reason: str | None
    interpretation: str


@dataclass(frozen=True)
class WelchTTest:
    """Welch two-sample t-test of mean(x) - mean(y) with its confidence interval."""

    statistic: float | None
    df: float | None
    p_value: float | None
    mean_difference: float | None
    ci_low: float | None
    ci_high: float | None
    alternative: Alternative
    confidence: float
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class ProportionTest:
    """Pooled two-proportion z test of p1 - p2 (z**2 is the 2x2 chi-square)."""

    statistic: float | None
    p_value: float | None
    proportion_1: float | None
    proportion_2: float | None
    difference: float | None
    continuity_correction: bool
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class RateDifferenceTest:
    """z test of rate_1 - rate_2 for ratio metrics (sum of successes / sum of trials per group)
    with delta-method standard errors over items, so trials clustered in items are allowed."""

    statistic: float | None
    p_value: float | None
    rate_1: float | None
    rate_2: float | None
    difference: float | None
    standard_error: float | None
    ci_low: float | None
    ci_high: float | None
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class ChiSquareTest:
    """Pearson chi-square test (independence, k proportions or goodness of fit)."""

    statistic: float | None
    df: float | None
    p_value: float | None
    expected: tuple[tuple[float, ...], ...] | None
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class SampleRatioCheck:
    """Chi-square goodness of fit of the variant counts against the planned allocation."""

    counts: tuple[int, ...]
    expected_shares: tuple[float, ...]
    chi_square: float | None
    p_value: float | None
    mismatch: bool


@dataclass(frozen=True)
class VariantSummary:
    """Per-variant primary metric: per-item mean (t interval) or pooled rate (Wilson interval)."""

    variant: str
    sample_size: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    std: float | None
    successes: float | None
    trials: float | None
    probability_best: float | None


@dataclass(frozen=True)
class VariantComparison:
    """One treatment against the control on the primary metric.

    ``primary_p_value`` comes from ``primary_test``; ``adjusted_p_value`` is Holm over the
    treatments.  ``minimum_detectable_lift`` and ``achieved_power`` are at the achieved sizes.
    """

    control: str
    treatment: str
    primary_test: str
    absolute_difference: float | None
    difference_ci_low: float | None
    difference_ci_high: float | None
    primary_statistic: float | None
    primary_p_value: float | None
    adjusted_p_value: float | None
    is_significant: bool
    welch: WelchTTest
    rate_test: RateDifferenceTest | None
    proportion_test: ProportionTest | None
    mann_whitney_u: float | None
    mann_whitney_p_value: float | None
    rank_biserial: float | None
    relative_lift: float | None
    lift_ci_low: float | None
    lift_ci_high: float | None
    minimum_detectable_lift: float | None
    achieved_power: float | None


@dataclass(frozen=True)
class ABTestResult:
    """Fixed-horizon analysis of one experiment on its primary metric."""

    experiment: str
    primary_metric: str
    metric_kind: Literal["mean", "rate"]
    as_of: dt.date
    planned_end: dt.date
    horizon_reached: bool
    significance_level: float
    variants: tuple[VariantSummary, ...]
    comparisons: tuple[VariantComparison, ...]
    sample_ratio: SampleRatioCheck
    weekday_balance_p_value: float | None
    verdict: Verdict
    verdict_text: str
