"""Frozen result types of the time-series statistics (trend, anomalies, change points, volatility).

They mirror the pieces of the seed's ``TrendAnalysis`` (overall_direction, strength, change_points,
statistical_metrics incl. r_squared). Numbers are ``None`` (never NaN) when a statistic could not be
computed; such results carry ``insufficient_data=True`` and a human-readable ``insufficient_reason``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # forecast.py builds on this module
    from dagster_project.analytics.forecast import ForecastResult

TrendDirection = Literal["rising", "falling", "stable", "cyclical", "insufficient_data"]
TrendStrength = Literal["negligible", "weak", "moderate", "strong", "insufficient data"]
VarianceCorrection = Literal["ar1", "hamed_rao", "none"]


class _Insufficiency:
    """``insufficient_data`` derived from ``insufficient_reason`` (set when no number is given)."""

    insufficient_reason: str | None

    @property
    def insufficient_data(self) -> bool:
        return self.insufficient_reason is not None


@dataclass(frozen=True)
class MannKendallResult(_Insufficiency):
    """Mann-Kendall test (ties-corrected variance, continuity-corrected z) with Sen's slope.

    ``s``, ``var_s``, ``z``, ``p_value`` and ``tau`` are the original test on the non-missing points
    (re-indexed); ``var_s_corrected``, ``z_corrected`` and ``p_value_corrected`` apply the
    autocorrelation correction named by ``correction`` (``variance_factor`` is its n/n*).
    Sen's slope is per time step on the original positions, with a ``confidence`` interval.
    """

    n: int
    s: float | None
    var_s: float | None
    z: float | None
    p_value: float | None
    tau: float | None
    sen_slope: float | None
    sen_intercept: float | None
    slope_ci_low: float | None
    slope_ci_high: float | None
    confidence: float
    correction: VarianceCorrection
    variance_factor: float | None
    var_s_corrected: float | None
    z_corrected: float | None
    p_value_corrected: float | None
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class TrendResult(_Insufficiency):
    """Direction and strength of one series' trend.

    ``relative_change`` is Sen's slope times the span of the series divided by its mean absolute
    level (the fraction the level moved over the window); ``r_squared`` is of an OLS line on time.
    ``note`` explains special cases that are still findings (e.g. a constant series is stable).
    """

    n_points: int
    overall_direction: TrendDirection
    strength: TrendStrength
    slope: float | None
    slope_ci_low: float | None
    slope_ci_high: float | None
    level: float | None
    relative_change: float | None
    r_squared: float | None
    p_value: float | None
    significance_level: float
    mann_kendall: MannKendallResult
    note: str | None = None
    insufficient_reason: str | None = None

    @property
    def statistical_metrics(self) -> dict[str, float]:
        """The seed's ``statistical_metrics``: only the numbers that exist (no NaN, no None)."""
        mk = self.mann_kendall
        values = {
            "slope": self.slope,
            "slope_ci_low": self.slope_ci_low,
            "slope_ci_high": self.slope_ci_high,
            "relative_change": self.relative_change,
            "r_squared": self.r_squared,
            "p_value": self.p_value,
            "mann_kendall_s": mk.s,
            "mann_kendall_z": mk.z_corrected,
            "kendall_tau": mk.tau,
            "variance_factor": mk.variance_factor,
        }
        return {key: float(value) for key, value in values.items() if value is not None}


AnomalyMethod = Literal["robust_zscore", "zscore"]
AnomalyDirection = Literal["spike", "drop"]


@dataclass(frozen=True)
class Anomaly:
    """One unusual day: its value, the value expected for that day, the score and the threshold used."""

    index: int
    value: float
    expected: float
    score: float
    direction: AnomalyDirection
    threshold: float


@dataclass(frozen=True)
class AnomalyResult(_Insufficiency):
    """Anomalies of one series of daily deltas.

    ``center`` and ``scale`` are of the (seasonally adjusted, when ``seasonally_adjusted``) values:
    median and 1.4826·MAD for the robust score, mean and standard deviation for the plain z-score.
    """

    n_points: int
    method: AnomalyMethod
    threshold: float
    seasonally_adjusted: bool
    center: float | None
    scale: float | None
    anomalies: tuple[Anomaly, ...]
    note: str | None = None
    insufficient_reason: str | None = None


@dataclass(frozen=True)
class ChangePoint:
    """A level shift: ``index`` is the first day of the new level (original position, gaps counted)."""

    index: int
    level_before: float
    level_after: float
    size: float
    relative_size: float | None


@dataclass(frozen=True)
class ChangePointResult(_Insufficiency):
    """Change points of one series: PELT on a change in mean with the penalty it was run with.

    With a common linear trend (``method`` "pelt_mean_trend") the levels are those of the fitted
    piecewise model on the day of the change and ``trend_slope`` is the within-segment slope per day.
    """

    n_points: int
    method: str
    penalty: float | None
    sigma: float | None
    change_points: tuple[ChangePoint, ...]
    note: str | None = None
    insufficient_reason: str | None = None
    trend_slope: float | None = None


VolatilityLabel = Literal["consistent", "variable", "erratic", "insufficient_data"]


@dataclass(frozen=True)
class VolatilityResult(_Insufficiency):
    """Dispersion of one series of daily deltas.

    ``coefficient_of_variation`` is sd / mean over the whole window; the rolling figures summarise
    the coefficient of variation (and sd) in windows of ``rolling_window`` days.
    """

    n_points: int
    mean: float | None
    std: float | None
    coefficient_of_variation: float | None
    rolling_window: int
    rolling_cv_median: float | None
    rolling_cv_max: float | None
    rolling_std_median: float | None
    label: VolatilityLabel
    note: str | None = None
    insufficient_reason: str | None = None


SeasonalityKind = Literal["weekly", "monthly", "hour_of_day", "periodic"]


@dataclass(frozen=True)
class SeasonalityResult(_Insufficiency):
    """Seasonality of one series at one period: ``kind`` says which cycle.

    ``strength`` is Wang, Smith & Hyndman's F_s = max(0, 1 - Var(R) / Var(S + R)) in [0, 1].
    Weekly (or other fixed ``period``) results come from an STL decomposition of a daily series;
    ``profile`` is the mean seasonal component per phase, Monday first when the first day's weekday
    was given (then ``peak_weekday``/``trough_weekday`` are named), otherwise from the first day.
    Monthly results (``period`` 31) profile the calendar day of the month (phase 0 = day 1) and
    hour-of-day results (``period`` 24) the hour (phase 0 = 00:00), both from a least-squares fit with
    ``p_value`` the F-test of equal phase effects. ``peak_label``/``trough_label`` name the peak and
    trough phases in words ("Wednesday", "day 2 of the month", "14:00") whenever they are known.
    """

    n_points: int
    period: int
    strength: float | None
    is_seasonal: bool
    profile: tuple[float, ...]
    peak_phase: int | None
    trough_phase: int | None
    peak_weekday: str | None
    trough_weekday: str | None
    amplitude: float | None
    note: str | None = None
    insufficient_reason: str | None = None
    kind: SeasonalityKind = "weekly"
    peak_label: str | None = None
    trough_label: str | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class TrendPoint:
    """One day of the analysed series with its Sen trend-line value and anomaly score (if scored)."""

    date: dt.date
    value: float | None
    trend_value: float | None
    anomaly_score: float | None


@dataclass(frozen=True)
class TrendAnalysis:
    """The seed's TrendAnalysis of one metric (seed fields first, tuples instead of lists), then the
    full results it was built from. ``predictions`` lists the ``forecast`` by date (empty when no
    forecast was asked for or the series is too short for one).
    ``seasonality_patterns`` holds every period that could be assessed: weekly first, then monthly."""

    metric_name: str
    time_period: tuple[dt.date, dt.date]
    overall_direction: TrendDirection
    strength: TrendStrength
    trend_points: tuple[TrendPoint, ...]
    seasonality_patterns: tuple[SeasonalityResult, ...]
    change_points: tuple[ChangePoint, ...]
    predictions: tuple[Mapping[str, object], ...]
    key_insights: tuple[str, ...]
    statistical_metrics: Mapping[str, float]
    trend: TrendResult
    anomalies: AnomalyResult
    volatility: VolatilityResult
    change_point_result: ChangePointResult
    forecast: ForecastResult | None = None
