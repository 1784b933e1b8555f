"""Seasonality of daily series (weekly, monthly) and of sub-daily snapshots (hour of day).

Weekly: STL (robust fit) strength and the peak weekday. Strength is F_s = max(0, 1 - Var(remainder) /
Var(seasonal + remainder)) (Wang, Smith & Hyndman 2006); a series is called seasonal from
``STRONG_SEASONALITY`` (0.64, the default of ``trend.mark_cyclical``). Short gaps (at most
``MAX_GAP_FRACTION`` of the days) are linearly interpolated before the decomposition; STL runs once per
series. ``stl_rows`` is STL vectorised over rows: the loess sums, moving averages and robustness
weights of statsmodels' compiled STL in the same order, so its components equal statsmodels' to the
last bit (tested); ``seasonality_rows`` uses it from ``VECTORISED_STL_ROWS`` rows on.

Monthly and hour of day: a fixed STL period does not fit calendar months (28-31 days) and sub-daily
snapshots are irregular, so both are additive least-squares fits with one effect per calendar day of
the month (with level, linear trend and weekday effects) or per clock hour (with one level per day).
F_s is computed from the phase effects and the fit's remainder, and a pattern is called seasonal only
when the F-test of equal phase effects is also below ``SEASONAL_SIGNIFICANCE``: with two or three months
every day of the month has two or three observations, which inflates F_s on noise (about 1/cycles).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from statsmodels.tsa.seasonal import STL

from dagster_project.analytics.series import MIN_POINTS, as_series_matrix
from dagster_project.analytics.trend_results import SeasonalityKind, SeasonalityResult

WEEK = 7
STRONG_SEASONALITY = 0.64
MAX_GAP_FRACTION = 0.2
MONTH = 31  # day-of-month phases
MONTH_MIN_DAYS = 61  # two average months (2 x 30.44 days)
DAY_HOURS = 24
_STL_CHUNK_ELEMENTS = 32_768  # rows x days per STL chunk (a few arrays of it fit in L2 cache)
VECTORISED_STL_ROWS = 8  # from this many rows the vectorised STL beats statsmodels' per-row loop
SEASONAL_SIGNIFICANCE = 0.01  # F-test level of the least-squares (monthly, hour-of-day) profiles
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _insufficient(n: int, period: int, reason: str, kind: SeasonalityKind) -> SeasonalityResult:
    return SeasonalityResult(n, period, None, False, (), None, None, None, None, None, None, reason, kind)


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
    return seasonality_with_component(values, period, first_weekday, min_points, threshold)[0]


def seasonality_with_component(
    values: ArrayLike,
    period: int = WEEK,
    first_weekday: int | None = None,
    min_points: int = MIN_POINTS,
    threshold: float = STRONG_SEASONALITY,
) -> tuple[SeasonalityResult, NDArray[np.float64] | None]:
    """``seasonality`` and STL's seasonal component from the same (single) fit; the component is None
    whenever the result has no profile (it then equals what ``seasonal_component`` returns)."""
    series = np.asarray(values, dtype=float).ravel()
    return seasonality_rows(series[None, :], period, first_weekday, min_points, threshold)[0]


def seasonality_rows(
    values: ArrayLike,
    period: int = WEEK,
    first_weekday: int | None = None,
    min_points: int = MIN_POINTS,
    threshold: float = STRONG_SEASONALITY,
) -> list[tuple[SeasonalityResult, NDArray[np.float64] | None]]:
    """``seasonality_with_component`` of every row (one series per row, all starting on the same
    weekday). From ``VECTORISED_STL_ROWS`` decomposable rows STL runs vectorised (``stl_rows``, the
    same numbers as statsmodels' STL to the last bit), otherwise per row through statsmodels."""
    x = as_series_matrix(values)
    rows, width = x.shape
    kind: SeasonalityKind = "weekly" if period == WEEK else "periodic"
    needed = max(min_points, 2 * period + 1)
    out: list[tuple[SeasonalityResult, NDArray[np.float64] | None]] = []
    filled_rows: dict[int, tuple[NDArray[np.float64], int]] = {}
    for row in range(rows):
        series = x[row]
        n = int(np.isfinite(series).sum())
        missing = width - n
        if n < needed:
            reason = f"{n} non-missing days, at least {needed} (two full cycles) needed"
            out.append((_insufficient(n, period, reason, kind), None))
        elif missing > MAX_GAP_FRACTION * width:
            reason = f"{missing} of {width} days missing: too many gaps to decompose"
            out.append((_insufficient(n, period, reason, kind), None))
        else:
            filled = _fill_gaps(series) if missing else series
            if np.ptp(filled) == 0:
                out.append((_constant(n, period, kind), None))
            else:
                filled_rows[row] = (filled, missing)
                out.append((_constant(n, period, kind), None))  # replaced below
    if not filled_rows:
        return out
    order = list(filled_rows)
    matrix = np.array([filled_rows[row][0] for row in order])
    if len(order) >= VECTORISED_STL_ROWS:
        seasonal_rows, trend_rows = stl_rows(matrix, period)
        fits = [(seasonal_rows[i], matrix[i] - seasonal_rows[i] - trend_rows[i]) for i in range(len(order))]
    else:
        fitted = [STL(matrix[i], period=period, robust=True).fit() for i in range(len(order))]
        fits = [(np.asarray(f.seasonal), np.asarray(f.resid)) for f in fitted]
    for i, row in enumerate(order):
        missing = filled_rows[row][1]
        seasonal, remainder = fits[i]
        result = _stl_result(int(width - missing), period, seasonal, remainder, first_weekday, threshold)
        note = f"{missing} missing days interpolated" if missing else None
        out[row] = (dataclasses.replace(result, note=note), seasonal)
    return out


def _stl_result(
    n: int,
    period: int,
    seasonal: NDArray[np.float64],
    remainder: NDArray[np.float64],
    first_weekday: int | None,
    threshold: float,
) -> SeasonalityResult:
    total_variance = float(np.var(seasonal + remainder))
    strength = max(0.0, 1.0 - float(np.var(remainder)) / total_variance) if total_variance > 0 else 0.0
    named = first_weekday is not None and period == WEEK
    offset = first_weekday if named and first_weekday is not None else 0
    phase = (np.arange(seasonal.size) + offset) % period
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
        kind="weekly" if period == WEEK else "periodic",
        peak_label=WEEKDAYS[peak] if named else None,
        trough_label=WEEKDAYS[trough] if named else None,
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
    return [result for result, _ in seasonality_rows(array, period, first_weekday, min_points, threshold)]


@dataclass(frozen=True)
class _LeastSquares:
    """A design matrix with its pseudo-inverse and rank (one SVD, reused for every series)."""

    design: NDArray[np.float64]
    pseudo_inverse: NDArray[np.float64]
    rank: int


def _least_squares(design: NDArray[np.float64]) -> _LeastSquares:
    u, singular, vt = np.linalg.svd(design, full_matrices=False)
    tolerance = singular.max(initial=0.0) * max(design.shape) * np.finfo(float).eps
    rank = int((singular > tolerance).sum())
    pseudo_inverse = (vt[:rank].T / singular[:rank]) @ u[:, :rank].T
    return _LeastSquares(design, pseudo_inverse, rank)


@dataclass(frozen=True)
class _PhaseDesign:
    """The full (nuisance + phase dummies) and nuisance-only fits of one set of observed days."""

    phase: NDArray[np.int64]
    levels: NDArray[np.int64]
    full: _LeastSquares
    reduced: _LeastSquares
    period: int


def _phase_design(phase: NDArray[np.int64], nuisance: NDArray[np.float64], period: int) -> _PhaseDesign:
    levels = np.unique(phase)
    dummies = (phase[:, None] == levels[None, 1:]).astype(float)
    full = _least_squares(np.column_stack([nuisance, dummies]))
    return _PhaseDesign(phase, levels, full, _least_squares(nuisance), period)


def _phase_effects(y: NDArray[np.float64], model: _PhaseDesign) -> tuple[NDArray[np.float64], float, float]:
    """Additive least-squares fit y = nuisance + phase effect + R: the phase effects (centred over the
    observed phases, NaN for unseen ones), the F_s strength of the phase component and the F-test
    p-value of equal phase effects (full against nuisance-only model)."""
    coefficients = model.full.pseudo_inverse @ y
    remainder = y - model.full.design @ coefficients
    reduced_remainder = y - model.reduced.design @ (model.reduced.pseudo_inverse @ y)
    effects = np.full(model.period, np.nan)
    effects[model.levels] = np.r_[0.0, coefficients[model.reduced.design.shape[1] :]]
    effects = effects - np.nanmean(effects)
    signal = effects[model.phase] + remainder
    total = float(np.var(signal))
    strength = max(0.0, 1.0 - float(np.var(remainder)) / total) if total > 0 else 0.0
    rss_full = float(remainder @ remainder)
    rss_reduced = float(reduced_remainder @ reduced_remainder)
    df_effect, df_resid = model.full.rank - model.reduced.rank, y.size - model.full.rank
    if df_effect <= 0 or df_resid <= 0 or rss_reduced <= 0:
        p_value = 1.0
    elif rss_full <= 1e-12 * rss_reduced:
        p_value = 0.0  # an exact fit: the phase effects explain everything
    else:
        f_stat = max(rss_reduced - rss_full, 0.0) / df_effect / (rss_full / df_resid)
        p_value = float(stats.f.sf(f_stat, df_effect, df_resid))
    return effects, strength, p_value


@functools.lru_cache(maxsize=256)
def _monthly_design(start_date: dt.date, width: int, observed_bytes: bytes) -> _PhaseDesign:
    """Level, linear trend and weekday effects (nuisance) and day-of-month phases of the observed days
    (cached: the series of a batch share their dates and mostly their gaps)."""
    observed = np.flatnonzero(np.unpackbits(np.frombuffer(observed_bytes, dtype=np.uint8))[:width])
    dates = [start_date + dt.timedelta(days=int(i)) for i in observed]
    day_of_month = np.array([d.day - 1 for d in dates], dtype=np.int64)
    weekday = np.array([d.weekday() for d in dates], dtype=np.int64)
    t = (observed - observed.mean()) / max(width, 1)
    weekday_levels = np.unique(weekday)
    nuisance = np.column_stack(
        [np.ones(observed.size), t, (weekday[:, None] == weekday_levels[None, 1:]).astype(float)]
    )
    return _phase_design(day_of_month, nuisance, MONTH)


def _constant(n: int, period: int, kind: SeasonalityKind) -> SeasonalityResult:
    return SeasonalityResult(
        n,
        period,
        None,
        False,
        (),
        None,
        None,
        None,
        None,
        None,
        "constant series: no seasonality",
        None,
        kind,
    )


def _phase_result(
    n: int,
    period: int,
    kind: SeasonalityKind,
    fitted: tuple[NDArray[np.float64], float, float],
    threshold: float,
    significance: float,
    label: Callable[[int], str],
    notes: list[str],
) -> SeasonalityResult:
    effects, strength, p_value = fitted
    seen = np.isfinite(effects)
    if not seen.all():
        missing = ", ".join(label(int(p)) for p in np.flatnonzero(~seen))
        notes.append(f"never observed: {missing} (profile 0 there)")
    profile = np.where(seen, effects, 0.0)
    peak = int(np.flatnonzero(seen)[np.argmax(effects[seen])])
    trough = int(np.flatnonzero(seen)[np.argmin(effects[seen])])
    return SeasonalityResult(
        n_points=n,
        period=period,
        strength=strength,
        is_seasonal=strength >= threshold and p_value < significance,
        profile=tuple(float(v) for v in profile),
        peak_phase=peak,
        trough_phase=trough,
        peak_weekday=None,
        trough_weekday=None,
        amplitude=float(effects[peak] - effects[trough]),
        note="; ".join(notes) or None,
        kind=kind,
        peak_label=label(peak),
        trough_label=label(trough),
        p_value=p_value,
    )


def _day_of_month_label(phase: int) -> str:
    return f"day {phase + 1} of the month"


def _hour_label(phase: int) -> str:
    return f"{phase:02d}:00"


def monthly_seasonality(
    values: ArrayLike,
    start_date: dt.date,
    min_points: int = MIN_POINTS,
    threshold: float = STRONG_SEASONALITY,
    significance: float = SEASONAL_SIGNIFICANCE,
) -> SeasonalityResult:
    """Day-of-month seasonality of one daily series starting on ``start_date`` (NaN = missing day).

    Least squares of the observed days on a level, a linear trend, weekday effects and calendar
    day-of-month effects (days 1..31, so months of 28-31 days stay aligned, unlike a fixed 30-day
    period). F_s compares the remainder with day-of-month effect + remainder; seasonal needs F_s >=
    ``threshold`` and the F-test of equal day-of-month effects below ``significance`` (with two or three
    cycles every day of the month has only two or three observations, so F_s alone is inflated by
    noise: about 1/cycles on white noise). Needs ``MONTH_MIN_DAYS`` (two months) of non-missing days.
    """
    series = np.asarray(values, dtype=float).ravel()
    observed = np.flatnonzero(np.isfinite(series))
    n = int(observed.size)
    needed = max(min_points, MONTH_MIN_DAYS)
    if n < needed:
        reason = f"{n} non-missing days, at least {needed} (two monthly cycles) needed"
        return _insufficient(n, MONTH, reason, "monthly")
    y = series[observed]
    if np.ptp(y) == 0:
        return _constant(n, MONTH, "monthly")
    missing = series.size - n
    notes = [f"{missing} missing days left out of the fit"] if missing else []
    mask = np.packbits(np.isfinite(series)).tobytes()
    fitted = _phase_effects(y, _monthly_design(start_date, series.size, mask))
    return _phase_result(n, MONTH, "monthly", fitted, threshold, significance, _day_of_month_label, notes)


def hourly_seasonality(
    timestamps: ArrayLike,
    values: ArrayLike,
    min_points: int = MIN_POINTS,
    threshold: float = STRONG_SEASONALITY,
    significance: float = SEASONAL_SIGNIFICANCE,
) -> SeasonalityResult:
    """Hour-of-day seasonality of sub-daily snapshots (``timestamps`` with one value each, e.g. the
    views gained per hour since the previous snapshot; hours are those of the timestamps' own zone).

    Values are averaged per clock hour, then fitted by least squares as a level per calendar day plus
    an hour-of-day effect, so day-to-day changes (trend, weekday) and partially covered days do not
    leak into the profile. Strength and significance as for ``monthly_seasonality``; needs snapshots
    on at least two days. Hours never observed get profile 0 and are named in the note.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps).ravel()))
    numbers = np.asarray(values, dtype=float).ravel()
    if stamps.size != numbers.size:
        raise ValueError("timestamps and values must have the same length")
    keep = np.isfinite(numbers) & ~stamps.isna()
    hourly = pd.Series(numbers[keep], index=stamps[keep].floor("h")).groupby(level=0).mean()
    n = int(hourly.size)
    index = pd.DatetimeIndex(hourly.index)
    days = np.unique(index.normalize().asi8, return_inverse=True)[1].astype(np.int64)
    n_days = int(days.max()) + 1 if n else 0
    if n_days < 2 or n < max(min_points, 3):
        needed = max(min_points, 3)
        reason = f"{n} hours with snapshots on {n_days} day(s), at least two days and {needed} hours needed"
        return _insufficient(n, DAY_HOURS, reason, "hour_of_day")
    y = hourly.to_numpy(dtype=float)
    if np.ptp(y) == 0:
        return _constant(n, DAY_HOURS, "hour_of_day")
    nuisance = np.column_stack([np.ones(n), (days[:, None] == np.arange(1, n_days)[None, :]).astype(float)])
    fitted = _phase_effects(y, _phase_design(np.asarray(index.hour, dtype=np.int64), nuisance, DAY_HOURS))
    return _phase_result(n, DAY_HOURS, "hour_of_day", fitted, threshold, significance, _hour_label, [])


@dataclass(frozen=True)
class _LoessPlan:
    """Windows and tricube weights of STL's loess (jump 1) at fixed evaluation points: ``index``
    (points x window, 0-based, padded with weight 0), ``position`` (1-based), ``xs`` and ``h``."""

    index: NDArray[np.int64]
    weight: NDArray[np.float64]
    position: NDArray[np.float64]
    xs: NDArray[np.float64]
    h: NDArray[np.float64]
    n: int


def _loess_plan(n: int, span: int, xs: list[int], windows: list[tuple[int, int]]) -> _LoessPlan:
    """``_est``'s weights (statsmodels' STL, after Cleveland et al.'s Fortran) for each point ``xs``
    with window [nleft, nright] (1-based), before robustness weights."""
    width = max(right - left + 1 for left, right in windows)
    index = np.zeros((len(xs), width), dtype=np.int64)
    weight = np.zeros((len(xs), width))
    position = np.zeros((len(xs), width))
    hs = np.zeros(len(xs))
    for row, (x, (left, right)) in enumerate(zip(xs, windows, strict=True)):
        h = float(max(x - left, right - x))
        if span > n:
            h += (span - n) // 2
        hs[row] = h
        for col, j in enumerate(range(left, right + 1)):
            r = abs(j - x)
            index[row, col], position[row, col] = j - 1, j
            if r <= 0.999 * h:
                weight[row, col] = 1.0 if r <= 0.001 * h else (1.0 - (r / h) ** 3) ** 3
        position[row, right - left + 1 :] = x  # padding: weight 0, centred
    return _LoessPlan(index, weight, position, np.asarray(xs, dtype=float), hs, n)


@functools.lru_cache(maxsize=64)
def _smoother_plan(n: int, span: int, extrapolate: bool) -> _LoessPlan:
    """Plan of ``_ess`` (jump 1) over positions 1..n, plus STL's cycle-subseries extrapolation to
    positions 0 and n+1 when ``extrapolate``."""
    windows: list[tuple[int, int]] = []
    if span >= n:
        windows = [(1, n)] * n
    else:
        half, left, right = (span + 2) // 2, 1, span
        for i in range(1, n + 1):
            if i > half and right != n:
                left, right = left + 1, right + 1
            windows.append((left, right))
    xs = list(range(1, n + 1))
    if extrapolate:
        xs = [0, *xs, n + 1]
        windows = [(1, min(span, n)), *windows, (max(1, n - span + 1), n)]
    return _loess_plan(n, span, xs, windows)


def _loess(
    y: NDArray[np.float64], plan: _LoessPlan, robustness: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """Local-linear loess of every row at the plan's points; NaN where all weights are 0.

    The sums run over the window one position at a time, in ``_est``'s order, so every row gets
    the same rounding as statsmodels' compiled loop (and as any other batch of rows). Arrays are
    window position x point x row, so every step works on contiguous memory."""
    index = plan.index.T
    values = np.ascontiguousarray(y.T)[index]
    base = plan.weight.T[:, :, None]
    if robustness is None:
        weights, valid = _final_weights(base.copy(), plan)
    else:
        weights, valid = _final_weights(base * np.ascontiguousarray(robustness.T)[index], plan)
    fitted = np.zeros(values.shape[1:])
    for c in range(index.shape[0]):
        fitted += weights[c] * values[c]
    return np.where(valid, fitted, np.nan).T


def _final_weights(
    weights: NDArray[np.float64], plan: _LoessPlan
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """``_est``'s normalised, linearly tilted weights (window position x point x row) and where they
    exist (point x row). Works in place on ``weights`` (large temporaries cost page faults)."""
    columns = range(weights.shape[0])
    position = plan.position.T[:, :, None]
    total = np.zeros(weights.shape[1:])
    for c in columns:
        total += weights[c]
    with np.errstate(invalid="ignore", divide="ignore"):
        weights /= total
        centre = np.zeros_like(total)
        for c in columns:
            centre += weights[c] * position[c]
        offsets = position - centre
        spread = np.zeros_like(total)
        for c in columns:
            spread += weights[c] * offsets[c] ** 2
        linear = (plan.h[:, None] > 0) & (np.sqrt(spread) > 0.001 * (plan.n - 1.0))
        # A tilt of 0 gives the factor 1.0 exactly: the weights of a local-constant fit.
        tilt = np.where(linear, (plan.xs[:, None] - centre) / spread, 0.0)
        offsets *= tilt
        offsets += 1.0
        weights *= offsets
    return weights, total > 0


def _moving_average(x: NDArray[np.float64], length: int) -> NDArray[np.float64]:
    """STL's running-sum moving average (``_ma``), row-wise: the first window's sum, then the running
    updates ``x[j + length - 1] - x[j - 1]`` accumulated left to right (a cumulative sum, same order)."""
    first = np.zeros(x.shape[0])
    for i in range(length):
        first = first + x[:, i]
    steps = np.column_stack([first, x[:, length:] - x[:, :-length]])
    return np.cumsum(steps, axis=1) / length


def stl_rows(
    values: ArrayLike, period: int, seasonal: int = 7, robust: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Seasonal and trend components of STL (Cleveland et al. 1990) for every row (no NaN), as
    statsmodels' ``STL(row, period, seasonal, robust=robust).fit()`` with its default trend and
    low-pass windows, degree 1 and jumps of 1, vectorised over rows (in chunks that stay in cache).
    The loess sums follow statsmodels' loop order, so the components are the same to the last bit."""
    y = np.atleast_2d(np.asarray(values, dtype=float))
    season, trend = np.empty_like(y), np.empty_like(y)
    step = max(1, _STL_CHUNK_ELEMENTS // max(y.shape[1], 1))
    for first in range(0, y.shape[0], step):
        chunk = slice(first, first + step)
        season[chunk], trend[chunk] = _stl_chunk(y[chunk], period, seasonal, robust)
    return season, trend


def _stl_chunk(
    y: NDArray[np.float64], period: int, seasonal: int, robust: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rows, n = y.shape
    trend_span = int(np.ceil(1.5 * period / (1 - 1.5 / seasonal)))
    trend_span += trend_span % 2 == 0
    low_pass = period + 1 + ((period + 1) % 2 == 0)
    inner, outer = (2, 15) if robust else (5, 0)
    trend = np.zeros_like(y)
    season = np.zeros_like(y)
    weights: NDArray[np.float64] | None = None
    low_plan = _smoother_plan(n, low_pass, False)
    trend_plan = _smoother_plan(n, trend_span, False)
    groups: dict[int, list[int]] = {}
    for phase in range(period):
        groups.setdefault((n - (phase + 1)) // period + 1, []).append(phase)
    for step in range(outer + 1):
        for _ in range(inner):
            detrended = y - trend
            cycles = np.zeros((rows, n + 2 * period))
            for k, phases in groups.items():
                plan = _smoother_plan(k, seasonal, True)
                positions = np.asarray(phases)[:, None] + period * np.arange(k)[None, :]
                sub = detrended[:, positions].reshape(-1, k)
                sub_weights = None if weights is None else weights[:, positions].reshape(-1, k)
                smooth = _loess(sub, plan, sub_weights)
                inside = smooth[:, 1:-1]
                smooth[:, 1:-1] = np.where(np.isnan(inside), sub, inside)
                smooth[:, 0] = np.where(np.isnan(smooth[:, 0]), smooth[:, 1], smooth[:, 0])
                smooth[:, -1] = np.where(np.isnan(smooth[:, -1]), smooth[:, -2], smooth[:, -1])
                target = np.asarray(phases)[:, None] + period * np.arange(k + 2)[None, :]
                cycles[:, target] = smooth.reshape(rows, len(phases), k + 2)
            filtered = _moving_average(_moving_average(_moving_average(cycles, period), period), 3)
            low = _loess(filtered, low_plan, None)
            low = np.where(np.isnan(low), filtered, low)
            season = cycles[:, period : period + n] - low
            deseasoned = y - season
            smoothed = _loess(deseasoned, trend_plan, weights)
            trend = np.where(np.isnan(smoothed), deseasoned, smoothed)
        if step == outer:
            break
        weights = _robustness_weights(np.abs(y - (trend + season)))
    return season, trend


def _robustness_weights(residual: NDArray[np.float64]) -> NDArray[np.float64]:
    """STL's bisquare weights with h = 6 * median |residual| (1 everywhere when that is 0)."""
    n = residual.shape[1]
    ordered = np.sort(residual, axis=1)
    h = 3.0 * (ordered[:, n // 2] + ordered[:, n - n // 2 - 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = residual / h[:, None]
        weights = np.where(
            residual <= 0.001 * h[:, None],
            1.0,
            np.where(residual <= 0.999 * h[:, None], (1.0 - scaled**2) ** 2, 0.0),
        )
    return np.where(h[:, None] == 0, 1.0, weights)
