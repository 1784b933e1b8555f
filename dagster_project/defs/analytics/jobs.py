"""Jobs over the analytics assets."""

import dagster as dg

from dagster_project.defs.freshness import FRESHNESS_CHECKS

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.groups("analytics", "trends", "insights") - FRESHNESS_CHECKS,
    description=(
        "Load the declared experiments, then analyse each day of the partition range in order: "
        "correlations, feature importance, platform comparisons, A/B tests, trends and anomalies, "
        "and the optimisation insights drawn from them."
    ),
)

trends_job = dg.define_asset_job(
    "trends_job",
    selection=dg.AssetSelection.groups("trends", "insights") - FRESHNESS_CHECKS,
    description=(
        "Trend analyses, forecasts and anomalies of every series for each day of the partition range "
        "(e.g. the recent days after a history_backfill_job), then the optimisation insights."
    ),
)
