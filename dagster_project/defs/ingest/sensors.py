"""Landing sensor: run the daily pipeline when files arrive or change for a day.

The cursor holds each landing day's fingerprint (file names, sizes, modification times) as JSON.
When a day is new or changed, one run of ``daily_pipeline_job`` covers the days from the earliest
changed one to the latest landed one: a late file for a past day re-ingests that day and rebuilds
everything downstream of it, including the following days' deltas. The run key is the range plus
a digest of the changed days' fingerprints, so the same arrival never starts two runs. Days
outside the partitions (before their start, in the future) and older than
ENGAGEMENT_DATA_RETENTION_DAYS are ignored. The first evaluation sees every landed day as new:
one run rebuilds them all (a backfill).
"""

import datetime as dt
import hashlib
import json

import dagster as dg

from dagster_project.config import get_settings
from dagster_project.defs.partitions import PARTITIONS_START_DATE
from dagster_project.defs.resources import LandingZoneResource
from dagster_project.ingest.arrivals import compare, fingerprints
from dagster_project.runs import RANGE_END_TAG, RANGE_START_TAG

PIPELINE_JOB = "daily_pipeline_job"


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _watched_days(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today - dt.timedelta(days=get_settings().ENGAGEMENT_DATA_RETENTION_DAYS)
    return max(first, dt.date.fromisoformat(PARTITIONS_START_DATE)), today


@dg.sensor(
    job_name=PIPELINE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Starts daily_pipeline_job when landing files arrive or change; a late file for a past day "
        "rebuilds that day and every day after it."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource):
    previous = json.loads(context.cursor) if context.cursor else {}
    first, last = _watched_days(today_utc())
    current = fingerprints(landing_zone.directory(), first, last)
    arrivals = compare(previous, current)
    if not arrivals.any:
        return dg.SkipReason(f"no new or changed landing files ({len(current)} days watched)")
    start, end = arrivals.rebuild_start, arrivals.rebuild_end
    context.log.info(
        f"{len(arrivals.changed)} landing day(s) new or changed: "
        f"{', '.join(d.isoformat() for d in arrivals.changed)}; rebuilding {start}..{end}"
    )
    changed = ",".join(f"{d.isoformat()}={current.get(d.isoformat(), 'gone')}" for d in arrivals.changed)
    request = dg.RunRequest(
        run_key=f"landing:{start}..{end}:{hashlib.sha256(changed.encode()).hexdigest()[:16]}",
        tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()},
    )
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(current, sort_keys=True))
