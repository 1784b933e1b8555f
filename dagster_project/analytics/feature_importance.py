"""Feature importance: standardised OLS coefficients with bootstrap intervals, per platform and overall.

Features and the metric are z-scored, so a coefficient is the change in metric SDs per feature SD
holding the other features fixed; importance is its absolute value.  The bootstrap (rows resampled,
seeded) gives percentile intervals for each coefficient and for each feature's rank.  The overall
model standardises within platform, so platform differences in level and scale do not masquerade
as feature effects.  Coefficients describe associations in this sample, not causal effects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dagster_project.analytics.columns import is_numeric_column, numeric_values
from dagster_project.analytics.results import FeatureImportance, FeatureImportanceResult

OVERALL_SCOPE = "all"
_BOOTSTRAP_CHUNK_ELEMENTS = 4_000_000


def standardised_coefficients(
    frame: pd.DataFrame,
    features: Sequence[str],
    metric: str,
    *,
    min_sample_size: int,
    scope: str = OVERALL_SCOPE,
    group_column: str | None = None,
    bootstrap_resamples: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
) -> FeatureImportanceResult:
    """OLS of the z-scored metric on z-scored numeric/boolean features (complete cases only).

    With ``group_column`` every column is z-scored within its group first.  Non-numeric and
    constant features are excluded and listed with the reason.
    """
    if bootstrap_resamples < 1:
        raise ValueError("bootstrap_resamples must be at least 1: the ranking is reported with intervals")
    excluded: list[tuple[str, str]] = []
    usable = []
    for feature in features:
        if is_numeric_column(frame[feature]):
            usable.append(feature)
        else:
            why = f"not numeric ({frame[feature].dtype}); encode it as indicator columns first"
            excluded.append((feature, why))
    columns = [*usable, metric]
    values = np.column_stack([numeric_values(frame[c]) for c in columns])
    complete = np.isfinite(values).all(axis=1)
    if group_column is not None:
        groups = frame[group_column].to_numpy(dtype=object)
        complete &= pd.notna(groups)
        codes = pd.factorize(groups[complete])[0]
    else:
        codes = np.zeros(int(complete.sum()), dtype=np.intp)
    standardised = _standardise_within(values[complete], codes)
    varies = np.abs(standardised).sum(axis=0) > 0
    kept = [f for f, v in zip(usable, varies[:-1], strict=True) if v]
    excluded += [(f, "constant over the complete rows") for f in usable if f not in kept]
    n = int(complete.sum())
    needed = max(min_sample_size, len(kept) + 2)
    reason = None
    if not is_numeric_column(frame[metric]):
        reason = f"metric {metric} is not numeric ({frame[metric].dtype})"
    elif not kept:
        reason = "no usable feature"
    elif not varies[-1]:
        reason = f"{metric} is constant over the complete rows"
    elif n < needed:
        reason = f"only {n} complete rows; at least {needed} are needed"
    if reason is not None:
        return FeatureImportanceResult(
            metric, scope, n, None, (), tuple(excluded), 0, confidence, True, reason
        )
    x = standardised[:, [usable.index(f) for f in kept]]
    y = standardised[:, -1]
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    r_squared = 1 - float(((y - x @ beta) ** 2).sum() / (y**2).sum())
    draws = _bootstrap_coefficients(x, y, bootstrap_resamples, seed)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
    draw_ranks = _ranks(draws)
    rank_low, rank_high = np.percentile(draw_ranks, [tail, 100 - tail], axis=0, method="nearest")
    ranks = _ranks(np.asarray(beta, dtype=np.float64)[None, :])[0]
    items = [
        FeatureImportance(
            feature=feature,
            coefficient=float(beta[i]),
            ci_low=float(low[i]),
            ci_high=float(high[i]),
            importance=float(abs(beta[i])),
            rank=int(ranks[i]),
            rank_ci_low=int(rank_low[i]),
            rank_ci_high=int(rank_high[i]),
            excludes_zero=bool(low[i] > 0 or high[i] < 0),
        )
        for i, feature in enumerate(kept)
    ]
    return FeatureImportanceResult(
        metric=metric,
        scope=scope,
        sample_size=n,
        r_squared=r_squared,
        features=tuple(sorted(items, key=lambda item: item.rank)),
        excluded_features=tuple(excluded),
        bootstrap_resamples=bootstrap_resamples,
        confidence=confidence,
        insufficient_data=False,
        insufficient_reason=None,
    )


def feature_importance_by_platform(
    frame: pd.DataFrame,
    features: Sequence[str],
    metric: str,
    *,
    min_sample_size: int,
    platform_column: str = "platform",
    bootstrap_resamples: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[FeatureImportanceResult, ...]:
    """The overall ranking (standardised within platform) followed by one ranking per platform."""

    def ranking(rows: pd.DataFrame, scope: str, group_column: str | None) -> FeatureImportanceResult:
        return standardised_coefficients(
            rows,
            features,
            metric,
            min_sample_size=min_sample_size,
            scope=scope,
            group_column=group_column,
            bootstrap_resamples=bootstrap_resamples,
            confidence=confidence,
            seed=seed,
        )

    overall = ranking(frame, OVERALL_SCOPE, platform_column)
    platforms = sorted(frame[platform_column].dropna().unique(), key=str)
    per_platform = tuple(
        ranking(frame[frame[platform_column] == platform], str(platform), None) for platform in platforms
    )
    return (overall, *per_platform)


def _standardise_within(values: NDArray[np.float64], codes: NDArray[np.intp]) -> NDArray[np.float64]:
    """z-scores (ddof=1) within each code; 0 where a group has < 2 rows or no variation."""
    if values.shape[0] == 0:
        return values
    k = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=k).astype(float)[:, None]
    one_hot = np.zeros((k, values.shape[0]))
    one_hot[codes, np.arange(values.shape[0])] = 1.0
    means = one_hot @ values / counts
    centred = values - means[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        sds = np.sqrt(one_hot @ centred**2 / (counts - 1))
        z = centred / sds[codes]
    group_max = np.full((k, values.shape[1]), -np.inf)
    group_min = np.full((k, values.shape[1]), np.inf)
    np.maximum.at(group_max, codes, values)
    np.minimum.at(group_min, codes, values)
    z[(group_max == group_min)[codes]] = 0.0  # constant within the group (exactly, not up to rounding)
    return np.where(np.isfinite(z), z, 0.0)


def _bootstrap_coefficients(
    x: NDArray[np.float64], y: NDArray[np.float64], resamples: int, seed: int
) -> NDArray[np.float64]:
    """(resamples, p) OLS coefficients on row-resampled data, solved as batched normal equations."""
    n, p = x.shape
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOTSTRAP_CHUNK_ELEMENTS // (n * p))
    out = np.empty((resamples, p))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        rows = rng.integers(0, n, size=(size, n))
        xb, yb = x[rows], y[rows]
        xt = xb.transpose(0, 2, 1)
        gram, moment = xt @ xb, xt @ yb[:, :, None]
        try:
            solved = np.linalg.solve(gram, moment)
        except np.linalg.LinAlgError:  # a resample without variation in some feature
            solved = np.linalg.pinv(gram) @ moment
        out[start : start + size] = solved[:, :, 0]
    return out


def _ranks(coefficients: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rank 1 = largest |coefficient|, per row."""
    order = np.argsort(-np.abs(coefficients), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, coefficients.shape[1] + 1)[None, :], axis=1)
    return ranks
