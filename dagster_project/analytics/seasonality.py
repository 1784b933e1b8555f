"""Weekly seasonality of daily series: STL (statsmodels, robust fit) strength and the peak weekday.

Strength is F_s = max(0, 1 - Var(remainder) / Var(seasonal + remainder)) (Wang, Smith & Hyndman
2006); a series is called seasonal from ``STRONG_SEASONALITY`` (0.64, the default of
``trend.mark_cyclical``). Short gaps (at most ``MAX_GAP_FRACTION`` of the days) are linearly
interpolated before the decomposition; STL runs once per series.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from statsmodels.tsa.seasonal import STL

from dagster_project.analytics.series import MIN_POINTS
from dagster_project.analytics.trend_results import SeasonalityResult

WEEK = 7
STRONG_SEASONALITY = 0.64
MAX_GAP_FRACTION = 0.2
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _insufficient(n: int, period: int, reason: str) -> SeasonalityResult:
    return SeasonalityResult(n, period, None, False, (), None, None, None, None, None, None, reason)


def _fill_gaps(series: NDArray[np.float64]) -> NDArray[np.float64]:
    valid = np.isfinite(series)
    positions = np.arange(series.size)
    return np.interp(positions, positions[valid], series[valid])


def seasonal_component(values: ArrayLike, period: int = WEEK) -> NDArray[np.float64] | None:
    """STL's (time-varying) seasonal component of one series, gaps interpolated; None when the series
    is too short (two cycles), too gappy or constant."""
    series = np.asarray(values, dtype=float).ravel()
    series = np.where(np.isfinite(series), series, np.nan)
    valid = int(np.isfinite(series).sum())
    if valid < 2 * period + 1 or series.size - valid > MAX_GAP_FRACTION * series.size:
        return None
    filled = _fill_gaps(series) if valid < series.size else series
    if np.ptp(filled) == 0:
        return None
    return np.asarray(STL(filled, period=period, robust=True).fit().seasonal)


def seasonality(
    values: ArrayLike,
    period: int = WEEK,
    first_weekday: int | None = None,
    min_points: int = MIN_POINTS,
    threshold: float = STRONG_SEASONALITY,
) -> SeasonalityResult:
    """Seasonal strength and profile of one daily series (NaN = missing day).

    ``first_weekday`` is the weekday of the first value (0 = Monday); with it and ``period == 7`` the
    profile is ordered Monday..Sunday and the peak and trough days are named.
    """
    series = np.asarray(values, dtype=float).ravel()
    series = np.where(np.isfinite(series), series, np.nan)
    n = int(np.isfinite(series).sum())
    needed = max(min_points, 2 * period + 1)
    if n < needed:
        return _insufficient(n, period, f"{n} non-missing days, at least {needed} (two full cycles) needed")
    missing = series.size - n
    if missing > MAX_GAP_FRACTION * series.size:
        return _insufficient(
            n, period, f"{missing} of {series.size} days missing: too many gaps to decompose"
        )
    filled = _fill_gaps(series) if missing else series
    note = f"{missing} missing days interpolated" if missing else None
    if np.ptp(filled) == 0:
        return SeasonalityResult(
            n, period, None, False, (), None, None, None, None, None, "constant series: no seasonality"
        )
    fit = STL(filled, period=period, robust=True).fit()
    seasonal, remainder = np.asarray(fit.seasonal), np.asarray(fit.resid)
    total_variance = float(np.var(seasonal + remainder))
    strength = max(0.0, 1.0 - float(np.var(remainder)) / total_variance) if total_variance > 0 else 0.0

    named = first_weekday is not None and period == WEEK
    offset = first_weekday if named and first_weekday is not None else 0
    phase = (np.arange(filled.size) + offset) % period
    profile = tuple(float(seasonal[phase == p].mean()) for p in range(period))
    peak, trough = int(np.argmax(profile)), int(np.argmin(profile))
    return SeasonalityResult(
        n_points=n,
        period=period,
        strength=strength,
        is_seasonal=strength >= threshold,
        profile=profile,
        peak_phase=peak,
        trough_phase=trough,
        peak_weekday=WEEKDAYS[peak] if named else None,
        trough_weekday=WEEKDAYS[trough] if named else None,
        amplitude=max(profile) - min(profile),
        note=note,
    )


def seasonality_batch(
    values: ArrayLike,
    period: int = WEEK,
    first_weekday: int | None = None,
    min_points: int = MIN_POINTS,
    threshold: float = STRONG_SEASONALITY,
) -> list[SeasonalityResult]:
    """``seasonality`` of every row (one series per row, all starting on the same weekday)."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError("values must be 1-D (one series) or 2-D (one row per series)")
    return [seasonality(row, period, first_weekday, min_points, threshold) for row in array]
