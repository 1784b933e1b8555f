"""Jobs over the analytics assets."""

import dagster as dg

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.groups("analytics"),
    description=(
        "Load the declared experiments, then analyse each day of the partition range in order: "
        "correlations, feature importance, platform comparisons and A/B tests."
    ),
)
