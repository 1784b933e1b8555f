"""PELT change points: injected level shifts, stationary false-alarm rate, exactness, degenerate input."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.analytics.change_points import (
    detect_change_points,
    detect_series_change_points,
    pelt_mean,
    relative_size,
    robust_sigma,
)

ROWS, DAYS = 150, 90


def _optimal_partitioning(x: np.ndarray, penalty: float, min_size: int) -> list[int]:
    """Unpruned dynamic programme (Jackson et al. 2005): PELT must return the same segmentation."""
    n = x.size
    best = [-penalty] + [np.inf] * n
    previous = [0] * (n + 1)
    for end in range(min_size, n + 1):
        for start in range(0, end - min_size + 1):
            if best[start] == np.inf:
                continue
            segment = x[start:end]
            total = best[start] + float(((segment - segment.mean()) ** 2).sum()) + penalty
            if total < best[end]:
                best[end], previous[end] = total, start
    changes, position = [], n
    while position > 0:
        start = previous[position]
        if start > 0:
            changes.append(start)
        position = start
    return sorted(changes)


def test_pelt_equals_unpruned_optimal_partitioning() -> None:
    rng = np.random.default_rng(20)
    for _ in range(15):
        x = rng.normal(0, 1, 48) + np.repeat(rng.normal(0, 2, 4), 12)
        assert pelt_mean(x, 3.0, 3) == _optimal_partitioning(x, 3.0, 3)


def test_injected_level_shifts_found_within_three_days() -> None:
    rng = np.random.default_rng(21)
    data = 50 + rng.normal(0, 5, (ROWS, DAYS))
    where = rng.integers(15, DAYS - 15, ROWS)
    size = rng.uniform(2, 4, ROWS) * 5 * rng.choice([-1.0, 1.0], ROWS)
    for row in range(ROWS):
        data[row, where[row] :] += size[row]
    results = detect_change_points(data)
    found = [any(abs(c.index - p) <= 3 for c in r.change_points) for r, p in zip(results, where, strict=True)]
    assert np.mean(found) >= 0.8
    extra = sum(
        sum(abs(c.index - p) > 3 for c in r.change_points) for r, p in zip(results, where, strict=True)
    )
    assert extra / (ROWS * DAYS / 100) <= 1.0
    # sizes and levels are reported for the matched change
    first = next(c for c in results[0].change_points if abs(c.index - where[0]) <= 3)
    assert first.size == pytest.approx(first.level_after - first.level_before)
    assert first.size == pytest.approx(size[0], abs=0.5 * abs(size[0]))


def test_stationary_series_false_change_rate() -> None:
    rng = np.random.default_rng(22)
    data = 200 + rng.normal(0, 15, (ROWS, DAYS))
    results = detect_change_points(data)
    false_changes = sum(len(r.change_points) for r in results)
    assert false_changes / (ROWS * DAYS / 100) <= 1.0
    assert all(r.penalty is not None and r.penalty > 0 for r in results)


def test_robust_sigma_ignores_level_shift() -> None:
    rng = np.random.default_rng(23)
    x = np.r_[rng.normal(0, 2, 200), rng.normal(100, 2, 200)]
    assert robust_sigma(x) == pytest.approx(2.0, rel=0.15)
    assert np.std(x) > 40


def test_noiseless_step_is_found_exactly() -> None:
    series = np.r_[np.full(20, 10.0), np.full(20, 30.0)]
    result = detect_series_change_points(series)
    assert [(c.index, c.level_before, c.level_after, c.size) for c in result.change_points] == [
        (20, 10.0, 30.0, 20.0)
    ]
    assert result.change_points[0].relative_size == pytest.approx(2.0)


def test_gaps_report_original_positions() -> None:
    series = np.r_[np.full(20, 10.0), np.full(20, 30.0)]
    series[[2, 3, 4, 5]] = np.nan
    result = detect_series_change_points(series)
    assert [c.index for c in result.change_points] == [20]
    assert result.n_points == 36


def test_zero_level_has_no_relative_size() -> None:
    result = detect_series_change_points(np.r_[np.zeros(15), np.full(15, 4.0)])
    assert result.change_points[0].relative_size is None
    assert result.change_points[0].size == 4.0


@pytest.mark.parametrize(
    ("series", "insufficient"),
    [
        (np.zeros(40), False),
        (np.full(40, 3.0), False),
        (np.arange(6, dtype=float), True),
        (np.full(40, np.nan), True),
        (np.array([]), True),
    ],
    ids=["zeros", "constant", "too-short", "all-nan", "empty"],
)
def test_degenerate_series(series: np.ndarray, insufficient: bool) -> None:
    result = detect_series_change_points(series)
    assert result.change_points == ()
    assert result.insufficient_data is insufficient
    if insufficient:
        assert "needed" in result.insufficient_reason and result.penalty is None
    else:
        assert result.note == "constant series: no change"


def test_common_trend_avoids_a_staircase_and_keeps_the_shift() -> None:
    rng = np.random.default_rng(24)
    t = np.arange(DAYS, dtype=float)
    data = 100 + 2.0 * t + rng.normal(0, 5, (20, DAYS))
    data[:, 50:] += 40
    with_trend = detect_change_points(data, trend=True)
    without = detect_change_points(data)
    assert all(any(abs(c.index - 50) <= 3 for c in r.change_points) for r in with_trend)
    extra = sum(sum(abs(c.index - 50) > 3 for c in r.change_points) for r in with_trend)
    assert extra / (len(with_trend) * DAYS / 100) <= 1.0
    assert sum(len(r.change_points) for r in without) > 3 * len(without)
    first = next(c for c in with_trend[0].change_points if abs(c.index - 50) <= 3)
    assert first.size == pytest.approx(40, abs=10)
    assert first.level_before == pytest.approx(100 + 2.0 * first.index, abs=10)
    assert with_trend[0].trend_slope == pytest.approx(2.0, abs=0.15)
    assert with_trend[0].method == "pelt_mean_trend" and without[0].trend_slope is None


def test_rows_searched_together_equal_the_unpruned_optimum_per_row() -> None:
    """All rows' searches run as one masked programme: with gaps and different lengths per row, each
    row's change points must still be the unpruned optimal partitioning of its observed values."""
    rng = np.random.default_rng(25)
    data = rng.normal(0, 1, (40, 60)) + np.repeat(rng.normal(0, 2, (40, 5)), 12, axis=1)
    data[rng.random(data.shape) < 0.1] = np.nan
    data[3, 30:] = np.nan  # a much shorter row
    results = detect_change_points(data, min_size=3)
    for row, result in zip(data, results, strict=True):
        observed = row[np.isfinite(row)]
        positions = np.flatnonzero(np.isfinite(row))
        expected = [int(positions[i]) for i in _optimal_partitioning(observed, result.penalty, 3)]
        assert [c.index for c in result.change_points] == expected


def test_per_row_trend_flags_match_separate_calls() -> None:
    """``trend`` may be one flag per row; each row gets what a call with its own flag gives (a rising
    row with a shift keeps the shift and its slope, a flat one is searched without trend)."""
    rng = np.random.default_rng(26)
    t = np.arange(DAYS, dtype=float)
    data = 100 + rng.normal(0, 5, (6, DAYS))
    data[:3] += 2.0 * t
    data[:, 50:] += 40
    flags = np.array([True, True, True, False, False, False])
    together = detect_change_points(data, trend=flags)
    separate = [
        detect_series_change_points(row, trend=bool(flag)) for row, flag in zip(data, flags, strict=True)
    ]
    assert together == separate
    assert [r.method for r in together] == ["pelt_mean_trend"] * 3 + ["pelt_mean"] * 3
    assert all(r.trend_slope == pytest.approx(2.0, abs=0.15) for r in together[:3])
    assert all(any(abs(c.index - 50) <= 3 for c in r.change_points) for r in together)


def test_relative_size_is_undefined_from_a_zero_level_even_with_rounding_noise():
    assert relative_size(2.0, 3.0) == pytest.approx(0.5)
    assert relative_size(-2.0, -1.0) == pytest.approx(0.5)
    assert relative_size(0.0, 5.0) is None
    assert relative_size(1.3e-25, 5.0) is None  # a fitted zero level: once gave 3.7e25
