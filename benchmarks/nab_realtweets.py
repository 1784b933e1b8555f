"""NAB realTweets benchmark: our streaming detector vs NAB's published reference detectors.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/nab_realtweets.py [--data tests/fixtures/nab_realtweets]

Runs ``streaming_anomalies`` over the 10 Twitter-volume files of NAB's realTweets corpus and scores
its alerts with ``window_scoring`` (NAB's window-based scoring, standard profile). Prints our score at
the default threshold (fixed before the labels were looked at) and at the best threshold of a sweep on
the same files (what NAB does for its reference detectors, over its whole corpus), the
leave-one-file-out score (each file scored at the threshold that is best on the other 9: honest about
the threshold, not about the design choices made on these files), each reference detector's
realTweets raw total (sum of NAB's published per-file standard scores) normalised with the same
realTweets S_null and S_perfect, our per-file raw scores, and, for context only, NAB's whole-corpus
scoreboard (58 files: a different corpus, not comparable with the realTweets numbers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dagster_project.analytics.streaming_anomalies import DEFAULT_PARAMETERS, alert_flags, streaming_scores
from dagster_project.analytics.window_scoring import (
    CorpusScore,
    FileScore,
    combine_file_scores,
    normalized_score,
    score_corpus,
    window_indices,
)

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nab_realtweets"
SWEEP = np.round(np.arange(2.0, 8.001, 0.05), 2)
# NAB README scoreboard / results/final_results.json, standard profile, all 58 files (not realTweets)
WHOLE_CORPUS = {
    "Perfect": 100.0,
    "ARTime": 74.9,
    "Numenta HTM (v0.5.6)": 70.1,
    "CAD OSE": 69.9,
    "earthgecko Skyline": 58.2,
    "KNN CAD": 58.0,
    "Relative Entropy": 54.6,
    "Random Cut Forest": 51.7,
    "Twitter ADVec": 47.1,
    "Windowed Gaussian": 39.6,
    "Etsy Skyline": 35.7,
    "Bayesian Changepoint": 17.7,
    "EXPoSE": 16.4,
    "Random (seed mean)": 11.0,
    "Null": 0.0,
}


def load(data: Path) -> tuple[list[str], np.ndarray, list[int], dict[str, np.ndarray]]:
    windows = json.loads((data / "combined_windows.json").read_text())
    names = list(windows)
    frames = [pd.read_csv(data / name.split("/")[1]) for name in names]
    lengths = [len(frame) for frame in frames]
    values = np.full((len(names), max(lengths)), np.nan)
    bounds = {}
    for row, (name, frame) in enumerate(zip(names, frames, strict=True)):
        values[row, : len(frame)] = frame["value"].to_numpy(dtype=float)
        bounds[name] = window_indices(pd.to_datetime(frame["timestamp"]).to_numpy(), windows[name])
    return names, values, lengths, bounds


def score_threshold(
    scores: np.ndarray, threshold: float, names: list[str], lengths: list[int], bounds: dict[str, np.ndarray]
) -> CorpusScore:
    flags = alert_flags(scores, threshold, DEFAULT_PARAMETERS.refractory, DEFAULT_PARAMETERS.direction)
    detections = {name: flags[row, :n] for row, (name, n) in enumerate(zip(names, lengths, strict=True))}
    return score_corpus(detections, bounds, "standard")


def leave_one_out(
    scores: np.ndarray, names: list[str], lengths: list[int], bounds: dict[str, np.ndarray]
) -> tuple[CorpusScore, list[float]]:
    """Each file scored at the sweep threshold with the best raw total on the other files."""
    results = [score_threshold(scores, float(t), names, lengths, bounds) for t in SWEEP]
    per_file = np.array([[f.raw_score for f in r.files] for r in results])  # thresholds x files
    totals = per_file.sum(axis=1)
    files, chosen = [], []
    for k in range(len(names)):
        best = int(np.argmax(totals - per_file[:, k]))
        chosen.append(float(SWEEP[best]))
        files.append(results[best].files[k])
    return combine_file_scores(files, results[0].profile), chosen


def _file_line(result: FileScore) -> str:
    return (
        f"{result.raw_score:7.3f} (TP {result.true_positives}/{result.windows}, "
        f"FP {result.false_positives:3d})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    names, values, lengths, bounds = load(args.data)
    start = time.perf_counter()
    scores = streaming_scores(values).scores
    detect_seconds = time.perf_counter() - start
    start = time.perf_counter()
    default = score_threshold(scores, DEFAULT_PARAMETERS.threshold, names, lengths, bounds)
    sweep = [(float(t), score_threshold(scores, float(t), names, lengths, bounds)) for t in SWEEP]
    best_threshold, best = max(sweep, key=lambda item: item[1].raw_score)
    held_out, held_out_thresholds = leave_one_out(scores, names, lengths, bounds)
    sweep_seconds = time.perf_counter() - start
    null, perfect = default.null_score, default.perfect_score

    reference = pd.read_csv(
        args.data / "reference_standard_scores_realTweets.csv", keep_default_na=False
    )  # keep_default_na=False: the null detector is named "null"
    totals = reference.groupby("Detector").agg(raw=("Score", "sum"), threshold=("Threshold", "first"))

    rows = [
        ("ours, default threshold (a priori)", DEFAULT_PARAMETERS.threshold, default),
        ("ours, best swept threshold (same files)", best_threshold, best),
        ("ours, leave-one-file-out threshold", float(np.median(held_out_thresholds)), held_out),
    ]
    print(
        f"NAB realTweets, standard profile: {len(names)} files, {int(sum(lengths))} rows, "
        f"{sum(len(b) for b in bounds.values())} windows; S_null = {null:g}, S_perfect = {perfect:g}"
    )
    print(
        f"detector: {detect_seconds:.1f} s for all files; "
        f"{len(SWEEP)}-threshold sweep: {sweep_seconds:.1f} s\n"
    )
    print(f"{'detector':42s} {'threshold':>9s} {'raw':>8s} {'normalised':>10s} {'TP win':>6s} {'FP':>5s}")
    table = [
        (label, threshold, result.raw_score, result.normalized, result.true_positives, result.false_positives)
        for label, threshold, result in rows
    ]
    table += [
        (
            f"NAB {name}",
            float(row.threshold),
            float(row.raw),
            normalized_score(float(row.raw), null, perfect),
            None,
            None,
        )
        for name, row in totals.iterrows()
    ]
    for label, threshold, raw, normalised, tp, fp in sorted(table, key=lambda r: -r[2]):
        counts = f"{tp:6d} {fp:5d}" if tp is not None else f"{'':6s} {'':5s}"
        print(f"{label:42s} {threshold:9.4f} {raw:8.3f} {normalised:10.2f} {counts}")

    beaten = [name for name, row in totals.iterrows() if best.raw_score > row.raw]
    print(
        f"\nswept score beats {len(beaten)} of {len(totals)} reference rows (null included); "
        f"not beaten: {', '.join(n for n in totals.index if n not in beaten) or 'none'}"
    )

    print(
        f"leave-one-file-out thresholds (median shown above): {min(held_out_thresholds):g} to "
        f"{max(held_out_thresholds):g}"
    )

    print("\nours per file (raw standard score; default threshold | swept threshold | leave-one-out):")
    for at_default, at_best, out, t in zip(
        default.files, best.files, held_out.files, held_out_thresholds, strict=True
    ):
        short = at_default.name.split("/")[-1]
        print(f"  {short:28s} {_file_line(at_default)} | {_file_line(at_best)} | {_file_line(out)} @ {t:g}")

    print(
        "\nfor context only - NAB's WHOLE 58-file corpus (a different corpus; not comparable to the above):"
    )
    for name, value in WHOLE_CORPUS.items():
        print(f"  {name:22s} {value:5.1f}")


if __name__ == "__main__":
    main()
