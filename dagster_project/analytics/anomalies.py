"""Anomalies in daily deltas: robust z-score on weekly-adjusted values (default) or the plain z-score.

A linear trend is removed first by Tukey's resistant line (slope between the medians of the first
and last thirds), so a growing series does not make its latest days look unusual. The weekly
pattern is then removed by the median of each weekday (position modulo ``period``; the phase does
not matter) minus the series' median. The robust score is (adjusted - median) / (1.4826·MAD),
falling back to 1.2533·mean absolute deviation when more than half of the days are equal (MAD = 0).
The plain z-score is the seed's (value - mean) / sd, by default without trend or seasonal adjustment.
``anomaly_scores`` is vectorised over rows (one series per row, NaN = missing day).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dagster_project.analytics.series import MIN_POINTS, as_series_matrix
from dagster_project.analytics.trend_results import Anomaly, AnomalyMethod, AnomalyResult

WEEK = 7
MIN_PER_WEEKDAY = 2  # weekday medians need at least this many observations of every weekday
MAD_TO_SD = 1.4826
MEAN_AD_TO_SD = 1.2533
DEFAULT_THRESHOLDS: dict[AnomalyMethod, float] = {"robust_zscore": 3.5, "zscore": 3.0}


@dataclass(frozen=True)
class AnomalyScores:
    """Per-day scores and expected values (rows x days), per-row center/scale; NaN where undefined."""

    scores: NDArray[np.float64]
    expected: NDArray[np.float64]
    center: NDArray[np.float64]
    scale: NDArray[np.float64]
    seasonally_adjusted: NDArray[np.bool_]


def nanmedian_rows(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.nanmedian(x, axis=1)`` (the same numbers, NaN for an all-NaN row, no warning), by one sort:
    numpy's version goes through masked arrays for short rows, which costs milliseconds per call."""
    if x.shape[1] == 0:
        return np.full(x.shape[0], np.nan)
    ordered = np.sort(x, axis=1)  # NaN sorts last
    count = np.isfinite(x).sum(axis=1)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, np.minimum(count // 2, x.shape[1] - 1)[:, None], axis=1)[:, 0]
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, (low + high) / 2, np.nan)


def resistant_line_slope(values: ArrayLike) -> NDArray[np.float64]:
    """Tukey's resistant-line slope per row: (median of the last third - median of the first third)
    / (distance between their median positions); 0 where a third has no observed day."""
    x = as_series_matrix(values)
    width = x.shape[1]
    t = np.arange(width, dtype=float)
    first, last = t < width / 3, t >= 2 * width / 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t_first = nanmedian_rows(np.where(np.isfinite(x[:, first]), t[first], np.nan))
        t_last = nanmedian_rows(np.where(np.isfinite(x[:, last]), t[last], np.nan))
        rise = nanmedian_rows(x[:, last]) - nanmedian_rows(x[:, first])
        slope = rise / (t_last - t_first)
    return np.where(np.isfinite(slope), slope, 0.0)


def _weekday_component(x: NDArray[np.float64], period: int) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Median per phase minus the row median (rows x days), and whether every phase had enough days."""
    rows, width = x.shape
    if period <= 1 or width < MIN_PER_WEEKDAY * period:
        return np.zeros_like(x), np.zeros(rows, dtype=bool)
    phase = np.arange(width) % period
    overall = nanmedian_rows(x)
    components = np.empty((rows, period))
    enough = np.ones(rows, dtype=bool)
    for p in range(period):
        columns = x[:, phase == p]
        components[:, p] = nanmedian_rows(columns) - overall
        enough &= np.isfinite(columns).sum(axis=1) >= MIN_PER_WEEKDAY
    return np.where(enough[:, None], components[:, phase], 0.0), enough


def anomaly_scores(
    values: ArrayLike,
    method: AnomalyMethod = "robust_zscore",
    seasonal_adjust: bool = True,
    period: int = WEEK,
    detrend: bool = True,
    counts: bool = False,
) -> AnomalyScores:
    """Scores of every day of every row; a row whose weekdays are not all seen ``MIN_PER_WEEKDAY``
    times is scored without seasonal adjustment (``seasonally_adjusted`` is False for it).

    The trend slope is estimated on the weekday-adjusted values, then the weekday medians are
    re-estimated on the detrended values (so neither distorts the other).

    ``counts``: the values are event counts per day, whose noise is at least Poisson: each day's
    scale is then at least sqrt(max(expected, 1)). Without it, a series of small counts (1, 1, 2,
    1, ...) has a MAD of 0 and its first 2 scores as a 7-sigma spike."""
    if method not in DEFAULT_THRESHOLDS:
        raise ValueError(f"unknown anomaly method {method!r}")
    x = as_series_matrix(values)
    rows, width = x.shape
    trend = np.zeros_like(x)
    seasonal = np.zeros_like(x)
    adjusted_rows = np.zeros(rows, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN results are handled below
        if detrend and width >= 6:
            first_pass = _weekday_component(x, period)[0] if seasonal_adjust else 0.0
            slope = resistant_line_slope(x - first_pass)
            trend = slope[:, None] * (np.arange(width) - (width - 1) / 2)[None, :]
        if seasonal_adjust:
            seasonal, adjusted_rows = _weekday_component(x - trend, period)
        adjusted = x - trend - seasonal
        if method == "robust_zscore":
            center = nanmedian_rows(adjusted)
            deviation = np.abs(adjusted - center[:, None])
            scale = MAD_TO_SD * nanmedian_rows(deviation)
            scale = np.where(scale > 0, scale, MEAN_AD_TO_SD * np.nanmean(deviation, axis=1))
        else:
            center = np.nanmean(adjusted, axis=1)
            scale = np.nanstd(adjusted, axis=1, ddof=1)
    usable = np.isfinite(scale) & (scale > 0)
    expected = center[:, None] + seasonal + trend
    day_scale = np.broadcast_to(scale[:, None], x.shape)
    if counts:
        day_scale = np.fmax(day_scale, np.sqrt(np.clip(expected, 1.0, None)))
        usable = usable | np.isfinite(center)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(usable[:, None], (adjusted - center[:, None]) / day_scale, np.nan)
    return AnomalyScores(scores, expected, center, np.where(usable, scale, np.nan), adjusted_rows)


def detect_anomalies(
    values: ArrayLike,
    method: AnomalyMethod = "robust_zscore",
    threshold: float | None = None,
    seasonal_adjust: bool | None = None,
    min_points: int = MIN_POINTS,
    period: int = WEEK,
    detrend: bool | None = None,
    counts: bool = False,
) -> list[AnomalyResult]:
    """Anomalies (|score| >= threshold) of every row of daily deltas.

    Defaults: threshold 3.5 for the robust score (Iglewicz & Hoaglin), 3 for the plain z-score;
    trend and seasonal adjustment on for the robust score, off for the plain one (the seed's behaviour).
    """
    if method not in DEFAULT_THRESHOLDS:
        raise ValueError(f"unknown anomaly method {method!r}")
    limit = DEFAULT_THRESHOLDS[method] if threshold is None else float(threshold)
    adjust = (method == "robust_zscore") if seasonal_adjust is None else seasonal_adjust
    remove_trend = (method == "robust_zscore") if detrend is None else detrend
    x = as_series_matrix(values)
    scored = anomaly_scores(x, method, adjust, period, remove_trend, counts)
    counts = np.isfinite(x).sum(axis=1)
    results: list[AnomalyResult] = []
    for row in range(x.shape[0]):
        n = int(counts[row])
        adjusted = bool(scored.seasonally_adjusted[row])
        if n < min_points:
            reason = f"{n} non-missing days, at least {min_points} needed"
            results.append(AnomalyResult(n, method, limit, False, None, None, (), None, reason))
            continue
        center, scale = float(scored.center[row]), float(scored.scale[row])
        if not np.isfinite(scale):
            results.append(
                AnomalyResult(
                    n, method, limit, adjusted, center, None, (), "no variation: nothing is unusual"
                )
            )
            continue
        row_scores = scored.scores[row]
        hits = np.flatnonzero(np.isfinite(row_scores) & (np.abs(row_scores) >= limit))
        anomalies = tuple(
            Anomaly(
                index=int(i),
                value=float(x[row, i]),
                expected=float(scored.expected[row, i]),
                score=float(row_scores[i]),
                direction="spike" if row_scores[i] > 0 else "drop",
                threshold=limit,
            )
            for i in hits
        )
        note = (
            None if adjusted or not adjust else "too few weeks for weekday medians: not seasonally adjusted"
        )
        results.append(AnomalyResult(n, method, limit, adjusted, center, scale, anomalies, note))
    return results


def detect_series_anomalies(values: ArrayLike, **kwargs: object) -> AnomalyResult:
    """``detect_anomalies`` of one 1-D series."""
    series = np.asarray(values, dtype=float)
    if series.ndim != 1:
        raise ValueError("detect_series_anomalies takes one 1-D series; use detect_anomalies for many")
    return detect_anomalies(series, **kwargs)[0]  # type: ignore[arg-type]
