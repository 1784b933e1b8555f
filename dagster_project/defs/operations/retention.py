"""Retention: a job that removes data older than the configured windows, and a daily sensor for it.

``retention_job`` applies the retention plan (``dagster_project.warehouse.retention``) as of a UTC
day from its run config (default: today, UTC) and lists every dropped partition and pruned table
with its row count in the op's output metadata.  ``retention_sensor`` requests one run per UTC
day: its cursor is the last day it requested and the run key is the day, so a day is never
requested twice and a sensor that was off for a while asks once, for today (retention is
cumulative: one run removes everything older than the window).
"""

import datetime as dt

import dagster as dg
from pydantic import Field

from dagster_project.defs.resources import PostgresResource
from dagster_project.warehouse.retention import (
    DEFAULT_BATCH_ROWS,
    Removal,
    RetentionPolicy,
    apply_plan,
    build_plan,
)

OP_NAME = "apply_retention"
SENSOR_INTERVAL_SECONDS = 15 * 60


class RetentionConfig(dg.Config):
    """As-of day and optional one-off retention overrides (days); unset = the settings."""

    today: str | None = Field(default=None, description="UTC day (YYYY-MM-DD) to apply retention as of.")
    engagement_data_retention_days: int | None = Field(default=None, ge=1)
    history_retention_days: int | None = Field(default=None, ge=1)
    results_retention_days: int | None = Field(default=None, ge=1)
    rejected_retention_days: int | None = Field(default=None, ge=1)
    batch_rows: int = Field(default=DEFAULT_BATCH_ROWS, ge=1, description="Rows deleted per transaction.")

    def as_of(self) -> dt.date:
        if self.today is None:
            return utc_today()
        try:
            return dt.date.fromisoformat(self.today)
        except ValueError as error:
            raise ValueError(f"today must be a day as YYYY-MM-DD, got {self.today!r}") from error

    def policy(self) -> RetentionPolicy:
        base = RetentionPolicy.from_settings()
        return RetentionPolicy(
            engagement_data_days=_or(self.engagement_data_retention_days, base.engagement_data_days),
            history_days=_or(self.history_retention_days, base.history_days),
            results_days=_or(self.results_retention_days, base.results_days),
            rejected_days=_or(self.rejected_retention_days, base.rejected_days),
        )


def _or(override: int | None, default: int) -> int:
    return default if override is None else override


def utc_today() -> dt.date:
    """The current UTC day (tests replace this function to move the clock)."""
    return dt.datetime.now(dt.UTC).date()


def removal_metadata(removals: list[Removal], cutoffs: dict[str, dt.date], days: dict[str, int]) -> dict:
    table = "\n".join(f"| {r.kind} | `{r.table_or_partition}` | {r.rows} | {r.cutoff} |" for r in removals)
    return {
        "removals": dg.MetadataValue.md(
            "| kind | partition / table | rows | cutoff |\n|---|---|---|---|\n" + table
            if removals
            else "Nothing older than the retention windows."
        ),
        "removed": dg.MetadataValue.json([r.as_dict() for r in removals]),
        "partitions_dropped": sum(r.kind == "raw_partition" for r in removals),
        "rows_removed": sum(r.rows for r in removals),
        "cutoffs": dg.MetadataValue.json({k: v.isoformat() for k, v in cutoffs.items()}),
        "retention_days": dg.MetadataValue.json(days),
    }


@dg.op(name=OP_NAME, description="Drop raw partitions and delete rows older than the retention windows.")
def apply_retention(context: dg.OpExecutionContext, config: RetentionConfig, warehouse: PostgresResource):
    today = config.as_of()
    policy = config.policy()
    plan = build_plan(warehouse.url(), today, policy)
    cutoffs = plan.cutoffs()
    context.log.info(
        f"Retention as of {today}: keeping raw from {cutoffs['raw']}, history from {cutoffs['history']}, "
        f"results from {cutoffs['results']}, rejects from {cutoffs['rejected']}; "
        f"{len(plan.partitions)} partitions to drop, {plan.kept_partitions} kept, "
        f"{len(plan.prunes)} tables to prune"
    )

    def log(removal: Removal) -> None:
        context.log.info(f"Removed {removal.table_or_partition} ({removal.kind}): {removal.rows} rows")

    removals = apply_plan(warehouse.url(), plan, batch_rows=config.batch_rows, on_removal=log)
    days = {kind: policy.days(kind) for kind in cutoffs}
    return dg.Output(
        [r.as_dict() for r in removals],
        metadata={"today": today.isoformat(), **removal_metadata(removals, cutoffs, days)},
    )


@dg.job(
    name="retention_job",
    description=(
        "Drop raw snapshot partitions older than ENGAGEMENT_DATA_RETENTION_DAYS and delete history, "
        "result and quarantine rows older than their own retention; the removals are in the metadata."
    ),
    tags={"domain": "operations"},
)
def retention_job():
    apply_retention()


def run_config_for(day: dt.date) -> dict:
    return {"ops": {OP_NAME: {"config": {"today": day.isoformat()}}}}


@dg.sensor(
    name="retention_sensor",
    job=retention_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one retention_job run per UTC day (cursor: the last day requested).",
)
def retention_sensor(context: dg.SensorEvaluationContext):
    today = utc_today()
    last = _cursor_day(context.cursor)
    if last is not None and last >= today:
        return dg.SkipReason(f"Retention already requested for {last.isoformat()}")
    request = dg.RunRequest(
        run_key=today.isoformat(),
        run_config=run_config_for(today),
        tags={"retention/today": today.isoformat()},
    )
    return dg.SensorResult(run_requests=[request], cursor=today.isoformat())


def _cursor_day(cursor: str | None) -> dt.date | None:
    """The day in the cursor; an unreadable cursor counts as none (the run key still dedupes)."""
    if not cursor:
        return None
    try:
        return dt.date.fromisoformat(cursor)
    except ValueError:
        return None
