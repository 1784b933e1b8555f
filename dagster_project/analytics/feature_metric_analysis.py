"""All feature x metric tests of one frame, with Benjamini-Hochberg across every test run.

Continuous features get Pearson and/or Spearman, binary features the point-biserial r (all
vectorised: one matrix product per missingness pattern), categorical features a one-way ANOVA
(Welch by default) and Kruskal-Wallis per metric.  Pairs below the minimum sample size, constant
features and single-category features give an "insufficient data" result with no number.

Pearson's p-value assumes that at least one of the pair is roughly normal: with two heavy-tailed
variables (raw view counts against a skewed feature) it is anti-conservative, so pass such
metrics log-transformed (``log1p``) or read the Spearman rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dagster_project.analytics.columns import numeric_values
from dagster_project.analytics.correlation import (
    SPEARMAN_SE_FACTOR,
    CorrelationMethod,
    binary_codes,
    correlation_matrix,
    correlation_p_values,
    degenerate_reason,
    fisher_z_interval,
    t_statistics,
)
from dagster_project.analytics.group_comparison import (
    anova_from_codes,
    kruskal_from_codes,
    level_summaries_from_codes,
)
from dagster_project.analytics.interpretation import (
    correlation_strength,
    describe_correlation,
    describe_group_comparison,
    describe_insufficient,
    effect_direction,
    variance_share_strength,
)
from dagster_project.analytics.multiple_testing import benjamini_hochberg
from dagster_project.analytics.results import (
    CorrelationResult,
    FeatureKind,
    FeatureMetricAnalysis,
    GroupComparisonResult,
    GroupMethod,
    LevelSummary,
)

METHOD_ORDER = ("pearson", "spearman", "point_biserial")


@dataclass(frozen=True)
class _CorrelationDraft:
    feature: str
    metric: str
    method: str
    kind: FeatureKind
    n: int
    r: float
    t: float
    p: float
    ci: tuple[float, float] | None
    reason: str | None


@dataclass(frozen=True)
class _GroupDraft:
    feature: str
    metric: str
    method: GroupMethod
    statistic: float | None
    df_between: float | None
    df_within: float | None
    p: float
    effect: float | None
    n: int
    levels: tuple[LevelSummary, ...]
    dropped: tuple[str, ...]
    reason: str | None


def feature_kind(values: pd.Series) -> FeatureKind:
    """binary: bool, or numeric with exactly 2 distinct values; continuous: other numeric (a constant
    column included, reported as constant); categorical: everything else."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return "binary"
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = numeric_values(values)
        return "binary" if np.unique(numbers[np.isfinite(numbers)]).size == 2 else "continuous"
    return "categorical"


def analyse_feature_metric_pairs(
    frame: pd.DataFrame,
    features: Sequence[str],
    metrics: Sequence[str],
    *,
    alpha: float,
    min_sample_size: int,
    confidence: float = 0.95,
    continuous_methods: Sequence[CorrelationMethod] = ("pearson", "spearman"),
    equal_variances: bool = False,
    min_level_size: int = 2,
) -> FeatureMetricAnalysis:
    """Test every feature against every metric; BH at ``alpha`` over all tests that could run.

    ``frame`` holds one row per content item (metrics already taken at a common age, e.g. day 7).
    Infinite values count as missing; each pair uses the items that have both values.
    """
    missing = [c for c in (*features, *metrics) if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in frame: {missing}")
    kinds = {f: feature_kind(frame[f]) for f in features}
    y, metric_reasons = _metric_matrix(frame, metrics)
    drafts: list[_CorrelationDraft] = []
    continuous = [f for f in features if kinds[f] == "continuous"]
    binary = [f for f in features if kinds[f] == "binary"]
    x = np.column_stack([numeric_values(frame[f]) for f in continuous]) if continuous else None
    for method in continuous_methods:
        drafts += _correlation_drafts(
            x, y, continuous, metrics, method, method, "continuous", min_sample_size
        )
    if binary:
        x = np.column_stack([_binary(frame[f]) for f in binary])
        drafts += _correlation_drafts(
            x, y, binary, metrics, "pearson", "point_biserial", "binary", min_sample_size
        )
    categorical = {f: _levels(frame[f]) for f in features if kinds[f] == "categorical"}
    group_drafts = [
        _group_drafts(
            *categorical[f], y[:, j], f, m, min_sample_size, min_level_size, equal_variances, confidence
        )
        for f in categorical
        for j, m in enumerate(metrics)
    ]
    groups = [d for pair in group_drafts for d in pair]
    if metric_reasons:
        drafts = [replace(d, reason=metric_reasons.get(d.metric, d.reason)) for d in drafts]
        groups = [replace(d, reason=metric_reasons.get(d.metric, d.reason)) for d in groups]

    p_values = np.array(
        [d.p if d.reason is None else np.nan for d in drafts]
        + [g.p if g.reason is None else np.nan for g in groups]
    )
    adjusted = benjamini_hochberg(p_values)
    correlations = tuple(
        _correlation_result(d, a, alpha, confidence)
        for d, a in zip(drafts, adjusted[: len(drafts)], strict=True)
    )
    comparisons = tuple(
        _group_result(d, a, alpha) for d, a in zip(groups, adjusted[len(drafts) :], strict=True)
    )
    correlations = tuple(
        sorted(
            correlations,
            key=lambda r: (features.index(r.feature), metrics.index(r.metric), METHOD_ORDER.index(r.method)),
        )
    )
    return FeatureMetricAnalysis(
        correlations=correlations,
        group_comparisons=comparisons,
        significance_level=alpha,
        min_sample_size=min_sample_size,
        n_tests=sum(not r.insufficient_data for r in correlations)
        + sum(not g.insufficient_data for g in comparisons),
        n_significant=sum(r.is_significant for r in correlations)
        + sum(g.is_significant for g in comparisons),
        n_insufficient=sum(r.insufficient_data for r in correlations)
        + sum(g.insufficient_data for g in comparisons),
    )


def _correlation_drafts(
    x: NDArray[np.float64] | None,
    y: NDArray[np.float64],
    features: Sequence[str],
    metrics: Sequence[str],
    core: CorrelationMethod,
    method: str,
    kind: FeatureKind,
    min_sample_size: int,
) -> list[_CorrelationDraft]:
    if x is None or not features:
        return []
    matrix = correlation_matrix(x, y, core)
    r, n = matrix.coefficients, matrix.sample_sizes
    t = t_statistics(r, n)
    p = correlation_p_values(r, n)
    low, high = fisher_z_interval(r, n, se_factor=SPEARMAN_SE_FACTOR if core == "spearman" else 1.0)
    drafts = []
    for i, feature in enumerate(features):
        for j, metric in enumerate(metrics):
            constant_x = bool(matrix.constant_x[i, j])
            reason = degenerate_reason(
                int(n[i, j]), constant_x, bool(matrix.constant_y[i, j]), min_sample_size, feature, metric
            )
            if reason is not None and constant_x and kind == "binary" and n[i, j] >= min_sample_size:
                reason = f"{feature} takes a single value over the {n[i, j]} items with both values"
            if reason is None and not np.isfinite(p[i, j]):
                reason = "the test statistic is undefined for these values"
            ci = (float(low[i, j]), float(high[i, j])) if np.isfinite(low[i, j]) else None
            drafts.append(
                _CorrelationDraft(
                    feature, metric, method, kind, int(n[i, j]), r[i, j], t[i, j], p[i, j], ci, reason
                )
            )
    return drafts


def _group_drafts(
    codes: NDArray[np.intp],
    names: list[str],
    metric_values: NDArray[np.float64],
    feature: str,
    metric: str,
    min_sample_size: int,
    min_level_size: int,
    equal_variances: bool,
    confidence: float,
) -> tuple[_GroupDraft, _GroupDraft]:
    present = (codes >= 0) & np.isfinite(metric_values)
    counts = np.bincount(codes[present], minlength=len(names))
    large = counts >= min_level_size
    dropped = tuple(name for name, count in zip(names, counts, strict=True) if 0 < count < min_level_size)
    # A missing value (code -1) looks up the extra False slot, which also covers no levels at all.
    rows = present & np.append(large, False)[np.where(codes >= 0, codes, len(names))]
    kept_codes = np.cumsum(large) - 1  # old code -> 0..k'-1 among kept levels
    group_codes, values = kept_codes[codes[rows]], metric_values[rows]
    kept_levels = [name for name, keep in zip(names, large, strict=True) if keep]
    n = int(rows.sum())
    levels = level_summaries_from_codes(group_codes, values, kept_levels, confidence)
    reason = None
    if n < min_sample_size:
        reason = f"only {n} items have both {feature} and {metric}; at least {min_sample_size} are needed"
    elif len(kept_levels) < 2:
        reason = (
            f"{feature} has {len(kept_levels)} level(s) with at least {min_level_size} items; "
            "at least 2 levels are needed"
        )
    anova = anova_from_codes(group_codes, values)
    kruskal = kruskal_from_codes(group_codes, values)
    anova_method: GroupMethod = "anova" if equal_variances else "welch_anova"
    statistic = anova.f_statistic if equal_variances else anova.welch_f
    df_within = anova.df_within if equal_variances else anova.welch_df_within
    p_anova = anova.p_value if equal_variances else anova.welch_p_value
    anova_reason = reason or anova.insufficient_reason
    if anova_reason is None and p_anova is None:
        anova_reason = "a level has zero variance, so Welch's ANOVA is undefined"
    return (
        _GroupDraft(
            feature,
            metric,
            anova_method,
            statistic,
            anova.df_between,
            df_within,
            np.nan if p_anova is None else p_anova,
            anova.eta_squared,
            n,
            levels,
            dropped,
            anova_reason,
        ),
        _GroupDraft(
            feature,
            metric,
            "kruskal",
            kruskal.h_statistic,
            kruskal.df,
            None,
            np.nan if kruskal.p_value is None else kruskal.p_value,
            kruskal.epsilon_squared,
            n,
            levels,
            dropped,
            reason or kruskal.insufficient_reason,
        ),
    )


def _correlation_result(
    draft: _CorrelationDraft, adjusted: float, alpha: float, confidence: float
) -> CorrelationResult:
    if draft.reason is not None:
        return CorrelationResult(
            feature=draft.feature,
            metric=draft.metric,
            correlation_coefficient=None,
            p_value=None,
            strength="insufficient data",
            direction="none",
            significance_level=alpha,
            sample_size=draft.n,
            confidence_interval=None,
            interpretation=describe_insufficient(f"{draft.feature} vs {draft.metric}", draft.reason),
            method=draft.method,
            feature_kind=draft.kind,
            test_statistic=None,
            degrees_of_freedom=None,
            adjusted_p_value=None,
            is_significant=False,
            insufficient_data=True,
            insufficient_reason=draft.reason,
        )
    r, significant = float(draft.r), bool(adjusted <= alpha)
    return CorrelationResult(
        feature=draft.feature,
        metric=draft.metric,
        correlation_coefficient=r,
        p_value=float(draft.p),
        strength=correlation_strength(r),
        direction=effect_direction(r),
        significance_level=alpha,
        sample_size=draft.n,
        confidence_interval=draft.ci,
        interpretation=describe_correlation(
            draft.feature,
            draft.metric,
            draft.method,
            r,
            draft.ci,
            float(adjusted),
            draft.n,
            significant,
            alpha,
            confidence,
        ),
        method=draft.method,
        feature_kind=draft.kind,
        test_statistic=float(draft.t) if np.isfinite(draft.t) else None,
        degrees_of_freedom=float(draft.n - 2),
        adjusted_p_value=float(adjusted),
        is_significant=significant,
        insufficient_data=False,
        insufficient_reason=None,
    )


def _group_result(draft: _GroupDraft, adjusted: float, alpha: float) -> GroupComparisonResult:
    effect_name: Literal["eta_squared", "epsilon_squared"] = (
        "epsilon_squared" if draft.method == "kruskal" else "eta_squared"
    )
    if draft.reason is not None:
        return GroupComparisonResult(
            feature=draft.feature,
            metric=draft.metric,
            method=draft.method,
            statistic=None,
            df_between=None,
            df_within=None,
            p_value=None,
            adjusted_p_value=None,
            effect_size=None,
            effect_size_name=effect_name,
            strength="insufficient data",
            significance_level=alpha,
            sample_size=draft.n,
            levels=draft.levels,
            dropped_levels=draft.dropped,
            is_significant=False,
            insufficient_data=True,
            insufficient_reason=draft.reason,
            interpretation=describe_insufficient(f"{draft.feature} vs {draft.metric}", draft.reason),
        )
    assert draft.effect is not None
    significant = bool(adjusted <= alpha)
    test_name = {"anova": "one-way ANOVA", "welch_anova": "Welch ANOVA", "kruskal": "Kruskal-Wallis"}
    return GroupComparisonResult(
        feature=draft.feature,
        metric=draft.metric,
        method=draft.method,
        statistic=draft.statistic,
        df_between=draft.df_between,
        df_within=draft.df_within,
        p_value=float(draft.p),
        adjusted_p_value=float(adjusted),
        effect_size=draft.effect,
        effect_size_name=effect_name,
        strength=variance_share_strength(draft.effect),
        significance_level=alpha,
        sample_size=draft.n,
        levels=draft.levels,
        dropped_levels=draft.dropped,
        is_significant=significant,
        insufficient_data=False,
        insufficient_reason=None,
        interpretation=describe_group_comparison(
            draft.feature,
            draft.metric,
            test_name[draft.method],
            effect_name.replace("_", "-"),
            draft.effect,
            float(adjusted),
            draft.n,
            len(draft.levels),
            significant,
            alpha,
        ),
    )


def _levels(series: pd.Series) -> tuple[NDArray[np.intp], list[str]]:
    """Integer codes (-1 = missing) and sorted level names of a categorical column."""
    codes, uniques = pd.factorize(series.astype("string"), sort=True)
    return np.asarray(codes, dtype=np.intp), [str(u) for u in uniques]


def _metric_matrix(frame: pd.DataFrame, metrics: Sequence[str]) -> tuple[NDArray[np.float64], dict[str, str]]:
    columns, reasons = [], {}
    for metric in metrics:
        series = frame[metric]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            columns.append(numeric_values(series))
        else:
            reasons[metric] = f"metric {metric} is not numeric ({series.dtype})"
            columns.append(np.full(len(frame), np.nan))
    matrix = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    return matrix, reasons


def _binary(series: pd.Series) -> NDArray[np.float64]:
    codes = binary_codes(numeric_values(series))
    assert codes is not None  # feature_kind guarantees at most two values
    return codes
