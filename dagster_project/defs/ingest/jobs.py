"""Jobs over the ingestion assets."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.freshness import FRESHNESS_CHECKS
from dagster_project.defs.ingest.assets import raw_engagement_snapshots

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(raw_engagement_snapshots) - FRESHNESS_CHECKS,
    description="Validate and load landing days into the raw schema.",
)
