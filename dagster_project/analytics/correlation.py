"""Correlation tests: Pearson (Fisher-z interval), Spearman, point-biserial.

``correlation_matrix`` is the vectorised core: every column of ``x`` against every column of
``y`` by matrix products on standardised values (ranks for Spearman), on pairwise-complete rows.
The single-pair functions call the same core, so a pair and a matrix entry always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from dagster_project.analytics.ranking import average_ranks
from dagster_project.analytics.results import Alternative, CorrelationEstimate

CorrelationMethod = Literal["pearson", "spearman"]
# Spearman's Fisher-z standard error is inflated by sqrt(1.06) (Fieller, Hartley & Pearson 1957).
SPEARMAN_SE_FACTOR = float(np.sqrt(1.06))
# Exact Spearman null by enumerating permutations (R's cor.test is exact up to n = 9 as well).
EXACT_SPEARMAN_MAX_N = 9
MIN_PAIRS = 3


@dataclass(frozen=True)
class CorrelationMatrix:
    """Coefficients (NaN where undefined), pairwise sample sizes and constancy flags, shape (p, q)."""

    coefficients: NDArray[np.float64]
    sample_sizes: NDArray[np.int64]
    constant_x: NDArray[np.bool_]
    constant_y: NDArray[np.bool_]


def correlation_matrix(
    x: ArrayLike, y: ArrayLike, method: CorrelationMethod = "pearson"
) -> CorrelationMatrix:
    """All columns of ``x`` (n, p) against all columns of ``y`` (n, q); NaN marks missing values.

    Columns are grouped by their missingness pattern so each block is one matrix product on the
    rows complete for that block (one block when nothing is missing).
    """
    xa, ya = _as_2d(x), _as_2d(y)
    if xa.shape[0] != ya.shape[0]:
        raise ValueError("x and y must have the same number of rows")
    p, q = xa.shape[1], ya.shape[1]
    coefficients = np.full((p, q), np.nan)
    sizes = np.zeros((p, q), dtype=np.int64)
    constant_x = np.ones((p, q), dtype=bool)
    constant_y = np.ones((p, q), dtype=bool)
    for x_rows, x_cols in _missingness_groups(np.isfinite(xa)):
        for y_rows, y_cols in _missingness_groups(np.isfinite(ya)):
            rows = x_rows & y_rows
            block = np.ix_(x_cols, y_cols)
            sizes[block] = int(rows.sum())
            if rows.sum() < 2:
                continue
            xs, ys = xa[np.ix_(rows, x_cols)], ya[np.ix_(rows, y_cols)]
            if method == "spearman":
                xs, ys = average_ranks(xs), average_ranks(ys)
            x_const, y_const = np.ptp(xs, axis=0) == 0, np.ptp(ys, axis=0) == 0
            r = np.clip(_unit_columns(xs, x_const).T @ _unit_columns(ys, y_const), -1.0, 1.0)
            r[x_const, :] = np.nan
            r[:, y_const] = np.nan
            coefficients[block] = r
            constant_x[block] = np.broadcast_to(x_const[:, None], r.shape)
            constant_y[block] = np.broadcast_to(y_const[None, :], r.shape)
    return CorrelationMatrix(coefficients, sizes, constant_x, constant_y)


def t_statistics(coefficients: ArrayLike, sample_sizes: ArrayLike) -> NDArray[np.float64]:
    """t = r sqrt((n - 2) / (1 - r^2)) with n - 2 degrees of freedom (NaN when n < 3)."""
    r = np.asarray(coefficients, dtype=float)
    df = np.asarray(sample_sizes, dtype=float) - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(df / ((1 - r) * (1 + r)))
    return np.where(df >= 1, t, np.nan)


def correlation_p_values(
    coefficients: ArrayLike, sample_sizes: ArrayLike, alternative: Alternative = "two-sided"
) -> NDArray[np.float64]:
    """p-values of the t test of zero correlation (exact for Pearson under normality)."""
    t = t_statistics(coefficients, sample_sizes)
    df = np.maximum(np.asarray(sample_sizes, dtype=float) - 2, 1)
    if alternative == "greater":
        p = stats.t.sf(t, df)
    elif alternative == "less":
        p = stats.t.cdf(t, df)
    else:
        p = np.minimum(2 * stats.t.sf(np.abs(t), df), 1.0)
    return np.where(np.isnan(t), np.nan, p)


def fisher_z_interval(
    coefficients: ArrayLike,
    sample_sizes: ArrayLike,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
    se_factor: float = 1.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fisher-z interval tanh(atanh(r) -/+ z * se_factor / sqrt(n - 3)); NaN when n <= 3."""
    r = np.asarray(coefficients, dtype=float)
    n = np.asarray(sample_sizes, dtype=float)
    tail = 1 - confidence if alternative != "two-sided" else (1 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(r)
        half_width = stats.norm.isf(tail) * se_factor / np.sqrt(n - 3)
        low = np.tanh(z - half_width) if alternative != "less" else np.full_like(r, -1.0)
        high = np.tanh(z + half_width) if alternative != "greater" else np.full_like(r, 1.0)
    undefined = ~(n > 3) | np.isnan(r)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def pearson(
    x: ArrayLike, y: ArrayLike, *, alternative: Alternative = "two-sided", confidence: float = 0.95
) -> CorrelationEstimate:
    """Pearson's r with its t test and Fisher-z confidence interval (pairwise-complete rows)."""
    return _single_pair(x, y, "pearson", alternative, confidence)


def point_biserial(
    binary: ArrayLike, y: ArrayLike, *, alternative: Alternative = "two-sided", confidence: float = 0.95
) -> CorrelationEstimate:
    """Point-biserial r: Pearson's r with the binary variable coded 0/1 (larger value = 1)."""
    codes = binary_codes(np.asarray(binary))
    if codes is None:
        return _insufficient(
            "point_biserial", 0, alternative, confidence, "the binary variable has >2 values"
        )
    return _single_pair(codes, y, "point_biserial", alternative, confidence)


def spearman(
    x: ArrayLike,
    y: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    exact: bool | None = None,
) -> CorrelationEstimate:
    """Spearman's rho; p from the t approximation, or the exact permutation null (statistic S =
    sum of squared rank differences) when ``exact`` or when n <= 9 without ties.

    The interval is Fisher-z with the sqrt(1.06) standard-error factor.
    """
    estimate = _single_pair(x, y, "spearman", alternative, confidence)
    if estimate.insufficient_data or estimate.coefficient is None:
        return estimate
    xa, ya = _complete_pairs(x, y)
    n = xa.size
    no_ties = np.unique(xa).size == n and np.unique(ya).size == n
    use_exact = (n <= EXACT_SPEARMAN_MAX_N and no_ties) if exact is None else exact
    if not use_exact:
        return estimate
    if n > EXACT_SPEARMAN_MAX_N or not no_ties:
        return _replace_reason(estimate, f"exact Spearman p needs n <= {EXACT_SPEARMAN_MAX_N} and no ties")
    s = float(round((n**3 - n) * (1 - estimate.coefficient) / 6))
    return CorrelationEstimate(
        method="spearman",
        sample_size=n,
        coefficient=estimate.coefficient,
        statistic=s,
        df=None,
        p_value=_exact_spearman_p(n, s, alternative),
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        alternative=alternative,
        confidence=confidence,
    )


def binary_codes(values: NDArray[np.generic]) -> NDArray[np.float64] | None:
    """0/1 codes of a variable with at most two distinct non-missing values (NaN kept), else None."""
    flat = np.asarray(values, dtype=float).reshape(-1)
    finite = np.isfinite(flat)
    levels = np.unique(flat[finite])
    if levels.size > 2:
        return None
    codes = np.full(flat.shape, np.nan)
    codes[finite] = (flat[finite] == levels[-1]).astype(float) if levels.size else 0.0
    return codes


def degenerate_reason(
    sample_size: int, constant_x: bool, constant_y: bool, minimum: int, x_name: str = "x", y_name: str = "y"
) -> str | None:
    """Why a pair cannot be tested (too few complete pairs, a constant side), or None."""
    needed = max(minimum, MIN_PAIRS)
    if sample_size < needed:
        return f"only {sample_size} items have both {x_name} and {y_name}; at least {needed} are needed"
    if constant_x:
        return f"{x_name} is constant over the {sample_size} items with both values"
    if constant_y:
        return f"{y_name} is constant over the {sample_size} items with both values"
    return None


def _single_pair(
    x: ArrayLike, y: ArrayLike, method: str, alternative: Alternative, confidence: float
) -> CorrelationEstimate:
    xa, ya = np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
    if xa.size != ya.size:
        raise ValueError("x and y must have the same length")
    core: CorrelationMethod = "spearman" if method == "spearman" else "pearson"
    matrix = correlation_matrix(xa, ya, core)
    n = int(matrix.sample_sizes[0, 0])
    reason = degenerate_reason(n, bool(matrix.constant_x[0, 0]), bool(matrix.constant_y[0, 0]), MIN_PAIRS)
    if reason is not None:
        return _insufficient(method, n, alternative, confidence, reason)
    r = matrix.coefficients[0, 0]
    se_factor = SPEARMAN_SE_FACTOR if method == "spearman" else 1.0
    low, high = fisher_z_interval(r, n, confidence, alternative, se_factor)
    return CorrelationEstimate(
        method=method,
        sample_size=n,
        coefficient=float(r),
        statistic=_optional(t_statistics(r, n)),
        df=float(n - 2),
        p_value=float(correlation_p_values(r, n, alternative)),
        ci_low=_optional(low),
        ci_high=_optional(high),
        alternative=alternative,
        confidence=confidence,
    )


def _insufficient(
    method: str, n: int, alternative: Alternative, confidence: float, reason: str
) -> CorrelationEstimate:
    return CorrelationEstimate(method, n, None, None, None, None, None, None, alternative, confidence, reason)


def _replace_reason(estimate: CorrelationEstimate, reason: str) -> CorrelationEstimate:
    return _insufficient(
        estimate.method, estimate.sample_size, estimate.alternative, estimate.confidence, reason
    )


def _exact_spearman_p(n: int, s: float, alternative: Alternative) -> float:
    null = _spearman_null(n)
    at_most = np.searchsorted(null, s, side="right") / null.size
    at_least = 1 - np.searchsorted(null, s, side="left") / null.size
    if alternative == "greater":
        return float(at_most)
    if alternative == "less":
        return float(at_least)
    one_sided = at_least if s > (n**3 - n) / 6 else at_most
    return float(min(2 * one_sided, 1.0))


@cache
def _spearman_null(n: int) -> NDArray[np.int64]:
    """Sorted S = sum (i - perm_i)^2 over all n! permutations."""
    perms = np.zeros((1, 0), dtype=np.int64)
    for value in range(n):
        perms = np.concatenate([np.insert(perms, at, value, axis=1) for at in range(value + 1)])
    return np.sort(((perms - np.arange(n)) ** 2).sum(axis=1))


def _complete_pairs(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    xa, ya = np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
    keep = np.isfinite(xa) & np.isfinite(ya)
    return xa[keep], ya[keep]


def _as_2d(values: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=float)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def _missingness_groups(present: NDArray[np.bool_]) -> list[tuple[NDArray[np.bool_], NDArray[np.intp]]]:
    """(rows present, column indices) for each distinct missingness pattern of the columns."""
    if present.all():
        return [(np.ones(present.shape[0], dtype=bool), np.arange(present.shape[1]))]
    packed = np.packbits(present, axis=0)
    groups: dict[bytes, list[int]] = {}
    for column in range(present.shape[1]):
        groups.setdefault(packed[:, column].tobytes(), []).append(column)
    return [(present[:, columns[0]], np.array(columns, dtype=np.intp)) for columns in groups.values()]


def _unit_columns(values: NDArray[np.float64], constant: NDArray[np.bool_]) -> NDArray[np.float64]:
    centred = values - values.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    norms[constant] = 1.0
    unit: NDArray[np.float64] = centred / norms
    return unit


def _optional(value: NDArray[np.float64] | float) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
