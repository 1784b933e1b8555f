"""Load one landing day into the raw schema, atomically.

``load_landing_day`` validates every landing file of a received day in chunks and streams the
accepted rows with COPY straight into ``raw.engagement_snapshots``; rejects go to
``raw.rejected_snapshots``, metadata to ``raw.content``, counts to ``raw.ingest_log``.  The
day's previous rows are deleted in the same transaction, so a re-run replaces the day and a
failure leaves the previous version.  Day partitions are created first, each in its own short
transaction (``CREATE TABLE ... PARTITION OF`` locks the parent).

A snapshot already loaded from *another* landing day makes the direct COPY fail on the
primary key; the day is then loaded again through a temporary table that quarantines such
cross-day duplicates.  That path is slower and only taken when needed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from dagster_project.config import AnalyticsSettings, get_settings
from dagster_project.ingest.landing import LandingFile, landing_files, read_landing_file
from dagster_project.ingest.schema import COUNTER_FIELDS, METADATA_FIELDS
from dagster_project.ingest.validation import (
    REJECT_COLUMNS,
    SNAPSHOT_KEY,
    SeenKeys,
    ValidationContext,
    validate_chunk,
)
from dagster_project.warehouse.bulk import CopyStream, copy_frame
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.generations import bump_generations

log = logging.getLogger(__name__)

SNAPSHOT_TABLE_COLUMNS = [
    "workspace_id",
    "platform",
    "content_id",
    "captured_at",
    *COUNTER_FIELDS,
    "engagement_rate",
    "ingest_date",
    "source_file",
    "source_line",
]
CONTENT_KEY = ["workspace_id", "platform", "content_id"]
REJECT_FLUSH_ROWS = 50_000
CONTENT_COLUMNS = [*CONTENT_KEY, *METADATA_FIELDS, "metadata_captured_at"]
# What a landing day writes; their generations are bumped for serving caches (migration 0008).
LOADED_RELATIONS = ("raw.engagement_snapshots", "raw.content", "raw.rejected_snapshots", "raw.ingest_log")

ProgressCallback = Callable[[int], None]


@dataclass
class PlatformCounts:
    received: int = 0
    accepted: int = 0
    rejected: int = 0


@dataclass
class IngestReport:
    """What one landing day delivered: received = accepted + rejected, overall and per platform."""

    ingest_date: dt.date
    files: int = 0
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    distinct_content: int = 0
    content_upserted: int = 0
    by_platform: dict[str, PlatformCounts] = field(default_factory=dict)
    rejects_by_reason: Counter[str] = field(default_factory=Counter)
    partitions: list[str] = field(default_factory=list)
    seconds: float = 0.0
    used_duplicate_safe_path: bool = False

    def as_metadata(self) -> dict[str, object]:
        return {
            "ingest_date": self.ingest_date.isoformat(),
            "files": self.files,
            "received": self.received,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "distinct_content": self.distinct_content,
            "by_platform": {
                p: {"received": c.received, "accepted": c.accepted, "rejected": c.rejected}
                for p, c in sorted(self.by_platform.items())
            },
            "rejects_by_reason": dict(self.rejects_by_reason.most_common()),
            "seconds": round(self.seconds, 3),
        }


class _DuplicateAcrossDays(Exception):
    """The direct COPY hit a snapshot loaded from another landing day."""


_REASON_DETAIL = re.compile(r" '.*$| \(.*$| of line .*$| from landing day .*$")


def reason_code(reason: str) -> str:
    """The rule part of a reject reason, without the offending value (for counting)."""
    return _REASON_DETAIL.sub("", reason)


def load_landing_day(
    url: str,
    day: dt.date,
    *,
    landing_dir: Path | None = None,
    settings: AnalyticsSettings | None = None,
    run_id: str | None = None,
    now: dt.datetime | None = None,
    on_progress: ProgressCallback | None = None,
) -> IngestReport:
    """Validate and load every landing file of ``day``; replaces that day atomically."""
    settings = settings or get_settings()
    landing_dir = landing_dir or settings.LANDING_DIR
    context = ValidationContext.from_settings(settings, day, now or dt.datetime.now(dt.UTC))
    files = landing_files(landing_dir, day)
    if not files:
        log.warning("no landing files for %s under %s; the day is left as it is", day, landing_dir)
        return IngestReport(ingest_date=day)
    partitions = ensure_partitions(url, context.partition_days())
    try:
        report = _load(url, files, context, settings, run_id, on_progress, duplicate_safe=False)
    except _DuplicateAcrossDays:
        log.info("%s holds snapshots already loaded from another day; using the duplicate-safe path", day)
        report = _load(url, files, context, settings, run_id, on_progress, duplicate_safe=True)
    report.partitions = partitions
    log.info(
        "landing day %s: %d files, %d received, %d accepted, %d rejected, %d content items in %.2fs",
        day,
        report.files,
        report.received,
        report.accepted,
        report.rejected,
        report.distinct_content,
        report.seconds,
    )
    return report


def ensure_partitions(url: str, days: list[dt.date]) -> list[str]:
    """Create missing day partitions, each in its own short transaction."""
    with connect(url, autocommit=True) as conn:
        return [
            conn.execute("select raw.ensure_snapshot_partition(%s)", (day,)).fetchone()[0] for day in days
        ]


def _load(
    url: str,
    files: list[LandingFile],
    context: ValidationContext,
    settings: AnalyticsSettings,
    run_id: str | None,
    on_progress: ProgressCallback | None,
    *,
    duplicate_safe: bool,
) -> IngestReport:
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC)
    day = context.landing_day
    report = IngestReport(ingest_date=day, files=len(files), used_duplicate_safe_path=duplicate_safe)
    by_workspace: dict[str, Counter[str]] = {}
    seen = SeenKeys()
    # Its own connection: the load's connection is busy with COPY while chunks are validated.
    published = PublishedAtLookup(lambda: connect(url))
    content_keys: list[np.ndarray] = []
    metadata_frames: list[pd.DataFrame] = []
    target = "_incoming" if duplicate_safe else "raw.engagement_snapshots"
    pending_rejects: list[pd.DataFrame] = []
    with connect(url) as conn:
        _delete_day(conn, context)
        if duplicate_safe:
            conn.execute(
                "create temp table _incoming (like raw.engagement_snapshots including defaults) "
                "on commit drop"
            )
        try:
            with CopyStream(conn, target, SNAPSHOT_TABLE_COLUMNS) as stream:
                for file in files:
                    counts = report.by_platform.setdefault(file.platform_folder, PlatformCounts())
                    for chunk in read_landing_file(file, settings.INGEST_CHUNK_ROWS):
                        result = validate_chunk(chunk, context, seen, published.lookup)
                        accepted, rejected = result.accepted, result.rejected
                        published.remember(accepted)
                        accepted["ingest_date"] = day
                        # Key order makes the primary-key inserts mostly append to the index.
                        stream.write(accepted.sort_values(SNAPSHOT_KEY, kind="stable"))
                        pending_rejects.append(rejected)
                        if sum(len(r) for r in pending_rejects) >= REJECT_FLUSH_ROWS:
                            stream.pause()
                            _insert_rejects(conn, pending_rejects, day)
                        counts.received += len(chunk)
                        counts.accepted += len(accepted)
                        counts.rejected += len(rejected)
                        _count_workspaces(by_workspace, accepted, rejected)
                        report.rejects_by_reason.update(reason_code(r) for r in rejected["reason"])
                        content_keys.append(
                            pd.util.hash_pandas_object(accepted[CONTENT_KEY], index=False).to_numpy()
                        )
                        metadata_frames.append(latest_metadata(accepted))
                        if on_progress:
                            on_progress(len(chunk))
        except psycopg.errors.UniqueViolation as error:
            raise _DuplicateAcrossDays from error
        _insert_rejects(conn, pending_rejects, day)
        if duplicate_safe:
            for workspace, platform in _quarantine_cross_day_duplicates(conn, day):
                report.by_platform[platform].accepted -= 1
                report.by_platform[platform].rejected += 1
                by_workspace[workspace]["accepted"] -= 1
                by_workspace[workspace]["rejected"] += 1
                report.rejects_by_reason["captured_at: duplicate snapshot already loaded"] += 1
        report.content_upserted = upsert_content(conn, metadata_frames, day)
        report.received = sum(c.received for c in report.by_platform.values())
        report.accepted = sum(c.accepted for c in report.by_platform.values())
        report.rejected = sum(c.rejected for c in report.by_platform.values())
        report.distinct_content = len(np.unique(np.concatenate(content_keys))) if content_keys else 0
        report.seconds = time.perf_counter() - started
        _write_ingest_log(conn, report, by_workspace, run_id, started_at)
        bump_generations(conn, LOADED_RELATIONS)
    return report


@dataclass
class PublishedAtLookup:
    """Publish times known from raw.content and from rows accepted earlier in this load.

    ``connection`` opens (or lends) the connection raw.content is read through.
    """

    connection: Callable[[], AbstractContextManager[psycopg.Connection]]
    known: dict[tuple[str, str, str], pd.Timestamp] = field(default_factory=dict)
    asked: set[tuple[str, str, str]] = field(default_factory=set)

    def lookup(self, keys: pd.DataFrame) -> pd.Series:
        unique = keys.dropna().drop_duplicates()
        tuples = list(unique.itertuples(index=False, name=None))
        missing = [k for k in tuples if k not in self.asked]
        if missing:
            self._fetch(missing)
        known = pd.array([self.known.get(k, pd.NaT) for k in tuples], dtype="datetime64[us, UTC]")
        merged = keys.merge(unique.assign(published_at=known), how="left", on=CONTENT_KEY)
        return pd.Series(merged["published_at"].array, index=keys.index)

    def _fetch(self, keys: list[tuple[str, str, str]]) -> None:
        workspaces, platforms, contents = (list(column) for column in zip(*keys, strict=True))
        with self.connection() as conn:
            rows = conn.execute(
                """
                select c.workspace_id, c.platform, c.content_id, c.published_at
                from raw.content as c
                join unnest(%s::text[], %s::text[], %s::text[]) as k (workspace_id, platform, content_id)
                    using (workspace_id, platform, content_id)
                where c.published_at is not null
                """,
                (workspaces, platforms, contents),
            ).fetchall()
        self.asked.update(keys)
        for workspace, platform, content, published_at in rows:
            self.known[(workspace, platform, content)] = pd.Timestamp(published_at)

    def remember(self, accepted: pd.DataFrame) -> None:
        rows = accepted.loc[accepted["meta_published_at"].notna(), [*CONTENT_KEY, "meta_published_at"]]
        for workspace, platform, content, published_at in rows.itertuples(index=False, name=None):
            self.known[(workspace, platform, content)] = published_at


def _delete_day(conn: psycopg.Connection, context: ValidationContext) -> None:
    """Remove what the previous ingestion of this landing day wrote (bounded to its window).

    Snapshots tracked through the API on that day (``source_file`` ``api:...``) are not the
    landing files' to replace: they stay.
    """
    conn.execute(
        "delete from raw.engagement_snapshots where ingest_date = %s "
        "and captured_at >= %s and captured_at < %s and source_file not like 'api:%%'",
        (
            context.landing_day,
            context.window_start.to_pydatetime(),
            context.window_end.to_pydatetime(),
        ),
    )
    conn.execute(
        "delete from raw.rejected_snapshots where ingest_date = %s and source = 'file'",
        (context.landing_day,),
    )


def _insert_rejects(conn: psycopg.Connection, pending: list[pd.DataFrame], day: dt.date) -> None:
    """COPY the buffered rejects to quarantine and empty the buffer."""
    frames = [frame for frame in pending if not frame.empty]
    pending.clear()
    if not frames:
        return
    frame = pd.concat(frames, ignore_index=True).assign(ingest_date=day, source="file")
    copy_frame(conn, "raw.rejected_snapshots", frame, [*REJECT_COLUMNS, "ingest_date", "source"])


def _count_workspaces(
    by_workspace: dict[str, Counter[str]], accepted: pd.DataFrame, rejected: pd.DataFrame
) -> None:
    for status, frame in (("accepted", accepted), ("rejected", rejected)):
        for workspace, count in frame["workspace_id"].value_counts().items():
            by_workspace.setdefault(str(workspace), Counter())[status] += int(count)


def latest_metadata(accepted: pd.DataFrame) -> pd.DataFrame:
    """Per content item, each metadata field's latest non-null value among the rows."""
    meta_columns = [f"meta_{name}" for name in METADATA_FIELDS]
    rows = accepted.loc[
        accepted[meta_columns].notna().any(axis=1), [*CONTENT_KEY, "captured_at", *meta_columns]
    ]
    return _merge_latest(rows.rename(columns=lambda c: c.removeprefix("meta_")))


def _merge_latest(rows: pd.DataFrame) -> pd.DataFrame:
    """Group by content: the latest non-null value of every field (GroupBy.last skips nulls)."""
    if rows.empty:
        return rows
    return (
        rows.sort_values("captured_at", kind="stable").groupby(CONTENT_KEY, as_index=False, sort=False).last()
    )


def _quarantine_cross_day_duplicates(conn: psycopg.Connection, day: dt.date) -> list[tuple[str, str]]:
    """Move snapshots loaded earlier from another landing day to quarantine, load the rest.

    Returns (workspace, platform folder) of each quarantined row.
    """
    rows = conn.execute(
        """
        with duplicates as (
            delete from _incoming as i
            using raw.engagement_snapshots as s
            where s.workspace_id = i.workspace_id and s.platform = i.platform
              and s.content_id = i.content_id and s.captured_at = i.captured_at
            returning i.*, s.ingest_date as loaded_from, s.source_file as loaded_file,
                      s.source_line as loaded_line
        )
        insert into raw.rejected_snapshots
            (workspace_id, ingest_date, source, source_file, source_line, content_id, platform,
             reason, field, payload)
        select workspace_id, %s, 'file', source_file, source_line, content_id, platform,
               'captured_at: duplicate snapshot already loaded from landing day '
                   || loaded_from || ' (' || loaded_file || ':' || loaded_line || ')',
               'captured_at',
               (to_jsonb(d) - 'loaded_from' - 'loaded_file' - 'loaded_line' - 'ingest_date')::text
        from duplicates as d
        returning workspace_id, split_part(source_file, '/', 1)
        """,
        (day,),
    ).fetchall()
    conn.execute("insert into raw.engagement_snapshots select * from _incoming")
    return [(workspace, platform) for workspace, platform in rows]


def upsert_content(conn: psycopg.Connection, frames: list[pd.DataFrame], day: dt.date) -> int:
    if not frames:
        return 0
    latest = _merge_latest(pd.concat(frames, ignore_index=True))
    if latest.empty:
        return 0
    latest = latest.rename(columns={"captured_at": "metadata_captured_at"})
    latest["tags"] = latest["tags"].map(
        lambda t: (
            "{" + ",".join(_pg_array_item(x) for x in t.split("|") if x) + "}" if isinstance(t, str) else None
        )
    )
    conn.execute("create temp table _content (like raw.content including defaults) on commit drop")
    conn.execute("alter table _content alter column first_ingest_date drop not null")
    conn.execute("alter table _content alter column last_ingest_date drop not null")
    copy_frame(conn, "_content", latest, CONTENT_COLUMNS)
    updates = ", ".join(f"{name} = coalesce(excluded.{name}, c.{name})" for name in METADATA_FIELDS)
    conn.execute(
        f"""
        insert into raw.content as c ({", ".join(CONTENT_COLUMNS)}, first_ingest_date, last_ingest_date)
        select {", ".join(CONTENT_COLUMNS)}, %(day)s, %(day)s from _content
        on conflict (workspace_id, platform, content_id) do update set
            {updates},
            metadata_captured_at = excluded.metadata_captured_at,
            first_ingest_date = least(c.first_ingest_date, excluded.first_ingest_date),
            last_ingest_date = greatest(c.last_ingest_date, excluded.last_ingest_date)
        where excluded.metadata_captured_at >= c.metadata_captured_at
        """,  # noqa: S608 - column names are constants, values are bound
        {"day": day},
    )
    return len(latest)


def _pg_array_item(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_ingest_log(
    conn: psycopg.Connection,
    report: IngestReport,
    by_workspace: dict[str, Counter[str]],
    run_id: str | None,
    started_at: dt.datetime,
) -> None:
    import orjson

    by_platform = orjson.dumps(report.as_metadata()["by_platform"]).decode()
    for workspace, counts in sorted(by_workspace.items()):
        accepted, rejected = counts["accepted"], counts["rejected"]
        conn.execute(
            """
            insert into raw.ingest_log (workspace_id, ingest_date, run_id, files, received, accepted,
                rejected, distinct_content, by_platform, started_at, finished_at)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
            """,
            (
                workspace,
                report.ingest_date,
                run_id,
                report.files,
                accepted + rejected,
                accepted,
                rejected,
                report.distinct_content,
                by_platform,
                started_at,
            ),
        )
