"""A small built warehouse for the read endpoints: two synthetic workspaces (``acme``, ``beta``)
landed, loaded and built by dbt (marts, materialized views, ``bi`` views), every analysis result
of the last day written by the pipeline's own functions, and known optimisation insights over two
days (new, updated and unchanged ones) in place of the pipeline's.

The two workspaces share content ids (the generator numbers items the same way), so a read that
forgot its workspace would mix them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_project.analytics_io.daily import Thresholds
from dagster_project.analytics_io.insight_rows import INSIGHT_COLUMNS
from dagster_project.analytics_io.rows import jsonb
from dagster_project.analytics_io.store import replace_day
from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import run_dbt
from tests.analytics_assets.helpers import land_workspaces, write_all_results

WORKSPACES = ("acme", "beta")
END = dt.date(2026, 10, 31)
DAYS = 21
ITEMS = 30
NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
THRESHOLDS = Thresholds(alpha=0.05, min_sample_size=5)
WINDOW_DAYS = 90


@dataclass(frozen=True)
class ReadsWarehouse:
    url: str
    settings: AnalyticsSettings
    end: dt.date = END


def insight(
    day: dt.date,
    workspace: str,
    insight_id: str,
    *,
    status: str,
    priority_score: float,
    platform: str | None = "youtube",
    affected: tuple[str, ...] = (),
    first_reported: dt.date | None = None,
) -> dict[str, Any]:
    """One optimisation insight row (the shape of migration 0006)."""
    priority = "high" if priority_score >= 0.5 else "medium" if priority_score >= 0.2 else "low"
    return {
        "analysis_date": day,
        "workspace_id": workspace,
        "insight_id": insight_id,
        "insight_type": insight_id.split(":")[0],
        "platform": platform,
        "priority": priority,
        "priority_score": priority_score,
        "effect_score": 1.0,
        "reach_score": 1.0,
        "confidence_score": priority_score,
        "title": f"{insight_id} in {workspace}",
        "description": f"Items with {insight_id} are associated with more views.",
        "impact_prediction": "+12% median day-7 views, 95% CI +5% to +19%",
        "impact_estimate": 0.12,
        "impact_ci_lower": 0.05,
        "impact_ci_upper": 0.19,
        "impact_unit": "relative_views_day_7",
        "implementation_difficulty": "low",
        "affected_content": list(affected),
        "data_supporting": jsonb({"source": "correlation_analysis_results", "n": 30}),
        "evidence_hash": f"{insight_id}-{status}",
        "first_reported_date": first_reported or day,
        "status": status,
        "run_id": None,
    }


PREVIOUS = END - dt.timedelta(days=1)
# Insights of the last two days in acme: on END one is new, one updated, one unchanged.
INSIGHTS = {
    PREVIOUS: [
        insight(PREVIOUS, "acme", "best_posting_hour:youtube:18", status="new", priority_score=0.6),
        insight(
            PREVIOUS, "acme", "content_length:all:short", status="new", priority_score=0.3, platform=None
        ),
    ],
    END: [
        insight(
            END,
            "acme",
            "best_posting_hour:youtube:18",
            status="unchanged",
            priority_score=0.6,
            first_reported=PREVIOUS,
        ),
        insight(
            END,
            "acme",
            "content_length:all:short",
            status="updated",
            priority_score=0.35,
            platform=None,
            first_reported=PREVIOUS,
        ),
        insight(
            END,
            "acme",
            "rising_content:tiktok:tt-000001",
            status="new",
            priority_score=0.1,
            platform="tiktok",
            affected=("tt-000001",),
        ),
        insight(END, "beta", "best_posting_hour:youtube:9", status="new", priority_score=0.9),
    ],
}


def _write_insights(url: str) -> None:
    with connect(url) as conn:
        for day, rows in INSIGHTS.items():
            replace_day(conn, "optimization_insights", day, INSIGHT_COLUMNS, rows)


def build_reads_warehouse(url: str, root: Path) -> ReadsWarehouse:
    """Migrate ``url`` and build the warehouse described above into it (about 20 s on 2 cores)."""
    migrate.upgrade(url)
    landing = land_workspaces(root, WORKSPACES, items=ITEMS, days=DAYS, end=END, declarations=False)
    settings = AnalyticsSettings(
        DATABASE_URL=url, LANDING_DIR=landing, DATA_DIR=root / ".data", APP_ENV="testing"
    )
    for offset in range(DAYS):
        load_landing_day(url, END - dt.timedelta(days=DAYS - 1 - offset), settings=settings, now=NOW)
    run_dbt(url, ["build", "--exclude-resource-type", "test"])
    write_all_results(url, END, THRESHOLDS)
    _write_insights(url)  # replaces the pipeline's insights of END by known ones
    return ReadsWarehouse(url, settings)
