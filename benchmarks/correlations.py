"""Correlation benchmark: every feature x metric test of 100k content items, vectorised vs a naive loop.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/correlations.py [--items 100000] [--features 15] [--metrics 6]

Times ``analyse_feature_metric_pairs`` (Pearson and Spearman for every pair, Fisher-z intervals,
BH across all tests, result objects) and, in the same run, a naive loop calling
``scipy.stats.pearsonr`` and ``spearmanr`` once per pair (pairwise-complete rows, then BH), and
prints seconds, peak RSS (VmHWM, reset between phases through /proc/self/clear_refs where the
kernel allows it) and the speed ratio.  Three features have missing values, so the vectorised
path also exercises its per-missingness-pattern blocks.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.memory import current_rss_mib, peak_rss_mib, reset_peak
from dagster_project.analytics.feature_metric_analysis import analyse_feature_metric_pairs
from dagster_project.analytics.multiple_testing import benjamini_hochberg

ALPHA = 0.05
REPEATS = 3
T = TypeVar("T")


def synthetic_items(items: int, features: int, metrics: int, seed: int) -> pd.DataFrame:
    """Continuous features of several shapes, lognormal metrics sharing a common factor."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for i in range(features):
        shape = i % 4
        if shape == 0:
            values = rng.normal(60, 15, items)
        elif shape == 1:
            values = rng.lognormal(4, 1, items)
        elif shape == 2:
            values = rng.poisson(4, items).astype(float)
        else:
            values = rng.uniform(0, 1, items)
        if i < 3:
            values[rng.random(items) < 0.05 * (i + 1)] = np.nan
        columns[f"feature_{i:02d}"] = values
    common = rng.normal(size=items)
    signal = 0.05 * np.nan_to_num(columns["feature_00"] - 60) / 15
    for j in range(metrics):
        columns[f"metric_{j}"] = np.exp(8 + 0.8 * common + 0.6 * rng.normal(size=items) + signal * (j + 1))
    return pd.DataFrame(columns)


def naive_loop(
    frame: pd.DataFrame, features: list[str], metrics: list[str]
) -> dict[tuple[str, str, str], float]:
    coefficients, p_values = {}, []
    for feature in features:
        x_all = frame[feature].to_numpy()
        for metric in metrics:
            y_all = frame[metric].to_numpy()
            keep = np.isfinite(x_all) & np.isfinite(y_all)
            x, y = x_all[keep], y_all[keep]
            pearson = stats.pearsonr(x, y)
            spearman = stats.spearmanr(x, y)
            coefficients[(feature, metric, "pearson")] = float(pearson.statistic)
            coefficients[(feature, metric, "spearman")] = float(spearman.statistic)
            p_values += [pearson.pvalue, spearman.pvalue]
    benjamini_hochberg(p_values)
    return coefficients


def timed(function: Callable[[], T], repeats: int) -> tuple[float, T]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=15)
    parser.add_argument("--metrics", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    frame = synthetic_items(args.items, args.features, args.metrics, args.seed)
    features = [c for c in frame.columns if c.startswith("feature_")]
    metrics = [c for c in frame.columns if c.startswith("metric_")]
    baseline = current_rss_mib()
    pairs = len(features) * len(metrics)
    print(f"items {args.items:,}  features {len(features)}  metrics {len(metrics)}  pairs {pairs}")
    print(f"rss after generating the data: {baseline:.0f} MiB")

    resettable = reset_peak()
    vector_seconds, analysis = timed(
        lambda: analyse_feature_metric_pairs(frame, features, metrics, alpha=ALPHA, min_sample_size=10),
        REPEATS,
    )
    vector_peak = peak_rss_mib()

    reset_peak()
    naive_seconds, naive = timed(lambda: naive_loop(frame, features, metrics), REPEATS)
    naive_peak = peak_rss_mib()

    differences = [
        abs((r.correlation_coefficient or 0.0) - naive[(r.feature, r.metric, r.method)])
        for r in analysis.correlations
    ]
    tests, significant = analysis.n_tests, analysis.n_significant
    peak_note = "" if resettable else " (VmHWM could not be reset: both peaks are process-wide)"
    print(
        f"vectorised (analyse_feature_metric_pairs): {vector_seconds:.3f} s median of {REPEATS}, "
        f"peak RSS {vector_peak:.0f} MiB (+{vector_peak - baseline:.0f} over the data){peak_note}"
    )
    print(
        f"naive scipy loop (pearsonr + spearmanr per pair): {naive_seconds:.3f} s median of {REPEATS}, "
        f"peak RSS {naive_peak:.0f} MiB (+{naive_peak - baseline:.0f} over the data)"
    )
    print(f"speed-up: naive / vectorised = {naive_seconds / vector_seconds:.1f}x")
    print(f"tests {tests}, BH-significant {significant}, max |r difference| vs scipy {max(differences):.2e}")


if __name__ == "__main__":
    main()
