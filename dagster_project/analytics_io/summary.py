"""Counts and markdown tables of result rows, for the assets' metadata."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from dagster_project.analytics_io.rows import Row

TOP_FINDINGS = 10


def count_tests(rows: Sequence[Row], significant: str = "is_significant") -> dict[str, int]:
    """Tests run (with a number), significant findings (the ``significant`` column is true; for
    feature importance: the coefficient's interval excludes zero) and insufficient-data results."""
    return {
        "tests": sum(not r["insufficient_data"] for r in rows),
        "significant": sum(bool(r[significant]) for r in rows),
        "insufficient_data": sum(bool(r["insufficient_data"]) for r in rows),
    }


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _effect(row: Row) -> float:
    value = row["correlation_coefficient"] if row.get("correlation_coefficient") is not None else None
    if value is None:
        value = row.get("effect_size")
    return abs(value) if value is not None else 0.0


def top_correlations(rows: Sequence[Row], limit: int = TOP_FINDINGS) -> str:
    """Markdown table of the significant findings: smallest adjusted p first, then largest effect."""
    found = sorted(
        (r for r in rows if r["is_significant"]),
        key=lambda r: (
            r["adjusted_p_value"],
            -_effect(r),
            r["scope"],
            r["feature"],
            r["metric"],
            r["method"],
        ),
    )[:limit]
    if not found:
        return "No significant finding."
    lines = [
        "| workspace | scope | feature | metric | method | effect | 95% CI | adjusted p | n |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in found:
        if r["correlation_coefficient"] is not None:
            effect = f"r = {r['correlation_coefficient']:+.2f}"
            interval = (
                f"{_number(r['confidence_interval_lower'])} to {_number(r['confidence_interval_upper'])}"
            )
        else:
            effect = f"{r['effect_size_name']} = {_number(r['effect_size'], 3)}"
            interval = ""
        lines.append(
            f"| {r['workspace_id']} | {r['scope']} | {r['feature']} | {r['metric']} | {r['method']} "
            f"| {effect} | {interval} | {_p(r['adjusted_p_value'])} | {r['sample_size']} |"
        )
    return "\n".join(lines)


def top_importances(rows: Sequence[Row], limit: int = TOP_FINDINGS) -> str:
    """Markdown table of the features ranked first whose interval excludes zero."""
    found = sorted(
        (r for r in rows if r["excludes_zero"]),
        key=lambda r: (r["rank"], -r["importance"], r["scope"], r["metric"], r["feature"]),
    )[:limit]
    if not found:
        return "No coefficient whose bootstrap interval excludes zero."
    lines = [
        "| workspace | scope | metric | feature | rank (95% CI) | coefficient (95% CI) | n |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in found:
        lines.append(
            f"| {r['workspace_id']} | {r['scope']} | {r['metric']} | {r['feature']} "
            f"| {r['rank']} ({r['rank_ci_lower']}-{r['rank_ci_upper']}) "
            f"| {r['coefficient']:+.2f} ({r['ci_lower']:+.2f} to {r['ci_upper']:+.2f}) | {r['sample_size']} |"
        )
    return "\n".join(lines)


def top_platform_findings(rows: Sequence[Row], limit: int = TOP_FINDINGS) -> str:
    found = sorted(
        (r for r in rows if r["is_significant"]),
        key=lambda r: (r["adjusted_p_value"], r["comparison"], r["feature"], r["metric"]),
    )[:limit]
    if not found:
        return "No significant platform difference."
    lines = ["| workspace | comparison | feature | metric | adjusted p | n |", "|---|---|---|---|---|---|"]
    for r in found:
        lines.append(
            f"| {r['workspace_id']} | {r['comparison']} | {r['feature']} | {r['metric']} "
            f"| {_p(r['adjusted_p_value'])} | {r['sample_size']} |"
        )
    return "\n".join(lines)


def verdict_counts(rows: Sequence[Row]) -> dict[str, int]:
    """Experiments per verdict (rows are per variant; every row of an experiment shares it)."""
    experiments = {(r["workspace_id"], r["experiment_id"]): r["verdict"] for r in rows}
    return dict(sorted(Counter(experiments.values()).items()))


def experiment_table(rows: Sequence[Row]) -> str:
    """Markdown table: one line per treatment (or per experiment without a comparison)."""
    if not rows:
        return "No experiment to analyse."
    lines = [
        "| workspace | experiment | variant | n (control / variant) | verdict | lift (95% CI) | adjusted p |",
        "|---|---|---|---|---|---|---|",
    ]
    controls = {(r["workspace_id"], r["experiment_id"]): r["sample_size"] for r in rows if r["is_control"]}
    for r in rows:
        if r["is_control"]:
            continue
        lift = "n/a"
        if r["relative_lift"] is not None:
            interval = ""
            if r["lift_ci_lower"] is not None and r["lift_ci_upper"] is not None:
                interval = f" ({r['lift_ci_lower']:+.1%} to {r['lift_ci_upper']:+.1%})"
            lift = f"{r['relative_lift']:+.1%}{interval}"
        sizes = f"{controls.get((r['workspace_id'], r['experiment_id']), 0)} / {r['sample_size']}"
        lines.append(
            f"| {r['workspace_id']} | {r['experiment_id']} | {r['variant']} | {sizes} "
            f"| {r['verdict']} | {lift} | {_p(r['adjusted_p_value'])} |"
        )
    return "\n".join(lines)
