"""One analysis day: call the statistics on each workspace's frames and return the result rows.

Nothing here writes: :mod:`dagster_project.analytics_io.store` replaces the day's rows. The
statistics run per workspace (tenants never mix) and per scope; Benjamini-Hochberg families
are one (day, workspace, scope) each for correlations, one (day, workspace) for the platform
comparisons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import psycopg

from dagster_project.analytics.ab_testing import analyse_experiment
from dagster_project.analytics.feature_importance import (
    feature_importance_by_platform,
    standardised_coefficients,
)
from dagster_project.analytics.feature_metric_analysis import analyse_feature_metric_pairs
from dagster_project.analytics.platform_comparison import compare_platforms, feature_effect_differences
from dagster_project.analytics.results import (
    ABTestResult,
    FeatureMetricAnalysis,
)
from dagster_project.analytics_io.experiments import (
    DeclaredExperiment,
    experiment_frame,
    read_experiments,
    read_item_outcomes,
)
from dagster_project.analytics_io.frames import (
    BINARY_FEATURES,
    CONTINUOUS_FEATURES,
    CREATOR_KEY,
    FEATURES,
    IMPORTANCE_FEATURES,
    METRICS,
    OVERALL_SCOPE,
    PLATFORM_COLUMN,
    WITHIN_CREATOR_SCOPE,
    AnalysisWindow,
    analysis_scopes,
    centre_within,
)
from dagster_project.analytics_io.rows import (
    ExperimentContext,
    Row,
    RunContext,
    ab_rows,
    correlation_rows,
    importance_rows,
    platform_effect_rows,
    platform_metric_rows,
)

METRIC_NAMES = tuple(m.name for m in METRICS)


@dataclass(frozen=True)
class Thresholds:
    """CORRELATION_SIGNIFICANCE_THRESHOLD and MIN_DATA_POINTS_FOR_ANALYSIS of the settings."""

    alpha: float
    min_sample_size: int


def workspaces(frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """Each workspace's rows, in a stable order."""
    for workspace in sorted(frame["workspace_id"].dropna().unique()):
        yield str(workspace), frame[frame["workspace_id"] == workspace].reset_index(drop=True)


def correlation_day(
    frame: pd.DataFrame,
    window: AnalysisWindow,
    thresholds: Thresholds,
    *,
    min_items_per_creator: int,
    run_id: str | None = None,
) -> list[Row]:
    """Every feature x metric test in every scope of every workspace of a prepared frame."""
    rows: list[Row] = []
    for workspace, items in workspaces(frame):
        context = RunContext(window, workspace, run_id)
        for scope in analysis_scopes(items, min_items_per_creator):
            analysis = analyse_scope(scope.frame, thresholds)
            rows += correlation_rows(analysis, context, scope.name, scope.adjustment)
    return rows


def analyse_scope(frame: pd.DataFrame, thresholds: Thresholds) -> FeatureMetricAnalysis:
    """Every feature x metric test of one scope (BH across all of them)."""
    return analyse_feature_metric_pairs(
        frame, FEATURES, METRIC_NAMES, alpha=thresholds.alpha, min_sample_size=thresholds.min_sample_size
    )


def importance_day(
    frame: pd.DataFrame,
    window: AnalysisWindow,
    thresholds: Thresholds,
    *,
    min_items_per_creator: int,
    bootstrap_resamples: int,
    seed: int = 0,
    run_id: str | None = None,
) -> list[Row]:
    """Feature rankings per metric: overall (z-scored within platform), within creator, per platform."""
    rows: list[Row] = []
    for workspace, items in workspaces(frame):
        context = RunContext(window, workspace, run_id)
        by_creator = centre_within(
            items, METRIC_NAMES, [CREATOR_KEY], min_group_size=max(2, min_items_per_creator)
        )
        for metric in METRIC_NAMES:
            overall, *per_platform = feature_importance_by_platform(
                items,
                IMPORTANCE_FEATURES,
                metric,
                min_sample_size=thresholds.min_sample_size,
                platform_column=PLATFORM_COLUMN,
                bootstrap_resamples=bootstrap_resamples,
                seed=seed,
            )
            within = standardised_coefficients(
                by_creator,
                IMPORTANCE_FEATURES,
                metric,
                min_sample_size=thresholds.min_sample_size,
                scope=WITHIN_CREATOR_SCOPE,
                group_column=CREATOR_KEY,
                bootstrap_resamples=bootstrap_resamples,
                seed=seed,
            )
            rows += importance_rows(overall, context, OVERALL_SCOPE, IMPORTANCE_FEATURES, "platform")
            rows += importance_rows(within, context, WITHIN_CREATOR_SCOPE, IMPORTANCE_FEATURES, "creator")
            for result in per_platform:
                rows += importance_rows(result, context, result.scope, IMPORTANCE_FEATURES, None)
    return rows


def platform_day(
    frame: pd.DataFrame, window: AnalysisWindow, thresholds: Thresholds, *, run_id: str | None = None
) -> list[Row]:
    """Metric differences between platforms and feature effects that differ by platform."""
    rows: list[Row] = []
    for workspace, items in workspaces(frame):
        context = RunContext(window, workspace, run_id)
        metrics = compare_platforms(
            items,
            METRIC_NAMES,
            alpha=thresholds.alpha,
            min_sample_size=thresholds.min_sample_size,
            platform_column=PLATFORM_COLUMN,
        )
        effects = feature_effect_differences(
            items,
            (*CONTINUOUS_FEATURES, *BINARY_FEATURES),
            METRIC_NAMES,
            alpha=thresholds.alpha,
            min_sample_size=thresholds.min_sample_size,
            platform_column=PLATFORM_COLUMN,
        )
        rows += platform_metric_rows(metrics, context)
        rows += platform_effect_rows(effects, context)
    return rows


def experiments_to_analyse(
    experiments: list[DeclaredExperiment], analysis_date: dt.date, window_days: int
) -> list[DeclaredExperiment]:
    """Started by the analysis day and not past their horizon by more than the window."""
    oldest_horizon = analysis_date - dt.timedelta(days=window_days - 1)
    return [e for e in experiments if e.start_date <= analysis_date and e.planned_end >= oldest_horizon]


def ab_day(
    conn: psycopg.Connection,
    analysis_date: dt.date,
    thresholds: Thresholds,
    *,
    window_days: int,
    seed: int = 0,
    run_id: str | None = None,
) -> tuple[list[Row], list[ABTestResult]]:
    """Each experiment that is running, or ended within the window, as of ``analysis_date``."""
    rows: list[Row] = []
    results: list[ABTestResult] = []
    experiments = experiments_to_analyse(read_experiments(conn, analysis_date), analysis_date, window_days)
    for experiment in experiments:
        prepared = experiment_frame(read_item_outcomes(conn, experiment, analysis_date), experiment)
        result = analyse_experiment(
            prepared.frame,
            experiment.plan,
            as_of=analysis_date,
            alpha=thresholds.alpha,
            min_sample_size=thresholds.min_sample_size,
            seed=seed,
        )
        context = ExperimentContext(
            workspace_id=experiment.workspace_id,
            experiment_id=experiment.experiment_id,
            control_variant=experiment.control_variant,
            metric_age_days=experiment.metric_age_days,
            start_date=experiment.start_date,
            end_date=experiment.end_date,
            declared_items=prepared.declared,
            excluded_items=prepared.excluded,
            run_id=run_id,
        )
        rows += ab_rows(result, context)
        results.append(result)
    return rows, results
