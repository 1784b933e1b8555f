"""Vectorised forecasting models of daily deltas (one series per row), on the log1p scale.

Preparation (``prepare``): values are clipped at 0 (a negative delta is a counter correction) and
moved to z = log1p(value). A series starts at its first observed day, or at the first observed day
after its last gap longer than ``MAX_GAP`` days (older data is dropped). Missing days after the
start are filled by linear interpolation on the log scale (carrying the last value over trailing
gaps); filled days feed the recursions but never count as errors. Days before the start carry the
first value, which leaves every recursion exactly where a fit started at the start would be.

Weekly seasonality: a row is seasonal when its lag-``period`` autocorrelation passes the test used
by statsmodels' ThetaModel (|r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / N)) with at least three
cycles of data; its additive weekday indices on the log scale are the classical ones (mean of
value minus the centred moving average, per phase, centred to mean zero). SES, Theta and damped
trend run on the deseasonalised series and re-add the index of the target day.

Models (``MODELS``, simplest first), fit to all rows at once:

* ``seasonal_naive``: the value one period earlier (on the filled log series);
* ``ses``: ETS(A,N,N), level initialised at the first value, alpha per row minimising the in-sample
  one-step SSE over ``ALPHAS`` (a grid evaluated for all rows in one recursion);
* ``theta``: SES plus half the OLS slope b (Hyndman & Billah 2003), forecast
  l_n + b/2 (h - 1 + 1/alpha - (1 - alpha)^n / alpha) exactly as statsmodels' ThetaModel, with the
  SES alpha;
* ``damped_trend``: ETS(A,Ad,N) in error-correction form (l += phi b + alpha e, b = phi b + alpha
  beta* e), level at the first value and trend 0, (alpha, beta*, phi) per row from ``DAMPED_GRID``.

Errors for intervals (``fit_models``): every model is also forecast from every in-sample origin t
(after a ``WARMUP`` of one week), h = 1..H days ahead, with the parameters of the final fit. Their
RMS error per horizon (on the log scale) is the interval scale; where fewer than ``MIN_ERRORS``
exist it falls back to the analytic multiplier of the one-step RMS error (SES/Theta/damped:
1 + (h-1) alpha^2; seasonal naive: floor((h-1)/period) + 1), made non-decreasing in h. The same
origins give the RMS error of log1p of the h-day sum (for cumulative counters). Both are multiplied
by sqrt of Akaike's final prediction error factor (N + p) / (N - p) (see ``forecast``); ``dof`` is
N - p for Student-t quantiles.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dagster_project.analytics.series import as_series_matrix

WEEK = 7
MAX_GAP = 14
WARMUP = WEEK
MIN_ERRORS = 10
SEASONAL_CRITICAL = 1.645
MODELS = ("seasonal_naive", "ses", "theta", "damped_trend")
PARAMETERS = (
    0,
    2,
    3,
    4,
)  # estimated per row besides weekday indices: alpha + initial level, slope, beta + phi
ALPHAS = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
DAMPED_GRID = np.array(
    list(itertools.product((0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9), (0.01, 0.05, 0.15, 0.3), (0.8, 0.9, 0.98)))
)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Prepared:
    """Log1p series (rows x days) with gaps filled, the days that count as observations, per-row
    start, observed-day count, trailing gap and weekday indices (zeros where not seasonal)."""

    y: FloatArray
    observed: NDArray[np.bool_]
    start: NDArray[np.int64]
    n_active: NDArray[np.int64]
    trailing_gap: NDArray[np.int64]
    seasonal: FloatArray
    is_seasonal: NDArray[np.bool_]
    period: int


@dataclass(frozen=True)
class ModelFit:
    """Forecasts of every model (rows x models x horizon, log1p scale) and their interval scales."""

    prepared: Prepared
    point: FloatArray
    rmse: FloatArray
    sum_point: FloatArray
    sum_rmse: FloatArray
    alpha: FloatArray
    snaive_scale: FloatArray
    dof: FloatArray


def fill_gaps(z: FloatArray) -> FloatArray:
    """Linear interpolation over interior NaN per row, the nearest value at either end (0 if all NaN)."""
    rows, n = z.shape
    t = np.arange(n)
    valid = np.isfinite(z)
    prev = np.maximum.accumulate(np.where(valid, t, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(valid, t, n)[:, ::-1], axis=1)[:, ::-1]
    safe = np.where(valid, z, 0.0)
    r = np.arange(rows)[:, None]
    left = safe[r, np.clip(prev, 0, n - 1)]
    right = safe[r, np.clip(nxt, 0, n - 1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where((prev >= 0) & (nxt < n), (t - prev) / (nxt - prev), 0.0)
    inner = left + (right - left) * weight
    filled = np.where(prev < 0, right, np.where(nxt >= n, left, inner))
    return np.where(valid, z, np.where((prev < 0) & (nxt >= n), 0.0, filled))


def _start(observed: NDArray[np.bool_]) -> NDArray[np.int64]:
    """First observed day after the last gap longer than MAX_GAP (else the first observed day)."""
    n = observed.shape[1]
    t = np.arange(n)
    last_seen = np.maximum.accumulate(np.where(observed, t, -1), axis=1)
    before = np.concatenate([np.full((observed.shape[0], 1), -1), last_seen[:, :-1]], axis=1)
    long_gap = observed & (before >= 0) & (t - before - 1 > MAX_GAP)
    first = np.where(observed.any(axis=1), observed.argmax(axis=1), n)
    return np.maximum(first, np.where(long_gap, t, -1).max(axis=1)).astype(np.int64)


def _masked_mean(values: FloatArray, mask: NDArray[np.bool_], axis: int = -1) -> FloatArray:
    count = mask.sum(axis=axis)
    total = np.where(mask, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _seasonality(
    y: FloatArray, observed: NDArray[np.bool_], start: NDArray[np.int64], period: int
) -> tuple[FloatArray, NDArray[np.bool_]]:
    rows, n = y.shape
    if period <= 1 or n < 3 * period:
        return np.zeros((rows, max(period, 1))), np.zeros(rows, dtype=bool)
    active = np.arange(n)[None, :] >= start[:, None]
    count = active.sum(axis=1)
    centred = np.where(active, y - _masked_mean(y, active)[:, None], 0.0)
    denominator = (centred**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        acf = np.stack([(centred[:, k:] * centred[:, : n - k]).sum(axis=1) for k in range(1, period + 1)], 1)
        acf = acf / denominator[:, None]
        bound = SEASONAL_CRITICAL * np.sqrt((1 + 2 * (acf[:, :-1] ** 2).sum(axis=1)) / count)
    seasonal_rows = (count >= 3 * period) & (denominator > 0) & (np.abs(acf[:, -1]) > bound)
    weights = np.ones(period) / period if period % 2 else np.r_[0.5, np.ones(period - 1), 0.5] / period
    half = len(weights) // 2
    moving = sum(w * y[:, k : n - len(weights) + 1 + k] for k, w in enumerate(weights))
    t = np.arange(half, n - half)
    detrended = y[:, half : n - half] - moving
    usable = t[None, :] - half >= start[:, None]
    indices = np.zeros((rows, period))
    for p in range(period):
        in_phase = usable & (t % period == p)[None, :]
        seasonal_rows &= in_phase.sum(axis=1) >= 2
        indices[:, p] = _masked_mean(detrended, in_phase)
    centre = _masked_mean(indices, np.isfinite(indices))[:, None]
    indices = np.where(seasonal_rows[:, None], indices - centre, 0.0)
    return np.nan_to_num(indices), seasonal_rows


def prepare(values: ArrayLike, period: int = WEEK) -> Prepared:
    """Log1p, start after long gaps, gap filling and weekday indices (see the module docstring)."""
    x = as_series_matrix(values)
    z = np.log1p(np.clip(x, 0.0, None))
    seen = np.isfinite(z)
    start = _start(seen)
    n = x.shape[1]
    t = np.arange(n)
    observed = seen & (t[None, :] >= start[:, None])
    y = fill_gaps(np.where(observed, z, np.nan))
    last = np.where(observed.any(axis=1), n - 1 - np.argmax(observed[:, ::-1], axis=1), -1)
    seasonal, is_seasonal = _seasonality(y, observed, start, period)
    return Prepared(
        y=y,
        observed=observed,
        start=start,
        n_active=observed.sum(axis=1),
        trailing_gap=(n - 1 - last).astype(np.int64),
        seasonal=seasonal,
        is_seasonal=is_seasonal,
        period=period,
    )


def ses_sse(y: FloatArray, observed: NDArray[np.bool_], alphas: FloatArray) -> FloatArray:
    """In-sample one-step SSE of SES for every row and every alpha of the grid (rows x alphas)."""
    level = np.repeat(y[:, :1], alphas.size, axis=1)
    sse = np.zeros_like(level)
    for t in range(1, y.shape[1]):
        error = y[:, t : t + 1] - level
        sse += np.where(observed[:, t : t + 1], error * error, 0.0)
        level += alphas[None, :] * error
    return sse


def ses_levels(y: FloatArray, alpha: ArrayLike) -> FloatArray:
    """SES level after each day (rows x days), level initialised at the first value, alpha per row."""
    a = np.broadcast_to(np.asarray(alpha, dtype=float), (y.shape[0],))
    levels = np.empty_like(y)
    levels[:, 0] = y[:, 0]
    for t in range(1, y.shape[1]):
        levels[:, t] = levels[:, t - 1] + a * (y[:, t] - levels[:, t - 1])
    return levels


def _damped(y: FloatArray, params: FloatArray, observed: NDArray[np.bool_] | None = None) -> tuple:
    """ETS(A,Ad,N): with ``observed`` the SSE of each parameter row of ``params`` (rows x grid);
    without it the level and trend paths for per-row parameters (params rows x 3)."""
    alpha, beta, phi = params[..., 0], params[..., 0] * params[..., 1], params[..., 2]
    if observed is not None:
        level = np.repeat(y[:, :1], params.shape[0], axis=1)
        trend = np.zeros_like(level)
        sse = np.zeros_like(level)
        for t in range(1, y.shape[1]):
            error = y[:, t : t + 1] - level - phi * trend
            sse += np.where(observed[:, t : t + 1], error * error, 0.0)
            level += phi * trend + alpha * error
            trend = phi * trend + beta * error
        return (sse,)
    levels, trends = np.empty_like(y), np.zeros_like(y)
    levels[:, 0] = y[:, 0]
    for t in range(1, y.shape[1]):
        error = y[:, t] - levels[:, t - 1] - phi * trends[:, t - 1]
        levels[:, t] = levels[:, t - 1] + phi * trends[:, t - 1] + alpha * error
        trends[:, t] = phi * trends[:, t - 1] + beta * error
    return levels, trends


def ols_slope(y: FloatArray, mask: NDArray[np.bool_]) -> FloatArray:
    """Per-row OLS slope of y on the day index over the masked days (0 where undefined)."""
    t = np.broadcast_to(np.arange(y.shape[1], dtype=float), y.shape)
    tc = t - _masked_mean(t, mask)[:, None]
    yc = y - _masked_mean(y, mask)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(mask, tc * yc, 0.0).sum(axis=1) / np.where(mask, tc * tc, 0.0).sum(axis=1)
    return np.where(np.isfinite(slope), slope, 0.0)


def theta_drift(slope: FloatArray, alpha: FloatArray, n_obs: ArrayLike, h: int) -> FloatArray:
    """The Theta method's (theta = 2) trend term b/2 (h - 1 + 1/alpha - (1 - alpha)^n / alpha)."""
    return 0.5 * slope * (h - 1 + 1 / alpha - (1 - alpha) ** np.asarray(n_obs, dtype=float) / alpha)


def _shift(a: np.ndarray, h: int, fill: float | bool) -> np.ndarray:
    """out[:, t] = a[:, t + h] (``fill`` beyond the end)."""
    out = np.full_like(a, fill)
    if h < a.shape[1]:
        out[:, : a.shape[1] - h] = a[:, h:]
    return out


def fit_models(values: ArrayLike, horizon: int, period: int = WEEK, sums: bool = True) -> ModelFit:
    """Fit every model to every row; forecasts from the last day and the interval scales (those of
    the h-day sums only with ``sums``; NaN without)."""
    prep = prepare(values, period)
    y, observed, start = prep.y, prep.observed, prep.start
    rows, n = y.shape
    t = np.arange(n)
    phase_seasonal = prep.seasonal[:, t % period]
    ds = y - phase_seasonal
    alpha = ALPHAS[np.argmin(ses_sse(ds, observed, ALPHAS), axis=1)]
    levels = ses_levels(ds, alpha)
    slope = ols_slope(ds, observed)
    damped_params = DAMPED_GRID[np.argmin(_damped(ds, DAMPED_GRID, observed)[0], axis=1)]
    d_level, d_trend = _damped(ds, damped_params)
    n_obs = np.maximum(t[None, :] - start[:, None] + 1, 1)
    model_alpha = np.stack([np.ones(rows), alpha, alpha, damped_params[:, 0]], axis=1)

    shape = (rows, len(MODELS), horizon)
    point, rmse, sum_point, sum_rmse = (np.full(shape, np.nan) for _ in range(4))
    sigma1 = np.full((rows, len(MODELS)), np.nan)
    n_errors = np.zeros((rows, len(MODELS)))
    n_params = np.array(PARAMETERS)[None, :] + np.where(prep.is_seasonal, period - 1, 0)[:, None]
    n_params[:, 0] = 0
    after_warmup = t[None, :] >= start[:, None] + WARMUP - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for m, model in enumerate(MODELS):
            running, actual = np.zeros((rows, n)), np.zeros((rows, n))
            for h in range(1, horizon + 1):
                target_seasonal = prep.seasonal[:, (t + h) % period]
                valid_origin = np.ones((rows, n), dtype=bool)
                if model == "seasonal_naive":
                    back = period * int(np.ceil(h / period))
                    forecast = np.full((rows, n), np.nan)
                    if back - h < n:
                        forecast[:, back - h :] = y[:, : n - back + h]
                    valid_origin = t[None, :] + h - back >= start[:, None]
                elif model == "ses":
                    forecast = levels + target_seasonal
                elif model == "theta":
                    forecast = (
                        levels + theta_drift(slope[:, None], alpha[:, None], n_obs, h) + target_seasonal
                    )
                else:
                    phi = damped_params[:, 2:3]
                    forecast = d_level + (phi * (1 - phi**h) / (1 - phi)) * d_trend + target_seasonal
                point[:, m, h - 1] = forecast[:, n - 1]
                target, target_seen = _shift(y, h, np.nan), _shift(observed, h, False)
                error = target - forecast
                valid = target_seen & valid_origin & np.isfinite(error)
                if h == 1:
                    sigma1[:, m] = np.sqrt(_masked_mean(error**2, valid))
                    n_errors[:, m] = valid.sum(axis=1)
                valid &= after_warmup
                multiplier = (
                    np.floor((h - 1) / period) + 1
                    if model == "seasonal_naive"
                    else 1 + (h - 1) * model_alpha[:, m] ** 2
                )
                analytic = sigma1[:, m] * np.sqrt(multiplier)
                empirical = np.sqrt(_masked_mean(error**2, valid))
                enough = valid.sum(axis=1) >= MIN_ERRORS
                rmse[:, m, h - 1] = np.where(enough, empirical, analytic)
                if not sums:
                    continue
                running += np.clip(np.expm1(forecast), 0.0, None)
                actual += np.expm1(target)
                sum_error = np.log1p(actual) - np.log1p(running)
                sum_point[:, m, h - 1] = np.log1p(running[:, n - 1])
                sum_rmse[:, m, h - 1] = np.where(
                    enough, np.sqrt(_masked_mean(sum_error**2, valid)), rmse[:, m, h - 1]
                )
    dof = np.maximum(n_errors - n_params, 1.0)
    fpe = np.sqrt((n_errors + n_params) / dof)[:, :, None]
    rmse = np.fmax.accumulate(rmse, axis=2) * fpe
    scale = _snaive_scale(y, observed, start, period)
    return ModelFit(prep, point, rmse, sum_point, sum_rmse * fpe, alpha, scale, dof)


def _snaive_scale(
    y: FloatArray, observed: NDArray[np.bool_], start: NDArray[np.int64], period: int
) -> FloatArray:
    """In-sample MAE (original scale) of the seasonal naive method: mean |x_t - x_{t-period}| over the
    days where both are observed (NaN where there is no such pair)."""
    if y.shape[1] <= period:
        return np.full(y.shape[0], np.nan)
    x = np.expm1(y)
    both = observed[:, period:] & observed[:, :-period]
    return _masked_mean(np.abs(x[:, period:] - x[:, :-period]), both)
