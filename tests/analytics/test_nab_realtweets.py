"""Our streaming detector on NAB realTweets, scored with NAB's standard profile, against NAB's
published reference detectors (their per-file raw scores, normalised with the same realTweets
S_null = -33 and S_perfect = +33), plus synthetic checks of the detector itself.

Measured when written (robust z gated at 3.5, anomaly likelihood of the half-hour mean of the raw-volume
|z|, four-week baseline): 79.30 at the default threshold 3.5, 82.88 at the best swept threshold (4.85:
one threshold for the corpus, as NAB chooses it for its reference detectors) and 82.71 with
leave-one-file-out thresholds. The swept and leave-one-out scores beat all 14 of NAB's reference
detectors on these files, ARTime (81.84) included; the default threshold beats all but ARTime. These
are scores on the files the design was chosen on (the detector's module docstring lists what was
tuned after seeing them); leave-one-out is honest about the threshold only. See
``benchmarks/nab_realtweets.py``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.nab_realtweets import load
from dagster_project.analytics.streaming_anomalies import (
    DEFAULT_PARAMETERS,
    alert_flags,
    anomaly_likelihood,
    detect_streaming_anomalies,
    streaming_scores,
)
from dagster_project.analytics.window_scoring import (
    CorpusScore,
    combine_file_scores,
    normalized_score,
    score_corpus,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nab_realtweets"
SWEEP = np.round(np.arange(2.0, 8.001, 0.05), 2)  # as in benchmarks/nab_realtweets.py
# the reference the a-priori threshold 3.5 does not beat on realTweets (normalised 81.84)
NOT_BEATEN_AT_DEFAULT = {"ARTime"}


@cache
def _corpus() -> tuple[list[str], np.ndarray, list[int], dict[str, np.ndarray]]:
    return load(FIXTURES)


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
    assert result.normalized is not None and result.normalized > 79.0  # measured 79.30
    assert result.true_positives >= 30  # measured 31 of 33 windows
    reference = _reference_normalised()
    for name, score in reference.items():
        if name not in NOT_BEATEN_AT_DEFAULT:
            assert result.normalized > score, name
    # the honest gap: without the corpus threshold sweep, ARTime stays ahead
    assert result.normalized < reference["ARTime"]


@cache
def _sweep() -> tuple[CorpusScore, ...]:
    return tuple(_score_at(float(t)) for t in SWEEP)


def test_swept_score_beats_every_reference_detector() -> None:
    """One threshold for the whole corpus, chosen by a sweep: how NAB sets its reference detectors'."""
    best = max(_sweep(), key=lambda r: r.raw_score)
    assert best.normalized is not None and best.normalized > 82.5  # measured 82.88 at threshold 4.85
    assert best.true_positives >= 31 and best.false_positives <= 35  # measured 31 of 33, 32
    reference = _reference_normalised()
    assert reference["ARTime"] == pytest.approx(81.84, abs=0.005)
    for name, score in reference.items():
        assert best.normalized > score, name


def test_leave_one_file_out_threshold_beats_every_reference_detector() -> None:
    """Each file scored at the sweep threshold that is best on the other nine files."""
    sweep = _sweep()
    per_file = np.array([[f.raw_score for f in result.files] for result in sweep])
    totals = per_file.sum(axis=1)
    held_out = [sweep[int(np.argmax(totals - per_file[:, k]))].files[k] for k in range(per_file.shape[1])]
    result = combine_file_scores(held_out, sweep[0].profile)
    assert result.normalized is not None and result.normalized > 82.0  # measured 82.71
    assert len(held_out) == 10
    for name, score in _reference_normalised().items():
        assert result.normalized > score, name


def test_scores_are_causal() -> None:
    """Changing the future must not change any past score."""
    values = _corpus()[1][:2].copy()
    cut = 9000
    before = streaming_scores(values)
    values[:, cut:] = values[:, cut:] * 7 + 1000
    after = streaming_scores(values)
    assert np.isfinite(before.scores[:, :cut]).sum() > 10_000
    for field in ("scores", "robust_z", "likelihood"):
        np.testing.assert_array_equal(getattr(before, field)[:, :cut], getattr(after, field)[:, :cut])


def test_anomaly_likelihood_standardises_by_the_earlier_scores_only() -> None:
    rng = np.random.default_rng(5)
    z = rng.standard_t(3, size=(2, 400))
    z[1, 50:60] = np.nan
    got = anomaly_likelihood(z, warmup=30)
    for row in range(2):
        for t in (10, 35, 120, 399):
            past = np.abs(z[row, :t])
            past = past[np.isfinite(past)]
            if past.size < 30:
                assert np.isnan(got[row, t])
                continue
            expected = max(0.0, (abs(z[row, t]) - past.mean()) / past.std(ddof=1))
            assert got[row, t] == pytest.approx(np.sign(z[row, t]) * expected, rel=1e-9, abs=1e-12)
    # a series whose surprises are all large: the same |z| is routine there, news in a quiet one
    quiet = np.concatenate([rng.normal(0, 1, 600), [8.0]])
    noisy = np.concatenate([rng.normal(0, 6, 600), [8.0]])
    both = anomaly_likelihood(np.stack([quiet, noisy]), warmup=288)[:, -1]
    assert both[0] > 5 and both[1] < 2


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
    """No anomaly at all: over 8 series x ~10 scored days the detector raises at most a handful of
    alerts (none when written; the one-week-baseline likelihood version 3; the robust z alone on the
    square-root scale 6; on log1p, whose residuals widen at night, 47; on raw counts 29)."""
    rng = np.random.default_rng(0)
    series = np.stack([_synthetic(rng) for _ in range(8)])
    alerts = sum(len(r.anomalies) for r in detect_streaming_anomalies(series))
    assert alerts <= 6


def test_moderate_bursts_are_found_early() -> None:
    """20 series, each with a 2-hour burst at twice the usual volume at a random time of day 10:
    18 found within 30 minutes of the start and 2 other alerts when written."""
    rng = np.random.default_rng(1)
    series, starts = [], []
    for _ in range(20):
        values = _synthetic(rng)
        start = 10 * 288 + int(rng.integers(0, 288))
        values[start : start + 24] *= 2.0
        series.append(values)
        starts.append(start)
    results = detect_streaming_anomalies(np.stack(series))
    found = other = 0
    for result, start in zip(results, starts, strict=True):
        hits = [a.index for a in result.anomalies if start <= a.index < start + 24]
        found += bool(hits) and hits[0] <= start + 6
        other += len(result.anomalies) - len(hits)
    assert found >= 17
    assert other <= 5


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
