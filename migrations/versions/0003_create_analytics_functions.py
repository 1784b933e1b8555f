"""SQL analytics functions used by the dbt models, MVs and BI: engagement rate, growth rate,
least-squares slope and the 0-10 performance score.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FUNCTIONS = {
    "analytics.engagement_rate(numeric, numeric)": """
        create function analytics.engagement_rate(interactions numeric, denominator numeric)
        returns double precision language sql immutable parallel safe as $$
            select case when denominator > 0 then (interactions / denominator)::double precision end
        $$
    """,
    "analytics.growth_rate(numeric, numeric)": """
        create function analytics.growth_rate(current_value numeric, previous_value numeric)
        returns double precision language sql immutable parallel safe as $$
            select case when previous_value > 0
                        then ((current_value - previous_value) / previous_value)::double precision end
        $$
    """,
    "analytics.linear_slope(double precision[])": """
        create function analytics.linear_slope(ys double precision[])
        returns double precision language sql immutable parallel safe as $$
            select regr_slope(y, x::double precision)
            from unnest(ys) with ordinality as t (y, x)
        $$
    """,
    "analytics.performance_score(double precision, double precision, double precision, "
    "double precision, double precision)": """
        create function analytics.performance_score(
            value double precision, p25 double precision, p50 double precision,
            p75 double precision, p90 double precision
        ) returns double precision language sql immutable parallel safe as $$
            select case
                when value is null or p25 is null or p50 is null or p75 is null or p90 is null then null
                when value <= p25 then 2.5 * value / nullif(p25, 0)
                when value <= p50 then 2.5 + 2.5 * (value - p25) / nullif(p50 - p25, 0)
                when value <= p75 then 5.0 + 2.5 * (value - p50) / nullif(p75 - p50, 0)
                when value <= p90 then 7.5 + 1.5 * (value - p75) / nullif(p90 - p75, 0)
                else least(10.0, 9.0 + (value - p90) / nullif(p90, 0))
            end
        $$
    """,
}

COMMENTS = {
    "analytics.engagement_rate(numeric, numeric)": (
        "interactions / denominator; NULL when the denominator is not positive"
    ),
    "analytics.growth_rate(numeric, numeric)": (
        "(current - previous) / previous; NULL when previous is not positive"
    ),
    "analytics.linear_slope(double precision[])": (
        "least-squares slope of the values against their position 1..n (NULL for fewer than 2)"
    ),
    "analytics.performance_score(double precision, double precision, double precision, "
    "double precision, double precision)": (
        "0-10 score of a value against benchmark percentiles: p25 -> 2.5, p50 -> 5, p75 -> 7.5, "
        "p90 -> 9, linear between them, 10 at twice p90"
    ),
}


def upgrade() -> None:
    op.execute("create schema if not exists analytics")
    op.execute("grant usage on schema analytics to perf_writer, perf_reader")
    for signature, body in FUNCTIONS.items():
        op.execute(body)
        op.execute(f"comment on function {signature} is '{COMMENTS[signature]}'")
        op.execute(f"grant execute on function {signature} to perf_writer, perf_reader")


def downgrade() -> None:
    for signature in reversed(FUNCTIONS):
        op.execute(f"drop function {signature}")
    op.execute("revoke usage on schema analytics from perf_writer, perf_reader")
    op.execute("drop schema analytics")
