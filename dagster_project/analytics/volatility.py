"""Volatility of daily deltas: coefficient of variation and rolling dispersion, with a label.

The label comes from the coefficient of variation over the window: consistent below 0.25, variable
below 0.75, erratic above (thresholds configurable). Rolling figures use windows of seven days (a
window needs at least ``MIN_IN_WINDOW`` observed days). ``rolling_dispersion`` is vectorised over
rows (one series per row, NaN = missing day).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from dagster_project.analytics.anomalies import nanmedian_rows
from dagster_project.analytics.series import MIN_POINTS, as_series_matrix
from dagster_project.analytics.trend_results import VolatilityLabel, VolatilityResult

ROLLING_WINDOW = 7
MIN_IN_WINDOW = 3
CONSISTENT_BELOW = 0.25
ERRATIC_FROM = 0.75


@dataclass(frozen=True)
class RollingDispersion:
    """Rolling mean, sd and CV (rows x windows, window k covers days k .. k+window-1); NaN if undefined."""

    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    cv: NDArray[np.float64]


def daily_deltas(cumulative: ArrayLike) -> NDArray[np.float64]:
    """Day-over-day increments of cumulative counters (rows = series); a negative increment (a reset or
    correction of the counter) becomes NaN rather than a fake drop."""
    x = as_series_matrix(cumulative)
    deltas = np.diff(x, axis=1)
    return np.where(deltas >= 0, deltas, np.nan)


def rolling_dispersion(values: ArrayLike, window: int = ROLLING_WINDOW) -> RollingDispersion:
    """Rolling mean, sd (ddof=1) and CV of every row; CV is NaN where the rolling mean is not positive."""
    x = as_series_matrix(values)
    rows, width = x.shape
    if width < window:
        empty = np.empty((rows, 0))
        return RollingDispersion(empty, empty.copy(), empty.copy())
    windows = sliding_window_view(x, window, axis=1)
    observed = np.isfinite(windows).sum(axis=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(windows, axis=2)
        std = np.nanstd(windows, axis=2, ddof=1)
    enough = observed >= MIN_IN_WINDOW
    mean = np.where(enough, mean, np.nan)
    std = np.where(enough, std, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean > 0, std / mean, np.nan)
    return RollingDispersion(mean, std, cv)


def _label(cv: float, consistent_below: float, erratic_from: float) -> VolatilityLabel:
    if cv < consistent_below:
        return "consistent"
    return "variable" if cv < erratic_from else "erratic"


def _opt(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def volatility(
    values: ArrayLike,
    window: int = ROLLING_WINDOW,
    min_points: int = MIN_POINTS,
    consistent_below: float = CONSISTENT_BELOW,
    erratic_from: float = ERRATIC_FROM,
) -> list[VolatilityResult]:
    """Volatility of every row of daily deltas (one series per row, NaN = missing day)."""
    x = as_series_matrix(values)
    rolling = rolling_dispersion(x, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without a complete window
        cv_medians = nanmedian_rows(rolling.cv)
        cv_maxima = np.nanmax(rolling.cv, axis=1) if rolling.cv.shape[1] else cv_medians
        std_medians = nanmedian_rows(rolling.std)
    results: list[VolatilityResult] = []
    for row in range(x.shape[0]):
        observed = x[row][np.isfinite(x[row])]
        n = int(observed.size)
        if n < max(min_points, 2):
            reason = f"{n} non-missing days, at least {max(min_points, 2)} needed"
            results.append(
                VolatilityResult(
                    n, None, None, None, window, None, None, None, "insufficient_data", None, reason
                )
            )
            continue
        mean = float(observed.mean())
        std = float(observed.std(ddof=1))
        cv_median, cv_max, std_median = _opt(cv_medians[row]), _opt(cv_maxima[row]), _opt(std_medians[row])
        if std == 0:
            note = "no activity: every delta is zero" if mean == 0 else "every delta is the same"
            results.append(
                VolatilityResult(
                    n,
                    mean,
                    0.0,
                    0.0 if mean > 0 else None,
                    window,
                    cv_median,
                    cv_max,
                    std_median,
                    "consistent",
                    note,
                )
            )
            continue
        if mean <= 0:
            reason = "mean daily delta is not positive: coefficient of variation undefined"
            results.append(
                VolatilityResult(
                    n,
                    mean,
                    std,
                    None,
                    window,
                    cv_median,
                    cv_max,
                    std_median,
                    "insufficient_data",
                    None,
                    reason,
                )
            )
            continue
        cv = std / mean
        results.append(
            VolatilityResult(
                n_points=n,
                mean=mean,
                std=std,
                coefficient_of_variation=cv,
                rolling_window=window,
                rolling_cv_median=cv_median,
                rolling_cv_max=cv_max,
                rolling_std_median=std_median,
                label=_label(cv, consistent_below, erratic_from),
            )
        )
    return results


def series_volatility(values: ArrayLike, **kwargs: float | int) -> VolatilityResult:
    """``volatility`` of one 1-D series."""
    series = np.asarray(values, dtype=float)
    if series.ndim != 1:
        raise ValueError("series_volatility takes one 1-D series; use volatility for many")
    return volatility(series, **kwargs)[0]  # type: ignore[arg-type]
