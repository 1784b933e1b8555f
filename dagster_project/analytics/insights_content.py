"""Insights about single items and series: underperformers against their age-matched benchmark,
rising items worth promoting, items decaying faster than their platform's typical item, and
recent anomalies to investigate.

Reach is the share of the workspace's daily views (or interactions) the item or series accounts
for: its mean level in the trend window over the sum of the workspace's platform levels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dagster_project.analytics.insights_model import (
    INTERVAL,
    Draft,
    Impact,
    InsightInputs,
    SourceRow,
    excludes,
    finite,
    source,
)

HISTORY = "marts.content_performance_history"
BENCHMARKS = "intermediate.int_age_benchmarks_computed"
TRENDS = "analytics.trend_analysis_results"
ANOMALIES = "analytics.performance_anomalies"
UNDERPERFORMER_MAX_AGE_DAYS = 30  # items old enough to judge, young enough to act on
MIN_ITEMS_FOR_MEDIAN_CI = 6  # the smallest group whose median has a 95% order-statistic interval
ANOMALY_RECENT_DAYS = 3  # anomalies of the analysis day and the two before it
MIN_SERIES_FOR_TYPICAL = 5  # content series a platform needs for its typical change
VIEWS = "daily_views"
METRIC_WORDS = {"daily_views": "daily views", "daily_interactions": "daily interactions"}
Z_95 = float(stats.norm.ppf(0.975))
SERIES_KEY = ("analysis_date", "workspace_id", "series_level", "platform", "series_id", "metric")


def median_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float] | None:
    """Median with its distribution-free interval (order statistics k and n - k + 1 from the
    binomial(n, 1/2)); None when the sample is too small for one."""
    n = len(values)
    k = int(stats.binom.ppf((1 - confidence) / 2, n, 0.5)) if n else 0
    if k < 1:
        return None
    ordered = np.sort(values)
    return float(np.median(ordered)), float(ordered[k - 1]), float(ordered[n - k])


def underperformers(inputs: InsightInputs) -> list[Draft]:
    """Per platform: items scored below LOW_PERFORMANCE_THRESHOLD against their age benchmark."""
    rows = inputs.benchmarked
    low = rows[(rows["performance_score"] < inputs.low_performance_threshold) & (rows["views_p50"] > 0)]
    drafts = []
    for platform, group in low.groupby("platform", sort=True):
        ratios = (group["views"].astype(float) / group["views_p50"].astype(float)).to_numpy()
        median = median_interval(ratios)
        if len(group) < MIN_ITEMS_FOR_MEDIAN_CI or median is None:
            continue
        middle, lower, upper = (v - 1 for v in median)
        impact = Impact(
            middle,
            lower,
            upper,
            "relative_views_vs_age_benchmark_median",
            "views vs the median item of the same age (median underperformer)",
            "relative",
        )
        gap = float((group["views_p50"] - group["views"]).clip(lower=0).sum())
        name = inputs.name(str(platform))
        n = len(group)
        description = (
            f"{n} {name} items aged 1-{UNDERPERFORMER_MAX_AGE_DAYS} days score below "
            f"{inputs.low_performance_threshold:g} of 10 against items of the same platform, category "
            "and age "
            f"(below the 25th percentile of their views). The median one has {impact.number(middle)} views "
            f"against its benchmark median ({INTERVAL} {impact.number(lower)} to {impact.number(upper)}); "
            f"together they are {gap:,.0f} views short of it. Refresh their titles and thumbnails, "
            "re-share them, or look for what they have in common."
        )
        drafts.append(
            Draft(
                insight_type="underperforming_content",
                workspace_id=inputs.workspace_id,
                platform=str(platform),
                subject="below_age_benchmark",
                title=f"Review {n} underperforming {name} items",
                description=description,
                impact=impact,
                relative_effect=middle,
                reach_share=n / max(1, len(inputs.items)),
                difficulty="medium",
                evidence={
                    "items": n,
                    "median_ratio_to_benchmark": median[0],
                    "median_ratio_ci": [median[1], median[2]],
                    "views_short_of_benchmark_median": gap,
                    "performance_threshold": inputs.low_performance_threshold,
                    "benchmark_categories": sorted(set(group["benchmark_category"].astype(str))),
                },
                sources=[
                    SourceRow(
                        HISTORY,
                        {
                            "workspace_id": inputs.workspace_id,
                            "platform": str(platform),
                            "metric_date": inputs.analysis_date.isoformat(),
                            "content_id": sorted(group["content_id"].astype(str)),
                        },
                    ),
                    SourceRow(
                        BENCHMARKS,
                        {
                            "as_of_date": inputs.analysis_date.isoformat(),
                            "workspace_id": inputs.workspace_id,
                            "platform": str(platform),
                        },
                    ),
                ],
                affected_content=tuple(group["content_id"].astype(str)),
            )
        )
    return drafts


def _analysed(trends: pd.DataFrame, level: str, metric: str = VIEWS) -> pd.DataFrame:
    return trends[
        (trends["series_level"] == level) & (trends["metric"] == metric) & ~trends["insufficient_data"]
    ]


def _view_shares(trends: pd.DataFrame) -> dict[tuple[str, str, str, str], float]:
    """(level, platform, series_id, metric) -> the series' share of the workspace's daily level."""
    platforms = trends[(trends["series_level"] == "platform") & trends["level"].notna()]
    totals = platforms.groupby("metric")["level"].sum()
    shares = {}
    for row in trends[trends["level"].notna()].itertuples(index=False):
        total = totals.get(row.metric)
        if total and total > 0:
            shares[(row.series_level, row.platform, row.series_id, row.metric)] = float(row.level) / float(
                total
            )
    return shares


def _weekly_change(row: Mapping[str, Any]) -> tuple[float, float, float] | None:
    """Sen's slope over a week as a share of the series' mean daily level, with its interval."""
    slope, low, high, level = (finite(row[c]) for c in ("slope", "slope_ci_lower", "slope_ci_upper", "level"))
    if slope is None or low is None or high is None or level is None or level <= 0:
        return None
    return slope * 7 / level, low * 7 / level, high * 7 / level


def _change_impact(change: tuple[float, float, float]) -> Impact:
    return Impact(
        *change, "weekly_change_share_of_mean_daily_views", "of its mean daily views per week", "relative"
    )


def _trend_evidence(row: Mapping[str, Any], change: tuple[float, float, float]) -> dict[str, Any]:
    return {
        "weekly_change": change[0],
        "weekly_change_ci": [change[1], change[2]],
        "slope_per_day": row["slope"],
        "slope_ci": [row["slope_ci_lower"], row["slope_ci_upper"]],
        "mann_kendall_p_value": row["p_value"],
        "level": row["level"],
        "relative_change": row["relative_change"],
        "days_in_window": row["days_in_window"],
        "forecast_model": row["forecast_model"],
        "forecast_horizon": row["forecast_horizon"],
        "forecast_total": row["forecast_total"],
        "forecast_total_95": [row["forecast_total_lower_95"], row["forecast_total_upper_95"]],
    }


def _change_sentence(inputs: InsightInputs, row: Mapping[str, Any], impact: Impact) -> str:
    return (
        f"Daily views of {inputs.name(row['platform'])} item {row['series_id']} changed by "
        f"{impact.number(impact.estimate)} of their mean ({row['level']:,.0f} a day) per week over the "
        f"{row['days_in_window']} days analysed ({INTERVAL} {impact.number(impact.lower)} to "
        f"{impact.number(impact.upper)}; Sen's slope {row['slope']:+,.1f} views/day per day, Mann-Kendall "
        f"p = {row['p_value']:.3g})."
    )


def rising_content(inputs: InsightInputs) -> list[Draft]:
    """Items whose daily views rise significantly (Mann-Kendall, Sen's interval above zero)."""
    shares = _view_shares(inputs.trends)
    rows = _analysed(inputs.trends, "content")
    drafts = []
    for row in rows[rows["overall_direction"] == "rising"].to_dict("records"):
        change = _weekly_change(row)
        if change is None or not change[1] > 0:
            continue
        name = inputs.name(row["platform"])
        impact = _change_impact(change)
        forecast = ""
        if finite(row["forecast_total"]) is not None:
            forecast = (
                f" Forecast: {row['forecast_total']:,.0f} views over the next {row['forecast_horizon']} days "
                f"(95% prediction interval {row['forecast_total_lower_95']:,.0f} to "
                f"{row['forecast_total_upper_95']:,.0f})."
            )
        drafts.append(
            Draft(
                insight_type="rising_content",
                workspace_id=inputs.workspace_id,
                platform=row["platform"],
                subject=row["series_id"],
                title=f"Promote the rising {name} item {row['series_id']}",
                description=_change_sentence(inputs, row, impact)
                + forecast
                + " A rising item is the cheapest to push further: pin it, cross-post it or boost it.",
                impact=impact,
                relative_effect=change[0],
                reach_share=shares.get(("content", row["platform"], row["series_id"], VIEWS), 0.0),
                difficulty="low",
                evidence=_trend_evidence(row, change),
                sources=[source(TRENDS, row, SERIES_KEY)],
                affected_content=(row["series_id"],),
            )
        )
    return drafts


def decaying_content(inputs: InsightInputs) -> list[Draft]:
    """Items whose daily views fall faster than the platform's typical item over the same window
    (the whole interval of their weekly change below the platform's median): most content decays
    after its launch week, so only a steeper decay than usual is news."""
    shares = _view_shares(inputs.trends)
    rows = _analysed(inputs.trends, "content")
    drafts = []
    for platform, group in rows.groupby("platform", sort=True):
        changes = {row["series_id"]: _weekly_change(row) for row in group.to_dict("records")}
        known = [c[0] for c in changes.values() if c is not None]
        if len(known) < MIN_SERIES_FOR_TYPICAL:
            continue
        typical = float(np.median(known))
        for row in group[group["overall_direction"] == "falling"].to_dict("records"):
            change = changes[row["series_id"]]
            if change is None or not change[2] < min(typical, 0.0):
                continue
            name = inputs.name(str(platform))
            impact = _change_impact(change)
            drafts.append(
                Draft(
                    insight_type="decaying_content",
                    workspace_id=inputs.workspace_id,
                    platform=str(platform),
                    subject=row["series_id"],
                    title=f"Refresh the decaying {name} item {row['series_id']}",
                    description=_change_sentence(inputs, row, impact)
                    + f" The typical {name} item changed by {impact.number(typical)} a week over the same "
                    "days. Refresh it (title, thumbnail, a follow-up that links to it) or re-share it.",
                    impact=impact,
                    relative_effect=change[0] - typical,
                    reach_share=shares.get(("content", row["platform"], row["series_id"], VIEWS), 0.0),
                    difficulty="medium",
                    evidence={**_trend_evidence(row, change), "platform_typical_weekly_change": typical},
                    sources=[source(TRENDS, row, SERIES_KEY)],
                    affected_content=(row["series_id"],),
                    null=typical,
                )
            )
    return drafts


def _one_per_series_day(anomalies: pd.DataFrame) -> list[dict[str, Any]]:
    """One anomaly per (series, day): the views one when both views and interactions were unusual."""
    chosen: dict[tuple, dict[str, Any]] = {}
    for row in anomalies.to_dict("records"):
        key = (row["series_level"], row["platform"], row["series_id"], row["anomaly_date"])
        if key not in chosen or row["metric"] == VIEWS:
            chosen[key] = row
    return list(chosen.values())


def anomalies_to_investigate(inputs: InsightInputs) -> list[Draft]:
    """Spikes and drops of the last ANOMALY_RECENT_DAYS days. The deviation's interval: the score's
    scale (|value - expected| / |score|) gives the noise of a normal day, +-1.96 of it."""
    shares = _view_shares(inputs.trends)
    first = inputs.analysis_date - dt.timedelta(days=ANOMALY_RECENT_DAYS - 1)
    recent = inputs.anomalies[
        (inputs.anomalies["anomaly_date"] >= first) & (inputs.anomalies["expected"] > 0)
    ]
    drafts = []
    for row in _one_per_series_day(recent):
        expected, value, score = float(row["expected"]), float(row["value"]), float(row["score"])
        noise = abs(value - expected) / abs(score)
        deviation = (value - expected) / expected
        half = Z_95 * noise / expected
        if not excludes(deviation - half, deviation + half):
            continue
        name = inputs.name(row["platform"])
        metric = METRIC_WORDS.get(row["metric"], row["metric"])
        what = {
            "platform": f"{name} {metric}",
            "account": f"{metric} of {name} account {row['series_id']}",
            "content": f"{metric} of {name} item {row['series_id']}",
        }[row["series_level"]]
        when = row["anomaly_date"].isoformat()
        impact = Impact(
            deviation,
            deviation - half,
            deviation + half,
            f"relative_deviation_{row['metric']}",
            f"vs the expected {metric} on {when}",
            "relative",
            "95% range",
        )
        description = (
            f"On {when} the {what} was {value:,.0f} against {expected:,.0f} expected from its level, "
            f"trend and weekday pattern ({impact.number(deviation)}; score {score:+.1f}, threshold "
            f"{row['threshold']:g}, {row['method'].replace('_', ' ')}). Check for a tracking gap, a "
            "platform change, a mention or a re-share before acting on it."
        )
        drafts.append(
            Draft(
                insight_type="anomaly_to_investigate",
                workspace_id=inputs.workspace_id,
                platform=row["platform"],
                subject=f"{row['series_level']}:{row['series_id']}:{when}",
                title=f"Investigate the {row['direction']} in {what} on {when}",
                description=description,
                impact=impact,
                relative_effect=deviation,
                reach_share=shares.get(
                    (row["series_level"], row["platform"], row["series_id"], row["metric"]), 0.0
                ),
                difficulty="low",
                evidence={
                    "anomaly_date": when,
                    "value": value,
                    "expected": expected,
                    "score": score,
                    "threshold": row["threshold"],
                    "direction": row["direction"],
                    "method": row["method"],
                },
                sources=[source(ANOMALIES, row, (*SERIES_KEY, "anomaly_date"))],
                affected_content=(row["series_id"],) if row["series_level"] == "content" else (),
            )
        )
    return drafts
