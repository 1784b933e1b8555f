"""Mann-Kendall / Sen's slope against the published reference, and trend classes on synthetic series."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dagster_project.analytics.trend import (
    analyze_trend,
    classify_trends,
    mann_kendall,
    mann_kendall_arrays,
    mark_cyclical,
)
from tests.analytics.reference import items

REFERENCE = items()["mann_kendall_sen_slope_360"]
REFERENCE_X = [math.nan if value is None else value for value in REFERENCE["inputs"]["x"]]
FIELDS = {
    "s": "s",
    "var_s": "var_s",
    "z": "z",
    "p_value": "p_value",
    "Tau": "tau",
    "sen_slope": "sen_slope",
    "sen_intercept": "sen_intercept",
}


def _ar1(rng: np.random.Generator, rows: int, n: int, phi: float, sd: float) -> np.ndarray:
    noise = rng.normal(0.0, sd * math.sqrt(1 - phi**2), size=(rows, n))
    out = np.empty_like(noise)
    out[:, 0] = rng.normal(0.0, sd, size=rows)
    for t in range(1, n):
        out[:, t] = phi * out[:, t - 1] + noise[:, t]
    return out


@pytest.mark.parametrize(
    "check", REFERENCE["checks"], ids=lambda c: f"{c['quantity']}-{c['recomputed_with']}"
)
def test_original_test_matches_reference(check: dict) -> None:
    result = mann_kendall(REFERENCE_X, correction="none")
    value = getattr(result, FIELDS[check["quantity"]])
    assert value == pytest.approx(check["source_value"], rel=1e-9, abs=1e-6)


def test_reference_counts_and_categorical() -> None:
    result = mann_kendall(REFERENCE_X, correction="none")
    assert result.n == REFERENCE["inputs"]["n"] - REFERENCE["inputs"]["n_missing"]
    assert (result.p_value < 0.05) is REFERENCE["expected_categorical"]["h"]
    assert result.slope_ci_low <= result.sen_slope <= result.slope_ci_high


@pytest.mark.parametrize("correction", ["ar1", "hamed_rao"])
def test_reference_corrected_stays_not_significant(correction: str) -> None:
    """The weekly cycle would shrink Hamed-Rao's variance; the conservative corrections never do."""
    corrected = mann_kendall(REFERENCE_X, correction=correction)  # type: ignore[arg-type]
    original = mann_kendall(REFERENCE_X, correction="none")
    assert corrected.s == original.s and corrected.sen_slope == original.sen_slope
    assert corrected.variance_factor is not None and corrected.variance_factor >= 1.0
    assert corrected.p_value_corrected >= original.p_value
    assert corrected.p_value_corrected > 0.05
    assert analyze_trend(REFERENCE_X).overall_direction == "stable"


def test_batch_rows_equal_single_series() -> None:
    rng = np.random.default_rng(1)
    data = rng.poisson(20, size=(7, 60)).astype(float) + np.arange(60) * rng.uniform(-0.3, 0.3, (7, 1))
    data[2, [3, 10, 11]] = np.nan
    batch = mann_kendall_arrays(data)
    for row in range(data.shape[0]):
        single = mann_kendall(data[row])
        assert single.s == batch.s[row]
        assert single.z_corrected == pytest.approx(batch.z_corrected[row])
        assert single.sen_slope == pytest.approx(batch.sen_slope[row])


@pytest.mark.parametrize("correction", ["ar1", "hamed_rao"])
def test_corrections_inflate_variance_under_positive_autocorrelation(correction: str) -> None:
    rng = np.random.default_rng(2)
    series = 100 + _ar1(rng, 40, 90, phi=0.8, sd=10)
    batch = mann_kendall_arrays(series, correction=correction)  # type: ignore[arg-type]
    assert np.median(batch.variance_factor) > 1.5
    assert np.all(batch.var_s_corrected >= batch.var_s)


def test_ar1_correction_keeps_nominal_size_on_autocorrelated_noise() -> None:
    rng = np.random.default_rng(7)
    noise = 100 + _ar1(rng, 600, 90, phi=0.5, sd=10)
    size = {
        c: np.mean(mann_kendall_arrays(noise, correction=c).p_value_corrected < 0.05) for c in ("ar1", "none")
    }
    assert size["ar1"] <= 0.08
    assert size["none"] > 0.15  # the uncorrected test is badly over-sized, so the check has teeth


def test_unknown_correction_raises() -> None:
    with pytest.raises(ValueError, match="unknown variance correction"):
        mann_kendall_arrays(np.arange(20.0), correction="bootstrap")  # type: ignore[arg-type]


def test_trend_class_accuracy_with_noise_and_ar1() -> None:
    rng = np.random.default_rng(3)
    n, per_class = 90, 100
    t = np.arange(n)
    level = rng.uniform(50, 500, size=(3 * per_class, 1))
    noise = _ar1(rng, 3 * per_class, n, phi=0.5, sd=1.0) * 0.1 * level
    change = rng.uniform(0.3, 0.8, size=(per_class, 1))  # fraction of the level over the window
    rising = level[:per_class] * (1 + change * t / (n - 1))
    falling = level[per_class : 2 * per_class] * (1 - change * t / (n - 1))
    stable = np.broadcast_to(level[2 * per_class :], (per_class, n))
    data = np.vstack([rising, falling, stable]) + noise
    truth = ["rising"] * per_class + ["falling"] * per_class + ["stable"] * per_class
    results = classify_trends(data)
    predicted = [r.overall_direction for r in results]
    accuracy = np.mean([p == q for p, q in zip(predicted, truth, strict=True)])
    assert accuracy >= 0.9
    stable_calls = [p for p, q in zip(predicted, truth, strict=True) if q == "stable"]
    assert stable_calls.count("stable") / per_class >= 0.88
    strong = [r for r, q in zip(results, truth, strict=True) if q != "stable" and r.overall_direction == q]
    assert all(r.r_squared is not None and 0 <= r.r_squared <= 1 for r in strong)
    assert {r.strength for r in strong} <= {"weak", "moderate", "strong"}


def test_strength_grows_with_clean_large_trend() -> None:
    t = np.arange(60, dtype=float)
    rng = np.random.default_rng(4)
    steep = analyze_trend(100 + 2.0 * t + rng.normal(0, 3, 60))
    assert steep.overall_direction == "rising"
    assert steep.strength == "strong"
    assert steep.relative_change > 0.5
    assert steep.slope_ci_low <= steep.slope <= steep.slope_ci_high
    assert steep.slope == pytest.approx(2.0, abs=0.2)
    assert "r_squared" in steep.statistical_metrics


@pytest.mark.parametrize(
    ("series", "direction", "insufficient"),
    [
        (np.zeros(30), "stable", False),
        (np.full(30, 7.0), "stable", False),
        (np.arange(5, dtype=float), "insufficient_data", True),
        (np.array([]), "insufficient_data", True),
        (np.full(30, np.nan), "insufficient_data", True),
        (np.r_[np.full(25, np.nan), 1.0, 2.0, 3.0], "insufficient_data", True),
    ],
    ids=["zeros", "constant", "too-short", "empty", "all-nan", "mostly-nan"],
)
def test_degenerate_series_give_clear_results(series: np.ndarray, direction: str, insufficient: bool) -> None:
    result = analyze_trend(series)
    assert result.overall_direction == direction
    assert result.insufficient_data is insufficient
    for value in result.statistical_metrics.values():
        assert math.isfinite(value)
    if insufficient:
        assert result.insufficient_reason and "needed" in result.insufficient_reason
        assert result.slope is None and result.p_value is None
    else:
        assert result.note is not None
        assert result.p_value == 1.0


def test_nan_gaps_keep_original_positions() -> None:
    t = np.arange(40, dtype=float)
    series = 10 + 0.5 * t
    series[[5, 6, 20]] = np.nan
    result = analyze_trend(series)
    assert result.overall_direction == "rising"
    assert result.slope == pytest.approx(0.5)
    assert result.mann_kendall.n == 37


def test_mark_cyclical_only_relabels_stable() -> None:
    rng = np.random.default_rng(5)
    stable = analyze_trend(100 + rng.normal(0, 5, 60))
    rising = analyze_trend(100 + np.arange(60) * 3.0)
    assert mark_cyclical(stable, 0.9).overall_direction == "cyclical"
    assert mark_cyclical(stable, 0.2).overall_direction == "stable"
    assert mark_cyclical(stable, None).overall_direction == "stable"
    assert mark_cyclical(rising, 0.9).overall_direction == "rising"


def test_batch_null_rejection_rate_on_independent_counts() -> None:
    rng = np.random.default_rng(6)
    data = rng.poisson(50, size=(2000, 90)).astype(float)
    batch = mann_kendall_arrays(data)
    assert batch.s.shape == (2000,)
    assert np.all(np.isfinite(batch.p_value_corrected))
    # Under the null, about 5% of independent series reject at 0.05.
    assert np.mean(batch.p_value_corrected < 0.05) < 0.08


def test_sen_interval_coverage_under_autocorrelation() -> None:
    rng = np.random.default_rng(8)
    t = np.arange(90)
    data = 100 + 0.5 * t + _ar1(rng, 400, 90, phi=0.5, sd=10)
    covered = {}
    for correction in ("ar1", "none"):
        batch = mann_kendall_arrays(data, correction=correction)  # type: ignore[arg-type]
        covered[correction] = np.mean((batch.slope_ci_low <= 0.5) & (batch.slope_ci_high >= 0.5))
    assert 0.90 <= covered["ar1"] <= 0.99
    assert covered["none"] < 0.85  # the uncorrected interval is too narrow


def test_mann_kendall_too_few_points() -> None:
    result = mann_kendall([1.0, 2.0])
    assert result.insufficient_data
    assert result.s is None and result.sen_slope is None
    assert result.insufficient_reason == "2 non-missing points, at least 3 needed"
