"""Data retention: what to remove for a given day, and removing it.

Each class of data keeps a trailing window of whole UTC days ending on ``today``:

* raw snapshots (``raw.engagement_snapshots``, range-partitioned by UTC day of ``captured_at``)
  and the ingest log that describes them: ``ENGAGEMENT_DATA_RETENTION_DAYS``;
* history (``marts.content_performance_history`` and the incremental intermediate tables it is
  built from): ``HISTORY_RETENTION_DAYS``;
* analysis results (every table in schema ``analytics`` with an ``analysis_date`` column; the
  declarations in ``analytics.experiments`` are never pruned): ``RESULTS_RETENTION_DAYS``;
* quarantine (``raw.rejected_snapshots``): ``REJECTED_RETENTION_DAYS``.

With ``N`` days of retention the cutoff is ``today - N``: a row dated ``d`` is older than ``N``
days, and removed, when ``d < cutoff``; a row dated on the cutoff is kept.  A raw partition is
removed only when its upper bound (exclusive, read from the catalog, not guessed from its name) is
at or before midnight UTC of the cutoff, i.e. when every row it can hold is older than the window;
a partition straddling the cutoff, or one without an upper bound, is kept whole.  Partitions are
detached and dropped (no row-by-row delete), one short transaction each, after counting their
rows; other tables lose their old rows in batches of ``batch_rows``, each batch committed, so a
long first run neither holds locks for long nor bloats one transaction.

Planning (:func:`cutoff_for`, :func:`partitions_to_drop`, :func:`plan_retention`) is pure date
arithmetic; :func:`read_partitions`, :func:`read_tables` and :func:`apply_plan` hold the SQL, every
value parameterised and every name quoted with :class:`psycopg.sql.Identifier`.  Running again on
the same day removes nothing; lengthening a retention later cannot bring removed data back.

Detaching and dropping partitions needs ownership of ``raw.engagement_snapshots``: run retention
as the migrating role (the ``perf_writer`` group role may write rows but owns no table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import psycopg
from psycopg import sql

from dagster_project.config import AnalyticsSettings, get_settings
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.generations import bump_generations

DataClass = Literal["raw", "history", "results", "rejected"]
RemovalKind = Literal["raw_partition", "ingest_log", "history", "results", "rejected"]

SNAPSHOTS_SCHEMA = "raw"
SNAPSHOTS_TABLE = "engagement_snapshots"
RESULTS_SCHEMA = "analytics"
RESULTS_DATE_COLUMN = "analysis_date"
# Declarations, not results: kept however old (they carry no analysis_date anyway).
NEVER_PRUNED = frozenset({("analytics", "experiments")})
DEFAULT_BATCH_ROWS = 50_000
DEFAULT_LOCK_TIMEOUT = "60s"

SETTING_NAMES: dict[DataClass, str] = {
    "raw": "ENGAGEMENT_DATA_RETENTION_DAYS",
    "history": "HISTORY_RETENTION_DAYS",
    "results": "RESULTS_RETENTION_DAYS",
    "rejected": "REJECTED_RETENTION_DAYS",
}


class RetentionError(RuntimeError):
    """A table retention is configured for cannot be pruned as configured."""


@dataclass(frozen=True)
class RetentionPolicy:
    """Days of data kept per class; each must be a whole number of at least one day."""

    engagement_data_days: int
    history_days: int
    results_days: int
    rejected_days: int

    def __post_init__(self) -> None:
        for data_class, days in self._days().items():
            _check_days(days, SETTING_NAMES[data_class])

    @classmethod
    def from_settings(cls, settings: AnalyticsSettings | None = None) -> RetentionPolicy:
        settings = settings or get_settings()
        return cls(
            engagement_data_days=settings.ENGAGEMENT_DATA_RETENTION_DAYS,
            history_days=settings.HISTORY_RETENTION_DAYS,
            results_days=settings.RESULTS_RETENTION_DAYS,
            rejected_days=settings.REJECTED_RETENTION_DAYS,
        )

    def days(self, data_class: DataClass) -> int:
        return self._days()[data_class]

    def cutoff(self, data_class: DataClass, today: dt.date) -> dt.date:
        """First day kept for ``data_class`` on ``today``."""
        return cutoff_for(today, self.days(data_class))

    def _days(self) -> dict[DataClass, int]:
        return {
            "raw": self.engagement_data_days,
            "history": self.history_days,
            "results": self.results_days,
            "rejected": self.rejected_days,
        }


def _check_days(days: object, name: str) -> None:
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError(f"{name} must be a whole number of days, got {days!r}")
    if days < 1:
        raise ValueError(
            f"{name} must be at least 1 day, got {days}: a retention of {days} days would remove "
            "data of the current day"
        )


def cutoff_for(today: dt.date, days: int, name: str = "retention") -> dt.date:
    """``today - days``: rows dated before it are older than ``days`` days; rows on it are kept."""
    _check_days(days, name)
    return today - dt.timedelta(days=days)


def day_start(day: dt.date) -> dt.datetime:
    """Midnight UTC at the start of ``day`` (the partitions' bounds are UTC midnights)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class PartitionBound:
    """A partition of the snapshots table and its range: [lower, upper); ``None`` = unbounded."""

    schema: str
    name: str
    lower: dt.datetime | None
    upper: dt.datetime | None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class TableTarget:
    """A table whose rows are pruned by a date column.

    ``fallback_timestamp`` names a timestamp column whose UTC day stands in when the date is NULL
    (API rejects carry no landing day).
    """

    schema: str
    table: str
    date_column: str
    data_class: DataClass
    kind: RemovalKind
    fallback_timestamp: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"


# Tables with a known date column; absent ones (dbt models not built yet) are skipped.
STATIC_TARGETS: tuple[TableTarget, ...] = (
    TableTarget("raw", "ingest_log", "ingest_date", "raw", "ingest_log"),
    TableTarget("raw", "rejected_snapshots", "ingest_date", "rejected", "rejected", "received_at"),
    TableTarget("marts", "content_performance_history", "metric_date", "history", "history"),
    TableTarget("intermediate", "int_content_days_aggregated", "metric_date", "history", "history"),
    TableTarget("intermediate", "int_age_benchmarks_computed", "as_of_date", "history", "history"),
)


@dataclass(frozen=True)
class PartitionDrop:
    partition: PartitionBound
    cutoff: dt.date


@dataclass(frozen=True)
class RowPrune:
    target: TableTarget
    cutoff: dt.date


@dataclass(frozen=True)
class RetentionPlan:
    """What retention removes on ``today``: whole partitions, then old rows of each table."""

    today: dt.date
    policy: RetentionPolicy
    partitions: tuple[PartitionDrop, ...]
    kept_partitions: int
    prunes: tuple[RowPrune, ...]

    def cutoffs(self) -> dict[DataClass, dt.date]:
        return {c: self.policy.cutoff(c, self.today) for c in SETTING_NAMES}


@dataclass(frozen=True)
class Removal:
    """One thing removed: a dropped partition, or the old rows deleted from a table."""

    table_or_partition: str
    kind: RemovalKind
    rows: int
    cutoff: dt.date

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "cutoff": self.cutoff.isoformat()}


def removable(partition: PartitionBound, cutoff: dt.date) -> bool:
    """True when every row the partition can hold is dated before ``cutoff`` (UTC)."""
    return partition.upper is not None and partition.upper <= day_start(cutoff)


def partitions_to_drop(partitions: Iterable[PartitionBound], cutoff: dt.date) -> list[PartitionBound]:
    """The partitions entirely before the cutoff, oldest first."""
    chosen = [p for p in partitions if removable(p, cutoff)]
    return sorted(chosen, key=lambda p: (p.upper, p.qualified))


def plan_retention(
    today: dt.date,
    policy: RetentionPolicy,
    partitions: Sequence[PartitionBound],
    tables: Sequence[TableTarget],
) -> RetentionPlan:
    """The plan for ``today`` given the partitions and prunable tables that exist (pure)."""
    raw_cutoff = policy.cutoff("raw", today)
    drops = partitions_to_drop(partitions, raw_cutoff)
    return RetentionPlan(
        today=today,
        policy=policy,
        partitions=tuple(PartitionDrop(p, raw_cutoff) for p in drops),
        kept_partitions=len(partitions) - len(drops),
        prunes=tuple(RowPrune(t, policy.cutoff(t.data_class, today)) for t in tables),
    )


# --- SQL -------------------------------------------------------------------------------------------

_PARTITIONS_SQL = """
    with parts as (
        select n.nspname as schema_name, c.relname as table_name,
               regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \\((.+)\\) TO \\((.+)\\)$')
                   as bounds
        from pg_inherits as i
        join pg_class as c on c.oid = i.inhrelid
        join pg_namespace as n on n.oid = c.relnamespace
        where i.inhparent = to_regclass(%(parent)s)
          and (%(schema)s::text is null or (n.nspname = %(schema)s and c.relname = %(name)s))
    )
    select schema_name, table_name,
           case when bounds[1] like '''%%' then btrim(bounds[1], '''')::timestamptz end,
           case when bounds[2] like '''%%' then btrim(bounds[2], '''')::timestamptz end
    from parts
    order by 1, 2
"""


def read_partitions(conn: psycopg.Connection, only: PartitionBound | None = None) -> list[PartitionBound]:
    """Partitions of ``raw.engagement_snapshots`` with their bounds (``only``: that one, if attached).

    A DEFAULT partition, or a MINVALUE/MAXVALUE bound, reads as ``None`` (unbounded).
    """
    parent = sql.Identifier(SNAPSHOTS_SCHEMA, SNAPSHOTS_TABLE).as_string(conn)
    rows = conn.execute(
        _PARTITIONS_SQL,
        {"parent": parent, "schema": only and only.schema, "name": only and only.name},
    ).fetchall()
    return [PartitionBound(schema, name, lower, upper) for schema, name, lower, upper in rows]


def _columns(conn: psycopg.Connection, schema: str, table: str) -> set[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, table),
    ).fetchall()
    return {name for (name,) in rows}


def read_tables(conn: psycopg.Connection) -> list[TableTarget]:
    """The prunable tables that exist: the static ones, then every ``analytics`` table with an
    ``analysis_date`` column.  A static table without its date column is an error, not a skip."""
    targets: list[TableTarget] = []
    for target in STATIC_TARGETS:
        columns = _columns(conn, target.schema, target.table)
        if not columns:
            continue
        needed = {target.date_column} | ({target.fallback_timestamp} if target.fallback_timestamp else set())
        if missing := needed - columns:
            raise RetentionError(f"{target.qualified} has no column {', '.join(sorted(missing))}")
        targets.append(target)
    results = conn.execute(
        """
        select t.table_name
        from information_schema.tables as t
        join information_schema.columns as c using (table_schema, table_name)
        where t.table_schema = %s and t.table_type = 'BASE TABLE' and c.column_name = %s
        order by 1
        """,
        (RESULTS_SCHEMA, RESULTS_DATE_COLUMN),
    ).fetchall()
    targets.extend(
        TableTarget(RESULTS_SCHEMA, name, RESULTS_DATE_COLUMN, "results", "results")
        for (name,) in results
        if (RESULTS_SCHEMA, name) not in NEVER_PRUNED
    )
    return targets


def build_plan(url: str, today: dt.date, policy: RetentionPolicy | None = None) -> RetentionPlan:
    """The plan for ``today`` against the warehouse at ``url`` (settings' policy by default)."""
    policy = policy or RetentionPolicy.from_settings()
    with connect(url) as conn:
        return plan_retention(today, policy, read_partitions(conn), read_tables(conn))


def drop_partition(
    conn: psycopg.Connection, drop: PartitionDrop, lock_timeout: str = DEFAULT_LOCK_TIMEOUT
) -> Removal | None:
    """Count, detach and drop one partition in one transaction (autocommit connection).

    The bounds are read again under the parent's lock: a partition that is no longer attached, or
    no longer entirely before the cutoff, is left alone (``None``).
    """
    parent = sql.Identifier(SNAPSHOTS_SCHEMA, SNAPSHOTS_TABLE)
    partition = sql.Identifier(drop.partition.schema, drop.partition.name)
    with conn.transaction():
        conn.execute("select set_config('lock_timeout', %s, true)", (lock_timeout,))
        # The parent first (only the parent, not every partition): DETACH needs it exclusively,
        # and taking it after the partition could deadlock with an insert routing rows into it.
        conn.execute(sql.SQL("lock table only {} in access exclusive mode").format(parent))
        current = read_partitions(conn, only=drop.partition)
        if not current or not removable(current[0], drop.cutoff):
            return None
        rows = conn.execute(sql.SQL("select count(*) from {}").format(partition)).fetchone()[0]
        conn.execute(sql.SQL("alter table {} detach partition {}").format(parent, partition))
        conn.execute(sql.SQL("drop table {}").format(partition))
    return Removal(drop.partition.qualified, "raw_partition", rows, drop.cutoff)


def prune_rows(
    conn: psycopg.Connection, prune: RowPrune, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Removal | None:
    """Delete the rows dated before the cutoff, ``batch_rows`` per committed transaction."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    target = prune.target
    table = sql.Identifier(target.schema, target.table)
    dated = sql.Identifier(target.date_column)
    if target.fallback_timestamp:
        dated = sql.SQL("coalesce({}, ({} at time zone 'UTC')::date)").format(
            dated, sql.Identifier(target.fallback_timestamp)
        )
    statement = sql.SQL(
        "delete from {table} where ctid = any(array("
        "select ctid from {table} where {dated} < %(cutoff)s limit %(batch)s))"
    ).format(table=table, dated=dated)
    removed = 0
    while True:
        with conn.transaction():
            deleted = conn.execute(statement, {"cutoff": prune.cutoff, "batch": batch_rows}).rowcount
        removed += deleted
        if deleted < batch_rows:
            break
    if removed == 0:
        return None
    return Removal(target.qualified, target.kind, removed, prune.cutoff)


def apply_plan(
    url: str,
    plan: RetentionPlan,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
    on_removal: Callable[[Removal], None] | None = None,
) -> list[Removal]:
    """Carry out ``plan``: drop its partitions, then prune each table; returns what was removed.

    Every step commits on its own, so an interrupted run keeps what it removed and the next run
    carries on.  Tables with nothing to remove are not listed.  The generations of the relations
    that lost rows are bumped at the end, so serving caches stop answering with removed rows.
    """
    removals: list[Removal] = []

    def record(removal: Removal | None) -> None:
        if removal is not None:
            removals.append(removal)
            if on_removal is not None:
                on_removal(removal)

    with connect(url, autocommit=True) as conn:
        for drop in plan.partitions:
            record(drop_partition(conn, drop, lock_timeout))
        for prune in plan.prunes:
            record(prune_rows(conn, prune, batch_rows))
        bump_generations(conn, {removed_relation(r) for r in removals})
    return removals


def removed_relation(removal: Removal) -> str:
    """The relation readers see: a dropped day partition belongs to ``raw.engagement_snapshots``."""
    if removal.kind == "raw_partition":
        return f"{SNAPSHOTS_SCHEMA}.{SNAPSHOTS_TABLE}"
    return removal.table_or_partition


def apply_retention(
    url: str,
    today: dt.date,
    policy: RetentionPolicy | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_removal: Callable[[Removal], None] | None = None,
) -> list[Removal]:
    """Plan and apply retention for ``today`` (settings' policy by default)."""
    plan = build_plan(url, today, policy)
    return apply_plan(url, plan, batch_rows=batch_rows, on_removal=on_removal)
