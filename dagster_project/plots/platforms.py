"""Platform comparison: per metric, each platform's mean with its 95% interval, titled with the
Kruskal-Wallis effect size and adjusted p-value (``platform_comparison_results`` rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from dagster_project.plots.rows import as_float, plain_json

METRIC_BY_PLATFORM = "metric_by_platform"


@dataclass(frozen=True)
class PlatformPanel:
    """One metric compared across platforms."""

    metric: str
    platforms: tuple[str, ...]
    means: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    sample_sizes: tuple[int, ...]
    subtitle: str


def _subtitle(row: Mapping[str, Any]) -> str:
    if row["effect_size"] is None or row["adjusted_p_value"] is None:
        return "no test"
    p = row["adjusted_p_value"]
    shown = "< 0.001" if p < 0.001 else f"= {p:.3f}"
    return f"epsilon^2 = {row['effect_size']:.3f}, adjusted p {shown}"


def platform_panels(rows: Iterable[Mapping[str, Any]]) -> tuple[str, list[PlatformPanel]]:
    """The workspace with the most items compared and one panel per metric it has platforms for."""
    by_workspace: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["comparison"] == METRIC_BY_PLATFORM:
            by_workspace[row["workspace_id"]].append(row)
    if not by_workspace:
        return "", []
    workspace = min(by_workspace, key=lambda w: (-sum(r["sample_size"] for r in by_workspace[w]), w))
    panels = []
    for row in sorted(by_workspace[workspace], key=lambda r: r["metric"]):
        levels = [s for s in plain_json(row["per_platform"]) if s["mean"] is not None]
        if not levels:
            continue
        panels.append(
            PlatformPanel(
                metric=row["metric"],
                platforms=tuple(s["level"] for s in levels),
                means=tuple(float(s["mean"]) for s in levels),
                ci_lower=tuple(as_float(s["ci_low"]) for s in levels),
                ci_upper=tuple(as_float(s["ci_high"]) for s in levels),
                sample_sizes=tuple(int(s["sample_size"]) for s in levels),
                subtitle=_subtitle(row),
            )
        )
    return workspace, panels


def platform_figure(workspace: str, panels: list[PlatformPanel]) -> Figure:
    """One bar chart per metric: platform means with 95% interval error bars, item counts under
    the platform names."""
    if not panels:
        raise ValueError("no platform comparison to plot")
    columns = min(len(panels), 2)
    rows = (len(panels) + columns - 1) // columns
    figure = Figure(figsize=(4.2 * columns, 2.8 * rows), layout="constrained")
    figure.suptitle(f"Platforms compared, workspace {workspace}", fontsize=11)
    for index, panel in enumerate(panels, start=1):
        axes = figure.add_subplot(rows, columns, index)
        below = [max(m - low, 0.0) for m, low in zip(panel.means, panel.ci_lower, strict=True)]
        above = [max(high - m, 0.0) for m, high in zip(panel.means, panel.ci_upper, strict=True)]
        labels = [f"{p}\nn={n}" for p, n in zip(panel.platforms, panel.sample_sizes, strict=True)]
        axes.bar(labels, panel.means, yerr=[below, above], capsize=3, color="#4c72b0")
        axes.set_title(f"{panel.metric}\n{panel.subtitle}", fontsize=9)
        axes.tick_params(axis="x", labelsize=8)
        axes.grid(axis="y", alpha=0.3)
    return figure
