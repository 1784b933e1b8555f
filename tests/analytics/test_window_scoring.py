"""NAB window scoring: known answers on hand-made cases and NAB's published realTweets numbers.

Hand-made files have 2000 rows, so the probationary period is min(floor(0.15·2000), 750) = 300 rows;
the expected values are computed here from NAB's formula with ``math`` (2·sigmoid(-5p) - 1, its
documented values 0.98661 at p = -1 and 0.84828 at p = -0.5), not with the module's functions.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dagster_project.analytics.window_scoring import (
    PROFILES,
    CostProfile,
    probationary_length,
    scaled_sigmoid,
    score_corpus,
    score_file,
    window_indices,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nab_realtweets"
N = 2000
WINDOW = (500, 599)  # 100 rows
SIGMA_LEFT = 2 / (1 + math.exp(-5)) - 1  # NAB: 0.98661


def _flags(*rows: int, n: int = N) -> np.ndarray:
    flags = np.zeros(n, dtype=bool)
    flags[list(rows)] = True
    return flags


def test_scaled_sigmoid_matches_nab_documented_values() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert scaled_sigmoid(0.0) == pytest.approx(0.0, abs=1e-12)
    assert scaled_sigmoid(1.0) == pytest.approx(-0.98661, abs=1e-5)
    assert scaled_sigmoid(3.0) == -1.0
    assert scaled_sigmoid(2.999) == pytest.approx(2 / (1 + math.exp(5 * 2.999)) - 1)


def test_probationary_length() -> None:
    assert probationary_length(2000) == 300
    assert probationary_length(15902) == 750  # capped at 0.15 * 5000
    assert probationary_length(10) == 1


def test_null_detector_costs_fn_weight_per_window() -> None:
    score = score_file(np.zeros(N, bool), [WINDOW, (1200, 1299)])
    assert score.raw_score == -2.0
    assert (score.true_positives, score.false_negatives, score.false_positives) == (0, 2, 0)
    low_fn = score_file(np.zeros(N, bool), [WINDOW, (1200, 1299)], PROFILES["reward_low_FN_rate"])
    assert low_fn.raw_score == -4.0


def test_detection_at_left_edge_earns_the_full_tp_weight() -> None:
    # S(-1) = 0.98661 at the left edge; NAB divides by it, so the reward is exactly tp_weight
    assert score_file(_flags(500), [WINDOW]).raw_score == pytest.approx(1.0)
    double_tp = CostProfile("double", 2.0, 0.11, 1.0)
    assert score_file(_flags(500), [WINDOW], double_tp).raw_score == pytest.approx(2.0)


def test_detection_half_way_and_at_right_edge() -> None:
    # row 550: p = -(599 - 550 + 1) / 100 = -0.5
    half = score_file(_flags(550), [WINDOW]).raw_score
    assert half == pytest.approx((2 / (1 + math.exp(-2.5)) - 1) / SIGMA_LEFT)
    assert half == pytest.approx(0.84828 / 0.98661, abs=1e-5)
    # right edge: p = -1/100, a small positive reward
    right = score_file(_flags(599), [WINDOW]).raw_score
    assert right == pytest.approx((2 / (1 + math.exp(-0.05)) - 1) / SIGMA_LEFT)
    assert 0 < right < 0.03


def test_only_the_earliest_detection_in_a_window_counts() -> None:
    alone = score_file(_flags(520), [WINDOW])
    several = score_file(_flags(520, 540, 590, 599), [WINDOW])
    assert several.raw_score == pytest.approx(alone.raw_score)
    assert several.detections_in_windows == 4 and several.true_positives == 1


def test_false_positives() -> None:
    # before the first window and far after it: -fp_weight each
    assert score_file(_flags(400), [WINDOW]).raw_score == pytest.approx(-1 - 0.11)
    far = score_file(_flags(1500, 1700), [WINDOW])
    assert far.raw_score == pytest.approx(-1 - 0.22)
    assert far.false_positives == 2 and far.false_positive_cost == pytest.approx(-0.22)
    # right after the window: distance (600 - 599) / (100 - 1), a small cost
    near = score_file(_flags(600), [WINDOW]).raw_score
    assert near == pytest.approx(-1 + 0.11 * (2 / (1 + math.exp(5 / 99)) - 1))
    assert -1.005 < near < -1
    # one window width after: S(100/99) ≈ -0.987
    later = score_file(_flags(699), [WINDOW]).raw_score
    assert later == pytest.approx(-1 + 0.11 * (2 / (1 + math.exp(500 / 99)) - 1))
    low_fp = score_file(_flags(1500), [WINDOW], PROFILES["reward_low_FP_rate"]).raw_score
    assert low_fp == pytest.approx(-1.22)


def test_probationary_rows_are_ignored() -> None:
    # a detection at row 100 (probationary) costs nothing; a window inside the probation is not scored
    score = score_file(_flags(100, 250), [(200, 260), WINDOW])
    assert score.raw_score == -1.0
    assert (score.windows, score.false_positives, score.true_positives) == (1, 0, 0)
    assert score.null_score == -1.0 and score.perfect_score == 1.0


def test_normalisation_gives_zero_for_null_and_hundred_for_perfect() -> None:
    windows = {"a": np.array([WINDOW, (1200, 1299)]), "b": np.array([(900, 999)])}
    null = score_corpus({"a": np.zeros(N, bool), "b": np.zeros(N, bool)}, windows)
    perfect = score_corpus({"a": _flags(500, 1200), "b": _flags(900)}, windows)
    assert (null.raw_score, null.null_score, null.perfect_score) == (-3.0, -3.0, 3.0)
    assert null.normalized == pytest.approx(0.0)
    assert perfect.normalized == pytest.approx(100.0)
    half = score_corpus({"a": _flags(500, 1200), "b": _flags(1500)}, windows)  # 1 + 1 - 1 - 0.11
    assert half.normalized == pytest.approx(100 * (0.89 + 3) / 6)
    empty = score_corpus({"a": np.zeros(N, bool)}, {})
    assert empty.normalized is None and empty.insufficient_data


def test_invalid_windows_are_rejected() -> None:
    with pytest.raises(ValueError):
        score_file(np.zeros(N, bool), [(600, 500)])
    with pytest.raises(ValueError):
        score_file(np.zeros(N, bool), [(500, 700), (650, 800)])


def _realtweets() -> tuple[dict[str, int], dict[str, np.ndarray]]:
    windows = json.loads((FIXTURES / "combined_windows.json").read_text())
    lengths, bounds = {}, {}
    for name, limits in windows.items():
        frame = pd.read_csv(FIXTURES / name.split("/")[1])
        lengths[name] = len(frame)
        bounds[name] = window_indices(pd.to_datetime(frame["timestamp"]).to_numpy(), limits)
    return lengths, bounds


def _reference() -> pd.DataFrame:
    # keep_default_na=False: the null detector is named "null", which pandas would read as missing
    return pd.read_csv(FIXTURES / "reference_standard_scores_realTweets.csv", keep_default_na=False)


def test_realtweets_windows_and_probation_match_nab_published_counts() -> None:
    """NAB's per-file results count every scorable row (TP + TN + FP + FN = n - probation) and every
    in-window row (TP + FN); our windows and probation must give the same counts for every row."""
    lengths, bounds = _realtweets()
    reference = _reference()
    assert len(reference) == 150
    for row in reference.itertuples():
        n = lengths[row.File]
        assert n - probationary_length(n) == row.TP + row.TN + row.FP + row.FN
        window_rows = int((bounds[row.File][:, 1] - bounds[row.File][:, 0] + 1).sum())
        assert window_rows == row.TP + row.FN


def test_realtweets_null_detector_total_is_minus_33_like_nab() -> None:
    lengths, bounds = _realtweets()
    null = score_corpus({name: np.zeros(n, bool) for name, n in lengths.items()}, bounds)
    assert sum(len(b) for b in bounds.values()) == 33
    assert null.raw_score == -33.0 and null.null_score == -33.0 and null.perfect_score == 33.0
    reference = _reference()
    published_null = reference[reference["Detector"] == "null"].set_index("File")["Score"]
    assert published_null.sum() == pytest.approx(-33.0)
    for file_score in null.files:
        assert file_score.raw_score == pytest.approx(published_null[file_score.name])
