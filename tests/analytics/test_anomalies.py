"""Anomaly detection on synthetic daily deltas with injected spikes and drops."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from dagster_project.analytics.anomalies import (
    anomaly_scores,
    detect_anomalies,
    detect_series_anomalies,
    nanmedian_rows,
)

WEEKLY = np.array([1.0, 1.1, 1.15, 1.1, 1.0, 0.6, 0.55])


def _weekly_series(rng: np.random.Generator, rows: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    level = rng.uniform(100, 1000, size=(rows, 1))
    sd = 0.08 * level
    base = level * WEEKLY[np.arange(n) % 7]
    return base + rng.normal(0, 1, size=(rows, n)) * sd, sd


def _precision_recall(results: list, truth: list[set[int]]) -> tuple[float, float]:
    found = [{a.index for a in r.anomalies} for r in results]
    true_positive = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    flagged = sum(len(f) for f in found)
    actual = sum(len(t) for t in truth)
    return true_positive / max(flagged, 1), true_positive / actual


def _inject(rng: np.random.Generator, data: np.ndarray, sd: np.ndarray) -> list[set[int]]:
    truth: list[set[int]] = []
    for row in range(data.shape[0]):
        days = set(rng.choice(data.shape[1], size=3, replace=False).tolist())
        for day in days:
            size = rng.uniform(5, 10) * sd[row, 0] * rng.choice([-1.0, 1.0])
            data[row, day] += size
        truth.append(days)
    return truth


def test_injected_spikes_and_drops_recall_and_precision() -> None:
    rng = np.random.default_rng(10)
    data, sd = _weekly_series(rng, 200, 90)
    truth = _inject(rng, data, sd)
    results = detect_anomalies(data)
    precision, recall = _precision_recall(results, truth)
    assert recall >= 0.8
    assert precision >= 0.8
    assert all(r.seasonally_adjusted for r in results)


def test_seasonal_adjustment_beats_plain_zscore_on_weekly_data() -> None:
    rng = np.random.default_rng(11)
    data, sd = _weekly_series(rng, 100, 84)
    truth = _inject(rng, data, sd)
    robust = _precision_recall(detect_anomalies(data), truth)
    plain = _precision_recall(detect_anomalies(data, method="zscore"), truth)
    assert robust[1] > plain[1]


def test_anomaly_fields_expected_direction_threshold() -> None:
    rng = np.random.default_rng(12)
    data, sd = _weekly_series(rng, 1, 56)
    series = data[0]
    series[20] += 12 * sd[0, 0]
    series[30] -= 12 * sd[0, 0]
    result = detect_series_anomalies(series)
    by_day = {a.index: a for a in result.anomalies}
    assert by_day[20].direction == "spike" and by_day[30].direction == "drop"
    assert by_day[20].score >= 3.5 and by_day[30].score <= -3.5
    assert by_day[20].threshold == 3.5 == result.threshold
    # the expected value carries the weekday pattern of that day
    level = sd[0, 0] / 0.08
    assert by_day[20].expected == pytest.approx(level * WEEKLY[20 % 7], abs=sd[0, 0])
    assert by_day[30].expected == pytest.approx(level * WEEKLY[30 % 7], abs=sd[0, 0])
    assert by_day[20].value - by_day[20].expected > 8 * sd[0, 0]


def test_plain_zscore_is_the_seed_formula() -> None:
    series = np.r_[np.full(20, 10.0), 10.5, 9.5, 50.0]
    result = detect_series_anomalies(series, method="zscore")
    z = (series - series.mean()) / series.std(ddof=1)
    assert [a.index for a in result.anomalies] == list(np.flatnonzero(np.abs(z) >= 3))
    assert result.anomalies[0].score == pytest.approx(z[-1])
    assert result.seasonally_adjusted is False
    assert result.center == pytest.approx(series.mean())


def test_mad_zero_falls_back_to_mean_absolute_deviation() -> None:
    series = np.zeros(30)
    series[12] = 40.0
    result = detect_series_anomalies(series)
    assert [a.index for a in result.anomalies] == [12]
    assert result.scale is not None and result.scale > 0


@pytest.mark.parametrize(
    ("series", "insufficient"),
    [
        (np.zeros(30), False),
        (np.full(30, 5.0), False),
        (np.arange(4, dtype=float), True),
        (np.full(30, np.nan), True),
        (np.array([]), True),
    ],
    ids=["zeros", "constant", "too-short", "all-nan", "empty"],
)
def test_degenerate_series(series: np.ndarray, insufficient: bool) -> None:
    result = detect_series_anomalies(series)
    assert result.anomalies == ()
    assert result.insufficient_data is insufficient
    if insufficient:
        assert "needed" in result.insufficient_reason
    else:
        assert result.note is not None and "no variation" in result.note
        assert result.scale is None


def test_nan_gaps_are_skipped_not_flagged() -> None:
    rng = np.random.default_rng(13)
    data, _ = _weekly_series(rng, 1, 42)
    series = data[0]
    series[[3, 4, 17]] = np.nan
    scores = anomaly_scores(series)
    assert np.isnan(scores.scores[0, [3, 4, 17]]).all()
    result = detect_series_anomalies(series)
    assert all(math.isfinite(a.score) and a.index not in {3, 4, 17} for a in result.anomalies)


def test_short_series_is_not_seasonally_adjusted_and_says_so() -> None:
    series = np.r_[np.linspace(10, 12, 11), 40.0]
    result = detect_series_anomalies(series)
    assert result.seasonally_adjusted is False
    assert result.note is not None and "not seasonally adjusted" in result.note
    assert [a.index for a in result.anomalies] == [11]


def test_growing_series_does_not_flag_its_latest_days() -> None:
    rng = np.random.default_rng(14)
    data, sd = _weekly_series(rng, 100, 90)
    data *= 1 + 1.0 * np.arange(90) / 89  # doubles over the window
    truth = _inject(rng, data, 2 * sd)  # the noise grows with the level, so do the injected sizes
    precision, recall = _precision_recall(detect_anomalies(data), truth)
    undetrended = _precision_recall(detect_anomalies(data, detrend=False), truth)
    assert recall >= 0.8 and precision >= 0.8
    assert precision > undetrended[0] or recall > undetrended[1]


def test_unknown_method_raises() -> None:
    with pytest.raises(ValueError, match="unknown anomaly method"):
        detect_anomalies(np.ones(20), method="iqr")  # type: ignore[arg-type]


def test_nanmedian_rows_equals_numpy_nanmedian() -> None:
    rng = np.random.default_rng(36)
    for width in (0, 1, 2, 7, 13, 90):
        x = np.round(rng.normal(50, 20, (40, width)), 1)  # ties included
        x[rng.random(x.shape) < 0.3] = np.nan
        if width:
            x[0] = np.nan
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(x, axis=1) if width else np.full(40, np.nan)
        assert np.array_equal(nanmedian_rows(x), expected, equal_nan=True)


def test_small_counts_are_judged_against_poisson_noise():
    """1, 1, 2, 1, ...: the MAD is 0, so without ``counts`` a 2 looks like a huge spike."""
    series = np.ones(35)
    series[[5, 20]] = 2.0
    assert detect_anomalies(series, counts=False)[0].anomalies
    assert detect_anomalies(series, counts=True)[0].anomalies == ()


def test_counts_keep_the_false_alarm_rate_low_on_poisson_series():
    rng = np.random.default_rng(11)
    weekly = np.array([1.0, 1.0, 1.1, 1.2, 1.0, 0.7, 0.6])
    levels = rng.choice([0.5, 2.0, 5.0, 20.0, 200.0], size=400)
    series = rng.poisson(levels[:, None] * np.tile(weekly, 7)[None, :]).astype(float)
    flagged = {
        counts: sum(len(r.anomalies) for r in detect_anomalies(series, counts=counts)) / series.size
        for counts in (False, True)
    }
    assert flagged[True] < 0.005 < flagged[False], flagged
