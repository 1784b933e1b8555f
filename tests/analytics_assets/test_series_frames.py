"""Series blocks from history rows: calendar, gaps, account and platform sums (pure, known answers)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dagster_project.analytics_io.series_frames import series_blocks

START = dt.date(2026, 10, 1)


def _rows() -> pd.DataFrame:
    def row(content: str, creator: str, platform: str, offset: int, views: float, interactions: float):
        return {
            "age_days": 30.0 + offset if content != "young" else float(offset),
            "workspace_id": "w",
            "platform": platform,
            "content_id": content,
            "creator_id": creator,
            "metric_date": START + dt.timedelta(days=offset),
            "daily_views": views,
            "daily_interactions": interactions,
        }

    return pd.DataFrame(
        [
            row("a", "alice", "tiktok", 0, 10.0, 1.0),
            row("a", "alice", "tiktok", 1, 20.0, 2.0),
            row("a", "alice", "tiktok", 3, 15.0, np.nan),  # day 2 missing
            row("b", "alice", "tiktok", 1, 5.0, 1.0),
            row("b", "alice", "tiktok", 3, 5.0, 1.0),
            row("c", "bob", "youtube", 2, 7.0, 0.0),
            row("x", "bob", "youtube", 9, 99.0, 9.0),  # after the window
            row("young", "bob", "youtube", 3, 50.0, 5.0),  # in its launch week
        ]
    )


def _block(level: str, metric: str):
    [block] = [
        b
        for b in series_blocks(_rows(), START, START + dt.timedelta(days=3))
        if (b.level, b.metric) == (level, metric)
    ]
    return block


def test_content_series_keep_missing_days_missing():
    block = _block("content", "daily_views")
    assert block.days == 4 and block.start == START
    assert block.keys.to_dict("records") == [
        {"platform": "tiktok", "series_id": "a"},
        {"platform": "tiktok", "series_id": "b"},
        {"platform": "youtube", "series_id": "c"},
        {"platform": "youtube", "series_id": "young"},
    ]
    np.testing.assert_array_equal(
        block.values,
        [
            [10, 20, np.nan, 15],
            [np.nan, 5, np.nan, 5],
            [np.nan, np.nan, 7, np.nan],
            [np.nan] * 4,  # launch week: a row without values (forecast from the age curve)
        ],
    )


def test_accounts_and_platforms_sum_the_items_observed_each_day():
    accounts = _block("account", "daily_views")
    assert accounts.keys["series_id"].tolist() == ["alice", "bob"]
    # The account and the platform count the young item's launch.
    np.testing.assert_array_equal(accounts.values, [[10, 25, np.nan, 20], [np.nan, np.nan, 7, 50]])
    interactions = _block("platform", "daily_interactions")
    assert interactions.keys["series_id"].tolist() == ["tiktok", "youtube"]
    # Day 3: item a has no interaction delta, item b has 1.
    np.testing.assert_array_equal(interactions.values, [[1, 3, np.nan, 1], [np.nan, np.nan, 0, 5]])


def test_every_level_and_metric_is_a_block_and_rows_outside_the_window_are_ignored():
    blocks = list(series_blocks(_rows(), START, START + dt.timedelta(days=3)))
    assert {(b.level, b.metric) for b in blocks} == {
        (level, metric)
        for level in ("content", "account", "platform")
        for metric in ("daily_views", "daily_interactions")
    }
    assert all("x" not in b.keys["series_id"].tolist() for b in blocks)
