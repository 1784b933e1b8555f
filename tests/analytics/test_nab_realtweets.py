"""Our streaming detector on NAB realTweets, scored with NAB's standard profile, against NAB's
published reference detectors (their per-file raw scores, normalised with the same realTweets
S_null = -33 and S_perfect = +33), plus synthetic checks of the detector itself.

Measured when written: 69.50 at the default threshold 3.5, 72.16 at the best swept threshold (3.80).
Both beat 12 of NAB's 14 reference detectors on these files, not ARTime (81.84) nor CAD OSE
(74.48): see ``benchmarks/nab_realtweets.py`` and the detector's module docstring.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dagster_project.analytics.streaming_anomalies import (
    DEFAULT_PARAMETERS,
    alert_flags,
    detect_streaming_anomalies,
    streaming_scores,
)
from dagster_project.analytics.window_scoring import (
    CorpusScore,
    normalized_score,
    score_corpus,
    window_indices,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nab_realtweets"
SWEEP = np.round(np.arange(2.0, 8.001, 0.05), 2)  # as in benchmarks/nab_realtweets.py
# references our swept score does not beat on realTweets (normalised 81.84 and 74.48)
NOT_BEATEN = {"ARTime", "contextOSE"}


@cache
def _corpus() -> tuple[tuple[str, ...], np.ndarray, tuple[int, ...], dict[str, np.ndarray]]:
    windows = json.loads((FIXTURES / "combined_windows.json").read_text())
    names = tuple(windows)
    frames = [pd.read_csv(FIXTURES / name.split("/")[1]) for name in names]
    lengths = tuple(len(f) for f in frames)
    values = np.full((len(names), max(lengths)), np.nan)
    bounds = {}
    for row, (name, frame) in enumerate(zip(names, frames, strict=True)):
        values[row, : len(frame)] = frame["value"].to_numpy(dtype=float)
        bounds[name] = window_indices(pd.to_datetime(frame["timestamp"]).to_numpy(), windows[name])
    return names, values, lengths, bounds


@cache
def _scores() -> np.ndarray:
    return streaming_scores(_corpus()[1]).scores


def _score_at(threshold: float) -> CorpusScore:
    names, _, lengths, bounds = _corpus()
    flags = alert_flags(_scores(), threshold, DEFAULT_PARAMETERS.refractory, DEFAULT_PARAMETERS.direction)
    detections = {name: flags[row, :n] for row, (name, n) in enumerate(zip(names, lengths, strict=True))}
    return score_corpus(detections, bounds, "standard")


def _reference_normalised() -> dict[str, float]:
    reference = pd.read_csv(FIXTURES / "reference_standard_scores_realTweets.csv", keep_default_na=False)
    totals = reference.groupby("Detector")["Score"].sum()
    return {name: normalized_score(float(total), -33.0, 33.0) for name, total in totals.items()}


def test_reference_normalisation_matches_the_readme() -> None:
    reference = _reference_normalised()
    assert len(reference) == 15
    assert reference["null"] == pytest.approx(0.0, abs=1e-9)
    for name, published in {
        "ARTime": 81.84,
        "numenta": 68.02,
        "twitterADVec": 59.62,
        "windowedGaussian": 51.41,
    }.items():
        assert reference[name] == pytest.approx(published, abs=0.005)


def test_default_threshold_score() -> None:
    result = _score_at(DEFAULT_PARAMETERS.threshold)
    assert (result.null_score, result.perfect_score) == (-33.0, 33.0)
    assert result.normalized is not None and result.normalized > 69.0  # measured 69.50
    assert result.true_positives >= 30  # measured 31 of 33 windows
    reference = _reference_normalised()
    for name, score in reference.items():
        if name not in NOT_BEATEN:
            assert result.normalized > score, name


def test_swept_score_beats_the_reference_detectors_except_artime_and_cad_ose() -> None:
    best = max((_score_at(float(t)) for t in SWEEP), key=lambda r: r.raw_score)
    assert best.normalized is not None and best.normalized > 72.0  # measured 72.16 at threshold 3.80
    reference = _reference_normalised()
    for name, score in reference.items():
        if name not in NOT_BEATEN:
            assert best.normalized > score, name
    # the honest gap: the two best published detectors stay ahead on these files
    assert max(reference[name] for name in NOT_BEATEN) == pytest.approx(81.84, abs=0.005)


def test_scores_are_causal() -> None:
    """Changing the future must not change any past score."""
    values = _corpus()[1][:2].copy()
    cut = 9000
    before = streaming_scores(values).scores[:, :cut]
    values[:, cut:] = values[:, cut:] * 7 + 1000
    after = streaming_scores(values).scores[:, :cut]
    np.testing.assert_array_equal(before, after)


def _synthetic(rng: np.random.Generator, days: int = 14) -> np.ndarray:
    t = np.arange(days * 288)
    daily = 40 + 30 * np.sin(2 * np.pi * t / 288)
    return rng.poisson(daily).astype(float)


def test_injected_burst_is_alerted_once_and_early() -> None:
    rng = np.random.default_rng(3)
    values = _synthetic(rng)
    start = 10 * 288 + 100
    values[start : start + 24] *= 4  # two hours at four times the usual volume
    result = detect_streaming_anomalies(values)[0]
    assert not result.insufficient_data
    burst = [a for a in result.anomalies if start <= a.index < start + 24]
    assert len(burst) == 1
    assert burst[0].index <= start + 3 and burst[0].direction == "spike"
    assert burst[0].value > 2 * burst[0].expected
    others = [a for a in result.anomalies if not start <= a.index < start + 24]
    assert len(others) <= 2


def test_poisson_noise_around_a_daily_cycle_rarely_alerts() -> None:
    """No anomaly at all: over 8 series x ~12 scored days the square-root scale gives a handful of
    alerts (6 when written); log1p, whose residuals widen at night, gave 47."""
    rng = np.random.default_rng(0)
    series = np.stack([_synthetic(rng) for _ in range(8)])
    alerts = sum(len(r.anomalies) for r in detect_streaming_anomalies(series))
    assert alerts <= 10


def test_quiet_drop_is_a_drop() -> None:
    rng = np.random.default_rng(4)
    values = _synthetic(rng)
    start = 11 * 288 + 60  # the high part of the daily cycle
    values[start : start + 36] = 0
    result = detect_streaming_anomalies(values)[0]
    drops = [a for a in result.anomalies if start <= a.index < start + 36]
    assert len(drops) == 1 and drops[0].direction == "drop"


def test_too_short_series_is_insufficient() -> None:
    result = detect_streaming_anomalies(np.arange(200, dtype=float))[0]
    assert result.insufficient_data and result.anomalies == () and result.scored_points == 0
    assert "at least" in (result.insufficient_reason or "")
    flat = detect_streaming_anomalies(np.full(5 * 288, 7.0))[0]
    assert flat.insufficient_data and flat.anomalies == ()
    assert "no variation" in (flat.insufficient_reason or "")
