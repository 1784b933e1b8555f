"""Result dataclasses flattened into the rows of the ``analytics`` result tables.

Row builders are pure: they take the results plus the context of the run (analysis day,
workspace, scope, window) and return dicts keyed by column name. Numbers stay ``None`` where the
statistics gave ``None``; a NaN reaching a row is a bug and fails the write (JSON refuses it,
the tables' checks refuse it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg.types.json import Jsonb

from dagster_project.analytics.results import (
    ABTestResult,
    CorrelationResult,
    FeatureEffectHeterogeneity,
    FeatureImportanceResult,
    FeatureMetricAnalysis,
    GroupComparisonResult,
    PlatformComparison,
    VariantComparison,
)
from dagster_project.analytics_io.frames import METRICS_BY_NAME, Adjustment, AnalysisWindow

Row = dict[str, Any]

CORRELATION_COLUMNS = (
    "analysis_date",
    "workspace_id",
    "scope",
    "feature",
    "metric",
    "method",
    "feature_kind",
    "metric_source",
    "metric_transform",
    "metric_adjustment",
    "metric_age_days",
    "correlation_coefficient",
    "p_value",
    "adjusted_p_value",
    "strength",
    "direction",
    "significance_level",
    "is_significant",
    "sample_size",
    "confidence_interval_lower",
    "confidence_interval_upper",
    "test_statistic",
    "degrees_of_freedom",
    "degrees_of_freedom_within",
    "effect_size",
    "effect_size_name",
    "level_summaries",
    "dropped_levels",
    "insufficient_data",
    "insufficient_reason",
    "interpretation",
    "window_start",
    "window_end",
    "run_id",
)
IMPORTANCE_COLUMNS = (
    "analysis_date",
    "workspace_id",
    "scope",
    "metric",
    "feature",
    "metric_source",
    "metric_transform",
    "metric_age_days",
    "standardised_within",
    "coefficient",
    "ci_lower",
    "ci_upper",
    "importance",
    "rank",
    "rank_ci_lower",
    "rank_ci_upper",
    "excludes_zero",
    "r_squared",
    "sample_size",
    "bootstrap_resamples",
    "confidence",
    "excluded_reason",
    "insufficient_data",
    "insufficient_reason",
    "window_start",
    "window_end",
    "run_id",
)
PLATFORM_COLUMNS = (
    "analysis_date",
    "workspace_id",
    "comparison",
    "feature",
    "metric",
    "method",
    "metric_source",
    "metric_transform",
    "metric_age_days",
    "statistic",
    "degrees_of_freedom",
    "p_value",
    "adjusted_p_value",
    "effect_size",
    "effect_size_name",
    "strength",
    "significance_level",
    "is_significant",
    "sample_size",
    "per_platform",
    "pairwise",
    "excluded_platforms",
    "insufficient_data",
    "insufficient_reason",
    "interpretation",
    "window_start",
    "window_end",
    "run_id",
)
AB_COLUMNS = (
    "analysis_date",
    "workspace_id",
    "experiment_id",
    "variant",
    "is_control",
    "control_variant",
    "primary_metric",
    "metric_kind",
    "metric_age_days",
    "start_date",
    "end_date",
    "planned_end",
    "horizon_reached",
    "significance_level",
    "declared_items",
    "sample_size",
    "expected_share",
    "estimate",
    "ci_lower",
    "ci_upper",
    "std",
    "successes",
    "trials",
    "probability_best",
    "primary_test",
    "absolute_difference",
    "difference_ci_lower",
    "difference_ci_upper",
    "primary_statistic",
    "primary_p_value",
    "adjusted_p_value",
    "is_significant",
    "welch_t",
    "welch_df",
    "welch_p_value",
    "mann_whitney_u",
    "mann_whitney_p_value",
    "rank_biserial",
    "relative_lift",
    "lift_ci_lower",
    "lift_ci_upper",
    "minimum_detectable_lift",
    "achieved_power",
    "srm_chi_square",
    "srm_p_value",
    "sample_ratio_mismatch",
    "weekday_balance_p_value",
    "verdict",
    "verdict_text",
    "details",
    "run_id",
)

# The columns a variant's comparison with the control fills (NULL for the control itself).
_COMPARISON_COLUMNS = tuple(
    c
    for c in AB_COLUMNS[AB_COLUMNS.index("primary_test") : AB_COLUMNS.index("achieved_power") + 1]
    if c != "is_significant"
)

METRIC_BY_PLATFORM = "metric_by_platform"
FEATURE_EFFECT_BY_PLATFORM = "feature_effect_by_platform"


@dataclass(frozen=True)
class RunContext:
    """What every row of one workspace's analysis day shares."""

    window: AnalysisWindow
    workspace_id: str
    run_id: str | None

    def columns(self) -> Row:
        return {
            "analysis_date": self.window.analysis_date,
            "workspace_id": self.workspace_id,
            "window_start": self.window.start,
            "window_end": self.window.analysis_date,
            "run_id": self.run_id,
        }


def jsonb(value: Any) -> Jsonb:
    """A JSON column value (dataclasses as dicts, dates as ISO text, NaN refused)."""
    return Jsonb(value, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(_plain(value), allow_nan=False, sort_keys=True)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _metric_columns(metric: str) -> Row:
    spec = METRICS_BY_NAME[metric]
    return {
        "metric_source": spec.source,
        "metric_transform": spec.transform,
        "metric_age_days": spec.age_days,
    }


def correlation_rows(
    analysis: FeatureMetricAnalysis, context: RunContext, scope: str, adjustment: Adjustment
) -> list[Row]:
    """One row per correlation and per group comparison of one scope."""
    shared = {**context.columns(), "scope": scope, "metric_adjustment": adjustment}
    rows = [_correlation_row(r, shared) for r in analysis.correlations]
    rows += [_group_row(g, shared) for g in analysis.group_comparisons]
    return rows


def _correlation_row(result: CorrelationResult, shared: Row) -> Row:
    interval = result.confidence_interval
    return {
        **shared,
        **_metric_columns(result.metric),
        "feature": result.feature,
        "metric": result.metric,
        "method": result.method,
        "feature_kind": result.feature_kind,
        "correlation_coefficient": result.correlation_coefficient,
        "p_value": result.p_value,
        "adjusted_p_value": result.adjusted_p_value,
        "strength": result.strength,
        "direction": result.direction,
        "significance_level": result.significance_level,
        "is_significant": result.is_significant,
        "sample_size": result.sample_size,
        "confidence_interval_lower": interval[0] if interval else None,
        "confidence_interval_upper": interval[1] if interval else None,
        "test_statistic": result.test_statistic,
        "degrees_of_freedom": result.degrees_of_freedom,
        "degrees_of_freedom_within": None,
        "effect_size": None,
        "effect_size_name": None,
        "level_summaries": None,
        "dropped_levels": None,
        "insufficient_data": result.insufficient_data,
        "insufficient_reason": result.insufficient_reason,
        "interpretation": result.interpretation,
    }


def _group_row(result: GroupComparisonResult, shared: Row) -> Row:
    return {
        **shared,
        **_metric_columns(result.metric),
        "feature": result.feature,
        "metric": result.metric,
        "method": result.method,
        "feature_kind": "categorical",
        "correlation_coefficient": None,
        "p_value": result.p_value,
        "adjusted_p_value": result.adjusted_p_value,
        "strength": result.strength,
        "direction": None,
        "significance_level": result.significance_level,
        "is_significant": result.is_significant,
        "sample_size": result.sample_size,
        "confidence_interval_lower": None,
        "confidence_interval_upper": None,
        "test_statistic": result.statistic,
        "degrees_of_freedom": result.df_between,
        "degrees_of_freedom_within": result.df_within,
        "effect_size": result.effect_size,
        "effect_size_name": result.effect_size_name,
        "level_summaries": jsonb(result.levels),
        "dropped_levels": jsonb(result.dropped_levels),
        "insufficient_data": result.insufficient_data,
        "insufficient_reason": result.insufficient_reason,
        "interpretation": result.interpretation,
    }


def importance_rows(
    result: FeatureImportanceResult,
    context: RunContext,
    scope: str,
    features: Sequence[str],
    standardised_within: str | None,
) -> list[Row]:
    """One row per requested feature: ranked, excluded from the model (with why), or all
    insufficient when the model could not be fitted."""
    shared = {
        **context.columns(),
        **_metric_columns(result.metric),
        "scope": scope,
        "metric": result.metric,
        "standardised_within": standardised_within,
        "r_squared": result.r_squared,
        "sample_size": result.sample_size,
        "bootstrap_resamples": result.bootstrap_resamples,
        "confidence": result.confidence,
        "insufficient_data": result.insufficient_data,
        "insufficient_reason": result.insufficient_reason,
    }
    ranked = {item.feature: item for item in result.features}
    excluded = dict(result.excluded_features)
    empty = dict.fromkeys(
        ("coefficient", "ci_lower", "ci_upper", "importance", "rank", "rank_ci_lower", "rank_ci_upper"),
    )
    rows = []
    for feature in features:
        item = ranked.get(feature)
        if item is None or result.insufficient_data:
            rows.append(
                {
                    **shared,
                    **empty,
                    "feature": feature,
                    "excludes_zero": None,
                    "excluded_reason": excluded.get(feature) if not result.insufficient_data else None,
                }
            )
            continue
        rows.append(
            {
                **shared,
                "feature": feature,
                "coefficient": item.coefficient,
                "ci_lower": item.ci_low,
                "ci_upper": item.ci_high,
                "importance": item.importance,
                "rank": item.rank,
                "rank_ci_lower": item.rank_ci_low,
                "rank_ci_upper": item.rank_ci_high,
                "excludes_zero": item.excludes_zero,
                "excluded_reason": None,
            }
        )
    return rows


def platform_metric_rows(results: Iterable[PlatformComparison], context: RunContext) -> list[Row]:
    return [
        {
            **context.columns(),
            **_metric_columns(r.metric),
            "comparison": METRIC_BY_PLATFORM,
            "feature": "platform",
            "metric": r.metric,
            "method": "kruskal",
            "statistic": r.statistic,
            "degrees_of_freedom": r.df,
            "p_value": r.p_value,
            "adjusted_p_value": r.adjusted_p_value,
            "effect_size": r.epsilon_squared,
            "effect_size_name": "epsilon_squared",
            "strength": r.strength,
            "significance_level": r.significance_level,
            "is_significant": r.is_significant,
            "sample_size": r.sample_size,
            "per_platform": jsonb(r.platforms),
            "pairwise": jsonb(r.pairwise),
            "excluded_platforms": jsonb(r.excluded_platforms),
            "insufficient_data": r.insufficient_data,
            "insufficient_reason": r.insufficient_reason,
            "interpretation": r.interpretation,
        }
        for r in results
    ]


def platform_effect_rows(results: Iterable[FeatureEffectHeterogeneity], context: RunContext) -> list[Row]:
    return [
        {
            **context.columns(),
            **_metric_columns(r.metric),
            "comparison": FEATURE_EFFECT_BY_PLATFORM,
            "feature": r.feature,
            "metric": r.metric,
            "method": f"cochran_q_{r.method}",
            "statistic": r.q_statistic,
            "degrees_of_freedom": r.df,
            "p_value": r.p_value,
            "adjusted_p_value": r.adjusted_p_value,
            "effect_size": None,
            "effect_size_name": None,
            "strength": None,
            "significance_level": r.significance_level,
            "is_significant": r.is_significant,
            "sample_size": sum(p.sample_size for p in r.per_platform),
            "per_platform": jsonb(r.per_platform),
            "pairwise": jsonb([]),
            "excluded_platforms": jsonb([]),
            "insufficient_data": r.insufficient_data,
            "insufficient_reason": r.insufficient_reason,
            "interpretation": r.interpretation,
        }
        for r in results
    ]


@dataclass(frozen=True)
class ExperimentContext:
    """Declared facts of one experiment that the result does not carry."""

    workspace_id: str
    experiment_id: str
    control_variant: str
    metric_age_days: int
    start_date: dt.date
    end_date: dt.date
    declared_items: Mapping[str, int]
    excluded_items: Mapping[str, Mapping[str, int]]
    run_id: str | None


def ab_rows(result: ABTestResult, experiment: ExperimentContext) -> list[Row]:
    """One row per variant; comparison columns on the treatment rows only."""
    comparisons = {c.treatment: c for c in result.comparisons}
    srm = result.sample_ratio
    rows = []
    for index, summary in enumerate(result.variants):
        comparison = comparisons.get(summary.variant)
        rows.append(
            {
                "analysis_date": result.as_of,
                "workspace_id": experiment.workspace_id,
                "experiment_id": experiment.experiment_id,
                "variant": summary.variant,
                "is_control": summary.variant == experiment.control_variant,
                "control_variant": experiment.control_variant,
                "primary_metric": result.primary_metric,
                "metric_kind": result.metric_kind,
                "metric_age_days": experiment.metric_age_days,
                "start_date": experiment.start_date,
                "end_date": experiment.end_date,
                "planned_end": result.planned_end,
                "horizon_reached": result.horizon_reached,
                "significance_level": result.significance_level,
                "declared_items": experiment.declared_items.get(summary.variant, 0),
                "sample_size": summary.sample_size,
                "expected_share": srm.expected_shares[index],
                "estimate": summary.estimate,
                "ci_lower": summary.ci_low,
                "ci_upper": summary.ci_high,
                "std": summary.std,
                "successes": summary.successes,
                "trials": summary.trials,
                "probability_best": summary.probability_best,
                **_comparison_columns(comparison),
                "srm_chi_square": srm.chi_square,
                "srm_p_value": srm.p_value,
                "sample_ratio_mismatch": srm.mismatch,
                "weekday_balance_p_value": result.weekday_balance_p_value,
                "verdict": result.verdict,
                "verdict_text": result.verdict_text,
                "details": jsonb(
                    {
                        "comparison": comparison,
                        "sample_ratio": srm,
                        "items": {
                            "declared": experiment.declared_items.get(summary.variant, 0),
                            "analysed": summary.sample_size,
                            "excluded": experiment.excluded_items.get(summary.variant, {}),
                        },
                    }
                ),
                "run_id": experiment.run_id,
            }
        )
    return rows


def _comparison_columns(comparison: VariantComparison | None) -> Row:
    if comparison is None:
        return {
            **dict.fromkeys(_COMPARISON_COLUMNS),
            "is_significant": False,
        }
    return {
        "primary_test": comparison.primary_test,
        "absolute_difference": comparison.absolute_difference,
        "difference_ci_lower": comparison.difference_ci_low,
        "difference_ci_upper": comparison.difference_ci_high,
        "primary_statistic": comparison.primary_statistic,
        "primary_p_value": comparison.primary_p_value,
        "adjusted_p_value": comparison.adjusted_p_value,
        "is_significant": comparison.is_significant,
        "welch_t": comparison.welch.statistic,
        "welch_df": comparison.welch.df,
        "welch_p_value": comparison.welch.p_value,
        "mann_whitney_u": comparison.mann_whitney_u,
        "mann_whitney_p_value": comparison.mann_whitney_p_value,
        "rank_biserial": comparison.rank_biserial,
        "relative_lift": comparison.relative_lift,
        "lift_ci_lower": comparison.lift_ci_low,
        "lift_ci_upper": comparison.lift_ci_high,
        "minimum_detectable_lift": comparison.minimum_detectable_lift,
        "achieved_power": comparison.achieved_power,
    }
