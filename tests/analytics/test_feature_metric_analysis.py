"""The all-pairs runner: planted effects found, FDR held on null data, degenerate input explained."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dagster_project.analytics.correlation import pearson, point_biserial, spearman
from dagster_project.analytics.feature_metric_analysis import analyse_feature_metric_pairs, feature_kind
from dagster_project.analytics.multiple_testing import benjamini_hochberg
from dagster_project.analytics.results import FeatureMetricAnalysis

ALPHA = 0.05
CONTINUOUS = [f"c{i}" for i in range(10)]
BINARY = ["b0", "b1", "b2"]
CATEGORICAL = ["k0", "k1"]
FEATURES = CONTINUOUS + BINARY + CATEGORICAL
METRICS = [f"m{i}" for i in range(6)]
# (feature, metric, sign) planted on the log scale of lognormal metrics
PLANTED = [
    ("c0", "m0", 1), ("c1", "m1", -1), ("c2", "m2", 1), ("c3", "m3", -1), ("c4", "m5", 1),
    ("b0", "m0", 1), ("b1", "m4", -1),
]  # fmt: skip
K0_EFFECTS = {"a": 0.0, "b": 0.5, "c": -0.3}  # k0 -> m5


def _features(rng: np.random.Generator, n: int) -> pd.DataFrame:
    frame = pd.DataFrame({f: rng.normal(size=n) for f in CONTINUOUS})
    frame["c9"] = rng.poisson(3, n)  # a count feature
    frame["b0"] = rng.random(n) < 0.4
    frame["b1"] = rng.integers(0, 2, n)
    frame["b2"] = rng.random(n) < 0.2
    frame["k0"] = rng.choice(list(K0_EFFECTS), n)
    frame["k1"] = rng.choice(["news", "howto", "review", "vlog"], n)
    return frame


def _metrics(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    """Lognormal metrics that move together (views, likes, shares ... correlate in real data)."""
    common = rng.normal(size=(n, 1))
    return 8 + np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.normal(size=(n, len(METRICS)))


def planted_frame(rng: np.random.Generator, n: int = 300) -> pd.DataFrame:
    frame = _features(rng, n)
    log_metrics = _metrics(rng, n, 0.5)
    for feature, metric, sign in PLANTED:
        size = 0.35 if feature.startswith("c") else 0.7
        log_metrics[:, METRICS.index(metric)] += sign * size * frame[feature].to_numpy(dtype=float)
    log_metrics[:, METRICS.index("m5")] += frame["k0"].map(K0_EFFECTS).to_numpy()
    return frame.assign(**{m: np.exp(log_metrics[:, j]) for j, m in enumerate(METRICS)})


def null_frame(rng: np.random.Generator, n: int = 200) -> pd.DataFrame:
    frame = _features(rng, n)
    log_metrics = _metrics(rng, n, 0.8)
    return frame.assign(**{m: np.exp(log_metrics[:, j]) for j, m in enumerate(METRICS)})


def run(frame: pd.DataFrame, min_sample_size: int = 10, **kwargs: Any) -> FeatureMetricAnalysis:
    return analyse_feature_metric_pairs(
        frame, FEATURES, METRICS, alpha=ALPHA, min_sample_size=min_sample_size, **kwargs
    )


def _all_results(analysis: FeatureMetricAnalysis) -> list[Any]:
    return [*analysis.correlations, *analysis.group_comparisons]


def _numbers(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [x for field in dataclasses.fields(value) for x in _numbers(getattr(value, field.name))]
    if isinstance(value, tuple):
        return [x for item in value for x in _numbers(item)]
    return []


def test_planted_effects_are_found_with_the_right_sign() -> None:
    rng = np.random.default_rng(20240601)
    for _ in range(10):
        analysis = run(planted_frame(rng))
        planted_results: list[Any] = []
        for feature, metric, sign in PLANTED:
            rows = [r for r in analysis.correlations if (r.feature, r.metric) == (feature, metric)]
            assert len(rows) == (2 if feature.startswith("c") else 1)
            for row in rows:
                assert row.correlation_coefficient is not None
                assert np.sign(row.correlation_coefficient) == sign, row.interpretation
            planted_results += rows
        groups = [g for g in analysis.group_comparisons if (g.feature, g.metric) == ("k0", "m5")]
        assert {g.method for g in groups} == {"welch_anova", "kruskal"}
        means = {level.level: level.mean for level in groups[0].levels}
        assert means["b"] > means["a"] > means["c"]  # type: ignore[operator]
        planted_results += groups
        share = np.mean([r.is_significant for r in planted_results])
        assert share >= 0.8, [r.interpretation for r in planted_results if not r.is_significant]


def test_average_false_discovery_proportion_on_200_null_data_sets() -> None:
    """Global null: FDP is 1 when anything is declared significant, so this is BH's FWER here.

    For this design (metrics correlated at 0.8, 15 features x 6 metrics, 162 tests per data set)
    a 2,000-run study of the same generator put it at about 0.037; 200 runs have a Monte Carlo
    SE of about 0.013, so this fixed-seed check has roughly a one-SE margin.
    """
    rng = np.random.default_rng(0)
    fdp = []
    for _ in range(200):
        analysis = run(null_frame(rng))
        assert analysis.n_tests == 162
        fdp.append(1.0 if analysis.n_significant else 0.0)
    assert np.mean(fdp) <= ALPHA


def test_runner_cells_equal_the_single_pair_functions() -> None:
    frame = planted_frame(np.random.default_rng(1))
    frame.loc[frame.index[:40], "c0"] = np.nan
    analysis = run(frame)
    for row in analysis.correlations:
        if row.feature not in ("c0", "c9", "b0") or row.metric != "m0":
            continue
        single = {"pearson": pearson, "spearman": spearman, "point_biserial": point_biserial}[row.method]
        expected = single(frame[row.feature].to_numpy(dtype=float), frame["m0"].to_numpy())
        assert row.sample_size == expected.sample_size
        assert row.correlation_coefficient == pytest.approx(expected.coefficient, abs=1e-12)
        assert row.p_value == pytest.approx(expected.p_value, rel=1e-9)
        assert row.confidence_interval == pytest.approx((expected.ci_low, expected.ci_high), abs=1e-12)
    assert {r.sample_size for r in analysis.correlations if r.feature == "c0"} == {260}


def test_bh_is_applied_once_across_every_test_of_the_run() -> None:
    analysis = run(planted_frame(np.random.default_rng(2)), continuous_methods=("pearson",))
    tested = [r for r in _all_results(analysis) if not r.insufficient_data]
    assert len(tested) == analysis.n_tests == 10 * 6 + 3 * 6 + 2 * 6 * 2
    expected = benjamini_hochberg([r.p_value for r in tested])
    np.testing.assert_allclose([r.adjusted_p_value for r in tested], expected, rtol=1e-12)
    assert analysis.n_significant == sum(r.adjusted_p_value <= ALPHA for r in tested)
    assert all(r.is_significant == (r.adjusted_p_value <= ALPHA) for r in tested)


def test_equal_variance_option_uses_classic_anova() -> None:
    analysis = run(planted_frame(np.random.default_rng(3)), equal_variances=True)
    assert {g.method for g in analysis.group_comparisons} == {"anova", "kruskal"}
    assert all(g.effect_size_name == "eta_squared" for g in analysis.group_comparisons if g.method == "anova")


def degenerate_frame() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    n = 40
    frame = _features(rng, n).assign(**{m: rng.lognormal(size=n) for m in METRICS})
    frame["c1"] = 3.0  # constant feature
    frame["c2"] = np.nan  # nothing observed
    frame.loc[frame.index[5:], "c3"] = np.nan  # 5 observed < minimum 10
    frame["c4"] = np.where(rng.random(n) < 0.5, np.inf, frame["c4"])  # infinities count as missing
    frame["b2"] = True  # single value of a binary feature
    frame["k1"] = "news"  # one category
    frame.loc[frame.index[0], "k0"] = "rare"  # a level below the minimum level size
    frame["m1"] = np.nan  # metric never observed
    frame["m2"] = "high"  # non-numeric metric
    frame["m3"] = 7.0  # constant metric
    return frame


def test_degenerate_input_gives_clear_results_and_no_nan() -> None:
    frame = degenerate_frame()
    analysis = run(frame)
    reasons: dict[tuple[str, str], str] = {}
    for result in _all_results(analysis):
        numbers = _numbers(result)
        assert all(math.isfinite(x) for x in numbers), result
        if result.insufficient_data:
            assert result.insufficient_reason
            assert result.p_value is None and result.adjusted_p_value is None and not result.is_significant
            assert result.strength == "insufficient data"
            assert result.interpretation.startswith("insufficient data")
            reasons[(result.feature, result.metric)] = result.insufficient_reason
        else:
            assert result.p_value is not None and result.adjusted_p_value is not None
    assert reasons[("c1", "m0")] == "c1 is constant over the 40 items with both values"
    assert reasons[("c2", "m0")] == "only 0 items have both c2 and m0; at least 10 are needed"
    assert reasons[("c3", "m0")] == "only 5 items have both c3 and m0; at least 10 are needed"
    assert reasons[("b2", "m0")] == "b2 takes a single value over the 40 items with both values"
    assert "1 level(s)" in reasons[("k1", "m0")]
    assert reasons[("c0", "m1")].startswith("only 0 items")
    assert reasons[("c0", "m2")] == "metric m2 is not numeric (str)"
    assert reasons[("c0", "m3")] == "m3 is constant over the 40 items with both values"
    assert ("c4", "m0") not in reasons  # half the values are infinite, the rest are usable
    c4 = next(r for r in analysis.correlations if (r.feature, r.metric) == ("c4", "m0"))
    assert c4.sample_size == int(np.isfinite(frame["c4"]).sum())
    k0 = next(g for g in analysis.group_comparisons if (g.feature, g.metric) == ("k0", "m0"))
    assert k0.dropped_levels == ("rare",) and not k0.insufficient_data
    assert analysis.n_tests + analysis.n_insufficient == len(_all_results(analysis))


@pytest.mark.parametrize("rows", [0, 1, 9])
def test_fewer_items_than_the_minimum_gives_only_insufficient_results(rows: int) -> None:
    frame = planted_frame(np.random.default_rng(4)).head(rows)
    analysis = run(frame)
    assert analysis.n_tests == 0 and analysis.n_significant == 0
    assert all(r.insufficient_data and r.correlation_coefficient is None for r in analysis.correlations)
    assert all(r.insufficient_data and r.effect_size is None for r in analysis.group_comparisons)


def test_unknown_columns_are_a_caller_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        analyse_feature_metric_pairs(
            planted_frame(np.random.default_rng(5)), ["nope"], METRICS, alpha=ALPHA, min_sample_size=10
        )


def test_feature_kinds() -> None:
    frame = pd.DataFrame(
        {
            "flag": pd.array([True, False, None], dtype="boolean"),
            "two": [0.0, 1.0, np.nan],
            "many": [1, 2, 3],
            "text": ["a", "b", "c"],
            "cat": pd.Categorical(["x", "y", "x"]),
        }
    )
    kinds = {c: feature_kind(frame[c]) for c in frame}
    assert kinds == {
        "flag": "binary",
        "two": "binary",
        "many": "continuous",
        "text": "categorical",
        "cat": "categorical",
    }


def test_a_categorical_feature_without_any_value_is_insufficient_not_an_error() -> None:
    frame = pd.DataFrame({"language": pd.Series([None] * 30, dtype="object"), "m": np.arange(30.0)})

    analysis = analyse_feature_metric_pairs(frame, ["language"], ["m"], alpha=0.05, min_sample_size=10)

    assert analysis.group_comparisons
    assert all(g.insufficient_data and g.p_value is None for g in analysis.group_comparisons)
    assert all("only 0 items" in g.insufficient_reason for g in analysis.group_comparisons)
