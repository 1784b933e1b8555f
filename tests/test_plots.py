"""Figures for the Dagster UI: built from real result rows (the analytics code's own output), drawn
as small PNGs that decode, with their forecast bands and change points on the axes."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from PIL import Image

from dagster_project.analytics.platform_comparison import compare_platforms
from dagster_project.analytics_io.frames import AnalysisWindow
from dagster_project.analytics_io.rows import RunContext, platform_metric_rows
from dagster_project.analytics_io.trend_day import trend_day
from dagster_project.plots.insights import insights_figure
from dagster_project.plots.platforms import platform_figure, platform_panels
from dagster_project.plots.render import MAX_IMAGE_BYTES, image_metadata, png_bytes
from dagster_project.plots.rows import plain_json
from dagster_project.plots.trend import (
    BAND_80,
    BAND_95,
    CHANGE_POINT,
    most_viewed_content,
    trend_figure,
    trend_plot,
)

DAY = dt.date(2025, 3, 31)
DAYS = 60
SHIFT_AT = 35  # the day index where the big item's daily views jump x2.5


def _history() -> pd.DataFrame:
    """Two items of one account, published long before the window; the bigger one shifts level."""
    rng = np.random.default_rng(7)
    rows = []
    for item, base in (("big", 1000.0), ("small", 200.0)):
        total = 0.0
        for index in range(DAYS):
            day = DAY - dt.timedelta(days=DAYS - 1 - index)
            shift = 2.5 if item == "big" and index >= SHIFT_AT else 1.0
            weekend = 1.2 if day.weekday() >= 5 else 1.0
            views = base * shift * weekend + rng.normal(0, base * 0.05)
            total += views
            rows.append(
                {
                    "workspace_id": "w1",
                    "platform": "youtube",
                    "content_id": item,
                    "creator_id": "creator",
                    "metric_date": day,
                    "published_date": DAY - dt.timedelta(days=100),
                    "age_days": 100 - DAYS + 1 + index,
                    "views": total,
                    "daily_views": views,
                    "daily_interactions": views / 10,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def trend_rows() -> list[dict]:
    return trend_day(_history(), DAY, DAYS, min_points=14, run_id="test").trend_rows


@pytest.fixture(scope="module")
def platform_rows() -> list[dict]:
    """Rows as the database returns them: JSON columns parsed, not wrapped."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "platform": np.repeat(["youtube", "tiktok", "instagram"], 30),
            "log1p_views_day_7": np.concatenate([rng.normal(m, 0.5, 30) for m in (8.0, 9.0, 7.5)]),
            "engagement_rate_day_7": rng.uniform(0.01, 0.1, 90),
        }
    )
    results = compare_platforms(
        frame, ["log1p_views_day_7", "engagement_rate_day_7"], alpha=0.05, min_sample_size=10
    )
    context = RunContext(AnalysisWindow.ending(DAY, 90), "w1", None)
    rows = platform_metric_rows(results, context)
    return [{**r, "per_platform": plain_json(r["per_platform"])} for r in rows]


def _decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_most_viewed_content_is_the_highest_analysed_view_series(trend_rows):
    top = most_viewed_content(trend_rows)
    assert top is not None
    assert (top["series_level"], top["metric"], top["series_id"]) == ("content", "daily_views", "big")
    assert most_viewed_content([r for r in trend_rows if r["series_level"] != "content"]) is None


def test_trend_figure_draws_forecast_bands_and_change_points(trend_rows):
    top = most_viewed_content(trend_rows)
    plot = trend_plot(top)
    assert len(plot.dates) == DAYS and plot.change_points, "the planted level shift is a change point"
    assert len(plot.forecast_dates) == top["forecast_horizon"] == 7
    assert all(
        lo95 <= lo80 <= mid <= hi80 <= hi95
        for lo95, lo80, mid, hi80, hi95 in zip(
            plot.lower_95, plot.lower_80, plot.forecast, plot.upper_80, plot.upper_95, strict=True
        )
    )
    axes = trend_figure(plot).axes[0]
    bands = {c.get_gid(): c for c in axes.collections if isinstance(c, PolyCollection)}
    assert set(bands) == {BAND_80, BAND_95}
    # The 95% band encloses the 80% band: its polygon spans a wider range of values.
    low95, high95 = (
        np.nanmin(bands[BAND_95].get_paths()[0].vertices[:, 1]),
        np.nanmax(bands[BAND_95].get_paths()[0].vertices[:, 1]),
    )
    low80, high80 = (
        np.nanmin(bands[BAND_80].get_paths()[0].vertices[:, 1]),
        np.nanmax(bands[BAND_80].get_paths()[0].vertices[:, 1]),
    )
    assert low95 < low80 and high80 < high95
    change_lines = [line for line in axes.lines if line.get_gid() == CHANGE_POINT]
    assert len(change_lines) == len(plot.change_points) == top["change_point_count"]
    shift_day = DAY - dt.timedelta(days=DAYS - 1 - SHIFT_AT)
    assert any(abs((day - shift_day).days) <= 3 for day in plot.change_points)
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend.count(CHANGE_POINT) == 1 and BAND_95 in legend


def test_trend_plot_reads_rows_from_the_database_the_same_way(trend_rows):
    """Asset rows wrap JSON columns for psycopg; database rows hold them parsed: same plot."""
    top = most_viewed_content(trend_rows)
    parsed = {**top, **{k: plain_json(top[k]) for k in ("trend_points", "predictions", "change_points")}}
    assert isinstance(parsed["trend_points"], list)
    assert trend_plot(parsed) == trend_plot(top)


def test_png_decodes_and_stays_small(trend_rows):
    png = png_bytes(trend_figure(trend_plot(most_viewed_content(trend_rows))))
    image = _decoded(png)
    assert image.format == "PNG" and image.size == (800, 360)
    assert len(png) <= MAX_IMAGE_BYTES


def test_png_lowers_resolution_to_fit_and_refuses_what_never_fits(trend_rows):
    figure = trend_figure(trend_plot(most_viewed_content(trend_rows)))
    full = png_bytes(figure)
    smaller = png_bytes(figure, max_bytes=int(len(full) * 0.8))
    assert _decoded(smaller).size[0] < _decoded(full).size[0]
    small = insights_figure([{"title": "one", "priority_score": 1.0, "priority": "low"}])
    with pytest.raises(ValueError, match="does not fit in 100 bytes"):
        png_bytes(small, max_bytes=100)


def test_image_metadata_is_markdown_with_an_embedded_png(platform_rows):
    workspace, panels = platform_panels(platform_rows)
    value = image_metadata(platform_figure(workspace, panels), "platforms [w1]")
    assert isinstance(value, dg.MarkdownMetadataValue)
    match = re.fullmatch(r"!\[([^\]]*)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", value.md_str)
    assert match and match.group(1) == "platforms (w1)"
    assert _decoded(base64.b64decode(match.group(2))).format == "PNG"


def test_platform_figure_has_one_panel_per_metric_with_interval_bars(platform_rows):
    workspace, panels = platform_panels(platform_rows)
    assert workspace == "w1"
    assert [p.metric for p in panels] == ["engagement_rate_day_7", "log1p_views_day_7"]
    views = panels[1]
    assert sorted(views.platforms) == ["instagram", "tiktok", "youtube"]
    assert all(lo < m < hi for lo, m, hi in zip(views.ci_lower, views.means, views.ci_upper, strict=True))
    assert "adjusted p < 0.001" in views.subtitle
    figure = platform_figure(workspace, panels)
    assert len(figure.axes) == 2
    bars = figure.axes[1].patches
    assert [round(b.get_height(), 6) for b in bars] == [round(m, 6) for m in views.means]
    assert platform_panels([]) == ("", [])
    with pytest.raises(ValueError):
        platform_figure("", [])


def test_insights_figure_ranks_the_top_scores():
    rows = [
        {"title": f"Insight {i}", "priority_score": float(i), "priority": "high" if i > 10 else "low"}
        for i in range(15)
    ]
    rows.append({"title": "A very long title " * 10, "priority_score": 0.5, "priority": "medium"})
    axes = insights_figure(rows, limit=5).axes[0]
    bars = axes.patches
    assert [b.get_width() for b in bars] == [10.0, 11.0, 12.0, 13.0, 14.0]  # highest drawn at the top
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels[-1] == "Insight 14"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["high", "low"]  # the priorities shown
    assert _decoded(png_bytes(insights_figure(rows, limit=20))).format == "PNG"
    with pytest.raises(ValueError):
        insights_figure([])
