"""Insights about how to publish: posting time, content length, format, category, platform mix
and A/B winners to roll out.

Each comes from a significant result of the day (Benjamini-Hochberg for the feature tests, Holm
for the experiments) whose effect interval also excludes zero. Category levels are compared as
"best level against the platform's other items": Welch's interval for the difference of the best
level's mean and the pooled mean of the rest, from the level summaries the correlation asset
stored. View metrics are log1p, so a difference is a ratio of geometric means. These are
associations in the workspace's recent content, and are worded so.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dagster_project.analytics.insights_model import (
    Difficulty,
    Draft,
    Impact,
    InsightInputs,
    InsightType,
    excludes,
    finite,
    plain,
    source,
)
from dagster_project.analytics.interpretation import ASSOCIATION_CAVEAT, format_p

CORRELATIONS = "analytics.correlation_analysis_results"
IMPORTANCE = "analytics.feature_importance_results"
PLATFORM_COMPARISONS = "analytics.platform_comparison_results"
AB_TESTS = "analytics.ab_test_performance"
# The metric an insight is stated in: the first one with a qualifying result.
METRIC_PREFERENCE = (
    "log1p_views_day_7",
    "log1p_views_day_30",
    "engagement_rate_day_7",
    "engagement_rate_day_30",
)
GROUP_METHODS = ("welch_anova", "anova")
CONFIDENCE = 0.95
TEST_NAMES = {"welch_anova": "Welch ANOVA", "anova": "one-way ANOVA", "kruskal": "Kruskal-Wallis"}


@dataclass(frozen=True)
class GroupPractice:
    insight_type: InsightType
    difficulty: Difficulty
    title: str  # {level} and {platform}
    phrase: str  # how an item of the level is described


GROUP_PRACTICES: dict[str, GroupPractice] = {
    "publish_daypart": GroupPractice(
        "best_posting_hour", "low", "Publish {platform} posts in the {level}", "published in the {level}"
    ),
    "publish_weekday": GroupPractice(
        "best_posting_weekday", "low", "Publish {platform} posts on {level}", "published on {level}"
    ),
    "format": GroupPractice(
        "content_format", "medium", "Favour the {level} format on {platform}", "in the {level} format"
    ),
    "category": GroupPractice(
        "content_category", "high", "Make more {level} content for {platform}", "in the {level} category"
    ),
}


@dataclass(frozen=True)
class LengthFeature:
    noun: str  # what gets longer or shorter
    unit: str


LENGTH_FEATURES: dict[str, LengthFeature] = {
    "duration_seconds": LengthFeature("videos", "s"),
    "title_length": LengthFeature("titles", "characters"),
    "description_length": LengthFeature("descriptions", "characters"),
}


@dataclass(frozen=True)
class Contrast:
    """Best level against the pooled rest: difference of means with Welch's interval."""

    best: str
    best_n: int
    best_mean: float
    rest_n: int
    rest_mean: float
    difference: float
    lower: float
    upper: float
    df: float


def best_versus_rest(levels: Sequence[Mapping[str, Any]], confidence: float = CONFIDENCE) -> Contrast | None:
    """The level with the highest mean against all other levels pooled (their combined mean and
    variance, between-level spread included); None with fewer than two usable levels."""
    usable = [
        lv
        for lv in levels
        if lv.get("mean") is not None and lv.get("std") is not None and (lv.get("sample_size") or 0) >= 2
    ]
    if len(usable) < 2:
        return None
    best = max(usable, key=lambda lv: (lv["mean"], str(lv["level"])))
    rest = [lv for lv in usable if lv is not best]
    n = np.array([lv["sample_size"] for lv in rest], dtype=float)
    means = np.array([lv["mean"] for lv in rest], dtype=float)
    sds = np.array([lv["std"] for lv in rest], dtype=float)
    rest_n = float(n.sum())
    rest_mean = float((n * means).sum() / rest_n)
    rest_var = float((((n - 1) * sds**2).sum() + (n * (means - rest_mean) ** 2).sum()) / (rest_n - 1))
    best_n = float(best["sample_size"])
    best_var = float(best["std"]) ** 2
    a, b = best_var / best_n, rest_var / rest_n
    se = math.sqrt(a + b)
    if se == 0:
        return None
    df = (a + b) ** 2 / (a**2 / (best_n - 1) + b**2 / (rest_n - 1))
    difference = float(best["mean"]) - rest_mean
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Contrast(
        str(best["level"]),
        int(best_n),
        float(best["mean"]),
        int(rest_n),
        rest_mean,
        difference,
        difference - half,
        difference + half,
        df,
    )


def metric_label(row: Mapping[str, Any]) -> str:
    """``day-7 views (geometric mean)`` / ``day-30 engagement rate`` from the row's metric columns."""
    base = str(row["metric_source"]).rsplit("_day_", 1)[0].replace("_", " ")
    label = f"day-{row['metric_age_days']} {base}"
    return f"{label} (geometric mean)" if row["metric_transform"] == "log1p" else label


def metric_impact(
    row: Mapping[str, Any], difference: float, lower: float, upper: float, reference: float, suffix: str = ""
) -> tuple[Impact, float]:
    """A difference on the metric's scale as an impact, and its relative effect: log1p differences
    become ratios (+12%), rate differences percentage points relative to ``reference``."""
    label = metric_label(row) + suffix
    if row["metric_transform"] == "log1p":
        impact = Impact(
            math.expm1(difference),
            math.expm1(lower),
            math.expm1(upper),
            f"relative_{row['metric_source']}",
            label,
            "relative",
        )
        return impact, impact.estimate
    impact = Impact(difference, lower, upper, f"points_{row['metric_source']}", label, "points")
    return impact, difference / reference if reference > 0 else difference


def _preferred(rows: pd.DataFrame, keys: Sequence[str]) -> Iterator[tuple[tuple, list[Mapping[str, Any]]]]:
    """Rows grouped by ``keys``, each group in METRIC_PREFERENCE order."""
    order = {m: i for i, m in enumerate(METRIC_PREFERENCE)}
    rows = rows[rows["metric"].isin(list(order))]
    for key, group in rows.groupby(list(keys), sort=True):
        records = sorted(group.to_dict("records"), key=lambda r: order[r["metric"]])
        yield key, records


CORRELATION_KEY = ("analysis_date", "workspace_id", "scope", "feature", "metric", "method")


def _test_numbers(row: Mapping[str, Any]) -> str:
    return (
        f"{TEST_NAMES.get(row['method'], row['method'])}: {format_p(row['adjusted_p_value'], 'BH-adjusted')}"
    )


def group_practices(inputs: InsightInputs) -> list[Draft]:
    """Best posting daypart and weekday, format and category per platform."""
    rows = inputs.correlations
    platforms = set(inputs.items["platform"].dropna())
    rows = rows[
        rows["feature"].isin(list(GROUP_PRACTICES))
        & rows["method"].isin(list(GROUP_METHODS))
        & rows["scope"].isin(list(platforms))
        & rows["is_significant"]
    ]
    drafts = []
    for (scope, feature), records in _preferred(rows, ["scope", "feature"]):
        for row in records:
            draft = _group_draft(inputs, row, str(scope), str(feature))
            if draft is not None:
                drafts.append(draft)
                break
    return drafts


def _group_draft(inputs: InsightInputs, row: Mapping[str, Any], platform: str, feature: str) -> Draft | None:
    contrast = best_versus_rest(row["level_summaries"] or [])
    if contrast is None or not excludes(contrast.lower, contrast.upper) or contrast.difference <= 0:
        return None
    practice = GROUP_PRACTICES[feature]
    level = contrast.best.replace("_", " ")
    note = inputs.level_notes.get((feature, contrast.best))
    shown_level = f"{level} ({note})" if note else level
    impact, relative = metric_impact(
        row, contrast.difference, contrast.lower, contrast.upper, contrast.rest_mean, " vs the other items"
    )
    name = inputs.name(platform)
    description = (
        f"On {name}, items {practice.phrase.format(level=shown_level)} are associated with "
        f"{impact.number(impact.estimate)} {metric_label(row)} compared with the platform's other items "
        f"({impact.interval} {impact.number(impact.lower)} to {impact.number(impact.upper)}; "
        f"n = {contrast.best_n} vs {contrast.rest_n}; {_test_numbers(row)} across "
        f"{len(row['level_summaries'])} levels). This is {ASSOCIATION_CAVEAT}: "
        "other differences between these items may contribute."
    )
    return Draft(
        insight_type=practice.insight_type,
        workspace_id=inputs.workspace_id,
        platform=platform,
        subject=f"{feature}={contrast.best}",
        title=practice.title.format(platform=name, level=shown_level),
        description=description,
        impact=impact,
        relative_effect=relative,
        reach_share=contrast.rest_n / max(1, inputs.items_with(row["metric"])),
        difficulty=practice.difficulty,
        evidence={
            "metric": row["metric"],
            "best_level": contrast.best,
            "best_mean": contrast.best_mean,
            "rest_mean": contrast.rest_mean,
            "difference": contrast.difference,
            "difference_ci": [contrast.lower, contrast.upper],
            "welch_df": contrast.df,
            "best_n": contrast.best_n,
            "rest_n": contrast.rest_n,
            "adjusted_p_value": row["adjusted_p_value"],
            "effect_size": row["effect_size"],
            "effect_size_name": row["effect_size_name"],
            "levels": row["level_summaries"],
        },
        sources=[source(CORRELATIONS, row, CORRELATION_KEY)],
    )


def length_practices(inputs: InsightInputs) -> list[Draft]:
    """Longer or shorter videos, titles, descriptions per platform, from significant Pearson
    correlations; the interval of r becomes an effect per standard deviation of the feature."""
    rows = inputs.correlations
    platforms = set(inputs.items["platform"].dropna())
    rows = rows[
        rows["feature"].isin(list(LENGTH_FEATURES))
        & (rows["method"] == "pearson")
        & rows["scope"].isin(list(platforms))
        & rows["is_significant"]
    ]
    drafts = []
    for (scope, feature), records in _preferred(rows, ["scope", "feature"]):
        for row in records:
            draft = _length_draft(inputs, row, str(scope), str(feature))
            if draft is not None:
                drafts.append(draft)
                break
    return drafts


def _length_draft(inputs: InsightInputs, row: Mapping[str, Any], platform: str, feature: str) -> Draft | None:
    r, low, high = (
        finite(row[c])
        for c in ("correlation_coefficient", "confidence_interval_lower", "confidence_interval_upper")
    )
    if r is None or low is None or high is None or not excludes(low, high):
        return None
    items = inputs.items[inputs.items["platform"] == platform]
    pairs = items[[feature, row["metric"]]].astype(float).dropna()
    if len(pairs) < 3:
        return None
    sd_x, sd_y = float(pairs[feature].std()), float(pairs[row["metric"]].std())
    if not (sd_x > 0 and sd_y > 0):
        return None
    longer = r > 0
    spec = LENGTH_FEATURES[feature]
    way = "longer" if longer else "shorter"
    # Moving one SD in the recommended direction: |r| SDs of the metric (the interval likewise).
    gains = sorted(abs(v) * sd_y for v in (low, high))
    impact, relative = metric_impact(
        row,
        abs(r) * sd_y,
        gains[0],
        gains[1],
        float(pairs[row["metric"]].mean()),
        f" per {sd_x:,.0f} {spec.unit} {way}",
    )
    name = inputs.name(platform)
    partial = _partial_coefficient(inputs, platform, row["metric"], feature)
    held = ""
    if partial is not None:
        held = (
            " Holding the other title, tag and posting-hour features fixed, its standardised "
            f"coefficient is {partial['coefficient']:+.2f} "
            f"(95% CI {partial['ci_lower']:+.2f} to {partial['ci_upper']:+.2f})."
        )
    description = (
        f"On {name}, {way} {spec.noun} are associated with higher {metric_label(row)}: "
        f"{impact.number(impact.estimate)} per standard deviation ({sd_x:,.0f} {spec.unit}) {way} "
        f"({impact.interval} {impact.number(impact.lower)} to {impact.number(impact.upper)}; "
        f"Pearson r = {r:.2f}, {_test_numbers(row)}, n = {row['sample_size']}).{held} A linear "
        f"association over the range you publish; this is {ASSOCIATION_CAVEAT}."
    )
    return Draft(
        insight_type="content_length",
        workspace_id=inputs.workspace_id,
        platform=platform,
        subject=f"{feature}:{way}",
        title=f"Try {way} {spec.noun} on {name}",
        description=description,
        impact=impact,
        relative_effect=relative,
        reach_share=len(pairs) / max(1, inputs.items_with(row["metric"])),
        difficulty="medium",
        evidence={
            "metric": row["metric"],
            "feature": feature,
            "correlation_coefficient": r,
            "correlation_ci": [low, high],
            "adjusted_p_value": row["adjusted_p_value"],
            "feature_sd": sd_x,
            "metric_sd": sd_y,
            "sample_size": row["sample_size"],
            "partial_coefficient": partial,
        },
        sources=[source(CORRELATIONS, row, CORRELATION_KEY)]
        + ([source(IMPORTANCE, partial, IMPORTANCE_KEY)] if partial is not None else []),
    )


IMPORTANCE_KEY = ("analysis_date", "workspace_id", "scope", "metric", "feature")


def _partial_coefficient(
    inputs: InsightInputs, platform: str, metric: str, feature: str
) -> dict[str, Any] | None:
    """The feature's row in the platform's importance model for the metric, when it was fitted."""
    rows = inputs.importance
    match = rows[(rows["scope"] == platform) & (rows["metric"] == metric) & (rows["feature"] == feature)]
    for row in match.to_dict("records"):
        numbers = [finite(row[c]) for c in ("coefficient", "ci_lower", "ci_upper")]
        if all(v is not None for v in numbers):
            return {
                **{k: row[k] for k in IMPORTANCE_KEY},
                **dict(zip(("coefficient", "ci_lower", "ci_upper"), numbers, strict=True)),
                "rank": row["rank"],
            }
    return None


PLATFORM_KEY = ("analysis_date", "workspace_id", "comparison", "feature", "metric")


def platform_mix(inputs: InsightInputs) -> list[Draft]:
    """The platform whose items do best against the workspace's other platforms."""
    rows = inputs.platform_comparisons
    rows = rows[(rows["comparison"] == "metric_by_platform") & rows["is_significant"]]
    for _, records in _preferred(rows, ["workspace_id"]):
        for row in records:
            draft = _platform_draft(inputs, row)
            if draft is not None:
                return [draft]
    return []


def _platform_draft(inputs: InsightInputs, row: Mapping[str, Any]) -> Draft | None:
    contrast = best_versus_rest(row["per_platform"] or [])
    if contrast is None or not excludes(contrast.lower, contrast.upper) or contrast.difference <= 0:
        return None
    impact, relative = metric_impact(
        row,
        contrast.difference,
        contrast.lower,
        contrast.upper,
        contrast.rest_mean,
        " vs your other platforms",
    )
    name = inputs.name(contrast.best)
    description = (
        f"{name} items are associated with {impact.number(impact.estimate)} {metric_label(row)} compared "
        f"with the items on your other platforms ({impact.interval} {impact.number(impact.lower)} to "
        f"{impact.number(impact.upper)}; n = {contrast.best_n} vs {contrast.rest_n}; Kruskal-Wallis "
        f"{format_p(row['adjusted_p_value'], 'BH-adjusted')}). Platforms differ in audience and formats, "
        f"so this says where your content does best, not what a move would cause: {ASSOCIATION_CAVEAT}."
    )
    return Draft(
        insight_type="platform_mix",
        workspace_id=inputs.workspace_id,
        platform=contrast.best,
        subject="best_platform",
        title=f"Put more of your effort into {name}",
        description=description,
        impact=impact,
        relative_effect=relative,
        reach_share=contrast.rest_n / max(1, contrast.rest_n + contrast.best_n),
        difficulty="high",
        evidence={
            "metric": row["metric"],
            "best_platform": contrast.best,
            "best_mean": contrast.best_mean,
            "rest_mean": contrast.rest_mean,
            "difference_ci": [contrast.lower, contrast.upper],
            "adjusted_p_value": row["adjusted_p_value"],
            "epsilon_squared": row["effect_size"],
            "per_platform": row["per_platform"],
        },
        sources=[source(PLATFORM_COMPARISONS, row, PLATFORM_KEY)],
    )


AB_KEY = ("analysis_date", "workspace_id", "experiment_id", "variant")


def ab_winners(inputs: InsightInputs) -> list[Draft]:
    """Treatments that beat their control at the fixed horizon (Holm-adjusted, no sample-ratio
    mismatch): roll them out."""
    rows = inputs.ab_tests
    rows = rows[(rows["verdict"] == "treatment_better") & rows["is_significant"] & ~rows["is_control"]]
    drafts = []
    for row in rows.to_dict("records"):
        lift, low, high = (finite(row[c]) for c in ("relative_lift", "lift_ci_lower", "lift_ci_upper"))
        if lift is None or low is None or high is None or not excludes(low, high):
            continue
        platforms = list(row["platforms"] or [])
        measure = "mean per item" if row["metric_kind"] == "mean" else "rate"
        impact = Impact(
            lift,
            low,
            high,
            f"relative_lift_{row['primary_metric']}",
            f"{row['primary_metric']} at day {row['metric_age_days']} ({measure})",
            "relative",
        )
        power = finite(row["achieved_power"])
        description = (
            f"Experiment {row['experiment_id']}: {row['verdict_text']} "
            + (f"Power to detect the planned lift was {power:.0%}. " if power is not None else "")
            + "A randomised comparison at equal content age, so the lift can be expected from rolling "
            "the variant out to similar content."
        )
        drafts.append(
            Draft(
                insight_type="ab_test_winner",
                workspace_id=inputs.workspace_id,
                platform=platforms[0] if len(platforms) == 1 else None,
                subject=f"{row['experiment_id']}:{row['variant']}",
                title=f"Roll out variant {row['variant']} of experiment {row['experiment_id']}",
                description=description,
                impact=impact,
                relative_effect=lift,
                reach_share=_share_on(inputs, platforms),
                difficulty="low",
                evidence={
                    "experiment_id": row["experiment_id"],
                    "variant": row["variant"],
                    "control_variant": row["control_variant"],
                    "relative_lift": lift,
                    "lift_ci": [low, high],
                    "adjusted_p_value": row["adjusted_p_value"],
                    "achieved_power": power,
                    "sample_size": row["sample_size"],
                    "planned_end": plain(row["planned_end"]),
                },
                sources=[source(AB_TESTS, row, AB_KEY)],
            )
        )
    return drafts


def _share_on(inputs: InsightInputs, platforms: Sequence[str]) -> float:
    total = len(inputs.items)
    if not platforms or total == 0:
        return 1.0 if not platforms else 0.0
    return float(inputs.items["platform"].isin(list(platforms)).sum()) / total
