"""Tests of proportions: pooled two-proportion z, chi-square of a contingency table, k
proportions, one proportion, and the Wilson score interval (R ``prop.test`` / ``chisq.test``).

These assume independent trials.  When trials are clustered in items (views of one piece of
content), use the item-level tests of ``ab_testing`` instead.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from dagster_project.analytics.results import ChiSquareTest, ProportionTest


def two_proportion_ztest(
    successes: ArrayLike, trials: ArrayLike, *, continuity_correction: bool = False
) -> ProportionTest:
    """Pooled z test of p1 - p2, two-sided; z**2 equals the 2x2 chi-square (Yates when corrected)."""
    s1, s2 = (float(v) for v in np.asarray(successes, dtype=float).reshape(2))
    n1, n2 = (float(v) for v in np.asarray(trials, dtype=float).reshape(2))
    if min(n1, n2) <= 0 or not (0 <= s1 <= n1 and 0 <= s2 <= n2):
        return ProportionTest(None, None, None, None, None, continuity_correction, "each group needs trials")
    p1, p2 = s1 / n1, s2 / n2
    pooled = (s1 + s2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return ProportionTest(
            None, None, p1, p2, p1 - p2, continuity_correction, "every trial has the same outcome"
        )
    difference = p1 - p2
    if continuity_correction:
        shrink = min(0.5 * (1 / n1 + 1 / n2), abs(difference))
        difference = np.sign(difference) * (abs(difference) - shrink)
    z = float(difference / np.sqrt(variance))
    return ProportionTest(z, float(2 * stats.norm.sf(abs(z))), p1, p2, p1 - p2, continuity_correction)


def chi_square_independence(table: ArrayLike, *, continuity_correction: bool = False) -> ChiSquareTest:
    """Pearson chi-square test of independence; Yates' correction applies to 2x2 tables only."""
    observed = np.asarray(table, dtype=float)
    if observed.ndim != 2 or min(observed.shape) < 2:
        return ChiSquareTest(None, None, None, None, "the table needs at least two rows and two columns")
    total = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total if total > 0 else observed * 0
    if np.any(expected <= 0):
        return ChiSquareTest(None, None, None, None, "a row or column of the table is empty")
    deviation = np.abs(observed - expected)
    if continuity_correction and observed.shape == (2, 2):
        deviation = deviation - np.minimum(0.5, deviation)
    statistic = float((deviation**2 / expected).sum())
    df = float((observed.shape[0] - 1) * (observed.shape[1] - 1))
    rows = tuple(tuple(float(v) for v in row) for row in expected)
    return ChiSquareTest(statistic, df, float(stats.chi2.sf(statistic, df)), rows)


def k_proportions_test(successes: ArrayLike, trials: ArrayLike) -> ChiSquareTest:
    """Chi-square test that k proportions are equal (no continuity correction)."""
    s, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    return chi_square_independence(np.vstack([s, n - s]).T)


def goodness_of_fit(observed: ArrayLike, expected_shares: ArrayLike) -> ChiSquareTest:
    """Chi-square goodness of fit of counts against expected shares (normalised to sum 1)."""
    counts = np.asarray(observed, dtype=float)
    shares = np.asarray(expected_shares, dtype=float)
    if counts.size < 2 or counts.size != shares.size or np.any(shares <= 0) or counts.sum() <= 0:
        return ChiSquareTest(None, None, None, None, "needs >= 2 categories with positive shares and counts")
    expected = counts.sum() * shares / shares.sum()
    statistic = float(((counts - expected) ** 2 / expected).sum())
    df = float(counts.size - 1)
    return ChiSquareTest(statistic, df, float(stats.chi2.sf(statistic, df)), (tuple(expected.tolist()),))


def one_proportion_test(
    successes: float, trials: float, null_proportion: float, *, continuity_correction: bool = False
) -> ChiSquareTest:
    """Chi-square (= z**2) test of one proportion against ``null_proportion``."""
    if trials <= 0 or not 0 < null_proportion < 1:
        return ChiSquareTest(None, None, None, None, "needs trials and a null proportion in (0, 1)")
    expected = trials * null_proportion
    deviation = abs(successes - expected)
    if continuity_correction:
        deviation -= min(0.5, deviation)
    statistic = deviation**2 / (trials * null_proportion * (1 - null_proportion))
    return ChiSquareTest(float(statistic), 1.0, float(stats.chi2.sf(statistic, 1)), None)


def wilson_interval(successes: float, trials: float, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (no continuity correction); None without trials."""
    if trials <= 0:
        return None
    z = float(stats.norm.isf((1 - confidence) / 2))
    p = successes / trials
    centre = (p + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))
