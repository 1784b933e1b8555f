"""Request and response models of the read endpoints and the Python interface.

Result records carry the fields of the seed's data classes (``CorrelationResult``,
``TrendAnalysis``, ``OptimizationInsight``) plus the keys that say where they came from. Every
number that could not be computed is ``None``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from dagster_project.ingest.schema import PLATFORMS

Platform = StrEnum("Platform", {name: name for name in PLATFORMS})  # type: ignore[misc]
Platform.__doc__ = "A supported platform."

ContentId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]

MAX_PAGE_SIZE = 500


class Timeframe(StrEnum):
    """A trailing window ending on the latest day the warehouse has for the caller's workspace."""

    D7 = "7d"
    D30 = "30d"
    D90 = "90d"
    Y1 = "1y"

    @property
    def days(self) -> int:
        return {"7d": 7, "30d": 30, "90d": 90, "1y": 365}[self.value]

    def window(self, as_of: dt.date) -> tuple[dt.date, dt.date]:
        """[start, end] of the window ending on ``as_of`` (both inclusive)."""
        return as_of - dt.timedelta(days=self.days - 1), as_of


class AnalysisType(StrEnum):
    """What ``content/analyze`` returns: everything, the performance only, or trends and anomalies."""

    COMPREHENSIVE = "comprehensive"
    PERFORMANCE = "performance"
    TRENDS = "trends"


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class InsightType(StrEnum):
    BEST_POSTING_HOUR = "best_posting_hour"
    BEST_POSTING_WEEKDAY = "best_posting_weekday"
    CONTENT_LENGTH = "content_length"
    CONTENT_FORMAT = "content_format"
    CONTENT_CATEGORY = "content_category"
    PLATFORM_MIX = "platform_mix"
    UNDERPERFORMING_CONTENT = "underperforming_content"
    RISING_CONTENT = "rising_content"
    DECAYING_CONTENT = "decaying_content"
    ANOMALY_TO_INVESTIGATE = "anomaly_to_investigate"
    AB_TEST_WINNER = "ab_test_winner"


class CompareMetric(StrEnum):
    """Metrics ``content/compare`` can rank: lifetime values on the window's last observed day,
    ``views_gained`` (daily views summed over the window) and the equal-age outcomes."""

    VIEWS = "views"
    LIKES = "likes"
    COMMENTS = "comments"
    SHARES = "shares"
    WATCH_TIME_SECONDS = "watch_time_seconds"
    ENGAGEMENT_RATE = "engagement_rate"
    PERFORMANCE_SCORE = "performance_score"
    VIEWS_GAINED = "views_gained"
    VIEWS_DAY_7 = "views_day_7"
    VIEWS_DAY_30 = "views_day_30"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------------


class Pagination(_Model):
    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class ContentAnalysisRequest(_Model):
    content_id: ContentId
    platform: Platform | None = Field(
        default=None, description="Needed only when the id exists on several platforms."
    )
    analysis_type: AnalysisType = AnalysisType.COMPREHENSIVE
    timeframe: Timeframe = Timeframe.D30


class PlatformInsightsRequest(_Model):
    platform: Platform
    timeframe: Timeframe = Timeframe.D30


class RecommendationsRequest(Pagination):
    platforms: list[Platform] | None = Field(default=None, max_length=len(PLATFORMS))
    content_ids: list[ContentId] | None = Field(
        default=None, max_length=100, description="Insights about any of these items."
    )
    insight_types: list[InsightType] | None = Field(default=None, max_length=len(InsightType))
    priorities: list[Priority] | None = Field(default=None, max_length=3)
    include_unchanged: bool = Field(
        default=False,
        description="Also list insights whose evidence did not change since they were last reported.",
    )


class CompareRequest(_Model):
    content_ids: list[ContentId] = Field(min_length=2, max_length=20)
    metrics: list[CompareMetric] = Field(
        default=[CompareMetric.VIEWS, CompareMetric.ENGAGEMENT_RATE, CompareMetric.PERFORMANCE_SCORE],
        min_length=1,
        max_length=len(CompareMetric),
    )
    platform: Platform | None = None
    timeframe: Timeframe = Timeframe.D30

    @field_validator("content_ids", "metrics")
    @classmethod
    def _distinct(cls, values: list[Any]) -> list[Any]:
        if len(set(values)) != len(values):
            raise ValueError("values must be distinct")
        return values


# --- shared records ------------------------------------------------------------------------------

T = TypeVar("T")


class Page(_Model, Generic[T]):
    """One page of a list: ``total`` rows match, ``items`` are rows ``offset`` .. ``offset + limit``."""

    items: list[T]
    total: int
    limit: int
    offset: int


class OptimizationInsight(_Model):
    """The seed's OptimizationInsight, with its identity, scores, interval and reporting status."""

    insight_type: str
    priority: Priority
    title: str
    description: str
    impact_prediction: str
    implementation_difficulty: str
    affected_content: list[str]
    data_supporting: dict[str, Any]
    insight_id: str
    analysis_date: dt.date
    platform: str | None
    priority_score: float
    impact_estimate: float | None
    impact_ci_lower: float | None
    impact_ci_upper: float | None
    impact_unit: str
    status: str
    first_reported_date: dt.date


class TrendAnalysis(_Model):
    """The seed's TrendAnalysis of one daily series, as the trends asset stored it."""

    metric_name: str
    time_period: tuple[dt.date, dt.date]
    overall_direction: str
    strength: str
    trend_points: list[dict[str, Any]]
    seasonality_patterns: list[dict[str, Any]]
    change_points: list[dict[str, Any]]
    predictions: list[dict[str, Any]]
    key_insights: list[str]
    statistical_metrics: dict[str, Any]
    analysis_date: dt.date
    series_level: str
    series_id: str
    platform: str
    volatility: str
    forecast_model: str | None
    forecast_total: float | None
    forecast_total_lower_95: float | None
    forecast_total_upper_95: float | None
    insufficient_reason: str | None


class CorrelationResult(_Model):
    """The seed's CorrelationResult (feature and metric as stored names)."""

    feature: str
    metric: str
    correlation_coefficient: float | None
    p_value: float | None
    strength: str
    direction: str | None
    significance_level: float
    sample_size: int
    confidence_interval: tuple[float | None, float | None]
    interpretation: str
    method: str
    adjusted_p_value: float | None
    is_significant: bool
    analysis_date: dt.date


class Anomaly(_Model):
    anomaly_date: dt.date
    metric: str
    value: float
    expected: float
    score: float
    direction: str
    method: str


class TrendingItem(_Model):
    platform: str
    content_id: str
    trend_rank: int
    as_of_date: dt.date
    category: str | None
    age_days: int | None
    lifetime_views: int | None
    velocity: float | None = Field(description="Views per day over the last 3 days.")
    baseline: float | None = Field(description="Median views per day of the 14 days before.")
    velocity_vs_baseline: float | None
    velocity_slope: float | None
    velocity_vs_age_benchmark: float | None
    views_vs_age_benchmark: float | None


# --- content analysis ----------------------------------------------------------------------------


class ContentInfo(_Model):
    platform: str
    content_id: str
    title: str | None
    category: str | None
    format: str | None
    creator_id: str | None
    published_at: dt.datetime | None
    duration_seconds: int | None
    views_day_7: int | None
    views_day_30: int | None
    engagement_rate_day_7: float | None


class ContentDay(_Model):
    metric_date: dt.date
    views: int | None
    daily_views: int | None
    likes: int | None
    engagement_rate: float | None
    performance_score: float | None
    is_gap: bool
    has_counter_decrease: bool


class ContentPerformance(_Model):
    """The content in the window: the last observed day's lifetime values and the window's sums."""

    last_metric_date: dt.date
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    watch_time_seconds: int | None
    engagement_rate: float | None
    performance_score: float | None
    performance_class: str | None
    benchmark_category: str | None
    age_days: int | None
    views_gained: int | None
    days_observed: int
    gap_days: int
    counter_decrease_days: int
    daily: list[ContentDay]


class ContentAnalysis(_Model):
    content: ContentInfo
    analysis_type: AnalysisType
    timeframe: Timeframe
    window_start: dt.date
    window_end: dt.date
    performance: ContentPerformance | None
    trends: list[TrendAnalysis]
    anomalies: list[Anomaly]
    insights: list[OptimizationInsight]


# --- platform insights ---------------------------------------------------------------------------


class PlatformDay(_Model):
    metric_date: dt.date
    content_items: int
    total_daily_views: int | None
    total_daily_likes: int | None
    total_daily_comments: int | None
    total_daily_shares: int | None
    avg_engagement_rate: float | None
    median_engagement_rate: float | None
    avg_performance_score: float | None


class PlatformInsights(_Model):
    platform: str
    timeframe: Timeframe
    window_start: dt.date | None
    window_end: dt.date | None
    total_views: int
    active_days: int
    content_items_latest_day: int
    avg_engagement_rate: float | None
    benchmark_engagement_rate: float
    engagement_vs_benchmark: float | None = Field(
        description="avg_engagement_rate / the platform's benchmark."
    )
    gap_items: int
    counter_decrease_items: int
    daily: list[PlatformDay]
    trends: list[TrendAnalysis]
    correlations: list[CorrelationResult]
    top_content: list[TrendingItem]
    insights: list[OptimizationInsight]


# --- recommendations, comparison -----------------------------------------------------------------


class Recommendations(Page[OptimizationInsight]):
    analysis_date: dt.date | None = Field(description="The latest analysis day with insights.")


class ComparedValue(_Model):
    platform: str
    content_id: str
    value: float | None
    rank: int | None = Field(description="1 = best; None when the value is unknown.")


class MetricComparison(_Model):
    metric: CompareMetric
    values: list[ComparedValue]
    best: str | None = Field(description="content_id with rank 1.")
    best_to_worst_ratio: float | None


class ComparedContent(_Model):
    platform: str
    content_id: str
    title: str | None
    category: str | None
    last_metric_date: dt.date | None


class ContentComparison(_Model):
    timeframe: Timeframe
    window_start: dt.date
    window_end: dt.date
    content: list[ComparedContent]
    metrics: list[MetricComparison]


# --- dashboard -----------------------------------------------------------------------------------


class OverviewDay(_Model):
    metric_date: dt.date
    content_items: int
    total_daily_views: int | None
    mean_engagement_rate: float | None


class PlatformTotal(_Model):
    platform: str
    total_views: int
    avg_engagement_rate: float | None
    content_items_latest_day: int


class PerformanceDistribution(_Model):
    high: int
    medium: int
    low: int
    unscored: int


class DashboardOverview(_Model):
    timeframe: Timeframe
    window_start: dt.date | None
    window_end: dt.date | None
    total_content_pieces: int = Field(description="Items observed at least once in the window.")
    total_views: int
    total_likes: int
    total_comments: int
    total_shares: int
    mean_engagement_rate: float | None
    previous_period_views: int | None
    views_change: float | None = Field(description="Relative change against the window before.")
    performance_latest_day: PerformanceDistribution
    daily: list[OverviewDay]
    platforms: list[PlatformTotal]
    top_trending: list[TrendingItem]
    new_insights_by_priority: dict[str, int]
    anomalies_in_window: int


# --- realtime ------------------------------------------------------------------------------------


class SnapshotCounters(_Model):
    captured_at: dt.datetime
    views: int
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    watch_time_seconds: int | None
    impressions: int | None
    reach: int | None
    engagement_rate: float | None


class RealtimeMetrics(_Model):
    """The latest snapshot received for an item (tracked or ingested, before any dbt build)."""

    platform: str
    content_id: str
    latest: SnapshotCounters
    previous: SnapshotCounters | None
    day_before: SnapshotCounters | None = Field(description="The latest snapshot at least 24 hours older.")
    views_change_24h: int | None
    views_per_hour_24h: float | None
    snapshots_last_24h: int


class RealtimePlatformMetrics(_Model):
    """Snapshots of the platform received in the last ``hours`` hours, and its latest built day."""

    platform: str
    hours: int
    since: dt.datetime
    until: dt.datetime
    snapshots: int
    content_items: int
    views_gained: int = Field(description="Per item, last minus first views inside the window, summed.")
    latest_captured_at: dt.datetime | None
    latest_day: PlatformDay | None
