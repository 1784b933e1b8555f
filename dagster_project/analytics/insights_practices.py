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
from collections.abc import Callable, Iterator, Mapping, Sequence
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
OVERALL_SCOPE = "overall"  # correlations over all platforms, metrics centred within platform
IMPORTANCE_OVERALL_SCOPE = "all"  # the importance model over all platforms, z-scored within platform
NUMBERS = ("coefficient", "ci_lower", "ci_upper")
CONFIDENCE = 0.95
TEST_NAMES = {"welch_anova": "Welch ANOVA", "anova": "one-way ANOVA", "kruskal": "Kruskal-Wallis"}


@dataclass(frozen=True)
class GroupPractice:
    insight_type: InsightType
    difficulty: Difficulty
    title: str  # favour {level}; the scope follows
    avoid_title: str  # move away from {level}
    phrase: str  # how an item of the level is described
    others: str  # the other levels, in words


GROUP_PRACTICES: dict[str, GroupPractice] = {
    "publish_daypart": GroupPractice(
        "best_posting_hour",
        "low",
        "Publish in the {level}",
        "Avoid publishing in the {level}",
        "published in the {level}",
        "published at other times of day",
    ),
    "publish_weekday": GroupPractice(
        "best_posting_weekday",
        "low",
        "Publish on {level}",
        "Avoid publishing on {level}",
        "published on {level}",
        "published on other weekdays",
    ),
    "format": GroupPractice(
        "content_format",
        "medium",
        "Favour the {level} format",
        "Use the {level} format less",
        "in the {level} format",
        "in other formats",
    ),
    "category": GroupPractice(
        "content_category",
        "high",
        "Make more {level} content",
        "Make less {level} content",
        "in the {level} category",
        "in other categories",
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
    """One level against the other levels pooled: ``gain`` is what following the recommendation
    changes (favoured level minus the rest, or the rest minus an avoided level), with Welch's
    interval."""

    level: str
    favoured: bool
    level_n: int
    level_mean: float
    rest_n: int
    rest_mean: float
    gain: float
    lower: float
    upper: float
    df: float

    @property
    def baseline(self) -> float:
        """The mean the recommendation moves items away from."""
        return self.rest_mean if self.favoured else self.level_mean


def level_versus_rest(
    levels: Sequence[Mapping[str, Any]], favoured: bool = True, confidence: float = CONFIDENCE
) -> Contrast | None:
    """The level with the highest mean (``favoured``) or the lowest against all other levels pooled
    (their combined mean and variance, between-level spread included); None with fewer than two
    usable levels."""
    usable = [
        lv
        for lv in levels
        if lv.get("mean") is not None and lv.get("std") is not None and (lv.get("sample_size") or 0) >= 2
    ]
    if len(usable) < 2:
        return None
    pick = max if favoured else min
    chosen = pick(usable, key=lambda lv: (lv["mean"], str(lv["level"])))
    rest = [lv for lv in usable if lv is not chosen]
    n = np.array([lv["sample_size"] for lv in rest], dtype=float)
    means = np.array([lv["mean"] for lv in rest], dtype=float)
    sds = np.array([lv["std"] for lv in rest], dtype=float)
    rest_n = float(n.sum())
    rest_mean = float((n * means).sum() / rest_n)
    rest_var = float((((n - 1) * sds**2).sum() + (n * (means - rest_mean) ** 2).sum()) / (rest_n - 1))
    level_n = float(chosen["sample_size"])
    a, b = float(chosen["std"]) ** 2 / level_n, rest_var / rest_n
    se = math.sqrt(a + b)
    if se == 0:
        return None
    df = (a + b) ** 2 / (a**2 / (level_n - 1) + b**2 / (rest_n - 1))
    gain = (float(chosen["mean"]) - rest_mean) * (1 if favoured else -1)
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Contrast(
        str(chosen["level"]),
        favoured,
        int(level_n),
        float(chosen["mean"]),
        int(rest_n),
        rest_mean,
        gain,
        gain - half,
        gain + half,
        df,
    )


def _qualifies(contrast: Contrast | None) -> bool:
    return contrast is not None and contrast.gain > 0 and excludes(contrast.lower, contrast.upper)


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


def _where(inputs: InsightInputs, platform: str | None) -> str:
    return f" on {inputs.name(platform)}" if platform else " across your platforms"


def _among(inputs: InsightInputs, platform: str | None) -> str:
    if platform:
        return f"On {inputs.name(platform)}, items"
    return "Across your platforms (compared within each platform), items"


def _qualifying(
    inputs: InsightInputs,
    features: Sequence[str],
    methods: Sequence[str],
    build: Callable[[InsightInputs, Mapping[str, Any], str | None, str], Draft | None],
) -> list[Draft]:
    """One draft per (scope, feature) of the significant rows: the overall scope (metrics centred
    within platform) and each platform's; the first metric of METRIC_PREFERENCE that qualifies."""
    rows = inputs.correlations
    scopes = {OVERALL_SCOPE, *inputs.items["platform"].dropna()}
    rows = rows[
        rows["feature"].isin(list(features))
        & rows["method"].isin(list(methods))
        & rows["scope"].isin(list(scopes))
        & rows["is_significant"]
    ]
    drafts = []
    for (scope, feature), records in _preferred(rows, ["scope", "feature"]):
        platform = None if scope == OVERALL_SCOPE else str(scope)
        draft = next((d for row in records if (d := build(inputs, row, platform, str(feature)))), None)
        if draft is not None:
            drafts.append(draft)
    return drafts


def group_practices(inputs: InsightInputs) -> list[Draft]:
    """Best posting daypart and weekday, format and category, overall and per platform."""
    return _qualifying(inputs, list(GROUP_PRACTICES), GROUP_METHODS, _group_draft)


def _group_draft(
    inputs: InsightInputs, row: Mapping[str, Any], platform: str | None, feature: str
) -> Draft | None:
    """The best level against the rest, or the worst one (what to avoid): of the two that are
    significant differences, the one whose gain has the higher lower bound."""
    levels = row["level_summaries"] or []
    candidates = [c for favoured in (True, False) if _qualifies(c := level_versus_rest(levels, favoured))]
    if not candidates:
        return None
    contrast = max(candidates, key=lambda c: (c.lower, c.favoured))
    practice = GROUP_PRACTICES[feature]
    level = contrast.level.replace("_", " ")
    note = inputs.level_notes.get((feature, contrast.level))
    shown_level = f"{level} ({note})" if note else level
    among = f"{_among(inputs, platform)} {practice.phrase.format(level=shown_level)}"
    if contrast.favoured:
        title, suffix = practice.title, f" vs items {practice.others}"
        finding = (
            f"{among} are associated with {{}} {metric_label(row)} compared with items {practice.others}"
        )
    else:
        title, suffix = practice.avoid_title, f" vs the {level} items"
        finding = (
            f"{among} are associated with lower {metric_label(row)}: items {practice.others} have {{}} "
            "compared with them"
        )
    impact, relative = metric_impact(
        row,
        contrast.gain,
        contrast.lower,
        contrast.upper,
        contrast.baseline,
        suffix,
    )
    description = (
        finding.format(impact.number(impact.estimate))
        + f" ({impact.interval} {impact.number(impact.lower)} to {impact.number(impact.upper)}; "
        f"n = {contrast.level_n} vs {contrast.rest_n}; {_test_numbers(row)} across {len(levels)} levels). "
        f"This is {ASSOCIATION_CAVEAT}: other differences between these items may contribute."
    )
    moving = contrast.rest_n if contrast.favoured else contrast.level_n
    return Draft(
        insight_type=practice.insight_type,
        workspace_id=inputs.workspace_id,
        platform=platform,
        subject=f"{feature}{'=' if contrast.favoured else '!='}{contrast.level}",
        title=title.format(level=shown_level) + _where(inputs, platform),
        description=description,
        impact=impact,
        relative_effect=relative,
        reach_share=moving / max(1, inputs.items_with(row["metric"])),
        difficulty=practice.difficulty,
        evidence={
            "metric": row["metric"],
            "level": contrast.level,
            "favoured": contrast.favoured,
            "level_mean": contrast.level_mean,
            "rest_mean": contrast.rest_mean,
            "gain": contrast.gain,
            "gain_ci": [contrast.lower, contrast.upper],
            "welch_df": contrast.df,
            "level_n": contrast.level_n,
            "rest_n": contrast.rest_n,
            "adjusted_p_value": row["adjusted_p_value"],
            "effect_size": row["effect_size"],
            "effect_size_name": row["effect_size_name"],
            "levels": levels,
        },
        sources=[source(CORRELATIONS, row, CORRELATION_KEY)],
    )


def length_practices(inputs: InsightInputs) -> list[Draft]:
    """Longer or shorter videos, titles, descriptions, overall and per platform, from significant
    Pearson correlations; the interval of r becomes an effect per standard deviation of the feature."""
    return _qualifying(inputs, list(LENGTH_FEATURES), ("pearson",), _length_draft)


def _scope_items(inputs: InsightInputs, platform: str | None) -> pd.DataFrame:
    return inputs.items if platform is None else inputs.items[inputs.items["platform"] == platform]


def _scaled_pairs(inputs: InsightInputs, platform: str | None, feature: str, metric: str) -> pd.DataFrame:
    """The items the correlation used, with the metric as its scope had it (centred within
    platform for the overall scope)."""
    pairs = _scope_items(inputs, platform)[["platform", feature, metric]].dropna()
    pairs = pairs.assign(**{feature: pairs[feature].astype(float), metric: pairs[metric].astype(float)})
    if platform is None:
        centred = pairs[metric] - pairs.groupby("platform")[metric].transform("mean")
        pairs = pairs.assign(**{metric: centred})
    return pairs


def _length_draft(
    inputs: InsightInputs, row: Mapping[str, Any], platform: str | None, feature: str
) -> Draft | None:
    r, low, high = (
        finite(row[c])
        for c in ("correlation_coefficient", "confidence_interval_lower", "confidence_interval_upper")
    )
    if r is None or low is None or high is None or not excludes(low, high):
        return None
    pairs = _scaled_pairs(inputs, platform, feature, row["metric"])
    if len(pairs) < 3:
        return None
    sd_x, sd_y = float(pairs[feature].std()), float(pairs[row["metric"]].std())
    if not (sd_x > 0 and sd_y > 0):
        return None
    spec = LENGTH_FEATURES[feature]
    way = "longer" if r > 0 else "shorter"
    # Moving one SD in the recommended direction: |r| SDs of the metric (the interval likewise).
    gains = sorted(abs(v) * sd_y for v in (low, high))
    impact, relative = metric_impact(
        row,
        abs(r) * sd_y,
        gains[0],
        gains[1],
        float(_scope_items(inputs, platform)[row["metric"]].mean()),
        f" per {sd_x:,.0f} {spec.unit} {way}",
    )
    partial = _partial_coefficient(inputs, platform, row["metric"], feature)
    held = ""
    if partial is not None:
        held = (
            " Holding the other title, tag and posting-hour features fixed, its standardised "
            f"coefficient is {partial['coefficient']:+.2f} "
            f"(95% CI {partial['ci_lower']:+.2f} to {partial['ci_upper']:+.2f})."
        )
    description = (
        f"{_among(inputs, platform)} with {way} {spec.noun} are associated with higher {metric_label(row)}: "
        f"{impact.number(impact.estimate)} per standard deviation ({sd_x:,.0f} {spec.unit}) {way} "
        f"({impact.interval} {impact.number(impact.lower)} to {impact.number(impact.upper)}; "
        f"Pearson r = {r:.2f}, {format_p(row['adjusted_p_value'], 'BH-adjusted')}, n = {row['sample_size']})."
        f"{held} A linear "
        f"association over the range you publish; this is {ASSOCIATION_CAVEAT}."
    )
    return Draft(
        insight_type="content_length",
        workspace_id=inputs.workspace_id,
        platform=platform,
        subject=f"{feature}:{way}",
        title=f"Try {way} {spec.noun}" + _where(inputs, platform),
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
    inputs: InsightInputs, platform: str | None, metric: str, feature: str
) -> dict[str, Any] | None:
    """The feature's row in the importance model of the scope and metric, when it was fitted."""
    rows = inputs.importance
    scope = platform or IMPORTANCE_OVERALL_SCOPE
    match = rows[(rows["scope"] == scope) & (rows["metric"] == metric) & (rows["feature"] == feature)]
    for row in match.to_dict("records"):
        numbers = dict(zip(NUMBERS, (finite(row[c]) for c in NUMBERS), strict=True))
        if all(v is not None for v in numbers.values()):
            return {**{k: row[k] for k in IMPORTANCE_KEY}, **numbers, "rank": row["rank"]}
    return None


PLATFORM_KEY = ("analysis_date", "workspace_id", "comparison", "feature", "metric")


def platform_mix(inputs: InsightInputs) -> list[Draft]:
    """The platform whose items do best against the workspace's other platforms."""
    rows = inputs.platform_comparisons
    rows = rows[(rows["comparison"] == "metric_by_platform") & rows["is_significant"]]
    for _, records in _preferred(rows, ["workspace_id"]):
        draft = next((d for row in records if (d := _platform_draft(inputs, row))), None)
        return [draft] if draft is not None else []
    return []


def _platform_draft(inputs: InsightInputs, row: Mapping[str, Any]) -> Draft | None:
    contrast = level_versus_rest(row["per_platform"] or [])
    if contrast is None or not _qualifies(contrast):
        return None
    impact, relative = metric_impact(
        row,
        contrast.gain,
        contrast.lower,
        contrast.upper,
        contrast.rest_mean,
        " vs your other platforms",
    )
    name = inputs.name(contrast.level)
    description = (
        f"{name} items are associated with {impact.number(impact.estimate)} {metric_label(row)} compared "
        f"with the items on your other platforms ({impact.interval} {impact.number(impact.lower)} to "
        f"{impact.number(impact.upper)}; n = {contrast.level_n} vs {contrast.rest_n}; Kruskal-Wallis "
        f"{format_p(row['adjusted_p_value'], 'BH-adjusted')}). Platforms differ in audience and formats, "
        f"so this says where your content does best, not what a move would cause: {ASSOCIATION_CAVEAT}."
    )
    return Draft(
        insight_type="platform_mix",
        workspace_id=inputs.workspace_id,
        platform=contrast.level,
        subject="best_platform",
        title=f"Put more of your effort into {name}",
        description=description,
        impact=impact,
        relative_effect=relative,
        reach_share=contrast.rest_n / max(1, contrast.rest_n + contrast.level_n),
        difficulty="high",
        evidence={
            "metric": row["metric"],
            "best_platform": contrast.level,
            "best_mean": contrast.level_mean,
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
    """Share of the window's items on ``platforms`` (all items when the platforms are unknown)."""
    if not platforms:
        return 1.0
    return float(inputs.items["platform"].isin(list(platforms)).sum()) / max(1, len(inputs.items))
