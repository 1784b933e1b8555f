"""Platform comparisons: does a metric differ between platforms, and does a feature's association
with a metric differ between platforms?

Metric differences: Kruskal-Wallis across platforms (epsilon-squared; BH across the metrics
compared), then pairwise Mann-Whitney tests, Holm-corrected, with rank-biserial effect sizes.
Feature-effect differences: per-platform correlations compared by Cochran's Q on Fisher z
(the k-platform form of the two-sample Fisher z test), BH across all feature x metric pairs.
Pass metrics taken at a common age (e.g. views at day 7) so platforms are compared like for like.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from dagster_project.analytics.columns import is_numeric_column, numeric_values
from dagster_project.analytics.correlation import (
    SPEARMAN_SE_FACTOR,
    CorrelationMethod,
    correlation_matrix,
    fisher_z_interval,
)
from dagster_project.analytics.group_comparison import kruskal_wallis, level_summary
from dagster_project.analytics.interpretation import (
    COEFFICIENT_SYMBOLS,
    correlation_strength,
    describe_heterogeneity,
    describe_insufficient,
    describe_platform_comparison,
    variance_share_strength,
)
from dagster_project.analytics.multiple_testing import benjamini_hochberg, holm
from dagster_project.analytics.results import (
    FeatureEffectHeterogeneity,
    PairwiseComparison,
    PlatformComparison,
    PlatformCorrelation,
)

_FISHER_MIN_N = 4


def compare_platforms(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    *,
    alpha: float,
    min_sample_size: int,
    platform_column: str = "platform",
    confidence: float = 0.95,
) -> tuple[PlatformComparison, ...]:
    """One Kruskal-Wallis per metric (BH-adjusted across ``metrics``) with Holm-corrected pairs.

    Platforms with fewer than ``min_sample_size`` items with the metric are left out and listed.
    """
    drafts = [_platform_draft(frame, m, platform_column, min_sample_size, alpha, confidence) for m in metrics]
    raw = np.array([np.nan if d.p_value is None else d.p_value for d in drafts])
    adjusted = benjamini_hochberg(raw)
    results = []
    for draft, p_adj in zip(drafts, adjusted, strict=True):
        if draft.insufficient_data or draft.epsilon_squared is None:
            results.append(draft)
            continue
        significant = bool(p_adj <= alpha)
        pairs = [
            f"{pair.group_a} vs {pair.group_b} rank-biserial {pair.rank_biserial:+.2f}"
            for pair in draft.pairwise
            if pair.is_significant
        ]
        text = describe_platform_comparison(
            draft.metric,
            draft.epsilon_squared,
            float(p_adj),
            draft.sample_size,
            len(draft.platforms),
            pairs,
            significant,
        )
        results.append(
            replace(draft, adjusted_p_value=float(p_adj), is_significant=significant, interpretation=text)
        )
    return tuple(results)


def feature_effect_differences(
    frame: pd.DataFrame,
    features: Sequence[str],
    metrics: Sequence[str],
    *,
    alpha: float,
    min_sample_size: int,
    platform_column: str = "platform",
    method: CorrelationMethod = "pearson",
    confidence: float = 0.95,
) -> tuple[FeatureEffectHeterogeneity, ...]:
    """Whether each feature-metric correlation differs between platforms (Cochran's Q, BH-adjusted)."""
    platforms = sorted(frame[platform_column].dropna().unique(), key=str)
    numeric = [f for f in features if is_numeric_column(frame[f])]
    se_factor = SPEARMAN_SE_FACTOR if method == "spearman" else 1.0
    shape = (len(platforms), len(numeric), len(metrics))
    r, n = np.full(shape, np.nan), np.zeros(shape, dtype=np.int64)
    for k, platform in enumerate(platforms):
        rows = frame[frame[platform_column] == platform]
        if numeric and metrics:
            x = np.column_stack([numeric_values(rows[f]) for f in numeric])
            y = np.column_stack([numeric_values(rows[m]) for m in metrics])
            matrix = correlation_matrix(x, y, method)
            r[k], n[k] = matrix.coefficients, matrix.sample_sizes
    usable = (n >= max(min_sample_size, _FISHER_MIN_N)) & np.isfinite(r) & (np.abs(r) < 1)
    weights = np.where(usable, (n - 3) / se_factor**2, 0.0)
    z = np.where(usable, np.arctanh(np.where(usable, r, 0.0)), 0.0)
    total = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (weights * z).sum(axis=0) / total
    q = (weights * (z - pooled) ** 2).sum(axis=0)
    k_used = usable.sum(axis=0)
    p = np.where(k_used >= 2, stats.chi2.sf(q, np.maximum(k_used - 1, 1)), np.nan)
    adjusted = benjamini_hochberg(p.reshape(-1)).reshape(p.shape)
    low, high = fisher_z_interval(r, n, confidence, se_factor=se_factor)
    symbol = COEFFICIENT_SYMBOLS.get(method, method)
    results = []
    for feature in features:
        for j, metric in enumerate(metrics):
            if feature not in numeric:
                reason = f"{feature} is not numeric; compare its levels per platform instead"
                results.append(_heterogeneity_insufficient(feature, metric, method, alpha, reason))
                continue
            i = numeric.index(feature)
            per_platform = tuple(
                PlatformCorrelation(
                    str(platforms[k]),
                    int(n[k, i, j]),
                    float(r[k, i, j]),
                    float(low[k, i, j]),
                    float(high[k, i, j]),
                )
                for k in range(len(platforms))
                if usable[k, i, j]
            )
            if k_used[i, j] < 2:
                reason = (
                    f"{k_used[i, j]} platform(s) have at least {max(min_sample_size, _FISHER_MIN_N)} items "
                    "with a defined correlation; 2 are needed"
                )
                results.append(
                    _heterogeneity_insufficient(feature, metric, method, alpha, reason, per_platform)
                )
                continue
            significant = bool(adjusted[i, j] <= alpha)
            described = [
                f"{c.platform} {symbol} = {c.coefficient:.2f} (n = {c.sample_size})" for c in per_platform
            ]
            results.append(
                FeatureEffectHeterogeneity(
                    feature=feature,
                    metric=metric,
                    method=method,
                    per_platform=per_platform,
                    q_statistic=float(q[i, j]),
                    df=float(k_used[i, j] - 1),
                    p_value=float(p[i, j]),
                    adjusted_p_value=float(adjusted[i, j]),
                    significance_level=alpha,
                    is_significant=significant,
                    insufficient_data=False,
                    insufficient_reason=None,
                    interpretation=describe_heterogeneity(
                        feature, metric, float(q[i, j]), float(adjusted[i, j]), described, significant, alpha
                    ),
                )
            )
    return tuple(results)


def _platform_draft(
    frame: pd.DataFrame,
    metric: str,
    platform_column: str,
    min_sample_size: int,
    alpha: float,
    confidence: float,
) -> PlatformComparison:
    values = pd.DataFrame(
        {"platform": frame[platform_column], "value": numeric_values(frame[metric])}
    ).dropna()
    by_platform = {str(k): g.to_numpy() for k, g in values.groupby("platform", sort=True)["value"]}
    kept = {k: v for k, v in by_platform.items() if v.size >= min_sample_size}
    excluded = tuple(k for k in by_platform if k not in kept)
    summaries = tuple(level_summary(k, v, confidence) for k, v in kept.items())
    n = int(sum(v.size for v in kept.values()))
    test = kruskal_wallis(list(kept.values()))
    reason = None
    if not is_numeric_column(frame[metric]):
        reason = f"metric {metric} is not numeric ({frame[metric].dtype})"
    elif len(kept) < 2:
        reason = f"{len(kept)} platform(s) have at least {min_sample_size} items with {metric}; 2 are needed"
    elif test.insufficient_reason is not None:
        reason = test.insufficient_reason
    if reason is not None or test.p_value is None:
        reason = reason or "the test could not be computed"
        return PlatformComparison(
            metric,
            None,
            None,
            None,
            None,
            None,
            "insufficient data",
            alpha,
            n,
            summaries,
            excluded,
            (),
            False,
            True,
            reason,
            describe_insufficient(f"{metric} across platforms", reason),
        )
    return PlatformComparison(
        metric=metric,
        statistic=test.h_statistic,
        df=test.df,
        p_value=test.p_value,
        adjusted_p_value=None,
        epsilon_squared=test.epsilon_squared,
        strength=variance_share_strength(test.epsilon_squared),
        significance_level=alpha,
        sample_size=n,
        platforms=summaries,
        excluded_platforms=excluded,
        pairwise=_pairwise(kept, alpha),
        is_significant=False,
        insufficient_data=False,
        insufficient_reason=None,
        interpretation="",
    )


def _pairwise(groups: dict[str, NDArray[np.float64]], alpha: float) -> tuple[PairwiseComparison, ...]:
    pairs = list(itertools.combinations(sorted(groups), 2))
    tests = [stats.mannwhitneyu(groups[a], groups[b], alternative="two-sided") for a, b in pairs]
    adjusted = holm([t.pvalue for t in tests])
    results = []
    for (a, b), test, p_adj in zip(pairs, tests, adjusted, strict=True):
        n_a, n_b = groups[a].size, groups[b].size
        rank_biserial = 2 * float(test.statistic) / (n_a * n_b) - 1
        results.append(
            PairwiseComparison(
                group_a=a,
                group_b=b,
                n_a=n_a,
                n_b=n_b,
                u_statistic=float(test.statistic),
                p_value=float(test.pvalue),
                adjusted_p_value=float(p_adj),
                rank_biserial=rank_biserial,
                strength=correlation_strength(rank_biserial),
                is_significant=bool(p_adj <= alpha),
            )
        )
    return tuple(results)


def _heterogeneity_insufficient(
    feature: str,
    metric: str,
    method: str,
    alpha: float,
    reason: str,
    per_platform: tuple[PlatformCorrelation, ...] = (),
) -> FeatureEffectHeterogeneity:
    return FeatureEffectHeterogeneity(
        feature,
        metric,
        method,
        per_platform,
        None,
        None,
        None,
        None,
        alpha,
        False,
        True,
        reason,
        describe_insufficient(f"platform differences in {feature} vs {metric}", reason),
    )
