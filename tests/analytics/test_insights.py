"""Optimisation insights from hand-built result frames with known answers: each insight type, the
priority formula and ordering, the impact text, association wording, nothing from evidence that
is not significant, and the day-to-day status (new / updated / unchanged)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dagster_project.analytics.insights import (
    REPEAT_AFTER_DAYS,
    PreviousReport,
    evidence_hash,
    generate_insights,
    report,
)
from dagster_project.analytics.insights_content import (
    anomalies_to_investigate,
    decaying_content,
    rising_content,
    underperformers,
)
from dagster_project.analytics.insights_model import (
    Draft,
    Impact,
    InsightInputs,
    confidence_score,
    finish,
    priority_level,
)
from dagster_project.analytics.insights_practices import (
    ab_winners,
    group_practices,
    length_practices,
    level_versus_rest,
    platform_mix,
)

DAY = dt.date(2026, 10, 31)
WORKSPACE = "acme"
FORBIDDEN_WORDS = ("causes", "caused by", "because", "leads to", "drives")


def summary(level: str, values: Sequence[float]) -> dict[str, Any]:
    """A level summary as the correlation asset stores it (mean, sample SD, n)."""
    array = np.asarray(values, dtype=float)
    return {
        "level": level,
        "sample_size": len(array),
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)),
        "median": float(np.median(array)),
    }


def samples(rng: np.random.Generator, levels: Mapping[str, tuple[float, int]]) -> dict[str, np.ndarray]:
    return {level: rng.normal(mean, 0.5, size=n) for level, (mean, n) in levels.items()}


def correlation_row(**values: Any) -> dict[str, Any]:
    row = {
        "analysis_date": DAY,
        "workspace_id": WORKSPACE,
        "scope": "tiktok",
        "feature": "publish_daypart",
        "metric": "log1p_views_day_7",
        "method": "welch_anova",
        "metric_source": "views_day_7",
        "metric_transform": "log1p",
        "metric_age_days": 7,
        "correlation_coefficient": None,
        "confidence_interval_lower": None,
        "confidence_interval_upper": None,
        "adjusted_p_value": 0.001,
        "is_significant": True,
        "sample_size": 0,
        "effect_size": 0.1,
        "effect_size_name": "eta_squared",
        "level_summaries": None,
    }
    return {**row, **values}


def items(platforms: Mapping[str, int], **columns: Sequence[float]) -> pd.DataFrame:
    """The window's items: ``platforms`` gives how many per platform; extra columns in that order."""
    names = [p for p, n in platforms.items() for _ in range(n)]
    frame = pd.DataFrame({"workspace_id": WORKSPACE, "platform": names, "content_id": range(len(names))})
    frame["content_id"] = [f"c{i}" for i in frame["content_id"]]
    frame["log1p_views_day_7"] = 1.0
    for name, values in columns.items():
        frame[name] = values
    return frame


def make_inputs(**frames: pd.DataFrame | list[dict[str, Any]]) -> InsightInputs:
    empty = {
        "correlations": [],
        "importance": pd.DataFrame(columns=["scope", "metric", "feature"]),
        "platform_comparisons": pd.DataFrame(
            columns=["comparison", "is_significant", "metric", "workspace_id"]
        ),
        "ab_tests": pd.DataFrame(columns=["verdict", "is_significant", "is_control"]),
        "trends": pd.DataFrame(
            columns=["series_level", "metric", "insufficient_data", "platform", "level", "overall_direction"]
        ),
        "anomalies": pd.DataFrame(
            columns=["anomaly_date", "expected", "series_level", "platform", "series_id"]
        ),
        "benchmarked": pd.DataFrame(columns=["platform", "performance_score", "views", "views_p50"]),
        "items": items({"tiktok": 100}),
    }
    given = {**empty, **frames}
    as_frames = {
        name: value
        if isinstance(value, pd.DataFrame)
        else pd.DataFrame(value, columns=list(correlation_row()) if not value else None)
        for name, value in given.items()
    }
    return InsightInputs(
        analysis_date=DAY,
        workspace_id=WORKSPACE,
        low_performance_threshold=2.5,
        platform_names={"tiktok": "TikTok", "youtube": "YouTube"},
        level_notes={("publish_daypart", "evening"): "17:00-21:59 local time"},
        **as_frames,
    )


def assert_association_wording(text: str) -> None:
    assert "associated with" in text
    assert not any(word in text.lower() for word in FORBIDDEN_WORDS), text


# --- comparing one level with the rest --------------------------------------------------------


def test_level_against_one_other_level_is_welchs_interval():
    rng = np.random.default_rng(1)
    a, b = rng.normal(1.0, 0.4, 40), rng.normal(0.7, 0.6, 55)
    contrast = level_versus_rest([summary("a", a), summary("b", b)])
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert contrast.level == "a" and contrast.favoured
    assert contrast.gain == pytest.approx(a.mean() - b.mean())
    assert (contrast.lower, contrast.upper) == pytest.approx((expected.low, expected.high))


def test_the_rest_is_pooled_exactly_as_one_sample():
    rng = np.random.default_rng(2)
    data = {"a": rng.normal(2.0, 0.5, 30), "b": rng.normal(0.5, 0.3, 20), "c": rng.normal(1.0, 0.8, 25)}
    contrast = level_versus_rest([summary(k, v) for k, v in data.items()])
    rest = np.concatenate([data["b"], data["c"]])
    expected = stats.ttest_ind(data["a"], rest, equal_var=False).confidence_interval(0.95)
    assert (contrast.rest_n, contrast.rest_mean) == (45, pytest.approx(rest.mean()))
    assert (contrast.lower, contrast.upper) == pytest.approx((expected.low, expected.high))
    worst = level_versus_rest([summary(k, v) for k, v in data.items()], favoured=False)
    assert worst.level == "b" and not worst.favoured
    assert worst.gain == pytest.approx(np.concatenate([data["a"], data["c"]]).mean() - data["b"].mean())


def test_fewer_than_two_usable_levels_give_no_contrast():
    assert level_versus_rest([summary("a", [1.0, 2.0])]) is None
    assert (
        level_versus_rest(
            [summary("a", [1.0, 2.0]), {"level": "b", "sample_size": 1, "mean": 3, "std": None}]
        )
        is None
    )


# --- practices --------------------------------------------------------------------------------


def test_best_posting_daypart_with_its_hours_interval_and_association_wording():
    rng = np.random.default_rng(3)
    data = samples(rng, {"evening": (1.3, 60), "morning": (1.0, 60), "night": (1.0, 40)})
    row = correlation_row(level_summaries=[summary(k, v) for k, v in data.items()])
    [draft] = group_practices(make_inputs(correlations=[row]))
    insight = finish(draft)
    rest = np.concatenate([data["morning"], data["night"]])
    ci = stats.ttest_ind(data["evening"], rest, equal_var=False).confidence_interval(0.95)
    assert insight.insight_type == "best_posting_hour"
    assert insight.insight_id == "best_posting_hour:tiktok:publish_daypart=evening"
    assert insight.title == "Publish in the evening (17:00-21:59 local time) on TikTok"
    assert insight.impact.estimate == pytest.approx(math.expm1(data["evening"].mean() - rest.mean()))
    assert (insight.impact.lower, insight.impact.upper) == pytest.approx(
        (math.expm1(ci.low), math.expm1(ci.high))
    )
    assert insight.impact_prediction == (
        f"{insight.impact.estimate * 100:+.0f}% day-7 views (geometric mean) vs items published at other "
        f"times of day, 95% CI {math.expm1(ci.low) * 100:+.0f}% to {math.expm1(ci.high) * 100:+.0f}%"
    )
    assert_association_wording(insight.description)
    assert insight.affected_content == () and insight.implementation_difficulty == "low"
    # Reach: the 100 items that would move out of the other dayparts, of the 100 in the window.
    assert insight.scores.reach == pytest.approx(math.sqrt(1.0))
    assert insight.data_supporting["sources"] == [
        {
            "table": "analytics.correlation_analysis_results",
            "key": {
                "analysis_date": "2026-10-31",
                "workspace_id": WORKSPACE,
                "scope": "tiktok",
                "feature": "publish_daypart",
                "metric": "log1p_views_day_7",
                "method": "welch_anova",
            },
        }
    ]


def test_a_level_to_avoid_when_no_level_stands_out_above_the_rest():
    rng = np.random.default_rng(4)
    data = samples(rng, {"evening": (1.05, 60), "morning": (1.0, 60), "night": (0.4, 40)})
    row = correlation_row(scope="overall", level_summaries=[summary(k, v) for k, v in data.items()])
    [draft] = group_practices(make_inputs(correlations=[row]))
    insight = finish(draft)
    assert insight.insight_id == "best_posting_hour:all:publish_daypart!=night"
    assert insight.title == "Avoid publishing in the night across your platforms"
    assert insight.platform is None and insight.impact.estimate > 0
    assert_association_wording(insight.description)


def test_weekday_format_and_category_insights_name_their_level():
    rng = np.random.default_rng(5)
    rows = [
        correlation_row(
            feature=feature,
            level_summaries=[
                summary(k, v) for k, v in samples(rng, {best: (1.6, 50), "x": (1.0, 50)}).items()
            ],
        )
        for feature, best in (("publish_weekday", "Sun"), ("format", "short"), ("category", "gaming"))
    ]
    titles = {
        finish(d).insight_type: finish(d).title for d in group_practices(make_inputs(correlations=rows))
    }
    assert titles == {
        "best_posting_weekday": "Publish on Sun on TikTok",
        "content_format": "Favour the short format on TikTok",
        "content_category": "Make more gaming content on TikTok",
    }


def test_no_practice_from_a_result_that_is_not_significant_or_whose_interval_includes_zero():
    rng = np.random.default_rng(6)
    clear = [summary(k, v) for k, v in samples(rng, {"evening": (1.5, 60), "morning": (1.0, 60)}).items()]
    unclear = [summary(k, v) for k, v in samples(rng, {"evening": (1.02, 8), "morning": (1.0, 8)}).items()]
    rows = [
        correlation_row(level_summaries=clear, is_significant=False, adjusted_p_value=0.2),
        correlation_row(feature="format", level_summaries=unclear),
        correlation_row(feature="category", method="kruskal", level_summaries=clear),  # not a means test
        correlation_row(scope="within_creator", level_summaries=clear),  # not a reported scope
    ]
    assert group_practices(make_inputs(correlations=rows)) == []


def test_the_first_qualifying_metric_of_the_preference_order_states_the_insight():
    rng = np.random.default_rng(7)
    levels = [summary(k, v) for k, v in samples(rng, {"evening": (1.5, 60), "morning": (1.0, 60)}).items()]
    rows = [
        correlation_row(
            metric="engagement_rate_day_7",
            metric_source="engagement_rate_day_7",
            metric_transform="identity",
            level_summaries=levels,
        ),
        correlation_row(
            metric="log1p_views_day_30",
            metric_source="views_day_30",
            metric_age_days=30,
            level_summaries=levels,
        ),
    ]
    [draft] = group_practices(make_inputs(correlations=rows))
    assert draft.evidence["metric"] == "log1p_views_day_30"
    assert "day-30 views" in draft.impact.label


def test_content_length_is_an_effect_per_standard_deviation_from_r_and_its_interval():
    rng = np.random.default_rng(8)
    duration = rng.normal(60, 20, 100)
    views = rng.normal(8, 0.5, 100)
    row = correlation_row(
        feature="duration_seconds",
        method="pearson",
        correlation_coefficient=-0.4,
        confidence_interval_lower=-0.55,
        confidence_interval_upper=-0.25,
        sample_size=100,
    )
    inputs = make_inputs(
        correlations=[row], items=items({"tiktok": 100}, duration_seconds=duration, log1p_views_day_7=views)
    )
    [draft] = length_practices(inputs)
    insight = finish(draft)
    sd_y = views.std(ddof=1)
    assert insight.title == "Try shorter videos on TikTok"
    assert (insight.impact.estimate, insight.impact.lower, insight.impact.upper) == pytest.approx(
        (math.expm1(0.4 * sd_y), math.expm1(0.25 * sd_y), math.expm1(0.55 * sd_y))
    )
    assert f"per {duration.std(ddof=1):,.0f} s shorter" in insight.impact_prediction
    assert_association_wording(insight.description)
    not_significant = {**row, "is_significant": False}
    crossing = {**row, "confidence_interval_upper": 0.05}
    assert length_practices(make_inputs(correlations=[not_significant])) == []
    assert length_practices(dataclasses.replace(inputs, correlations=pd.DataFrame([crossing]))) == []


def test_platform_mix_favours_the_platform_with_the_clearly_higher_metric():
    rng = np.random.default_rng(9)
    per_platform = [
        summary(k, v) for k, v in samples(rng, {"tiktok": (2.0, 80), "youtube": (1.0, 80)}).items()
    ]
    row = {
        **correlation_row(),
        "comparison": "metric_by_platform",
        "feature": "platform",
        "per_platform": per_platform,
    }
    [draft] = platform_mix(make_inputs(platform_comparisons=pd.DataFrame([row])))
    insight = finish(draft)
    assert (insight.insight_id, insight.title) == (
        "platform_mix:tiktok:best_platform",
        "Put more of your effort into TikTok",
    )
    assert insight.scores.reach == pytest.approx(math.sqrt(0.5))
    assert_association_wording(insight.description)
    assert (
        platform_mix(make_inputs(platform_comparisons=pd.DataFrame([{**row, "is_significant": False}]))) == []
    )


def ab_row(**values: Any) -> dict[str, Any]:
    row = {
        "analysis_date": DAY,
        "workspace_id": WORKSPACE,
        "experiment_id": "thumbs",
        "variant": "B",
        "is_control": False,
        "control_variant": "A",
        "primary_metric": "views",
        "metric_kind": "mean",
        "metric_age_days": 7,
        "planned_end": DAY,
        "sample_size": 200,
        "relative_lift": 0.2,
        "lift_ci_lower": 0.1,
        "lift_ci_upper": 0.3,
        "adjusted_p_value": 0.001,
        "is_significant": True,
        "achieved_power": 0.9,
        "verdict": "treatment_better",
        "verdict_text": "B beats A.",
        "platforms": ["tiktok"],
    }
    return {**row, **values}


def test_ab_winners_only_from_a_significant_treatment_better_verdict():
    rows = pd.DataFrame(
        [
            ab_row(),
            ab_row(experiment_id="flat", verdict="inconclusive", is_significant=False),
            ab_row(experiment_id="ctl", variant="A", is_control=True),
        ]
    )
    [draft] = ab_winners(make_inputs(ab_tests=rows))
    insight = finish(draft)
    assert insight.insight_id == "ab_test_winner:tiktok:thumbs:B"
    assert insight.impact_prediction == "+20% views at day 7 (mean per item), 95% CI +10% to +30%"
    # q = 0.2 / (0.2 - 0.1) = 2 -> confidence 2/3; effect 0.2 / 0.5; reach: every item is on tiktok.
    assert insight.priority_score == pytest.approx(0.4 * 1.0 * 2 / 3)
    assert insight.priority == "high"


# --- items and series -------------------------------------------------------------------------


def test_underperformers_median_and_order_statistic_interval():
    ratios = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]
    low = pd.DataFrame(
        {
            "platform": "tiktok",
            "content_id": [f"u{i}" for i in range(8)],
            "views": [100 * r for r in ratios],
            "views_p50": 100.0,
            "performance_score": 1.0,
            "benchmark_category": "all",
        }
    )
    fine = low.assign(content_id=[f"f{i}" for i in range(8)], performance_score=6.0, views=120.0)
    [draft] = underperformers(make_inputs(benchmarked=pd.concat([low, fine])))
    insight = finish(draft)
    # n = 8: the 95% interval of the median runs from the 1st to the 8th order statistic.
    assert (insight.impact.estimate, insight.impact.lower, insight.impact.upper) == pytest.approx(
        (np.median(ratios) - 1, 0.1 - 1, 0.45 - 1)
    )
    assert insight.affected_content == tuple(f"u{i}" for i in range(8))
    assert insight.title == "Review 8 underperforming TikTok items"
    assert insight.data_supporting["evidence"]["views_short_of_benchmark_median"] == pytest.approx(
        sum(100 - 100 * r for r in ratios)
    )
    assert underperformers(make_inputs(benchmarked=low.head(5))) == []  # too few for an interval


def trend_row(series_id: str, slope: float, ci: tuple[float, float], direction: str, **values: Any) -> dict:
    row = {
        "analysis_date": DAY,
        "workspace_id": WORKSPACE,
        "series_level": "content",
        "platform": "tiktok",
        "series_id": series_id,
        "metric": "daily_views",
        "days_in_window": 30,
        "overall_direction": direction,
        "slope": slope,
        "slope_ci_lower": ci[0],
        "slope_ci_upper": ci[1],
        "level": 100.0,
        "relative_change": slope * 30 / 100,
        "p_value": 0.001,
        "forecast_model": "ets",
        "forecast_horizon": 7,
        "forecast_total": 900.0,
        "forecast_total_lower_95": 700.0,
        "forecast_total_upper_95": 1100.0,
        "insufficient_data": False,
    }
    return {**row, **values}


def platform_trend(level: float) -> dict:
    return trend_row("tiktok", 0.0, (-1.0, 1.0), "stable", series_level="platform", level=level)


def test_rising_content_needs_a_slope_interval_above_zero():
    rows = pd.DataFrame(
        [
            trend_row("up", 2.0, (1.0, 3.0), "rising"),
            trend_row("maybe", 2.0, (-0.5, 3.0), "rising"),
            platform_trend(1000.0),
        ]
    )
    [draft] = rising_content(make_inputs(trends=rows))
    insight = finish(draft)
    assert insight.affected_content == ("up",)
    # 2 views/day per day over a week, on a mean of 100 a day: +14% (interval +7% to +21%).
    assert insight.impact_prediction == "+14% of its mean daily views per week, 95% CI +7% to +21%"
    assert insight.scores.reach == pytest.approx(math.sqrt(100 / 1000))
    assert "Forecast: 900 views over the next 7 days" in insight.description


def test_decaying_content_is_only_what_falls_faster_than_the_typical_item():
    typical = [trend_row(f"t{i}", -1.0, (-1.5, -0.5), "falling") for i in range(5)]  # -7% a week
    rows = pd.DataFrame(
        [
            *typical,
            trend_row("steep", -4.0, (-5.0, -3.0), "falling"),
            trend_row("usual", -1.2, (-2.0, -0.4), "falling"),
            platform_trend(1000.0),
        ]
    )
    drafts = decaying_content(make_inputs(trends=rows))
    assert [d.subject for d in drafts] == ["steep"]
    insight = finish(drafts[0])
    assert insight.data_supporting["evidence"]["platform_typical_weekly_change"] == pytest.approx(-0.07)
    assert insight.scores.effect == pytest.approx((0.28 - 0.07) / 0.5)
    # Confidence against the typical change: (0.28 - 0.07) / (0.28 - 0.21) = 3 -> 1.
    assert insight.scores.confidence == pytest.approx(1.0)


def anomaly_row(series_id: str, day: dt.date, metric: str = "daily_views", **values: Any) -> dict:
    row = {
        "analysis_date": DAY,
        "workspace_id": WORKSPACE,
        "series_level": "account",
        "platform": "tiktok",
        "series_id": series_id,
        "metric": metric,
        "anomaly_date": day,
        "value": 300.0,
        "expected": 100.0,
        "score": 8.0,
        "direction": "spike",
        "method": "robust_zscore",
        "threshold": 3.5,
    }
    return {**row, **values}


def test_recent_anomalies_one_per_series_and_day_with_a_noise_interval():
    rows = pd.DataFrame(
        [
            anomaly_row("a1", DAY),
            anomaly_row("a1", DAY, "daily_interactions", value=50.0, expected=10.0),
            anomaly_row("old", DAY - dt.timedelta(days=3)),
        ]
    )
    [draft] = anomalies_to_investigate(make_inputs(anomalies=rows))
    insight = finish(draft)
    assert insight.title == "Investigate the spike in daily views of TikTok account a1 on 2026-10-31"
    # +200%; one normal day's noise is 200 / 8 = 25 views: +-1.96 * 25 / 100.
    half = stats.norm.ppf(0.975) * 0.25
    assert (insight.impact.estimate, insight.impact.lower, insight.impact.upper) == pytest.approx(
        (2.0, 2.0 - half, 2.0 + half)
    )
    assert insight.impact_prediction.endswith("95% range +151% to +249%")


# --- priority, ordering, wording -------------------------------------------------------------


def test_confidence_effect_reach_and_levels():
    assert confidence_score(0.3, 0.1, 0.5) == pytest.approx(0.5)  # q = 0.3 / 0.2 = 1.5
    assert confidence_score(-0.3, -0.5, -0.1) == pytest.approx(0.5)
    assert confidence_score(0.3, -0.1, 0.5) == 0.0  # the interval reaches zero
    assert confidence_score(0.3, 0.25, 0.35) == 1.0
    assert [priority_level(s) for s in (0.3, 0.25, 0.1, 0.09)] == ["high", "high", "medium", "low"]


def draft(subject: str, effect: float, share: float, ci: tuple[float, float]) -> Draft:
    return Draft(
        insight_type="rising_content",
        workspace_id=WORKSPACE,
        platform="tiktok",
        subject=subject,
        title=f"Promote {subject}",
        description="d",
        impact=Impact(effect, ci[0], ci[1], "u", "daily views", "relative"),
        relative_effect=effect,
        reach_share=share,
        difficulty="low",
        evidence={"x": float("nan")},
        sources=[],
        affected_content=(subject,),
    )


def test_priority_is_effect_times_reach_times_confidence_and_orders_the_insights():
    insight = finish(draft("a", 0.25, 0.25, (0.15, 0.35)))  # effect 0.5, reach 0.5, q = 2.5
    assert insight.priority_score == pytest.approx(0.5 * 0.5 * 2.5 / 3)
    assert insight.priority == "medium"
    assert insight.data_supporting["evidence"] == {"x": None}  # NaN never reaches JSON

    big = dataclasses.replace(draft("big", 0.5, 0.25, (0.3, 0.7)))
    wide = dataclasses.replace(draft("wide", 0.5, 0.25, (0.05, 0.95)))
    rows = pd.DataFrame(
        [
            trend_row("big", 5.0, (4.5, 5.5), "rising", level=100.0),
            trend_row("small", 1.0, (0.9, 1.1), "rising", level=100.0),
            trend_row("wide", 5.0, (0.5, 9.5), "rising", level=100.0),
            trend_row("tiny", 5.0, (4.5, 5.5), "rising", level=1.0),
            platform_trend(1000.0),
        ]
    )
    ordered = [i.affected_content[0] for i in generate_insights(make_inputs(trends=rows))]
    assert ordered == ["big", "wide", "small"]  # three per type and platform; tiny's reach is smallest
    assert finish(big).priority_score > finish(wide).priority_score


def test_impact_text_and_checks():
    assert Impact(0.12, 0.05, 0.19, "u", "median day-7 views", "relative").text() == (
        "+12% median day-7 views, 95% CI +5% to +19%"
    )
    assert Impact(0.008, 0.002, 0.014, "u", "day-7 engagement rate", "points").text() == (
        "+0.8 pp day-7 engagement rate, 95% CI +0.2 pp to +1.4 pp"
    )
    with pytest.raises(ValueError, match="finite"):
        Impact(float("nan"), 0.0, 1.0, "u", "x", "relative")
    with pytest.raises(ValueError, match="outside"):
        Impact(2.0, 0.0, 1.0, "u", "x", "relative")


# --- day-to-day status ------------------------------------------------------------------------


def test_an_insight_is_new_then_unchanged_then_updated_when_its_evidence_changes():
    first = finish(draft("a", 0.25, 0.25, (0.15, 0.35)))
    [day_one] = report([first], {}, DAY)
    assert (day_one.status, day_one.first_reported_date) == ("new", DAY)

    seen = {first.insight_id: PreviousReport(DAY, day_one.evidence_hash, DAY)}
    tomorrow = DAY + dt.timedelta(days=1)
    [same] = report([finish(draft("a", 0.2501, 0.25, (0.1501, 0.3501)))], seen, tomorrow)  # same text
    assert (same.status, same.first_reported_date) == ("unchanged", DAY)

    [changed] = report([finish(draft("a", 0.3, 0.25, (0.15, 0.45)))], seen, tomorrow)
    assert (changed.status, changed.first_reported_date) == ("updated", DAY)
    assert changed.evidence_hash != day_one.evidence_hash

    much_later = DAY + dt.timedelta(days=REPEAT_AFTER_DAYS + 1)
    [back] = report([first], seen, much_later)
    assert (back.status, back.first_reported_date) == ("new", much_later)


def test_the_evidence_hash_covers_what_is_shown_only():
    base = finish(draft("a", 0.25, 0.25, (0.15, 0.35)))
    reworded = dataclasses.replace(base, description="other words", data_supporting={})
    more_content = dataclasses.replace(base, affected_content=("a", "b"))
    assert evidence_hash(reworded) == evidence_hash(base)
    assert evidence_hash(more_content) != evidence_hash(base)
