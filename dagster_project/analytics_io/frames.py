"""Analysis frames: one row per content item published in a trailing window, read from
``marts.content_feature_analysis``, with outcomes at equal ages.

An outcome at age N (views or engagement rate on the platform-local day published_date + N) is
used on analysis day D only when that day ended before D (``published_date + N < D``): items too
young on D have no value, so a backfilled day sees what a daily run would have seen, and older
items do not look better for being older. View counts are heavy-tailed and enter as log1p.

Scopes: ``overall`` (all platforms, each metric centred within platform so platform levels do not
masquerade as feature effects), ``within_creator`` (centred within each creator: compares a
creator's items with each other, removing audience size, the dominant source of variance) and
one scope per platform (metrics as they are).

Within-creator p-values treat the centred values as independent items: with c creators among n
items the t statistics are overstated by at most sqrt((n - 2) / (n - c - 1)), which the minimum
number of items per creator keeps small (at least 5 items each: under 12%).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

Transform = Literal["identity", "log1p"]
Adjustment = Literal["none", "centred_within_platform", "centred_within_creator"]

OVERALL_SCOPE = "overall"
WITHIN_CREATOR_SCOPE = "within_creator"
PLATFORM_COLUMN = "platform"
CREATOR_KEY = "creator_key"


@dataclass(frozen=True)
class MetricSpec:
    """An analysed metric: ``name`` = transform + mart column, taken at ``age_days``."""

    name: str
    source: str
    transform: Transform
    age_days: int


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("log1p_views_day_7", "views_day_7", "log1p", 7),
    MetricSpec("log1p_views_day_30", "views_day_30", "log1p", 30),
    MetricSpec("engagement_rate_day_7", "engagement_rate_day_7", "identity", 7),
    MetricSpec("engagement_rate_day_30", "engagement_rate_day_30", "identity", 30),
)
METRICS_BY_NAME = {m.name: m for m in METRICS}

CONTINUOUS_FEATURES = (
    "title_length",
    "title_words",
    "description_length",
    "hashtag_count",
    "mention_count",
    "tag_count",
    "duration_seconds",
    "publish_hour_local",
    "days_since_previous_post",
)
BINARY_FEATURES = ("title_has_question", "title_has_number", "title_has_emoji")
CATEGORICAL_FEATURES = ("category", "format", "language", "publish_weekday", "publish_daypart")
FEATURES = (*CONTINUOUS_FEATURES, *BINARY_FEATURES, *CATEGORICAL_FEATURES)
# The regression needs complete rows and distinct columns: duration (NULL for non-video) and the
# posting gap (NULL for a creator's first post) would drop many items; title_words and the
# description length (which contains the title) nearly duplicate title_length.
IMPORTANCE_FEATURES = (
    "title_length",
    "title_has_question",
    "title_has_number",
    "title_has_emoji",
    "hashtag_count",
    "mention_count",
    "tag_count",
    "publish_hour_local",
)

WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
# Local publish hour -> part of the day (upper bounds inclusive).
DAYPARTS = ((5, "night"), (11, "morning"), (16, "afternoon"), (21, "evening"), (23, "late_evening"))

_MART_COLUMNS = (
    "workspace_id",
    "platform",
    "content_id",
    "creator_id",
    "published_date",
    "title_length",
    "title_words",
    "description_length",
    "hashtag_count",
    "mention_count",
    "tag_count",
    "duration_seconds",
    "publish_hour_local",
    "publish_weekday_local",
    "days_since_previous_post",
    "title_has_question",
    "title_has_number",
    "title_has_emoji",
    "category",
    "format",
    "language",
    *dict.fromkeys(m.source for m in METRICS),
)


@dataclass(frozen=True)
class AnalysisWindow:
    """Content published in [start, analysis_date] (``window_days`` days, inclusive)."""

    analysis_date: dt.date
    start: dt.date

    @classmethod
    def ending(cls, analysis_date: dt.date, window_days: int) -> AnalysisWindow:
        if window_days < 1:
            raise ValueError("window_days must be at least 1")
        return cls(analysis_date, analysis_date - dt.timedelta(days=window_days - 1))


@dataclass(frozen=True)
class Scope:
    """A frame to analyse and how its metrics were adjusted."""

    name: str
    adjustment: Adjustment
    frame: pd.DataFrame


def read_content_features(conn: psycopg.Connection, window: AnalysisWindow) -> pd.DataFrame:
    """Rows of ``marts.content_feature_analysis`` published in the window, in a stable order."""
    query = sql.SQL(
        "select {} from marts.content_feature_analysis "
        "where published_date between %(start)s and %(end)s "
        "order by workspace_id, platform, content_id"
    ).format(sql.SQL(", ").join(map(sql.Identifier, _MART_COLUMNS)))
    cursor = conn.execute(query, {"start": window.start, "end": window.analysis_date})
    return pd.DataFrame(cursor.fetchall(), columns=list(_MART_COLUMNS))


def prepare_features(raw: pd.DataFrame, analysis_date: dt.date) -> pd.DataFrame:
    """Typed features, derived weekday and daypart, and the metrics of ``METRICS`` as observable
    on ``analysis_date`` (NaN where the item was too young or the value is unknown)."""
    frame = pd.DataFrame(
        {
            "workspace_id": raw["workspace_id"].astype("string"),
            PLATFORM_COLUMN: raw["platform"].astype("string"),
            "content_id": raw["content_id"].astype("string"),
            "creator_id": raw["creator_id"].astype("string"),
        }
    )
    frame[CREATOR_KEY] = frame[PLATFORM_COLUMN] + "/" + frame["creator_id"]
    published = pd.to_datetime(raw["published_date"])
    for column in CONTINUOUS_FEATURES:
        frame[column] = pd.to_numeric(raw[column], errors="coerce").astype(float)
    for column in BINARY_FEATURES:
        frame[column] = raw[column].astype("boolean")
    for column in ("category", "format", "language"):
        frame[column] = raw[column].astype("string")
    weekday = pd.to_numeric(raw["publish_weekday_local"], errors="coerce")
    frame["publish_weekday"] = weekday.map(WEEKDAYS).astype("string")
    frame["publish_daypart"] = daypart(frame["publish_hour_local"])
    age_on_analysis_day = (pd.Timestamp(analysis_date) - published).dt.days
    for metric in METRICS:
        values = pd.to_numeric(raw[metric.source], errors="coerce").astype(float)
        values = values.where(age_on_analysis_day > metric.age_days)
        if metric.transform == "log1p":
            values = np.log1p(values.where(values >= 0))
        frame[metric.name] = values
    return frame


def daypart(hours: pd.Series) -> pd.Series:
    """Part of the day of a local publish hour (NA when unknown)."""
    labels = pd.Series(pd.NA, index=hours.index, dtype="string")
    lower = -1
    for upper, label in DAYPARTS:
        labels[(hours > lower) & (hours <= upper)] = label
        lower = upper
    return labels


def centre_within(
    frame: pd.DataFrame, metrics: Sequence[str], keys: Sequence[str], min_group_size: int
) -> pd.DataFrame:
    """Each metric minus its mean within ``keys``; NaN where the group has fewer than
    ``min_group_size`` values of the metric (or a key is missing)."""
    out = frame.copy()
    complete_key = out[list(keys)].notna().all(axis=1)
    for metric in metrics:
        values = out[metric].where(complete_key)
        grouped = values.groupby([out[k] for k in keys], dropna=True)
        count = grouped.transform("count")
        centred = values - grouped.transform("mean")
        out[metric] = centred.where(count >= min_group_size)
    return out


def analysis_scopes(frame: pd.DataFrame, min_items_per_creator: int) -> list[Scope]:
    """overall, within_creator, then one scope per platform (sorted)."""
    metrics = [m.name for m in METRICS]
    scopes = [
        Scope(
            OVERALL_SCOPE,
            "centred_within_platform",
            centre_within(frame, metrics, [PLATFORM_COLUMN], min_group_size=2),
        ),
        Scope(
            WITHIN_CREATOR_SCOPE,
            "centred_within_creator",
            centre_within(frame, metrics, [CREATOR_KEY], min_group_size=max(2, min_items_per_creator)),
        ),
    ]
    for platform in sorted(frame[PLATFORM_COLUMN].dropna().unique()):
        rows = frame[frame[PLATFORM_COLUMN] == platform].reset_index(drop=True)
        scopes.append(Scope(str(platform), "none", rows))
    return scopes
