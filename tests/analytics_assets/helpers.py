"""Test data for the analytics assets: the synthetic generator's experiments as a declaration
file, and a hand-made "lab" workspace whose experiments have enough items and known effects."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dagster_project.analytics_io.daily import (
    Thresholds,
    ab_day,
    correlation_day,
    importance_day,
    platform_day,
)
from dagster_project.analytics_io.experiments import write_declarations
from dagster_project.analytics_io.frames import AnalysisWindow, prepare_features, read_content_features
from dagster_project.analytics_io.insight_day import insight_day
from dagster_project.analytics_io.insight_rows import INSIGHT_COLUMNS
from dagster_project.analytics_io.rows import (
    AB_COLUMNS,
    CORRELATION_COLUMNS,
    IMPORTANCE_COLUMNS,
    PLATFORM_COLUMNS,
    Row,
)
from dagster_project.analytics_io.series_frames import read_history
from dagster_project.analytics_io.store import replace_day
from dagster_project.analytics_io.trend_day import trend_day
from dagster_project.analytics_io.trend_rows import ANOMALY_COLUMNS, TREND_COLUMNS
from dagster_project.config import get_settings
from dagster_project.synthetic import SyntheticSpec, experiment_declarations, generate
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import snapshot, write_csv

LAB = "lab"
LAB_START = dt.date(2026, 10, 1)
LAB_END = dt.date(2026, 10, 3)
LAB_ITEMS_PER_VARIANT = 40


@dataclass(frozen=True)
class LabExperiment:
    experiment_id: str
    primary_metric: str
    metric_kind: str
    views_lift: float = 0.0
    like_rate_lift: float = 0.0
    unmeasured_treatment_items: int = 0


LAB_EXPERIMENTS = (
    LabExperiment("lab-lift", "views", "mean", views_lift=0.30),
    LabExperiment("lab-aa", "views", "mean"),
    LabExperiment("lab-rate", "likes", "rate", like_rate_lift=0.25),
    LabExperiment("lab-srm", "views", "mean", unmeasured_treatment_items=25),
)


def lab_data(seed: int = 5) -> tuple[list[dict[str, object]], list[dict[str, Any]]]:
    """Snapshots (tiktok, UTC days) and declarations of the lab experiments.

    Items are published over LAB_START..LAB_END and observed on their publish day and on day 7;
    views at day 7 are lognormal (sd 0.25 on the log scale) around 10,000, likes a per-item rate
    around 5% of views. Treatments multiply views or the like rate by the planted lift.
    """
    rng = np.random.default_rng(seed)
    snapshots: list[dict[str, object]] = []
    declarations: list[dict[str, Any]] = []
    days = (LAB_END - LAB_START).days + 1
    for experiment in LAB_EXPERIMENTS:
        for variant in ("control", "treatment"):
            treated = variant == "treatment"
            for i in range(LAB_ITEMS_PER_VARIANT):
                content_id = f"{experiment.experiment_id}-{variant}-{i:02d}"
                published = dt.datetime.combine(
                    LAB_START + dt.timedelta(days=i % days), dt.time(int(rng.integers(0, 18))), tzinfo=dt.UTC
                )
                meta = {
                    "workspace_id": LAB,
                    "platform": "tiktok",
                    "title": f"Lab item {i}",
                    "published_at": published.isoformat(),
                    "creator_id": f"lab-creator-{i % 8}",
                }
                views = 10_000 * float(rng.lognormal(0.0, 0.25)) * (1 + experiment.views_lift * treated)
                like_rate = 0.05 * float(rng.lognormal(0.0, 0.2)) * (1 + experiment.like_rate_lift * treated)
                snapshots.append(
                    snapshot(
                        content_id,
                        captured_at=(published + dt.timedelta(hours=2)).isoformat(),
                        views=int(views * 0.2),
                        likes=int(views * 0.2 * like_rate),
                        comments=0,
                        **meta,
                    )
                )
                if not (treated and i < experiment.unmeasured_treatment_items):
                    day_7 = dt.datetime.combine(published.date() + dt.timedelta(days=7), dt.time(12), dt.UTC)
                    snapshots.append(
                        snapshot(
                            content_id,
                            captured_at=day_7.isoformat(),
                            views=int(views),
                            likes=int(views * like_rate),
                            comments=int(views * 0.002),
                            **meta,
                        )
                    )
                declarations.append(
                    {
                        "workspace_id": LAB,
                        "experiment_id": experiment.experiment_id,
                        "platform": "tiktok",
                        "content_id": content_id,
                        "variant": variant,
                        "is_control": not treated,
                        "start_date": LAB_START.isoformat(),
                        "end_date": LAB_END.isoformat(),
                        "primary_metric": experiment.primary_metric,
                        "metric_kind": experiment.metric_kind,
                        "metric_age_days": 7,
                        "planned_sample_size_per_variant": 20,
                        "allocation": 0.5,
                        "target_relative_lift": 0.1,
                        "higher_is_better": True,
                    }
                )
    return snapshots, declarations


def land_by_capture_day(landing: Path, platform: str, snapshots: Sequence[Mapping[str, object]]) -> None:
    """One CSV per UTC capture day (the landing day that delivers it)."""
    by_day: dict[dt.date, list[Mapping[str, object]]] = {}
    for row in snapshots:
        day = dt.datetime.fromisoformat(str(row["captured_at"])).astimezone(dt.UTC).date()
        by_day.setdefault(day, []).append(row)
    for day, rows in sorted(by_day.items()):
        write_csv(landing, platform, rows, name="lab.csv", day=day)


RESULT_TABLES = (
    "correlation_analysis_results",
    "feature_importance_results",
    "platform_comparison_results",
    "ab_test_performance",
    "trend_analysis_results",
    "performance_anomalies",
)


def result_rows(url: str, table: str, where: str = "true", params: Sequence[object] = ()) -> list[dict]:
    with connect(url) as conn:
        cursor = conn.execute(f"select * from analytics.{table} where {where}", params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def day_checksum(url: str, table: str, day: dt.date) -> tuple[int, str]:
    """Row count and md5 of a day's rows in primary-key order, without run_id and computed_at."""
    with connect(url) as conn:
        columns = [
            name
            for (name,) in conn.execute(
                "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 "
                "and not attisdropped and attname not in ('run_id', 'computed_at') order by attnum",
                (f"analytics.{table}",),
            )
        ]
        key = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid = %s::regclass and contype = 'p'",
            (f"analytics.{table}",),
        ).fetchone()[0]
        order = key.removeprefix("PRIMARY KEY (").removesuffix(")")
        record = "row(" + ", ".join(columns) + ")::text"
        return conn.execute(
            f"select count(*), coalesce(md5(string_agg({record}, '|' order by {order})), '') "
            f"from analytics.{table} where analysis_date = %s",
            (day,),
        ).fetchone()


def write_all_results(
    url: str, day: dt.date, thresholds: Thresholds, extra_anomalies: Sequence[Callable[[Row], Row]] = ()
) -> None:
    """Every analysis result table for ``day``, by the pipeline's own functions (the insights last:
    they read the others). ``extra_anomalies`` derive more anomaly rows from the first one (e.g. for
    a workspace whose few items have no unusual day)."""
    window = AnalysisWindow.ending(day, 90)
    with connect(url) as conn:
        frame = prepare_features(read_content_features(conn, window), day)
        options = {"min_items_per_creator": 5}
        for table, columns, rows in (
            (
                "correlation_analysis_results",
                CORRELATION_COLUMNS,
                correlation_day(frame, window, thresholds, **options),
            ),
            (
                "feature_importance_results",
                IMPORTANCE_COLUMNS,
                importance_day(frame, window, thresholds, bootstrap_resamples=20, **options),
            ),
            ("platform_comparison_results", PLATFORM_COLUMNS, platform_day(frame, window, thresholds)),
            ("ab_test_performance", AB_COLUMNS, ab_day(conn, day, thresholds, window_days=90)[0]),
        ):
            replace_day(conn, table, day, columns, rows)
        trends = trend_day(read_history(conn, window.start, day), day, 90, thresholds.min_sample_size)
        replace_day(conn, "trend_analysis_results", day, TREND_COLUMNS, trends.trend_rows)
        anomalies = [*trends.anomaly_rows, *(derive(trends.anomaly_rows[0]) for derive in extra_anomalies)]
        replace_day(conn, "performance_anomalies", day, ANOMALY_COLUMNS, anomalies)
    with connect(url) as conn:
        insights = insight_day(conn, day, 90, get_settings().LOW_PERFORMANCE_THRESHOLD, run_id=None)
        replace_day(conn, "optimization_insights", day, INSIGHT_COLUMNS, insights.rows)


def land_workspaces(
    root: Path, workspaces: Sequence[str], items: int, days: int, end: dt.date, declarations: bool = True
) -> Path:
    """Synthetic landing files of several workspaces (seeds 1, 2, ...) in one landing folder, file
    names prefixed by the workspace so they do not overwrite each other; with ``declarations``,
    each workspace's planted experiments as a declaration file next to them. The generator numbers
    items the same way in every workspace, so they share content ids: a read that forgot its
    workspace would mix them."""
    landing = root / "landing"
    for seed, workspace in enumerate(workspaces, start=1):
        own = root / workspace
        spec = SyntheticSpec(items=items, days=days, end_date=end, seed=seed, workspace_id=workspace)
        summary = generate(own, spec)
        for path in own.glob("*/*/*.*"):
            target = landing / path.parent.parent.name / path.parent.name / f"{workspace}-{path.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        if declarations:
            rows = experiment_declarations(summary.ground_truth_path)
            write_declarations(landing, f"{workspace}.csv", rows)
    return landing
