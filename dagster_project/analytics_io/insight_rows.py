"""Reported insights flattened into rows of ``analytics.optimization_insights`` (pure: no I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dagster_project.analytics.insights import ReportedInsight
from dagster_project.analytics_io.rows import Row, jsonb

INSIGHT_COLUMNS = (
    "analysis_date",
    "workspace_id",
    "insight_id",
    "insight_type",
    "platform",
    "priority",
    "priority_score",
    "effect_score",
    "reach_score",
    "confidence_score",
    "title",
    "description",
    "impact_prediction",
    "impact_estimate",
    "impact_ci_lower",
    "impact_ci_upper",
    "impact_unit",
    "implementation_difficulty",
    "affected_content",
    "data_supporting",
    "evidence_hash",
    "first_reported_date",
    "status",
    "run_id",
)


def insight_rows(
    reported: Sequence[ReportedInsight], analysis_date: dt.date, run_id: str | None
) -> list[Row]:
    rows = []
    for item in reported:
        insight = item.insight
        rows.append(
            {
                "analysis_date": analysis_date,
                "workspace_id": insight.workspace_id,
                "insight_id": insight.insight_id,
                "insight_type": insight.insight_type,
                "platform": insight.platform,
                "priority": insight.priority,
                "priority_score": insight.priority_score,
                "effect_score": insight.scores.effect,
                "reach_score": insight.scores.reach,
                "confidence_score": insight.scores.confidence,
                "title": insight.title,
                "description": insight.description,
                "impact_prediction": insight.impact_prediction,
                "impact_estimate": insight.impact.estimate,
                "impact_ci_lower": insight.impact.lower,
                "impact_ci_upper": insight.impact.upper,
                "impact_unit": insight.impact.unit,
                "implementation_difficulty": insight.implementation_difficulty,
                "affected_content": list(insight.affected_content),
                "data_supporting": jsonb(insight.data_supporting),
                "evidence_hash": item.evidence_hash,
                "first_reported_date": item.first_reported_date,
                "status": item.status,
                "run_id": run_id,
            }
        )
    return rows
