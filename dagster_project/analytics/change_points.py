"""Level shifts in daily series: PELT (Killick, Fearnhead & Eckley 2012) on a change in mean.

The cost of a segment is its sum of squared deviations from its mean; each change pays a BIC-like
penalty ``penalty_factor * sigma^2 * log n`` (default factor 2: a location and a level per change), with
sigma estimated robustly as 1.4826 * MAD of the first differences / sqrt(2), which level shifts barely touch.
Missing days are dropped before the search; indices are reported at the original positions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dagster_project.analytics.series import MIN_POINTS
from dagster_project.analytics.trend import mann_kendall_arrays
from dagster_project.analytics.trend_results import ChangePoint, ChangePointResult

MIN_SEGMENT = 3  # days: shorter runs are spikes, the anomaly detector's business
PENALTY_FACTOR = 2.0
MAD_TO_SD = 1.4826
TREND_GRID = 25
_BATCH_ELEMENTS = 2_000_000  # problems x days x days per vectorised PELT chunk


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


def _pelt_rows(
    x: NDArray[np.float64], lengths: NDArray[np.int64], penalties: NDArray[np.float64], min_size: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """``_pelt`` of many problems at once (row i: ``x[i, :lengths[i]]`` with ``penalties[i]``): the
    optimal objectives and the back-pointers (trace them with ``_trace``).

    The same recursion, candidate set and pruning rule as ``_pelt``, with the candidates of every row
    held as a mask, so the objectives and segmentations are identical; every length is >= 2 * min_size."""
    rows, width = x.shape
    s1 = np.zeros((rows, width + 1))
    s2 = np.zeros((rows, width + 1))
    np.cumsum(x, axis=1, out=s1[:, 1:])
    np.cumsum(x * x, axis=1, out=s2[:, 1:])
    best = np.full((rows, width + 1), np.inf)
    best[:, 0] = -penalties
    previous = np.zeros((rows, width + 1), dtype=np.int64)
    alive = np.zeros((rows, width + 1), dtype=bool)
    alive[:, 0] = True
    everyone = np.arange(rows)
    for end in range(min_size, int(lengths.max(initial=0)) + 1):
        k = end - min_size + 1  # candidates 0 .. end - min_size can close a segment at ``end``
        eligible = alive[:, :k] & (lengths >= end)[:, None]
        has = eligible.any(axis=1)
        if not has.any():
            continue
        length = end - np.arange(k)
        total = s1[:, end, None] - s1[:, :k]
        cost = (s2[:, end, None] - s2[:, :k]) - total * total / length
        values = best[:, :k] + cost
        totals = np.where(eligible, values + penalties[:, None], np.inf)
        choice = np.argmin(totals, axis=1)
        chosen = totals[everyone, choice]
        best[has, end] = chosen[has]
        previous[has, end] = choice[has]
        # Prune candidates that can never be optimal again (PELT's inequality, K = 0 for this cost).
        alive[:, :k] &= ~(eligible & has[:, None] & (values > chosen[:, None]))
        alive[:, end] = has & (end <= lengths - min_size)
    return best[everyone, lengths], previous


def _trace(previous: NDArray[np.int64], length: int) -> list[int]:
    """Segment starts (sorted, excluding 0) from one row of ``_pelt_rows``' back-pointers."""
    changes: list[int] = []
    position = length
    while position > 0:
        start = int(previous[position])
        if start > 0:
            changes.append(start)
        position = start
    return sorted(changes)


@dataclass(frozen=True)
class _Prepared:
    """One row ready for the search: observed positions and values, noise sd and penalty."""

    positions: NDArray[np.int64]
    x: NDArray[np.float64]
    sigma: float
    penalty: float


def _solve(
    problems: list[NDArray[np.float64]], penalties: list[float], min_size: int
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Objectives, back-pointers and lengths of many PELT problems (padded into one matrix)."""
    lengths = np.array([p.size for p in problems], dtype=np.int64)
    width = int(lengths.max(initial=0))
    matrix = np.zeros((len(problems), width))
    for i, problem in enumerate(problems):
        matrix[i, : problem.size] = problem
    objectives = np.empty(len(problems))
    previous = np.zeros((len(problems), width + 1), dtype=np.int64)
    step = max(1, _BATCH_ELEMENTS // max(width * width, 1))
    for first in range(0, len(problems), step):
        chunk = slice(first, first + step)
        objectives[chunk], previous[chunk] = _pelt_rows(
            matrix[chunk], lengths[chunk], np.asarray(penalties[chunk], dtype=float), min_size
        )
    return objectives, previous, lengths


def detect_change_points(
    values: ArrayLike,
    penalty_factor: float = PENALTY_FACTOR,
    min_size: int = MIN_SEGMENT,
    min_points: int = MIN_POINTS,
    trend: bool | ArrayLike = False,
) -> list[ChangePointResult]:
    """Change points of every row of ``values`` (one series per row, NaN = missing day).

    ``trend=True`` (or a boolean per row) fits the levels around a common linear trend, so a steadily
    growing series is not cut into a staircase of spurious shifts. All rows' searches run together
    (``_pelt_rows``), with the same results as one ``_pelt`` per search."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError("values must be 1-D (one series) or 2-D (one row per series)")
    rows = array.shape[0]
    trending = np.broadcast_to(np.asarray(trend, dtype=bool), (rows,))
    results: list[ChangePointResult | None] = [None] * rows
    prepared: dict[int, _Prepared] = {}
    for row in range(rows):
        outcome = _prepare(array[row], penalty_factor, min_size, min_points, bool(trending[row]))
        if isinstance(outcome, ChangePointResult):
            results[row] = outcome
        else:
            prepared[row] = outcome
    slopes = _common_slopes(array, prepared, trending, min_size)
    # The final search per row, on the values less the chosen common trend (slope 0 without trend).
    order = list(prepared)
    residuals = [prepared[row].x - slopes[row] * prepared[row].positions.astype(float) for row in order]
    _, previous, lengths = _solve(residuals, [prepared[row].penalty for row in order], min_size)
    for i, row in enumerate(order):
        starts = _trace(previous[i], int(lengths[i]))
        results[row] = _result(prepared[row], residuals[i], starts, slopes[row], bool(trending[row]))
    return [result for result in results if result is not None]


def _prepare(
    series: NDArray[np.float64], penalty_factor: float, min_size: int, min_points: int, trend: bool
) -> _Prepared | ChangePointResult:
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
    return _Prepared(positions, x, sigma, penalty_factor * sigma**2 * float(np.log(n)))


def _common_slopes(
    array: NDArray[np.float64], prepared: dict[int, _Prepared], trending: NDArray[np.bool_], min_size: int
) -> dict[int, float]:
    """The common slope minimising the penalised cost of each trending row: a grid around Sen's slope
    (which a level shift biases), then the within-segment slope of the best segmentation if it does
    better; 0.0 for rows without trend."""
    slopes = {row: 0.0 for row in prepared}
    rows = [row for row in prepared if trending[row]]
    if not rows:
        return slopes
    sens = np.nan_to_num(mann_kendall_arrays(array[rows], correction="none").sen_slope)
    problems: list[NDArray[np.float64]] = []
    penalties: list[float] = []
    grids: list[NDArray[np.float64]] = []
    for row, sen in zip(rows, sens, strict=True):
        item = prepared[row]
        n = item.x.size
        width = max(0.6 * abs(float(sen)), item.sigma / max(n, 1))
        grid = np.linspace(float(sen) - width, float(sen) + width, TREND_GRID)
        grids.append(grid)
        t = item.positions.astype(float)
        problems.extend(item.x - b * t for b in grid)
        penalties.extend([item.penalty] * TREND_GRID)
    objectives, previous, lengths = _solve(problems, penalties, min_size)
    refined_problems: list[NDArray[np.float64]] = []
    candidates: list[tuple[int, float, float, float]] = []
    for k, row in enumerate(rows):
        item = prepared[row]
        block = slice(k * TREND_GRID, (k + 1) * TREND_GRID)
        best = int(np.argmin(objectives[block]))
        index = k * TREND_GRID + best
        t = item.positions.astype(float)
        refined = _pooled_slope(item.x, t, _trace(previous[index], int(lengths[index])))
        refined_problems.append(item.x - refined * t)
        candidates.append((row, float(grids[k][best]), refined, float(objectives[index])))
    refined_objectives, _, _ = _solve(refined_problems, [prepared[row].penalty for row in rows], min_size)
    for (row, grid_slope, refined, objective), refined_objective in zip(
        candidates, refined_objectives, strict=True
    ):
        slopes[row] = refined if refined_objective < objective else grid_slope
    return slopes


# Levels are means of residuals plus a fitted trend: a level of zero comes out as +-1e-20 or so.
ZERO_LEVEL = 1e-9


def relative_size(before: float, after: float) -> float | None:
    """(after - before) / |before|; None when the level before is zero (up to rounding)."""
    return (after - before) / abs(before) if abs(before) > ZERO_LEVEL else None


def _result(
    item: _Prepared, residual: NDArray[np.float64], starts: list[int], slope: float, trend: bool
) -> ChangePointResult:
    n = item.x.size
    t = item.positions.astype(float)
    bounds = [0, *starts, n]
    levels = [float(np.mean(residual[a:b])) for a, b in itertools.pairwise(bounds)]
    changes: list[ChangePoint] = []
    for k, start in enumerate(starts):
        before = levels[k] + slope * t[start]
        after = levels[k + 1] + slope * t[start]
        changes.append(
            ChangePoint(
                index=int(item.positions[start]),
                level_before=before,
                level_after=after,
                size=after - before,
                relative_size=relative_size(before, after),
            )
        )
    method = "pelt_mean_trend" if trend else "pelt_mean"
    return ChangePointResult(
        n, method, item.penalty, item.sigma, tuple(changes), trend_slope=slope if trend else None
    )


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
