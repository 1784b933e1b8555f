"""Pure helpers of the read endpoints: summing stored daily rows and ranking stored values.

No statistics are estimated here: these add up, pick and order numbers the marts already hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster_project.serving.models_reads import (
    ComparedValue,
    CompareMetric,
    ContentDay,
    ContentPerformance,
    MetricComparison,
)


def sum_or_none(values: Sequence[int | None]) -> int | None:
    """The sum of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def relative_change(current: float | None, previous: float | None) -> float | None:
    """(current - previous) / previous; None without a positive previous value."""
    if current is None or previous is None or previous <= 0:
        return None
    return (current - previous) / previous


def content_performance(days: Sequence[Mapping[str, Any]]) -> ContentPerformance | None:
    """The window of one item from its history rows (oldest first); None without rows."""
    if not days:
        return None
    last = days[-1]
    return ContentPerformance(
        last_metric_date=last["metric_date"],
        views=last["views"],
        likes=last["likes"],
        comments=last["comments"],
        shares=last["shares"],
        watch_time_seconds=last["watch_time_seconds"],
        engagement_rate=last["engagement_rate"],
        performance_score=last["performance_score"],
        performance_class=last["performance_class"],
        benchmark_category=last["benchmark_category"],
        age_days=last["age_days"],
        views_gained=sum_or_none([d["daily_views"] for d in days]),
        days_observed=len(days),
        gap_days=sum(bool(d["is_gap"]) for d in days),
        counter_decrease_days=sum(bool(d["has_counter_decrease"]) for d in days),
        daily=[ContentDay(**{k: d[k] for k in ContentDay.model_fields}) for d in days],
    )


def rank_metric(metric: CompareMetric, values: Sequence[tuple[str, str, float | None]]) -> MetricComparison:
    """Rank (platform, content_id, value) triples, highest first; ties share a rank ("1224"),
    unknown values get none. The ratio compares the best and the worst known value."""
    known = sorted((v for _, _, v in values if v is not None), reverse=True)
    ranks = {}
    for position, value in enumerate(known, start=1):
        ranks.setdefault(value, position)
    compared = [
        ComparedValue(platform=p, content_id=c, value=v, rank=None if v is None else ranks[v])
        for p, c, v in values
    ]
    best = next((c.content_id for c in compared if c.rank == 1), None)
    ratio = known[0] / known[-1] if known and known[-1] > 0 else None
    return MetricComparison(metric=metric, values=compared, best=best, best_to_worst_ratio=ratio)
