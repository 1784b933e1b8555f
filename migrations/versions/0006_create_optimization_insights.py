"""Optimisation insights table (issue 7): prioritised, quantified recommendations per day.

One row per (analysis day, workspace, insight) for every insight the day's results support. An
insight is identified by ``insight_id`` (its type, scope and subject, e.g. the best posting hour
on TikTok), so the same recommendation keeps its id from day to day. ``evidence_hash`` digests
what the reader is shown (priority, impact and its interval at display precision, affected
content); ``status`` compares it with the insight's latest earlier row: ``new`` (never reported
before), ``updated`` (evidence changed) or ``unchanged``. Readers list new and updated rows by
default, so the same insight is not repeated day after day unless its evidence changed;
``first_reported_date`` keeps the day it first appeared.

As in 0004/0005: an asset run replaces one ``analysis_date`` in one transaction, numbers that
could not be computed are NULL (never NaN), and BI readers (``perf_reader``) see their workspaces
only (row-level security); the pipeline (``perf_writer``) writes.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WRITER = "perf_writer"
READER = "perf_reader"
TABLE = "analytics.optimization_insights"


# Column checks, as in 0004 (migrations are frozen DDL, so they keep their own copy).
def _finite(column: str) -> str:
    return f"check ({column} > '-Infinity' and {column} < 'Infinity')"


def _unit(column: str) -> str:
    return f"check ({column} between 0 and 1)"


def _one_of(column: str, *values: str) -> str:
    return f"check ({column} in ({', '.join(repr(v) for v in values)}))"


INSIGHT_TYPES = (
    "best_posting_hour",
    "best_posting_weekday",
    "content_length",
    "content_format",
    "content_category",
    "platform_mix",
    "underperforming_content",
    "rising_content",
    "decaying_content",
    "anomaly_to_investigate",
    "ab_test_winner",
)
LEVELS = ("high", "medium", "low")
DIFFICULTIES = ("low", "medium", "high")
STATUSES = ("new", "updated", "unchanged")

DDL = f"""
    create table {TABLE} (
        analysis_date date not null,
        workspace_id text not null,
        insight_id text not null,
        insight_type text not null {_one_of("insight_type", *INSIGHT_TYPES)},
        platform text,
        priority text not null {_one_of("priority", *LEVELS)},
        priority_score double precision not null {_unit("priority_score")},
        effect_score double precision not null {_unit("effect_score")},
        reach_score double precision not null {_unit("reach_score")},
        confidence_score double precision not null {_unit("confidence_score")},
        title text not null,
        description text not null,
        impact_prediction text not null,
        impact_estimate double precision {_finite("impact_estimate")},
        impact_ci_lower double precision {_finite("impact_ci_lower")},
        impact_ci_upper double precision {_finite("impact_ci_upper")},
        impact_unit text not null,
        implementation_difficulty text not null {_one_of("implementation_difficulty", *DIFFICULTIES)},
        affected_content text[] not null default '{{}}',
        data_supporting jsonb not null,
        evidence_hash text not null,
        first_reported_date date not null,
        status text not null {_one_of("status", *STATUSES)},
        run_id text,
        computed_at timestamptz not null default now(),
        primary key (analysis_date, workspace_id, insight_id),
        check (first_reported_date <= analysis_date),
        check ((status = 'new') = (first_reported_date = analysis_date)),
        check (impact_ci_lower <= impact_estimate and impact_estimate <= impact_ci_upper)
    )
"""

TABLE_COMMENT = (
    "Prioritised, quantified optimisation insights per analysis day and workspace, derived from the "
    "day's analysis results (correlations, feature importance, platform comparisons, A/B tests, trends, "
    "anomalies) and the performance marts. Correlational findings are associations, not causal effects. "
    "Readers list status new or updated by default: an unchanged insight is not repeated."
)

COLUMN_COMMENTS = {
    "analysis_date": "Dagster partition day whose results the insight was derived from.",
    "workspace_id": "Tenant; row-level security filters BI readers on it.",
    "insight_id": "Stable key of the insight: type, scope (platform or all) and subject, joined by ':'.",
    "insight_type": ", ".join(INSIGHT_TYPES) + ".",
    "platform": "Platform the insight is about (NULL when it spans platforms).",
    "priority": "high (priority_score >= 0.5), medium (>= 0.2) or low.",
    "priority_score": "effect_score x reach_score x confidence_score (0..1).",
    "effect_score": "Size of the effect mapped to 0..1 (relative impact / 0.5, capped at 1).",
    "reach_score": "Share of the workspace's content (or views) the insight applies to (0..1).",
    "confidence_score": "Strength of the evidence (1 - p, interval away from zero, power) mapped to 0..1.",
    "title": "One-line recommendation.",
    "description": "The finding in words; associations are worded as associations.",
    "impact_prediction": (
        "The quantified impact with its interval, e.g. +12% median day-7 views, 95% CI +5% to +19%."
    ),
    "impact_estimate": "Point estimate of the impact, in impact_unit.",
    "impact_ci_lower": "Lower bound of the impact interval (NULL when the evidence gives none).",
    "impact_ci_upper": "Upper bound of the impact interval (NULL when the evidence gives none).",
    "impact_unit": "Unit of the impact numbers, e.g. relative_views_day_7 (a share: 0.12 = +12%).",
    "implementation_difficulty": "low, medium or high effort to act on the insight.",
    "affected_content": "Content ids the insight is about (empty for workspace-wide practices).",
    "data_supporting": "Evidence numbers and the result rows they came from (table and key columns).",
    "evidence_hash": "Digest of the evidence as shown (priority, rounded impact, affected content).",
    "first_reported_date": "First analysis day this insight was reported (carried over while it persists).",
    "status": (
        "new (not reported before), updated (evidence_hash differs from its latest earlier row) or "
        "unchanged (same evidence as its latest earlier row: not shown again by default)."
    ),
    "run_id": "Dagster run that wrote the row.",
    "computed_at": "When the row was written.",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute(DDL)
    op.execute(f"comment on table {TABLE} is {_quote(TABLE_COMMENT)}")
    for column, comment in COLUMN_COMMENTS.items():
        op.execute(f"comment on column {TABLE}.{column} is {_quote(comment)}")
    op.execute(f"grant select, insert, update, delete on {TABLE} to {WRITER}")
    op.execute(f"grant select on {TABLE} to {READER}")
    op.execute(f"alter table {TABLE} enable row level security")
    op.execute(
        f"create policy reader_workspace on {TABLE} for select to {READER} "
        "using (workspace_id in (select raw.current_workspaces()))"
    )
    op.execute(
        f"create index optimization_insights_latest on {TABLE} (workspace_id, insight_id, analysis_date desc)"
    )


def downgrade() -> None:
    op.execute("drop index analytics.optimization_insights_latest")
    op.execute(f"drop policy reader_workspace on {TABLE}")
    op.execute(f"alter table {TABLE} disable row level security")
    op.execute(f"revoke all on {TABLE} from {WRITER}, {READER}")
    op.execute(f"drop table {TABLE}")
