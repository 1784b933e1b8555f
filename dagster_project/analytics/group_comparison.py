"""Comparisons of a metric across the levels of a categorical feature.

One-way ANOVA (classic and Welch) with eta-squared, Kruskal-Wallis with epsilon-squared, and
per-level means with t intervals.  Each has a list-of-groups form and a vectorised form on
integer level codes (``*_from_codes``: codes 0..k-1, one value per item, no NaN), which the
list form calls.  Sums of squares are taken around group means (never as sum(y^2) - n * mean^2),
so data sharing many leading digits stay accurate.  p-values use ``scipy.special`` directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from dagster_project.analytics.ranking import average_ranks
from dagster_project.analytics.results import AnovaTable, KruskalWallisTest, LevelSummary

Codes = NDArray[np.intp]


def anova_table(groups: Sequence[ArrayLike]) -> AnovaTable:
    """Classic one-way ANOVA and Welch's heteroscedastic F test (R ``oneway.test``); NaN dropped.

    The Welch part is ``None`` when a group has fewer than two items or zero variance.
    """
    return anova_from_codes(*_codes(groups))


def kruskal_wallis(groups: Sequence[ArrayLike]) -> KruskalWallisTest:
    """Kruskal-Wallis H with the tie correction (R ``kruskal.test``), epsilon-squared = H / (n - 1)."""
    return kruskal_from_codes(*_codes(groups))


def level_summary(level: str, values: ArrayLike, confidence: float = 0.95) -> LevelSummary:
    """Mean with a t interval, SD and median of one group (NaN dropped; no interval when n < 2)."""
    array = np.asarray(values, dtype=float).reshape(-1)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return LevelSummary(level, 0, None, None, None, None, None)
    return level_summaries_from_codes(np.zeros(array.size, dtype=np.intp), array, [level], confidence)[0]


def anova_from_codes(codes: Codes, values: NDArray[np.float64]) -> AnovaTable:
    """ANOVA table of ``values`` grouped by ``codes`` (every code in 0..k-1 present)."""
    counts, means, ss = _moments(codes, values)
    n, k = int(counts.sum()), counts.size
    reason = _group_reason(counts, need_within_df=True)
    if reason is None and np.ptp(values) == 0:
        reason = "every value is the same"
    if reason is not None:
        return AnovaTable(k, n, insufficient_reason=reason)
    ss_between = float((counts * (means - values.mean()) ** 2).sum())
    ss_within = float(ss.sum())
    df_between, df_within = k - 1, n - k
    ms_between, ms_within = ss_between / df_between, ss_within / df_within
    if ms_within <= 0:
        return AnovaTable(k, n, insufficient_reason="no variation within groups, so F is undefined")
    f_stat = ms_between / ms_within
    welch_f, welch_df, welch_p = _welch(counts, means, ss)
    return AnovaTable(
        n_groups=k,
        sample_size=n,
        df_between=float(df_between),
        df_within=float(df_within),
        ss_between=ss_between,
        ss_within=ss_within,
        ms_between=ms_between,
        ms_within=ms_within,
        f_statistic=f_stat,
        p_value=float(special.fdtrc(df_between, df_within, f_stat)),
        eta_squared=ss_between / (ss_between + ss_within),
        residual_sd=float(np.sqrt(ms_within)),
        welch_f=welch_f,
        welch_df_within=welch_df,
        welch_p_value=welch_p,
    )


def kruskal_from_codes(codes: Codes, values: NDArray[np.float64]) -> KruskalWallisTest:
    """Kruskal-Wallis of ``values`` grouped by ``codes`` (every code in 0..k-1 present)."""
    counts = np.bincount(codes).astype(float) if codes.size else np.zeros(0)
    n, k = int(counts.sum()), counts.size
    reason = _group_reason(counts, need_within_df=False)
    if reason is not None:
        return KruskalWallisTest(k, n, None, None, None, None, reason)
    ranks, tie_counts = _ranks_and_ties(values)
    tie_correction = 1 - float((tie_counts**3 - tie_counts).sum()) / (n**3 - n)
    if tie_correction <= 0:
        return KruskalWallisTest(k, n, None, None, None, None, "every value is the same")
    rank_sums = np.bincount(codes, weights=ranks, minlength=k)
    h = (12 / (n * (n + 1)) * float((rank_sums**2 / counts).sum()) - 3 * (n + 1)) / tie_correction
    return KruskalWallisTest(
        n_groups=k,
        sample_size=n,
        h_statistic=h,
        df=float(k - 1),
        p_value=float(special.chdtrc(k - 1, h)),
        epsilon_squared=h / (n - 1),
    )


def level_summaries_from_codes(
    codes: Codes, values: NDArray[np.float64], names: Sequence[str], confidence: float = 0.95
) -> tuple[LevelSummary, ...]:
    """Per-level mean, t interval, SD and median for codes 0..len(names)-1 (each present)."""
    counts, means, ss = _moments(codes, values, len(names))
    order = np.lexsort((values, codes))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
    sorted_values = values[order]
    lower = sorted_values[starts + (counts.astype(int) - 1) // 2]
    upper = sorted_values[starts + counts.astype(int) // 2]
    medians = (lower + upper) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        sds = np.sqrt(ss / (counts - 1))
        half = special.stdtrit(counts - 1, 1 - (1 - confidence) / 2) * sds / np.sqrt(counts)
    summaries = []
    for i, name in enumerate(names):
        n = int(counts[i])
        if n < 2:
            summaries.append(LevelSummary(name, n, float(means[i]), None, None, None, float(medians[i])))
            continue
        mean = float(means[i])
        summaries.append(
            LevelSummary(
                name, n, mean, float(sds[i]), mean - float(half[i]), mean + float(half[i]), float(medians[i])
            )
        )
    return tuple(summaries)


def _moments(
    codes: Codes, values: NDArray[np.float64], k: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Counts, means and within-group sums of squared deviations per code."""
    size = k if k is not None else (int(codes.max()) + 1 if codes.size else 0)
    counts = np.bincount(codes, minlength=size).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.bincount(codes, weights=values, minlength=size) / counts
    residuals = values - means[codes]
    squares = np.asarray(np.bincount(codes, weights=residuals**2, minlength=size), dtype=np.float64)
    return counts, np.asarray(means, dtype=np.float64), squares


def _ranks_and_ties(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Average ranks (1-based) and the sizes of the tie blocks."""
    ranks = average_ranks(values)
    _, tie_counts = np.unique(values, return_counts=True)
    return ranks, tie_counts.astype(float)


def _welch(
    counts: NDArray[np.float64], means: NDArray[np.float64], ss: NDArray[np.float64]
) -> tuple[float | None, float | None, float | None]:
    if np.any(counts < 2):
        return None, None, None
    variances = ss / (counts - 1)
    if np.any(variances <= 0):
        return None, None, None
    k = counts.size
    weights = counts / variances
    total = weights.sum()
    weighted_mean = float((weights * means).sum() / total)
    lam = float(((1 - weights / total) ** 2 / (counts - 1)).sum())
    numerator = float((weights * (means - weighted_mean) ** 2).sum()) / (k - 1)
    f_stat = numerator / (1 + 2 * (k - 2) * lam / (k**2 - 1))
    df_within = (k**2 - 1) / (3 * lam)
    return f_stat, df_within, float(special.fdtrc(k - 1, df_within, f_stat))


def _codes(groups: Sequence[ArrayLike]) -> tuple[Codes, NDArray[np.float64]]:
    arrays = [np.asarray(g, dtype=float).reshape(-1) for g in groups]
    arrays = [a[np.isfinite(a)] for a in arrays]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    codes = np.repeat(np.arange(len(arrays)), [a.size for a in arrays])
    return codes, np.concatenate(arrays)


def _group_reason(counts: NDArray[np.float64], need_within_df: bool) -> str | None:
    if counts.size < 2:
        return f"{counts.size} group(s) with data; at least 2 are needed"
    if need_within_df and counts.sum() <= counts.size:
        return "no group has more than one item, so within-group variation is unknown"
    return None
