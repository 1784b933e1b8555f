"""Daily series for the time-series statistics, read from ``marts.content_performance_history``.

A series is one metric per day of a content item, of an account (a creator's items on one
platform) or of a whole platform, within a workspace. Days are platform-local metric days.
A day after a gap carries the change since the previous observation: it is spread evenly over
the days of the gap (the day itself keeps its share, the missing days stay missing), so a gap
does not look like a spike. An item's first observation has a delta only when it is its publish
day (the history leaves it NULL otherwise).

Accounts and platforms sum their items' values per day over the items observed that day.

A content item's own series starts after its launch week (age ``LAUNCH_DAYS``): in the first days
after publishing, views fall by orders of magnitude as a matter of course, which would make every
launch look like a run of anomalies and every item look "falling". Younger items are compared with
the age benchmarks of their platform instead (the trending list and the age-curve forecast).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import psycopg
from numpy.typing import NDArray

SeriesLevel = Literal["content", "account", "platform"]
LEVELS: tuple[SeriesLevel, ...] = ("content", "account", "platform")
METRICS = ("daily_views", "daily_interactions")
UNKNOWN_ACCOUNT = "(unknown)"
LAUNCH_DAYS = 7

_QUERY = """
    select
        history.workspace_id,
        history.platform,
        history.content_id,
        coalesce(features.creator_id, %(unknown)s) as creator_id,
        history.metric_date,
        history.published_date,
        history.age_days,
        history.views,
        history.daily_views::double precision
            / greatest(coalesce(history.days_since_previous, 1), 1) as daily_views,
        case
            when num_nonnulls(history.daily_likes, history.daily_comments, history.daily_shares,
                              history.daily_saves) > 0
                then (
                    coalesce(history.daily_likes, 0) + coalesce(history.daily_comments, 0)
                    + coalesce(history.daily_shares, 0) + coalesce(history.daily_saves, 0)
                )::double precision / greatest(coalesce(history.days_since_previous, 1), 1)
        end as daily_interactions
    from marts.content_performance_history as history
    left join marts.content_feature_analysis as features
        on
            history.workspace_id = features.workspace_id
            and history.platform = features.platform
            and history.content_id = features.content_id
    where history.metric_date between %(start)s and %(end)s
    order by history.workspace_id, history.platform, history.content_id, history.metric_date
"""


def read_history(conn: psycopg.Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Every item-day with a metric date in [start, end] (both inclusive), deltas spread over gaps."""
    with conn.cursor() as cursor:
        cursor.execute(_QUERY, {"start": start, "end": end, "unknown": UNKNOWN_ACCOUNT})
        columns = [c.name for c in cursor.description or ()]
        frame = pd.DataFrame(cursor.fetchall(), columns=columns)
    for column in ("views", "daily_views", "daily_interactions", "age_days"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["metric_date"] = pd.to_datetime(frame["metric_date"]).dt.date
    return frame


@dataclass(frozen=True)
class SeriesBlock:
    """Series of one workspace, level and metric on the same calendar: ``values`` is rows x days
    (NaN = no value), row i belongs to ``keys`` row i (platform, series_id)."""

    workspace_id: str
    level: SeriesLevel
    metric: str
    start: dt.date
    keys: pd.DataFrame
    values: NDArray[np.float64]

    @property
    def days(self) -> int:
        return int(self.values.shape[1])


def _series_id(frame: pd.DataFrame, level: SeriesLevel) -> pd.Series:
    if level == "content":
        return frame["content_id"]
    if level == "account":
        return frame["creator_id"]
    return frame["platform"]


def series_blocks(frame: pd.DataFrame, start: dt.date, end: dt.date) -> Iterator[SeriesBlock]:
    """Every (workspace, level, metric) block of the rows of ``frame`` with metric days in [start, end]."""
    days = pd.Index([start + dt.timedelta(days=i) for i in range((end - start).days + 1)], name="metric_date")
    in_window = frame[(frame["metric_date"] >= start) & (frame["metric_date"] <= end)]
    for workspace in sorted(in_window["workspace_id"].unique()):
        rows = in_window[in_window["workspace_id"] == workspace].assign(
            **{f"id_{level}": (lambda f, lv=level: _series_id(f, lv)) for level in LEVELS}
        )
        for level in LEVELS:
            level_rows = rows
            if level == "content":  # launch days stay in the block without a value
                launch = (rows["age_days"] < LAUNCH_DAYS).to_numpy()
                level_rows = rows.assign(**{m: rows[m].mask(launch) for m in METRICS})
            for metric in METRICS:
                daily = (
                    level_rows.groupby(["platform", f"id_{level}", "metric_date"])[metric]
                    .sum(min_count=1)
                    .unstack("metric_date")
                    .reindex(columns=days)
                )
                keys = daily.index.to_frame(index=False).set_axis(["platform", "series_id"], axis=1)
                yield SeriesBlock(
                    str(workspace), level, metric, start, keys, daily.to_numpy(dtype=float, na_value=np.nan)
                )


@dataclass(frozen=True)
class AgeCurves:
    """Point-in-time view benchmarks per (workspace, platform) for one as-of day: lifetime views
    percentiles indexed by age day (all categories), NaN where the benchmark has no group."""

    curves: dict[tuple[str, str], NDArray[np.float64]]  # 4 x ages: p25, p50, p75, p90

    def get(self, workspace_id: str, platform: str) -> NDArray[np.float64] | None:
        return self.curves.get((workspace_id, platform))


def read_age_curves(conn: psycopg.Connection, start: dt.date, end: dt.date) -> dict[dt.date, AgeCurves]:
    """The all-category age benchmarks of each as-of day in [start, end]."""
    rows = conn.execute(
        """
        select as_of_date, workspace_id, platform, age_days, views_p25, views_p50, views_p75, views_p90
        from intermediate.int_age_benchmarks_computed
        where category = 'all' and as_of_date between %s and %s
        order by as_of_date, workspace_id, platform, age_days
        """,
        (start, end),
    ).fetchall()
    frame = pd.DataFrame(
        rows, columns=["as_of_date", "workspace_id", "platform", "age_days", "p25", "p50", "p75", "p90"]
    )
    out: dict[dt.date, AgeCurves] = {}
    for day, by_day in frame.groupby("as_of_date"):
        curves = {}
        for (workspace, platform), group in by_day.groupby(["workspace_id", "platform"]):
            ages = int(group["age_days"].max()) + 1
            curve = np.full((4, ages), np.nan)
            curve[:, group["age_days"].to_numpy(dtype=int)] = (
                group[["p25", "p50", "p75", "p90"]].to_numpy(dtype=float).T
            )
            curves[(str(workspace), str(platform))] = curve
        out[day] = AgeCurves(curves)
    return out
