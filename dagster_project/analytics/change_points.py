"""Level shifts in daily series: PELT (Killick, Fearnhead & Eckley 2012) on a change in mean.

The cost of a segment is its sum of squared deviations from its mean; each change pays a BIC-like
penalty ``penalty_factor * sigma^2 * log n`` (default factor 2: a location and a level per change), with
sigma estimated robustly as 1.4826 * MAD of the first differences / sqrt(2), which level shifts barely touch.
Missing days are dropped before the search; indices are reported at the original positions.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dagster_project.analytics.series import MIN_POINTS
from dagster_project.analytics.trend import mann_kendall_arrays
from dagster_project.analytics.trend_results import ChangePoint, ChangePointResult

MIN_SEGMENT = 3  # days: shorter runs are spikes, the anomaly detector's business
PENALTY_FACTOR = 2.0
MAD_TO_SD = 1.4826
TREND_GRID = 25


def robust_sigma(values: ArrayLike) -> float:
    """Noise sd from the MAD of first differences (/√2); the sd of the differences when MAD is 0."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return 0.0
    diffs = np.diff(x)
    sigma = MAD_TO_SD * float(np.median(np.abs(diffs - np.median(diffs)))) / np.sqrt(2)
    if sigma == 0:
        sigma = float(np.std(diffs, ddof=1)) / np.sqrt(2)
    return sigma


def pelt_mean(x: NDArray[np.float64], penalty: float, min_size: int = MIN_SEGMENT) -> list[int]:
    """Optimal segmentation of ``x`` (no NaN) under sum-of-squares cost + ``penalty`` per change;
    returns the start indices of the new segments (sorted, excluding 0)."""
    return _pelt(x, penalty, min_size)[0]


def _pelt(x: NDArray[np.float64], penalty: float, min_size: int) -> tuple[list[int], float]:
    """PELT's segment starts and its optimal objective (cost + penalty per change)."""
    n = x.size
    if n < 2 * min_size:
        return [], float(np.sum((x - x.mean()) ** 2)) if n else 0.0
    s1 = np.r_[0.0, np.cumsum(x)]
    s2 = np.r_[0.0, np.cumsum(x * x)]

    def cost(starts: NDArray[np.int64], end: int) -> NDArray[np.float64]:
        length = end - starts
        total = s1[end] - s1[starts]
        return (s2[end] - s2[starts]) - total * total / length

    best = np.full(n + 1, np.inf)
    best[0] = -penalty
    previous = np.zeros(n + 1, dtype=np.int64)
    candidates = np.array([0], dtype=np.int64)
    for end in range(min_size, n + 1):
        eligible = candidates[end - candidates >= min_size]
        if eligible.size == 0:
            continue
        totals = best[eligible] + cost(eligible, end) + penalty
        choice = int(np.argmin(totals))
        best[end] = totals[choice]
        previous[end] = eligible[choice]
        # Prune candidates that can never be optimal again (PELT's inequality, K = 0 for this cost).
        checked = end - candidates >= min_size
        values = np.full(candidates.size, -np.inf)
        values[checked] = best[candidates[checked]] + cost(candidates[checked], end)
        keep = ~checked | (values <= best[end])
        candidates = np.append(candidates[keep], end) if end <= n - min_size else candidates[keep]
    changes: list[int] = []
    position = n
    while position > 0:
        start = int(previous[position])
        if start > 0:
            changes.append(start)
        position = start
    return sorted(changes), float(best[n])


def detect_change_points(
    values: ArrayLike,
    penalty_factor: float = PENALTY_FACTOR,
    min_size: int = MIN_SEGMENT,
    min_points: int = MIN_POINTS,
    trend: bool = False,
) -> list[ChangePointResult]:
    """Change points of every row of ``values`` (one series per row, NaN = missing day).

    ``trend=True`` fits the levels around a common linear trend, so a steadily growing series is
    not cut into a staircase of spurious shifts."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError("values must be 1-D (one series) or 2-D (one row per series)")
    return [_one(row, penalty_factor, min_size, min_points, trend) for row in array]


def detect_series_change_points(values: ArrayLike, **kwargs: float | int) -> ChangePointResult:
    """``detect_change_points`` of one 1-D series."""
    series = np.asarray(values, dtype=float)
    if series.ndim != 1:
        raise ValueError(
            "detect_series_change_points takes one 1-D series; use detect_change_points for many"
        )
    return detect_change_points(series, **kwargs)[0]  # type: ignore[arg-type]


def _pooled_slope(x: NDArray[np.float64], t: NDArray[np.float64], starts: list[int]) -> float:
    """OLS slope on time shared by all segments, each with its own level (within-segment fit)."""
    bounds = [0, *starts, x.size]
    sxy = sxx = 0.0
    for a, b in itertools.pairwise(bounds):
        tc = t[a:b] - t[a:b].mean()
        sxy += float(tc @ (x[a:b] - x[a:b].mean()))
        sxx += float(tc @ tc)
    return sxy / sxx if sxx > 0 else 0.0


def _one(
    series: NDArray[np.float64], penalty_factor: float, min_size: int, min_points: int, trend: bool
) -> ChangePointResult:
    method = "pelt_mean_trend" if trend else "pelt_mean"
    positions = np.flatnonzero(np.isfinite(series))
    x = series[positions]
    n = int(x.size)
    if n < max(min_points, 2 * min_size):
        reason = f"{n} non-missing days, at least {max(min_points, 2 * min_size)} needed"
        return ChangePointResult(n, method, None, None, (), None, reason)
    sigma = float(robust_sigma(x))
    if sigma == 0:
        return ChangePointResult(n, method, None, 0.0, (), "constant series: no change")
    penalty = penalty_factor * sigma**2 * float(np.log(n))
    t = positions.astype(float)
    slope = 0.0
    if trend:
        # The common slope minimising the penalised cost: a grid around Sen's slope (which a level
        # shift biases), then the within-segment slope of the best segmentation if it does better.
        sen = float(np.nan_to_num(mann_kendall_arrays(series, correction="none").sen_slope[0]))
        width = max(0.6 * abs(sen), sigma / max(n, 1))
        grid = np.linspace(sen - width, sen + width, TREND_GRID)
        objectives = [_pelt(x - b * t, penalty, min_size) for b in grid]
        best = int(np.argmin([o[1] for o in objectives]))
        slope = float(grid[best])
        refined = _pooled_slope(x, t, objectives[best][0])
        if _pelt(x - refined * t, penalty, min_size)[1] < objectives[best][1]:
            slope = refined
    residual = x - slope * t
    starts = pelt_mean(residual, penalty, min_size)
    bounds = [0, *starts, n]
    levels = [float(np.mean(residual[a:b])) for a, b in itertools.pairwise(bounds)]
    changes: list[ChangePoint] = []
    for k, start in enumerate(starts):
        before = levels[k] + slope * t[start]
        after = levels[k + 1] + slope * t[start]
        changes.append(
            ChangePoint(
                index=int(positions[start]),
                level_before=before,
                level_after=after,
                size=after - before,
                relative_size=(after - before) / abs(before) if before != 0 else None,
            )
        )
    return ChangePointResult(n, method, penalty, sigma, tuple(changes), trend_slope=slope if trend else None)
