"""Top optimisation insights: a horizontal bar chart of priority_score by title, coloured by
priority (rows of ``analytics.optimization_insights`` or the asset's rows before they are written)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

PRIORITY_COLOURS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#7f7f7f"}
TITLE_CHARACTERS = 60
TOP_INSIGHTS = 10


def _short(title: str) -> str:
    return title if len(title) <= TITLE_CHARACTERS else title[: TITLE_CHARACTERS - 1] + "…"


def insights_figure(rows: Iterable[Mapping[str, Any]], limit: int = TOP_INSIGHTS) -> Figure:
    """The ``limit`` insights with the highest ``priority_score``, highest at the top."""
    top = sorted(rows, key=lambda r: (-r["priority_score"], r["title"]))[:limit]
    if not top:
        raise ValueError("no insight to plot")
    top.reverse()  # barh draws bottom-up
    figure = Figure(figsize=(8, 0.9 + 0.32 * len(top)), layout="constrained")
    axes = figure.add_subplot()
    axes.barh(
        [_short(r["title"]) for r in top],
        [r["priority_score"] for r in top],
        color=[PRIORITY_COLOURS.get(r.get("priority") or "", "#4c72b0") for r in top],
    )
    shown = {r.get("priority") for r in top}
    handles = [Patch(color=c, label=level) for level, c in PRIORITY_COLOURS.items() if level in shown]
    if handles:
        axes.legend(handles=handles, title="priority", fontsize=7, title_fontsize=7, loc="lower right")
    axes.set_xlabel("priority score (effect size x reach x confidence)")
    axes.set_title(f"Top {len(top)} optimisation insights", fontsize=10)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="x", alpha=0.3)
    return figure
