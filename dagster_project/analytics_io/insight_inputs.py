"""Reading what one analysis day's optimisation insights rest on, per workspace.

Every input is as of the analysis day, so a backfilled day sees what its daily run saw: the
day's rows of the result tables, the content of the trailing window (features and the metrics
observable that day), and the items observed that day with their point-in-time age benchmark.
The age benchmark is the one ``content_performance_history`` scored the item against (its
``benchmark_category`` as of that day in ``intermediate.int_age_benchmarks_computed``), not the
whole-history ``marts.performance_benchmarks`` or the latest-day ``marts.mv_trending_content``,
which would make a backfilled day differ from the daily run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import psycopg

from dagster_project.analytics.insights import REPEAT_AFTER_DAYS, PreviousReport
from dagster_project.analytics.insights_content import ANOMALY_RECENT_DAYS, UNDERPERFORMER_MAX_AGE_DAYS
from dagster_project.analytics.insights_model import InsightInputs
from dagster_project.analytics_io.frames import (
    DAYPARTS,
    AnalysisWindow,
    prepare_features,
    read_content_features,
)
from dagster_project.config import platform_configs

_CORRELATIONS = """
    select analysis_date, workspace_id, scope, feature, metric, method, metric_source, metric_transform,
           metric_age_days, correlation_coefficient, confidence_interval_lower, confidence_interval_upper,
           adjusted_p_value, is_significant, sample_size, effect_size, effect_size_name, level_summaries
    from analytics.correlation_analysis_results
    where analysis_date = %(day)s and is_significant
    order by workspace_id, scope, feature, metric, method
"""
_IMPORTANCE = """
    select analysis_date, workspace_id, scope, metric, feature, coefficient, ci_lower, ci_upper, rank
    from analytics.feature_importance_results
    where analysis_date = %(day)s and coefficient is not null
    order by workspace_id, scope, metric, feature
"""
_PLATFORM_COMPARISONS = """
    select analysis_date, workspace_id, comparison, feature, metric, metric_source, metric_transform,
           metric_age_days, adjusted_p_value, is_significant, sample_size, effect_size, per_platform
    from analytics.platform_comparison_results
    where analysis_date = %(day)s and is_significant
    order by workspace_id, comparison, feature, metric
"""
_AB_TESTS = """
    select result.analysis_date, result.workspace_id, result.experiment_id, result.variant, result.is_control,
           result.control_variant, result.primary_metric, result.metric_kind, result.metric_age_days,
           result.planned_end, result.sample_size, result.relative_lift, result.lift_ci_lower,
           result.lift_ci_upper, result.adjusted_p_value, result.is_significant, result.achieved_power,
           result.verdict, result.verdict_text,
           array(
               select distinct declared.platform from analytics.experiments as declared
               where declared.workspace_id = result.workspace_id
                 and declared.experiment_id = result.experiment_id
               order by declared.platform
           ) as platforms
    from analytics.ab_test_performance as result
    where result.analysis_date = %(day)s and result.verdict = 'treatment_better'
    order by result.workspace_id, result.experiment_id, result.variant
"""
_TRENDS = """
    select analysis_date, workspace_id, series_level, platform, series_id, metric, days_in_window,
           overall_direction, slope, slope_ci_lower, slope_ci_upper, level, relative_change, p_value,
           forecast_model, forecast_horizon, forecast_total, forecast_total_lower_95,
           forecast_total_upper_95, insufficient_data
    from analytics.trend_analysis_results
    where analysis_date = %(day)s
    order by workspace_id, series_level, platform, series_id, metric
"""
_ANOMALIES = """
    select analysis_date, workspace_id, series_level, platform, series_id, metric, anomaly_date, value,
           expected, score, direction, method, threshold
    from analytics.performance_anomalies
    where analysis_date = %(day)s and anomaly_date >= %(recent)s
    order by workspace_id, series_level, platform, series_id, metric, anomaly_date
"""
# The items observed on the day, aged 1..max, with the median views of the benchmark group the
# history scored them against (same platform, picked category, age and as-of day).
_BENCHMARKED = """
    select history.workspace_id, history.platform, history.content_id, history.age_days, history.views,
           history.performance_score, history.benchmark_category, history.benchmark_sample_size,
           benchmark.views_p50
    from marts.content_performance_history as history
    inner join intermediate.int_age_benchmarks_computed as benchmark
        on benchmark.workspace_id = history.workspace_id
        and benchmark.platform = history.platform
        and benchmark.category = history.benchmark_category
        and benchmark.age_days = history.age_days
        and benchmark.as_of_date = history.metric_date
    where history.metric_date = %(day)s
      and history.age_days between 1 and %(max_age)s
      and history.performance_score is not null
    order by history.workspace_id, history.platform, history.content_id
"""
_PREVIOUS = """
    select distinct on (workspace_id, insight_id)
           workspace_id, insight_id, analysis_date, evidence_hash, first_reported_date
    from analytics.optimization_insights
    where analysis_date >= %(oldest)s and analysis_date < %(day)s
    order by workspace_id, insight_id, analysis_date desc
"""


def _frame(conn: psycopg.Connection, query: str, params: Mapping[str, Any]) -> pd.DataFrame:
    with conn.cursor() as cursor:
        cursor.execute(query, params)
        columns = [c.name for c in cursor.description or ()]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def daypart_hours() -> dict[tuple[str, str], str]:
    """("publish_daypart", label) -> its local hours, e.g. ``17:00-21:59 local time``."""
    notes = {}
    first = 0
    for last, label in DAYPARTS:
        notes[("publish_daypart", label)] = f"{first:02d}:00-{last:02d}:59 local time"
        first = last + 1
    return notes


def read_day(
    conn: psycopg.Connection, analysis_date: dt.date, window_days: int, low_performance_threshold: float
) -> list[InsightInputs]:
    """The inputs of every workspace with results or content on ``analysis_date``."""
    params = {
        "day": analysis_date,
        "recent": analysis_date - dt.timedelta(days=ANOMALY_RECENT_DAYS - 1),
        "max_age": UNDERPERFORMER_MAX_AGE_DAYS,
    }
    frames = {
        "correlations": _frame(conn, _CORRELATIONS, params),
        "importance": _frame(conn, _IMPORTANCE, params),
        "platform_comparisons": _frame(conn, _PLATFORM_COMPARISONS, params),
        "ab_tests": _frame(conn, _AB_TESTS, params),
        "trends": _frame(conn, _TRENDS, params),
        "anomalies": _frame(conn, _ANOMALIES, params),
        "benchmarked": _frame(conn, _BENCHMARKED, params),
        "items": prepare_features(
            read_content_features(conn, AnalysisWindow.ending(analysis_date, window_days)), analysis_date
        ),
    }
    names = {platform: config.display_name for platform, config in platform_configs().items()}
    notes = daypart_hours()
    workspaces = sorted(
        {str(w) for frame in frames.values() for w in frame["workspace_id"].dropna().unique()}
    )
    return [
        InsightInputs(
            analysis_date=analysis_date,
            workspace_id=workspace,
            **{name: _of(frame, workspace) for name, frame in frames.items()},
            low_performance_threshold=low_performance_threshold,
            platform_names=names,
            level_notes=notes,
        )
        for workspace in workspaces
    ]


def _of(frame: pd.DataFrame, workspace: str) -> pd.DataFrame:
    return frame[frame["workspace_id"] == workspace].reset_index(drop=True)


def read_previous_reports(
    conn: psycopg.Connection, analysis_date: dt.date
) -> dict[str, dict[str, PreviousReport]]:
    """workspace -> insight_id -> its latest row of the REPEAT_AFTER_DAYS days before ``analysis_date``."""
    rows = conn.execute(
        _PREVIOUS, {"day": analysis_date, "oldest": analysis_date - dt.timedelta(days=REPEAT_AFTER_DAYS)}
    ).fetchall()
    previous: dict[str, dict[str, PreviousReport]] = {}
    for workspace, insight_id, day, digest, first_reported in rows:
        previous.setdefault(workspace, {})[insight_id] = PreviousReport(day, digest, first_reported)
    return previous
