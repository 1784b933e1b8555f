"""The seed's OptimizationInsight with a quantified impact, its priority and the evidence behind it.

Priority is ``effect_score x reach_score x confidence_score``, each in 0..1:

* ``effect_score = min(1, |relative effect| / 0.5)``: a 50% change of the metric scores 1;
* ``reach_score = sqrt(share)``, the share of the workspace the insight applies to (items for
  practices, views for single items and series); the square root keeps an insight about one item
  visible next to workspace-wide practices;
* ``confidence_score = min(1, q / 3)`` with ``q = |estimate - null| / |estimate - near bound|``,
  the near bound being the end of the 95% interval closest to the null value (0 unless a builder
  compares with another reference): ``q > 1`` exactly when the interval excludes the null, and
  ``q = 3`` when the near bound is two thirds of the way from the null to the estimate.

``high`` from 0.25, ``medium`` from 0.1, ``low`` below. Builders only create insights from
significant results whose interval excludes the null, so every confidence score exceeds 1/3.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

InsightType = Literal[
    "best_posting_hour",
    "best_posting_weekday",
    "content_length",
    "content_format",
    "content_category",
    "platform_mix",
    "underperforming_content",
    "rising_content",
    "decaying_content",
    "anomaly_to_investigate",
    "ab_test_winner",
]
Priority = Literal["high", "medium", "low"]
Difficulty = Literal["low", "medium", "high"]
ImpactKind = Literal["relative", "points"]

EFFECT_FOR_FULL_SCORE = 0.5
Q_FOR_FULL_CONFIDENCE = 3.0
HIGH_PRIORITY = 0.25
MEDIUM_PRIORITY = 0.1
INTERVAL = "95% CI"


@dataclass(frozen=True)
class Impact:
    """The predicted impact: ``estimate`` with its interval, in ``unit``.

    ``kind`` says how the numbers read: ``relative`` (a share: 0.12 prints as +12%) or ``points``
    (a difference of rates: 0.008 prints as +0.8 pp). ``label`` names the metric in words.
    """

    estimate: float
    lower: float
    upper: float
    unit: str
    label: str
    kind: ImpactKind
    interval: str = INTERVAL

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in (self.estimate, self.lower, self.upper)):
            raise ValueError(f"impact numbers must be finite: {self}")
        if not self.lower <= self.estimate <= self.upper:
            raise ValueError(f"estimate outside its interval: {self}")

    def text(self) -> str:
        """E.g. ``+12% day-7 views (geometric mean), 95% CI +5% to +19%``."""
        return (
            f"{self.number(self.estimate)} {self.label}, "
            f"{self.interval} {self.number(self.lower)} to {self.number(self.upper)}"
        )

    def number(self, value: float) -> str:
        if self.kind == "relative":
            return f"{value * 100:+.0f}%"
        return f"{value * 100:+.1f} pp"


@dataclass(frozen=True)
class SourceRow:
    """A result row the evidence came from: its table and primary-key columns."""

    table: str
    key: Mapping[str, Any]


def plain(value: Any) -> Any:
    """Result values as JSON-ready Python: dates as ISO text, numpy scalars as numbers, NaN (a
    NULL read into a float column) as None, containers element by element."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def finite(value: Any) -> float | None:
    """A number, or None for NULL, NaN and infinities."""
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def source(table: str, row: Mapping[str, Any], keys: Sequence[str]) -> SourceRow:
    """The row of ``table`` named by its ``keys`` columns."""
    return SourceRow(table, {k: plain(row[k]) for k in keys})


@dataclass(frozen=True)
class Scores:
    effect: float
    reach: float
    confidence: float

    @property
    def priority_score(self) -> float:
        return self.effect * self.reach * self.confidence

    @property
    def priority(self) -> Priority:
        return priority_level(self.priority_score)


@dataclass(frozen=True)
class OptimizationInsight:
    """The seed's fields first, then what the table adds (id, scope, scores, impact numbers)."""

    insight_type: InsightType
    priority: Priority
    title: str
    description: str
    impact_prediction: str
    implementation_difficulty: Difficulty
    affected_content: tuple[str, ...]
    data_supporting: Mapping[str, Any]
    insight_id: str
    workspace_id: str
    platform: str | None
    scores: Scores
    impact: Impact

    @property
    def priority_score(self) -> float:
        return self.scores.priority_score


def priority_level(score: float) -> Priority:
    if score >= HIGH_PRIORITY:
        return "high"
    return "medium" if score >= MEDIUM_PRIORITY else "low"


def effect_score(relative_effect: float) -> float:
    return min(1.0, abs(relative_effect) / EFFECT_FOR_FULL_SCORE)


def reach_score(share: float) -> float:
    return math.sqrt(min(1.0, max(0.0, share)))


def confidence_score(estimate: float, lower: float, upper: float, null: float = 0.0) -> float:
    """``min(1, q / 3)``: q is the distance of the estimate from the null over its distance from
    the near end of the interval (0 when the interval reaches the null from the other side)."""
    near = lower if estimate >= null else upper
    if (near - null) * (estimate - null) <= 0:
        return 0.0
    spread = abs(estimate - near)
    if spread == 0:
        return 1.0
    return min(1.0, abs(estimate - null) / spread / Q_FOR_FULL_CONFIDENCE)


def excludes(lower: float, upper: float, null: float = 0.0) -> bool:
    return lower > null or upper < null


def insight_id(insight_type: InsightType, platform: str | None, subject: str) -> str:
    """Stable key: type, scope (the platform or ``all``) and subject."""
    return f"{insight_type}:{platform or 'all'}:{subject}"


@dataclass(frozen=True)
class Draft:
    """What a builder knows about one insight; :func:`finish` scores and words it."""

    insight_type: InsightType
    workspace_id: str
    platform: str | None
    subject: str
    title: str
    description: str
    impact: Impact
    relative_effect: float
    reach_share: float
    difficulty: Difficulty
    evidence: Mapping[str, Any]
    sources: Sequence[SourceRow]
    affected_content: tuple[str, ...] = ()
    null: float = 0.0


def finish(draft: Draft) -> OptimizationInsight:
    impact = draft.impact
    scores = Scores(
        effect=effect_score(draft.relative_effect),
        reach=reach_score(draft.reach_share),
        confidence=confidence_score(impact.estimate, impact.lower, impact.upper, draft.null),
    )
    return OptimizationInsight(
        insight_type=draft.insight_type,
        priority=scores.priority,
        title=draft.title,
        description=draft.description,
        impact_prediction=impact.text(),
        implementation_difficulty=draft.difficulty,
        affected_content=tuple(sorted(draft.affected_content)),
        data_supporting={
            "evidence": plain(draft.evidence),
            "sources": [{"table": s.table, "key": plain(s.key)} for s in draft.sources],
        },
        insight_id=insight_id(draft.insight_type, draft.platform, draft.subject),
        workspace_id=draft.workspace_id,
        platform=draft.platform,
        scores=scores,
        impact=impact,
    )


def ranked(insights: Sequence[OptimizationInsight]) -> list[OptimizationInsight]:
    """Highest priority score first; ties by id, so the order is stable."""
    return sorted(insights, key=lambda i: (-i.priority_score, i.insight_id))


def top_per_group(insights: Sequence[OptimizationInsight], limit: int) -> list[OptimizationInsight]:
    """At most ``limit`` insights per (type, platform), the highest priority ones."""
    kept: list[OptimizationInsight] = []
    counts: dict[tuple[str, str | None], int] = {}
    for insight in ranked(insights):
        group = (insight.insight_type, insight.platform)
        if counts.get(group, 0) < limit:
            counts[group] = counts.get(group, 0) + 1
            kept.append(insight)
    return kept


@dataclass(frozen=True)
class InsightInputs:
    """One workspace's results of one analysis day, as frames with the tables' columns.

    ``importance`` (standardised coefficients) corroborates a length association when the model
    holds the feature. ``items`` is the analysed content of the trailing window (one row per item,
    features and the metrics observable that day): it gives the reach denominators and the
    feature scales.
    ``benchmarked`` has the items aged 1..``UNDERPERFORMER_MAX_AGE_DAYS`` observed that day with
    their performance score and the median views of their age benchmark.
    ``level_notes`` explains category levels in words (e.g. a daypart's hours).
    """

    analysis_date: dt.date
    workspace_id: str
    correlations: pd.DataFrame
    importance: pd.DataFrame
    platform_comparisons: pd.DataFrame
    ab_tests: pd.DataFrame
    trends: pd.DataFrame
    anomalies: pd.DataFrame
    benchmarked: pd.DataFrame
    items: pd.DataFrame
    low_performance_threshold: float
    platform_names: Mapping[str, str] = field(default_factory=dict)
    level_notes: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def name(self, platform: str) -> str:
        return self.platform_names.get(platform, platform)

    def items_with(self, metric: str, platforms: Sequence[str] | None = None) -> int:
        """Items of the workspace with ``metric`` observed (on ``platforms`` when given)."""
        rows = self.items if platforms is None else self.items[self.items["platform"].isin(list(platforms))]
        return int(rows[metric].notna().sum()) if metric in rows else len(rows)
