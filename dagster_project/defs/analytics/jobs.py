"""Jobs over the analytics assets."""

import dagster as dg

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.groups("analytics", "trends"),
    description=(
        "Load the declared experiments, then analyse each day of the partition range in order: "
        "correlations, feature importance, platform comparisons, A/B tests, trends and anomalies."
    ),
)

trends_job = dg.define_asset_job(
    "trends_job",
    selection=dg.AssetSelection.groups("trends"),
    description=(
        "Trend analyses, forecasts and anomalies of every series for each day of the partition range "
        "(e.g. the recent days after a history_backfill_job)."
    ),
)
