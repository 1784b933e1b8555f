"""Window-based scoring of streaming anomaly detections, after the Numenta Anomaly Benchmark (NAB).

NAB (Lavin & Ahmad 2015; Ahmad et al. 2017, Neurocomputing) does not match detections to single
labelled timestamps: each labelled anomaly gets a window of rows around it, and a binary detection
(a row whose anomaly score reached the detector's threshold) is worth

* inside a window, only the **earliest** detection counts; at relative position
  ``p = -(right - i + 1) / width`` (``width = right - left + 1`` rows, so ``p = -1`` at the left
  edge and just below 0 at the right edge) it earns ``tp_weight * S(p) / S(-1)``, where
  ``S(p) = 2 / (1 + exp(5p)) - 1`` is NAB's scaled sigmoid (``S(-1) ≈ 0.98661``). The division
  by ``S(-1)`` is NAB's own normalisation: a detection at a window's left edge earns exactly
  ``tp_weight``, half-way through ``0.848 / 0.987 · tp_weight``, at the right edge about 0;
  later detections in the same window are neither rewarded nor penalised;
* a window with no detection costs ``-fn_weight``;
* a detection outside every window costs ``fp_weight * S(q)`` (negative), with ``q = (i - right')
  / (width' - 1)`` its distance after the preceding window (``right'``, ``width'``), so a false
  alarm just after a window costs little and one ``width'`` or more after costs about
  ``-fp_weight``; from ``q >= 3`` (or before the first window) it costs exactly ``-fp_weight``.

The first ``min(floor(0.15·n), 750)`` rows of each file are probationary (the detector may learn
there): detections in them are ignored, and a window lying wholly in them is not scored.

Application profiles are NAB's ``config/profiles.json``: standard (TP 1, FP 0.11, FN 1),
reward_low_FP_rate (FP 0.22) and reward_low_FN_rate (FN 2). A corpus score is normalised as
``100 · (S - S_null) / (S_perfect - S_null)``: the null detector (no detections) scores
``-fn_weight`` per window, the perfect one (each window detected at its first scorable row)
``tp_weight`` per window, so 0 is "as good as never alerting" and 100 is perfect.

Windows are given as row indices (``window_indices`` maps NAB's timestamp bounds to rows: the first
row at or after the start and the last row at or before the end), sorted, non-overlapping,
inclusive. Everything here is written from NAB's published description of the algorithm; no NAB code
is included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

PROBATION_FRACTION = 0.15
PROBATION_CAP_ROWS = 5000  # NAB caps the probationary period at fraction * 5000 rows (750)
FP_SATURATION = 3.0  # relative distance after a window from which a false positive costs -fp_weight


@dataclass(frozen=True)
class CostProfile:
    """Weights of one NAB application profile (all positive; FP and FN enter the score negatively)."""

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


PROFILES: dict[str, CostProfile] = {
    "standard": CostProfile("standard", 1.0, 0.11, 1.0),
    "reward_low_FP_rate": CostProfile("reward_low_FP_rate", 1.0, 0.22, 1.0),
    "reward_low_FN_rate": CostProfile("reward_low_FN_rate", 1.0, 0.11, 2.0),
}


@dataclass(frozen=True)
class FileScore:
    """Raw (unnormalised) score of one file.

    ``true_positives`` are windows with at least one detection, ``false_negatives`` scored windows
    without one, ``false_positives`` scorable detections outside every window;
    ``detections_in_windows`` counts detected rows inside windows (NAB's per-row "TP" column).
    ``window_scores`` is each scored window's contribution (its earliest detection's reward, or
    ``-fn_weight``); ``false_positive_cost`` the (negative) sum over false positives.
    ``null_score`` and ``perfect_score`` are this file's baselines under the same profile.
    """

    name: str
    n_rows: int
    probationary_rows: int
    windows: int
    raw_score: float
    true_positives: int
    false_negatives: int
    false_positives: int
    detections_in_windows: int
    window_scores: tuple[float, ...]
    false_positive_cost: float
    null_score: float
    perfect_score: float


@dataclass(frozen=True)
class CorpusScore:
    """Raw and normalised score of a set of files under one profile.

    ``normalized`` is ``None`` (with ``insufficient_reason``) when no window is scored, since
    S_perfect = S_null then."""

    profile: CostProfile
    files: tuple[FileScore, ...]
    raw_score: float
    null_score: float
    perfect_score: float
    normalized: float | None
    true_positives: int
    false_negatives: int
    false_positives: int
    insufficient_reason: str | None = None

    @property
    def insufficient_data(self) -> bool:
        return self.insufficient_reason is not None


def scaled_sigmoid(position: ArrayLike) -> NDArray[np.float64]:
    """NAB's ``2·sigmoid(-5·p) - 1``, exactly -1 from ``p >= 3``: +0.98661 at p = -1, 0 at p = 0."""
    p = np.asarray(position, dtype=float)
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * p)) - 1.0
    return np.where(p >= FP_SATURATION, -1.0, value)


def probationary_length(n_rows: int, fraction: float = PROBATION_FRACTION) -> int:
    """Rows at the start of a file that are not scored: ``min(floor(fraction·n), fraction·5000)``."""
    return int(min(np.floor(fraction * n_rows), fraction * PROBATION_CAP_ROWS))


def normalized_score(raw: float, null: float, perfect: float) -> float | None:
    """``100 · (raw - null) / (perfect - null)``; ``None`` when perfect equals null."""
    if perfect == null:
        return None
    return 100.0 * (raw - null) / (perfect - null)


def window_indices(timestamps: ArrayLike, windows: Sequence[tuple[object, object]]) -> NDArray[np.int64]:
    """``(k, 2)`` inclusive row bounds of windows given as ``(start, end)`` times.

    ``timestamps`` must be sorted; anything ``numpy.datetime64`` understands works as a bound
    (NAB's ``'2015-03-03 04:37:53.000000'`` strings included). A window covering no row is dropped."""
    times = np.asarray(timestamps).astype("datetime64[ns]")
    bounds = []
    for start, end in windows:
        left = int(np.searchsorted(times, np.datetime64(str(start).replace(" ", "T"), "ns"), side="left"))
        right = int(np.searchsorted(times, np.datetime64(str(end).replace(" ", "T"), "ns"), side="right")) - 1
        if left <= right:
            bounds.append((left, right))
    return np.asarray(bounds, dtype=np.int64).reshape(-1, 2)


def _checked_windows(windows: ArrayLike, n_rows: int) -> NDArray[np.int64]:
    bounds = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    if bounds.size and (
        (bounds[:, 0] > bounds[:, 1]).any()
        or bounds.min() < 0
        or bounds.max() >= n_rows
        or (bounds[1:, 0] <= bounds[:-1, 1]).any()
    ):
        raise ValueError("windows must be sorted, non-overlapping, inclusive row ranges inside the file")
    return bounds


def row_rewards(
    n_rows: int, windows: ArrayLike, profile: CostProfile = PROFILES["standard"]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """What a detection at each row would be worth, and the row's window (-1 outside every window).

    Inside a window: ``tp_weight · S(p) / S(-1)``; outside: ``fp_weight · S(q)`` (negative)."""
    bounds = _checked_windows(windows, n_rows)
    rows = np.arange(n_rows)
    reward = np.full(n_rows, -profile.fp_weight)
    window_of_row = np.full(n_rows, -1, dtype=np.int64)
    if not len(bounds):
        return reward, window_of_row
    left, right = bounds[:, 0], bounds[:, 1]
    width = (right - left + 1).astype(float)
    # the last window starting at or before each row; the row is inside it unless past its right edge
    last = np.searchsorted(left, rows, side="right") - 1
    has_window = last >= 0
    inside = has_window & (rows <= right[np.maximum(last, 0)])
    k = last[inside]
    position = -(right[k] - rows[inside] + 1) / width[k]
    reward[inside] = profile.tp_weight * scaled_sigmoid(position) / scaled_sigmoid(-1.0)
    window_of_row[inside] = k
    after = has_window & ~inside
    k = last[after]
    # a one-row window has width - 1 = 0: the distance is then infinite, i.e. a full false positive
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = (rows[after] - right[k]) / (width[k] - 1.0)
    reward[after] = profile.fp_weight * scaled_sigmoid(np.where(np.isfinite(distance), distance, np.inf))
    return reward, window_of_row


def score_file(
    detections: ArrayLike,
    windows: ArrayLike,
    profile: CostProfile = PROFILES["standard"],
    name: str = "",
    probation_fraction: float = PROBATION_FRACTION,
) -> FileScore:
    """Raw NAB score of one file's binary ``detections`` (one bool per row) against row ``windows``."""
    detected = np.asarray(detections, dtype=bool)
    if detected.ndim != 1:
        raise ValueError("detections must be 1-D: one flag per row")
    n = detected.size
    bounds = _checked_windows(windows, n)
    probation = probationary_length(n, probation_fraction)
    reward, window_of_row = row_rewards(n, bounds, profile)
    scorable = np.arange(n) >= probation
    scored_windows = np.flatnonzero(bounds[:, 1] >= probation) if len(bounds) else np.zeros(0, np.int64)
    hits = np.flatnonzero(detected & scorable)
    in_window = window_of_row[hits] >= 0
    fp_rows = hits[~in_window]
    window_scores = np.full(len(bounds), -profile.fn_weight)
    tp_rows = hits[in_window]
    # rewards fall monotonically through a window, so the earliest detection has the largest one
    np.maximum.at(window_scores, window_of_row[tp_rows], reward[tp_rows])
    window_scores = window_scores[scored_windows]
    detected_windows = np.isin(scored_windows, window_of_row[tp_rows])
    fp_cost = float(reward[fp_rows].sum())
    return FileScore(
        name=name,
        n_rows=n,
        probationary_rows=probation,
        windows=len(scored_windows),
        raw_score=float(window_scores.sum()) + fp_cost,
        true_positives=int(detected_windows.sum()),
        false_negatives=int((~detected_windows).sum()),
        false_positives=int(fp_rows.size),
        detections_in_windows=int(tp_rows.size),
        window_scores=tuple(float(s) for s in window_scores),
        false_positive_cost=fp_cost,
        null_score=-profile.fn_weight * len(scored_windows),
        perfect_score=profile.tp_weight * len(scored_windows),
    )


def combine_file_scores(files: Sequence[FileScore], profile: CostProfile) -> CorpusScore:
    """Corpus totals and the normalised score of already-scored files (all under ``profile``)."""
    raw = float(sum(f.raw_score for f in files))
    null = float(sum(f.null_score for f in files))
    perfect = float(sum(f.perfect_score for f in files))
    normalized = normalized_score(raw, null, perfect)
    reason = None if normalized is not None else "no scored window: the normalised score is undefined"
    return CorpusScore(
        profile=profile,
        files=tuple(files),
        raw_score=raw,
        null_score=null,
        perfect_score=perfect,
        normalized=normalized,
        true_positives=sum(f.true_positives for f in files),
        false_negatives=sum(f.false_negatives for f in files),
        false_positives=sum(f.false_positives for f in files),
        insufficient_reason=reason,
    )


def score_corpus(
    detections: Mapping[str, ArrayLike],
    windows: Mapping[str, ArrayLike],
    profile: CostProfile | str = "standard",
    probation_fraction: float = PROBATION_FRACTION,
) -> CorpusScore:
    """Score every file of ``detections`` (name -> bool per row) against its row ``windows``
    (name -> ``(k, 2)`` bounds; a file without an entry has no window)."""
    chosen = PROFILES[profile] if isinstance(profile, str) else profile
    files = [
        score_file(flags, windows.get(name, np.zeros((0, 2), np.int64)), chosen, name, probation_fraction)
        for name, flags in detections.items()
    ]
    return combine_file_scores(files, chosen)
