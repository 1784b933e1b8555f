"""Trend benchmark: analyses + forecasts of 10k daily series x 90 days, vectorised vs a per-series loop.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/trends.py [--series 10000] [--days 90] [--baseline-series 300]

Generates daily counts with a fixed seed (negative binomial around levels from 10 to 100k per day,
weekly patterns, trends, level shifts, spikes and missing days; one more week is generated and held
out to score the forecasts), then times, in one process:

* ours: ``build_trend_analyses`` (Mann-Kendall/Sen trend, weekly STL + monthly seasonality, PELT
  change points, robust anomalies, volatility, result objects) and ``forecast_batch`` (seasonal
  naive / SES / Theta / damped trend, rolling-origin choice over 3 origins, intervals), all rows at
  once in one process;
* the baseline, one series at a time: statsmodels ``STL(period=7, robust=True)``, scipy
  ``kendalltau`` + ``theilslopes``, a numpy robust z-score on the STL remainder, the same
  ``monthly_seasonality`` and, since statsmodels has no PELT, the same PELT through
  ``detect_change_points`` on a 1-row matrix; statsmodels ``ExponentialSmoothing`` (SES and damped
  additive trend) and ``ThetaModel`` plus a seasonal naive, each refit at the same 3 backtest origins
  and at the end (log1p scale, weekly indices from ``seasonal_decompose`` where the lag-7
  autocorrelation test passes). It runs on a random subset and its per-series time is extrapolated.

Prints seconds and series/s per stage, peak RSS (VmHWM, reset between phases where the kernel
allows it), the extrapolated baseline and the ratio baseline/ours, and how far the two forecasts
agree (weekly totals, model choice, and accuracy on the held-out week).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.seasonal import STL, seasonal_decompose
from statsmodels.tsa.stattools import acf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.memory import current_rss_mib, peak_rss_mib, reset_peak
from dagster_project.analytics.change_points import detect_change_points
from dagster_project.analytics.forecast import BACKTEST_MIN_DAYS, forecast_batch
from dagster_project.analytics.forecast_models import MODELS, SEASONAL_CRITICAL, WEEK
from dagster_project.analytics.seasonality import monthly_seasonality
from dagster_project.analytics.trend_analysis import INSIGHT_PENALTY_FACTOR, build_trend_analyses

START = dt.date(2026, 1, 5)
HORIZON = WEEK
ORIGINS = 3
MIN_POINTS = 10
ROBUST_THRESHOLD = 3.5
MAD_TO_SD = 1.4826
T = TypeVar("T")


def synthetic_series(series: int, days: int, seed: int) -> NDArray[np.float64]:
    """Daily counts (series x days): negative binomial (Poisson-gamma, shape 20) around a log-uniform
    level of 10..100k with a weekly pattern; 30% trend, 20% shift level once, 10% have spikes, 10%
    miss a few days and 3% a run of 3-10 days (NaN)."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    level = 10 ** rng.uniform(1, 5, series)
    amplitude = rng.uniform(0.0, 0.4, series) * (rng.random(series) < 0.7)
    weekly = 1 + amplitude[:, None] * np.sin(2 * np.pi * (t[None, :] / WEEK + rng.random(series)[:, None]))
    growth = np.where(rng.random(series) < 0.3, rng.uniform(-0.015, 0.02, series), 0.0)
    mean = level[:, None] * weekly * np.exp(growth[:, None] * t[None, :])
    shifted = rng.random(series) < 0.2
    shift_day = rng.integers(days // 5, max(days * 4 // 5, days // 5 + 1), series)
    factor = np.exp(rng.uniform(np.log(0.5), np.log(2.0), series))
    mean *= np.where(shifted[:, None] & (t[None, :] >= shift_day[:, None]), factor[:, None], 1.0)
    spiky = np.flatnonzero(rng.random(series) < 0.1)
    for row in spiky:
        mean[row, rng.choice(days, rng.integers(1, 4), replace=False)] *= rng.uniform(3, 10)
    counts = rng.poisson(mean * rng.gamma(20.0, 1 / 20.0, mean.shape)).astype(float)
    for row in np.flatnonzero(rng.random(series) < 0.1):
        counts[row, rng.choice(days, rng.integers(1, 6), replace=False)] = np.nan
    for row in np.flatnonzero(rng.random(series) < 0.03):
        first = rng.integers(0, days - 10)
        counts[row, first : first + rng.integers(3, 11)] = np.nan
    return counts


# --- the per-series baseline --------------------------------------------------------------------


def _interpolated(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Linear interpolation over NaN (nearest value at the ends) and the observed mask."""
    seen = np.isfinite(values)
    t = np.arange(values.size)
    return np.interp(t, t[seen], values[seen]), seen


def baseline_analysis(values: NDArray[np.float64]) -> dict[str, float]:
    """Trend, weekly STL, monthly pattern, anomalies, change points and volatility of one series."""
    filled, seen = _interpolated(values)
    t = np.arange(values.size, dtype=float)
    stl = STL(filled, period=WEEK, robust=True).fit()
    tau = stats.kendalltau(t[seen], values[seen])
    sen = stats.theilslopes(values[seen], t[seen])
    remainder = (values - stl.seasonal - stl.trend)[seen]
    deviation = np.abs(remainder - np.median(remainder))
    scale = MAD_TO_SD * np.median(deviation) or 1.2533 * deviation.mean()
    scores = np.full(values.size, np.nan)
    if scale > 0:
        scores[seen] = (remainder - np.median(remainder)) / scale
    anomalous = np.abs(np.nan_to_num(scores)) >= ROBUST_THRESHOLD
    monthly_seasonality(values, START, min_points=MIN_POINTS)
    adjusted = np.where(anomalous, np.nan, values - stl.seasonal)
    trending = bool(tau.pvalue < 0.05)
    changes = detect_change_points(
        adjusted[None, :], penalty_factor=INSIGHT_PENALTY_FACTOR, min_points=MIN_POINTS, trend=trending
    )[0]
    observed = values[seen]
    return {
        "tau": float(tau.statistic),
        "p_value": float(tau.pvalue),
        "sen_slope": float(sen.slope),
        "anomalies": float(anomalous.sum()),
        "change_points": float(len(changes.change_points)),
        "cv": float(observed.std(ddof=1) / observed.mean()) if observed.mean() > 0 else float("nan"),
    }


def _weekly_indices(y: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """Additive weekday indices (seasonal_decompose) when the lag-7 autocorrelation test passes."""
    if y.size < 3 * WEEK or np.ptp(y) == 0:
        return None
    r = acf(y, nlags=WEEK, fft=False)
    bound = SEASONAL_CRITICAL * np.sqrt((1 + 2 * np.sum(r[1:WEEK] ** 2)) / y.size)
    if not abs(r[WEEK]) > bound:
        return None
    return seasonal_decompose(y, model="additive", period=WEEK).seasonal


def statsmodels_forecasts(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Forecasts of the next HORIZON days (models x days, log1p scale) by every model in ``MODELS``."""
    z, _ = _interpolated(np.log1p(np.clip(values, 0, None)))
    n = z.size
    seasonal = _weekly_indices(z)
    ahead = np.arange(n, n + HORIZON)
    if seasonal is None:
        deseasonalised, future = z, np.zeros(HORIZON)
    else:
        deseasonalised, future = z - seasonal, seasonal[n - WEEK + (ahead - n) % WEEK]
    snaive = z[n - WEEK + (ahead - n) % WEEK]
    ses = ExponentialSmoothing(deseasonalised, initialization_method="estimated").fit()
    damped = ExponentialSmoothing(
        deseasonalised, trend="add", damped_trend=True, initialization_method="estimated"
    ).fit()
    theta = ThetaModel(z, period=WEEK, deseasonalize=True, method="additive").fit()
    return np.stack(
        [
            snaive,
            ses.forecast(HORIZON) + future,
            np.asarray(theta.forecast(HORIZON)),
            damped.forecast(HORIZON) + future,
        ]
    )


def baseline_forecast(values: NDArray[np.float64]) -> tuple[str, float]:
    """Best model by the rolling-origin backtest (the origins of ``forecast_batch``) and its 7-day total."""
    n = values.size
    abs_sum, count = np.zeros(len(MODELS)), 0
    for j in range(ORIGINS, 0, -1):
        origin = n - WEEK * j
        if np.isfinite(values[:origin]).sum() < BACKTEST_MIN_DAYS:
            continue
        actual = values[origin : origin + WEEK]
        seen = np.isfinite(actual)
        points = np.expm1(statsmodels_forecasts(values[:origin]))
        abs_sum += np.abs(points[:, seen] - actual[seen]).sum(axis=1)
        count += int(seen.sum())
    chosen = int(np.argmin(abs_sum)) if count else MODELS.index("ses")
    final = np.clip(np.expm1(statsmodels_forecasts(values)), 0, None)
    return MODELS[chosen], float(final[chosen].sum())


# --- measurement ----------------------------------------------------------------------------------


def timed(function: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def _median_ape(estimate: NDArray[np.float64], truth: NDArray[np.float64]) -> float:
    keep = np.isfinite(estimate) & np.isfinite(truth) & (truth > 0)
    return float(np.median(np.abs(estimate[keep] - truth[keep]) / truth[keep]) * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--baseline-series", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1, help="processes for build_trend_analyses")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    full = synthetic_series(args.series, args.days + HORIZON, args.seed)
    matrix, held_out = full[:, : args.days], full[:, args.days :]
    matrix_mib = matrix.nbytes / 2**20
    rss_data = current_rss_mib()
    print(
        f"series {args.series:,}  days {args.days}  horizon {HORIZON}  backtest origins {ORIGINS}  "
        f"missing days {np.isnan(matrix).mean():.1%}  matrix {matrix_mib:.1f} MiB  "
        f"rss after generating the data {rss_data:.0f} MiB"
    )

    resettable = reset_peak()
    workers = args.workers if args.workers > 1 else None
    analyses_s, analyses = timed(
        lambda: build_trend_analyses(
            "views", START, matrix, min_points=MIN_POINTS, workers=workers, horizon=None
        )
    )
    analyses_peak = peak_rss_mib()
    rss_results = current_rss_mib()
    reset_peak()
    forecasts_s, batch = timed(lambda: forecast_batch(matrix, horizon=HORIZON, origins=ORIGINS))
    forecasts_peak = peak_rss_mib()
    ours_peak = max(analyses_peak, forecasts_peak)
    ours_s = analyses_s + forecasts_s

    rng = np.random.default_rng(args.seed + 1)
    subset = np.sort(rng.choice(args.series, min(args.baseline_series, args.series), replace=False))
    rss_before_baseline = current_rss_mib()
    reset_peak()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence and frequency warnings
        base_analyses_s, base_analyses = timed(lambda: [baseline_analysis(matrix[row]) for row in subset])
        base_forecasts_s, base_forecasts = timed(lambda: [baseline_forecast(matrix[row]) for row in subset])
    base_peak = peak_rss_mib()
    base_s = base_analyses_s + base_forecasts_s
    per_series_ms = 1000 * base_s / subset.size
    extrapolated_s = base_s / subset.size * args.series

    print()
    print(f"{'stage':<44}{'seconds':>10}{'series/s':>11}{'ms/series':>11}")
    rows = [
        ("ours: build_trend_analyses", analyses_s, args.series),
        ("ours: forecast_batch", forecasts_s, args.series),
        ("ours: total", ours_s, args.series),
        (f"baseline analyses ({subset.size} series, measured)", base_analyses_s, subset.size),
        (f"baseline forecasts ({subset.size} series, measured)", base_forecasts_s, subset.size),
        (f"baseline total ({subset.size} series, measured)", base_s, subset.size),
        (f"baseline total ({args.series:,} series, extrapolated)", extrapolated_s, args.series),
    ]
    for name, seconds, count in rows:
        print(f"{name:<44}{seconds:>10.2f}{count / seconds:>11,.0f}{1000 * seconds / count:>11.3f}")
    print()
    peak_note = "" if resettable else " (VmHWM could not be reset: every peak is process-wide)"
    print(
        f"peak RSS of the process during ours {ours_peak:.0f} MiB{peak_note}: build_trend_analyses "
        f"{analyses_peak:.0f} MiB (+{analyses_peak - rss_data:.0f} over the data; its {args.series:,} "
        f"result objects keep {rss_results - rss_data:.0f} MiB), forecast_batch {forecasts_peak:.0f} MiB "
        f"(+{forecasts_peak - rss_results:.0f} over what it started with)"
    )
    print(
        f"peak RSS during the baseline {base_peak:.0f} MiB "
        f"(+{base_peak - rss_before_baseline:.0f} over what it started with)"
    )
    print(
        f"baseline per series {per_series_ms:.1f} ms (analyses {1000 * base_analyses_s / subset.size:.1f}, "
        f"forecasts {1000 * base_forecasts_s / subset.size:.1f}); extrapolated to {args.series:,} series: "
        f"{extrapolated_s:.0f} s = {extrapolated_s / 60:.1f} min (measured on {subset.size} random series)"
    )
    print(
        f"ratio baseline/ours: total {extrapolated_s / ours_s:.0f}x, analyses "
        f"{base_analyses_s / subset.size * args.series / analyses_s:.0f}x, forecasts "
        f"{base_forecasts_s / subset.size * args.series / forecasts_s:.0f}x"
    )
    print(
        "note: statsmodels has no PELT, so the baseline calls the same PELT (detect_change_points) "
        "one series at a time; it also calls the same monthly_seasonality; it computes no forecast "
        "intervals and builds no result objects, so the ratio understates the work ours does"
    )

    ours_total = np.nansum(batch.median[subset], axis=1)
    ours_total[batch.model[subset] == "none"] = np.nan
    sm_total = np.array([total for _, total in base_forecasts])
    truth = np.nansum(held_out[subset], axis=1)
    truth[np.isnan(held_out[subset]).any(axis=1)] = np.nan
    same_model = np.mean(
        [batch.model[row] == model for row, (model, _) in zip(subset, base_forecasts, strict=True)]
    )
    ours_direction = np.array([a.trend.mann_kendall.tau or 0.0 for a in (analyses[row] for row in subset)])
    ours_p = np.array([a.trend.mann_kendall.p_value for a in (analyses[row] for row in subset)], dtype=float)
    base_tau = np.array([b["tau"] for b in base_analyses])
    base_p = np.array([b["p_value"] for b in base_analyses])
    significant_ours = np.where(ours_p < 0.05, np.sign(ours_direction), 0)
    significant_base = np.where(base_p < 0.05, np.sign(base_tau), 0)
    print()
    print(f"agreement on the {subset.size} baseline series:")
    print(
        f"  7-day total, ours vs statsmodels best-by-backtest: median |difference| "
        f"{_median_ape(ours_total, sm_total):.1f}% of statsmodels'; same model chosen {same_model:.0%}"
    )
    print(
        f"  7-day total vs the held-out week: median APE ours {_median_ape(ours_total, truth):.1f}%, "
        f"statsmodels {_median_ape(sm_total, truth):.1f}%"
    )
    print(
        f"  trend sign at p < 0.05, ours (Mann-Kendall before its autocorrelation correction) vs "
        f"kendalltau: {np.mean(significant_ours == significant_base):.0%} agree"
    )


if __name__ == "__main__":
    main()
