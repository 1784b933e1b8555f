"""Raw ingestion: one landing day -> raw.engagement_snapshots, raw.content, quarantine."""

import datetime as dt
from collections import Counter

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.partitions import daily_partitions, partition_days
from dagster_project.defs.resources import LandingZoneResource, PostgresResource
from dagster_project.defs.retries import retry_transient_database_errors
from dagster_project.ingest.loader import IngestReport, load_landing_day
from dagster_project.warehouse.database import connect

SNAPSHOTS = dg.AssetKey(["raw", "engagement_snapshots"])
CONTENT = dg.AssetKey(["raw", "content"])
REJECTED = dg.AssetKey(["raw", "rejected_snapshots"])

NO_DUPLICATE_SNAPSHOTS = "no_duplicate_snapshots"
RECEIVED_EQUALS_ACCEPTED_PLUS_REJECTED = "received_equals_accepted_plus_rejected"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SNAPSHOTS,
            description="Lifetime engagement counters per capture, range-partitioned by day.",
            kinds={"postgres"},
        ),
        dg.AssetSpec(CONTENT, description="Content metadata; latest capture wins.", kinds={"postgres"}),
        dg.AssetSpec(
            REJECTED,
            description="Quarantined records with reason, field, source and original payload.",
            kinds={"postgres"},
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(NO_DUPLICATE_SNAPSHOTS, asset=SNAPSHOTS),
        dg.AssetCheckSpec(RECEIVED_EQUALS_ACCEPTED_PLUS_REJECTED, asset=SNAPSHOTS),
    ],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="ingest",
    pool="raw_ingest",
)
def raw_engagement_snapshots(
    context: AssetExecutionContext, warehouse: PostgresResource, landing_zone: LandingZoneResource
):
    """Validate a landing day's files and COPY them into the raw schema, replacing that day."""
    with retry_transient_database_errors(context):
        url = warehouse.url()
        days = partition_days(context)
        reports: list[IngestReport] = []
        for number, day in enumerate(days, start=1):
            report = load_landing_day(
                url, day, landing_dir=landing_zone.directory(), run_id=context.run.run_id
            )
            reports.append(report)
            context.log.info(
                f"[{number}/{len(days)}] {day}: {report.received} received, {report.accepted} accepted, "
                f"{report.rejected} rejected ({report.files} files, {report.seconds:.1f}s)"
            )
        summary = _summarise(reports)
        yield dg.MaterializeResult(asset_key=SNAPSHOTS, metadata=summary)
        yield dg.MaterializeResult(
            asset_key=CONTENT,
            metadata={"content_upserted": sum(r.content_upserted for r in reports)},
        )
        yield dg.MaterializeResult(
            asset_key=REJECTED,
            metadata={
                "rejected": summary["rejected"],
                "rejects_by_reason": summary["rejects_by_reason"],
            },
        )
        yield from _checks(url, days)


def _summarise(reports: list[IngestReport]) -> dict[str, object]:
    by_platform: dict[str, Counter[str]] = {}
    reasons: Counter[str] = Counter()
    for report in reports:
        reasons.update(report.rejects_by_reason)
        for platform, counts in report.by_platform.items():
            by_platform.setdefault(platform, Counter()).update(
                received=counts.received, accepted=counts.accepted, rejected=counts.rejected
            )
    return {
        "days": len(reports),
        "files": sum(r.files for r in reports),
        "received": sum(r.received for r in reports),
        "accepted": sum(r.accepted for r in reports),
        "rejected": sum(r.rejected for r in reports),
        "distinct_content": max((r.distinct_content for r in reports), default=0),
        "by_platform": dg.MetadataValue.json({p: dict(c) for p, c in sorted(by_platform.items())}),
        "rejects_by_reason": dg.MetadataValue.json(dict(reasons.most_common())),
        "per_day": dg.MetadataValue.md(
            "| day | files | received | accepted | rejected |\n|---|---|---|---|---|\n"
            + "\n".join(
                f"| {r.ingest_date} | {r.files} | {r.received} | {r.accepted} | {r.rejected} |"
                for r in reports
            )
        ),
    }


def _checks(url: str, days: list[dt.date]) -> list[dg.AssetCheckResult]:
    with connect(url) as conn:
        duplicates = conn.execute(
            """
            select count(*) from (
                select 1 from raw.engagement_snapshots
                where ingest_date = any(%s)
                group by workspace_id, platform, content_id, captured_at
                having count(*) > 1
            ) as d
            """,
            (days,),
        ).fetchone()[0]
        mismatched = conn.execute(
            """
            with latest as (
                select distinct on (workspace_id, ingest_date) workspace_id, ingest_date,
                       received, accepted, rejected
                from raw.ingest_log where ingest_date = any(%(days)s)
                order by workspace_id, ingest_date, ingest_id desc
            ),
            loaded as (
                select workspace_id, ingest_date, count(*) as n from raw.engagement_snapshots
                where ingest_date = any(%(days)s) group by 1, 2
            ),
            quarantined as (
                select workspace_id, ingest_date, count(*) as n from raw.rejected_snapshots
                where ingest_date = any(%(days)s) and source = 'file' group by 1, 2
            )
            select l.ingest_date::text, l.workspace_id, l.received,
                   coalesce(a.n, 0) as accepted, coalesce(q.n, 0) as rejected
            from latest as l
            left join loaded as a using (workspace_id, ingest_date)
            left join quarantined as q using (workspace_id, ingest_date)
            where l.received <> coalesce(a.n, 0) + coalesce(q.n, 0)
               or l.accepted <> coalesce(a.n, 0)
            """,
            {"days": days},
        ).fetchall()
    return [
        dg.AssetCheckResult(
            check_name=NO_DUPLICATE_SNAPSHOTS,
            asset_key=SNAPSHOTS,
            passed=duplicates == 0,
            metadata={"duplicate_keys": duplicates},
        ),
        dg.AssetCheckResult(
            check_name=RECEIVED_EQUALS_ACCEPTED_PLUS_REJECTED,
            asset_key=SNAPSHOTS,
            passed=not mismatched,
            metadata={
                "days_checked": len(days),
                "mismatches": dg.MetadataValue.json(
                    [
                        dict(
                            zip(
                                ("day", "workspace", "received", "accepted", "rejected"),
                                row,
                                strict=True,
                            )
                        )
                        for row in mismatched
                    ]
                ),
            },
        ),
    ]
