"""Optimisation insights of one workspace's analysis day, and whether each is news.

:func:`generate_insights` turns the day's results into prioritised, quantified insights (see
:mod:`~dagster_project.analytics.insights_model` for the priority formula,
:mod:`~dagster_project.analytics.insights_practices` and
:mod:`~dagster_project.analytics.insights_content` for the types).

Not repeating an insight day after day: every insight has a stable ``insight_id`` (type, scope,
subject) and an ``evidence_hash`` of the conclusion a reader is shown (title, priority, affected
content, impact and interval in steps of 5%, or 0.5 pp for rates). :func:`report` compares it
with the insight's latest report of the previous ``REPEAT_AFTER_DAYS`` days: ``new`` when there
is none, ``unchanged`` when the hash is the same, ``updated`` otherwise; ``first_reported_date``
carries over while the insight persists. Readers list new and updated insights by default.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from dagster_project.analytics.insights_content import (
    anomalies_to_investigate,
    decaying_content,
    rising_content,
    underperformers,
)
from dagster_project.analytics.insights_model import (
    Impact,
    InsightInputs,
    OptimizationInsight,
    finish,
    ranked,
    top_per_group,
)
from dagster_project.analytics.insights_practices import (
    ab_winners,
    group_practices,
    length_practices,
    platform_mix,
)

__all__ = [
    "Impact",
    "InsightInputs",
    "OptimizationInsight",
    "PreviousReport",
    "ReportedInsight",
    "evidence_hash",
    "generate_insights",
    "report",
]

Status = Literal["new", "updated", "unchanged"]
REPEAT_AFTER_DAYS = 7  # an insight absent for longer is new again when it returns
# Impact changes below one step (5% of a relative impact, 0.5 percentage points of a rate) do not
# count as new evidence.
EVIDENCE_STEPS = {"relative": 0.05, "points": 0.005}
PER_PLATFORM_LIMIT = 3  # single-item insights (rising, decaying, anomalies) per type and platform


def generate_insights(inputs: InsightInputs) -> list[OptimizationInsight]:
    """Every insight the workspace's day supports, highest priority first."""
    practices = [
        *group_practices(inputs),
        *length_practices(inputs),
        *platform_mix(inputs),
        *ab_winners(inputs),
        *underperformers(inputs),
    ]
    single_items = [*rising_content(inputs), *decaying_content(inputs), *anomalies_to_investigate(inputs)]
    return ranked(
        [finish(d) for d in practices] + top_per_group([finish(d) for d in single_items], PER_PLATFORM_LIMIT)
    )


def evidence_hash(insight: OptimizationInsight) -> str:
    """sha256 of the conclusion a reader is shown: title, priority, affected content and the impact
    with its interval in EVIDENCE_STEPS (so a trailing window moving by a day does not make a
    +69% into news as +70%); the description and the raw numbers are details below it."""
    impact = insight.impact
    step = EVIDENCE_STEPS[impact.kind]
    shown = [
        insight.insight_type,
        insight.insight_id,
        insight.title,
        insight.priority,
        sorted(insight.affected_content),
        impact.unit,
        [round(value / step) for value in (impact.estimate, impact.lower, impact.upper)],
    ]
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PreviousReport:
    """An insight's latest earlier row."""

    analysis_date: dt.date
    evidence_hash: str
    first_reported_date: dt.date


@dataclass(frozen=True)
class ReportedInsight:
    insight: OptimizationInsight
    evidence_hash: str
    first_reported_date: dt.date
    status: Status


def report(
    insights: Sequence[OptimizationInsight], previous: Mapping[str, PreviousReport], analysis_date: dt.date
) -> list[ReportedInsight]:
    """Status of each insight against its latest earlier report (``previous`` by insight_id);
    reports older than REPEAT_AFTER_DAYS or not before ``analysis_date`` are ignored."""
    oldest = analysis_date - dt.timedelta(days=REPEAT_AFTER_DAYS)
    out = []
    for insight in insights:
        digest = evidence_hash(insight)
        before = previous.get(insight.insight_id)
        if before is None or not oldest <= before.analysis_date < analysis_date:
            out.append(ReportedInsight(insight, digest, analysis_date, "new"))
            continue
        status: Status = "unchanged" if before.evidence_hash == digest else "updated"
        out.append(ReportedInsight(insight, digest, before.first_reported_date, status))
    return out
