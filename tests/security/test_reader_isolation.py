"""A BI reader login sees its own workspace's rows and nothing else, in every relation of the warehouse.

One warehouse is built for the module, the way the pipeline builds it: two synthetic workspaces
(``acme`` and ``beta``) landed and loaded, the whole dbt project built (seeds, staging,
intermediate, marts, materialized views, ``bi`` views), declared experiments synced and every
analysis result table written for one day. The relations are enumerated from the catalog, so a
relation added later is covered without editing this file:

* tables of ``raw``, ``marts`` and ``analytics`` with a ``workspace_id`` and every view of ``bi``
  must be readable and show exactly the mapped workspace's rows (the owner sees both workspaces);
* materialized views are refused: Postgres has no row-level security on them, readers go through
  the ``bi`` views;
* everything else (day partitions, ``raw.workspace_access``, staging, intermediate, reference, ...)
  is refused, or filtered like the tables above;
* no relation accepts INSERT, UPDATE, DELETE or TRUNCATE from the reader, no schema lets it create
  a table, and it cannot ``SET ROLE perf_writer``;
* a reader login with no workspace mapping sees no row anywhere;
* a leaky function in the reader's query (a ``raise notice`` of every value it is called with)
  never sees another workspace's value (``security_barrier`` views and RLS policies apply their
  filter first).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from dagster_project.analytics_io.daily import (
    Thresholds,
)
from dagster_project.analytics_io.experiments import declaration_files, read_declarations, sync_declarations
from dagster_project.analytics_io.insight_rows import INSIGHT_COLUMNS
from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import run_dbt
from tests.analytics_assets.helpers import land_workspaces, write_all_results
from tests.conftest import create_scratch_database, drop_database

WORKSPACES = ("acme", "beta")
MAPPED = "beta"
END = dt.date(2026, 10, 31)
DAYS = 10
NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
THRESHOLDS = Thresholds(alpha=0.05, min_sample_size=10)
# Schemas whose workspace tables a reader must be able to read (filtered); bi views likewise.
FILTERED_TABLE_SCHEMAS = ("raw", "marts", "analytics")
# A floor for the enumeration: these exist today, so a catalog query that silently finds
# nothing (or a renamed schema) fails instead of passing vacuously.
KNOWN = {
    "raw.engagement_snapshots",
    "raw.content",
    "raw.rejected_snapshots",
    "raw.ingest_log",
    "marts.content_performance_history",
    "marts.content_feature_analysis",
    "marts.performance_benchmarks",
    "analytics.experiments",
    "analytics.correlation_analysis_results",
    "analytics.feature_importance_results",
    "analytics.platform_comparison_results",
    "analytics.ab_test_performance",
    "analytics.trend_analysis_results",
    "analytics.performance_anomalies",
    "bi.dashboard_overview",
    "bi.platform_daily_metrics",
    "bi.trending_content",
    "bi.content_performance_history",
}
# Who reads what, and the REST API's key hashes: refused to readers.
REFUSED_TABLES = frozenset({"raw.workspace_access", "raw.api_keys"})
KNOWN_MATERIALIZED_VIEWS = {
    "marts.mv_dashboard_overview",
    "marts.mv_platform_daily_metrics",
    "marts.mv_trending_content",
}


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str  # pg_class.relkind
    is_partition: bool
    has_workspace: bool
    first_column: str  # the first column that may be updated (no identity, not generated)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    @property
    def must_be_filtered(self) -> bool:
        """Readable by the reader, showing only its workspaces."""
        if self.schema == "bi":
            return self.kind == "v"
        if self.qualified in REFUSED_TABLES:
            return False
        return (
            self.schema in FILTERED_TABLE_SCHEMAS
            and self.kind in ("r", "p")
            and not self.is_partition
            and self.has_workspace
        )


# --- the warehouse ------------------------------------------------------------------------------


def _copy_an_insight_to_every_workspace(url: str) -> None:
    """Ten days of data give few significant insights, not always one per workspace: copy one so
    the reader's filter is checked on rows of both workspaces."""
    others = sql.SQL(", ").join(map(sql.Identifier, [c for c in INSIGHT_COLUMNS if c != "workspace_id"]))
    with connect(url) as conn:
        for workspace in WORKSPACES:
            conn.execute(
                sql.SQL(
                    "insert into analytics.optimization_insights (workspace_id, {others}) "
                    "select %(w)s, {others} from analytics.optimization_insights "
                    "where not exists "
                    "(select from analytics.optimization_insights where workspace_id = %(w)s) "
                    "limit 1"
                ).format(others=others),
                {"w": workspace},
            )


@pytest.fixture(scope="module")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = create_scratch_database(server_url, "perf_security")
    try:
        migrate.upgrade(url)
        root = tmp_path_factory.mktemp("security_landing")
        landing = land_workspaces(root, WORKSPACES, items=40, days=DAYS, end=END)
        settings = AnalyticsSettings(
            DATABASE_URL=url, LANDING_DIR=landing, DATA_DIR=root / ".data", APP_ENV="testing"
        )
        for offset in range(DAYS):
            load_landing_day(url, END - dt.timedelta(days=DAYS - 1 - offset), settings=settings, now=NOW)
        run_dbt(url, ["build", "--exclude-resource-type", "test"])
        files = declaration_files(landing)
        with connect(url) as conn:
            sync_declarations(conn, read_declarations(files, settings.DEFAULT_WORKSPACE_ID), len(files))
        write_all_results(url, END, THRESHOLDS)
        _copy_an_insight_to_every_workspace(url)
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def relations(warehouse: str) -> list[Relation]:
    """Every table, partition, view, materialized view and foreign table outside the system schemas."""
    with connect(warehouse) as conn:
        rows = conn.execute(
            """
            select n.nspname, c.relname, c.relkind::text, c.relispartition,
                   exists (select from pg_attribute as a
                           where a.attrelid = c.oid and a.attname = 'workspace_id'
                             and a.attnum > 0 and not a.attisdropped),
                   (select a.attname from pg_attribute as a
                    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                      and a.attidentity = '' and a.attgenerated = ''
                    order by a.attnum limit 1)
            from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'f')
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
            order by 1, 2
            """
        ).fetchall()
    return [Relation(*row) for row in rows]


def _owner_counts(url: str, relations: list[Relation]) -> dict[str, dict[str, int]]:
    """Rows per workspace as the owner sees them, of the relations with a workspace column: the
    owner is not subject to RLS, and is mapped to both workspaces (rolled back) for the bi views,
    which filter every caller by its mapping."""
    with connect(url) as conn:
        conn.execute(
            "insert into raw.workspace_access select session_user, w from unnest(%s::text[]) as w",
            (list(WORKSPACES),),
        )
        counts = {
            r.qualified: dict(
                conn.execute(
                    sql.SQL("select workspace_id, count(*) from {} group by 1").format(r.ident)
                ).fetchall()
            )
            for r in relations
            if r.has_workspace
        }
        conn.rollback()
    return counts


@pytest.fixture(scope="module")
def admin_rows(warehouse: str, relations: list[Relation]) -> dict[str, dict[str, int]]:
    return _owner_counts(warehouse, relations)


def _with_user(url: str, role: str) -> str:
    parts = urlsplit(url)
    netloc = f"{role}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
def reader_login(warehouse: str) -> Iterator[Callable[[str | None], str]]:
    """``reader_login(workspace)`` makes a login role in perf_reader, mapped to ``workspace``
    (None: no mapping), and returns its connection URL."""
    created: list[str] = []

    def make(workspace: str | None) -> str:
        name = f"perf_sec_reader_{uuid.uuid4().hex[:8]}"
        with connect(warehouse, autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(name)))
            conn.execute(sql.SQL("grant perf_reader to {}").format(sql.Identifier(name)))
            if workspace is not None:
                conn.execute("insert into raw.workspace_access values (%s, %s)", (name, workspace))
        created.append(name)
        return _with_user(warehouse, name)

    yield make
    with connect(warehouse, autocommit=True) as conn:
        for name in created:
            conn.execute("delete from raw.workspace_access where role_name = %s", (name,))
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def _read(conn: psycopg.Connection, relation: Relation) -> dict[str, int] | int | None:
    """What the connection sees: rows per workspace, a row count (no workspace column), or None
    when refused."""
    try:
        with conn.transaction():
            if relation.has_workspace:
                query = sql.SQL("select workspace_id, count(*) from {} group by 1").format(relation.ident)
                return dict(conn.execute(query).fetchall())
            return conn.execute(sql.SQL("select count(*) from {}").format(relation.ident)).fetchone()[0]
    except psycopg.errors.InsufficientPrivilege:
        return None


# --- the tests ----------------------------------------------------------------------------------


def test_the_enumeration_covers_the_warehouse_and_both_workspaces_are_loaded(relations, admin_rows):
    names = {r.qualified for r in relations}
    assert names >= KNOWN, KNOWN - names
    assert {r.qualified for r in relations if r.kind == "m"} >= KNOWN_MATERIALIZED_VIEWS
    assert any(r.is_partition for r in relations)
    filtered = [r.qualified for r in relations if r.must_be_filtered]
    assert set(filtered) >= KNOWN
    # Every relation the reader must see filtered holds rows of both workspaces, so seeing one
    # of them is a real filter (an empty table would pass any isolation check).
    missing = {name: admin_rows[name] for name in filtered if not set(admin_rows[name]) >= set(WORKSPACES)}
    assert not missing, missing


def test_mapped_reader_sees_exactly_its_workspace_or_is_refused(reader_login, relations, admin_rows):
    url = reader_login(MAPPED)
    with psycopg.connect(url) as conn:
        seen = {r.qualified: _read(conn, r) for r in relations}

    problems = {}
    for relation in relations:
        got = seen[relation.qualified]
        if relation.must_be_filtered:
            own = {MAPPED: admin_rows[relation.qualified][MAPPED]}
            if got != own:
                problems[relation.qualified] = ("must show only the mapped workspace", got, own)
        elif relation.kind == "m" or relation.is_partition:
            if got is not None:
                problems[relation.qualified] = ("must be refused", got)
        elif got is not None and not (relation.has_workspace and set(got) <= {MAPPED}):
            problems[relation.qualified] = ("refused or filtered", got)
    assert not problems, problems


def test_materialized_views_are_refused_and_bi_views_are_the_way_in(warehouse, reader_login, relations):
    url = reader_login(MAPPED)
    views = [r for r in relations if r.kind == "m"]
    with psycopg.connect(url, autocommit=True) as conn:
        for view in views:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL("select 1 from {} limit 1").format(view.ident))
        role = conn.execute("select current_user").fetchone()[0]
    with connect(warehouse) as conn:
        privileges = conn.execute(
            "select c.oid::regclass::text, has_table_privilege(%s, c.oid, 'select')"
            " from pg_class as c where c.relkind = 'm'",
            (role,),
        ).fetchall()
        # Each MV is read by at least one bi view (the reader's way in).
        read_by_bi = {
            row[0]
            for row in conn.execute(
                """
                select distinct source.oid::regclass::text
                from pg_depend as d
                join pg_rewrite as r on r.oid = d.objid
                join pg_class as view on view.oid = r.ev_class
                join pg_class as source on source.oid = d.refobjid
                where view.relnamespace = 'bi'::regnamespace and source.relkind = 'm'
                """
            ).fetchall()
        }
    assert privileges and not any(granted for _, granted in privileges), privileges
    assert {r.qualified for r in views} == read_by_bi


def _write_statements(relation: Relation) -> dict[str, sql.Composed]:
    column = sql.Identifier(relation.first_column)
    return {
        "insert": sql.SQL("insert into {} default values").format(relation.ident),
        "update": sql.SQL("update {} set {} = {}").format(relation.ident, column, column),
        "delete": sql.SQL("delete from {}").format(relation.ident),
        "truncate": sql.SQL("truncate {}").format(relation.ident),
    }


def test_reader_cannot_write_anywhere(warehouse, reader_login, relations):
    url = reader_login(MAPPED)
    before = _owner_counts(warehouse, relations)
    accepted = []
    other_errors = []  # not a privilege error: only allowed where the statement cannot apply (views)
    with psycopg.connect(url, autocommit=True) as conn:
        role = conn.execute("select current_user").fetchone()[0]
        for relation in relations:
            for verb, statement in _write_statements(relation).items():
                try:
                    conn.execute(statement)
                except psycopg.errors.InsufficientPrivilege:
                    pass
                except psycopg.Error as error:
                    other_errors.append((relation.kind, relation.qualified, verb, type(error).__name__))
                else:
                    accepted.append((relation.qualified, verb))
        schemas = [
            s
            for (s,) in conn.execute(
                "select nspname from pg_namespace where nspname not in ('pg_catalog', 'information_schema')"
                " and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp%'"
            ).fetchall()
        ]
        created = []
        for schema in schemas:
            try:
                conn.execute(
                    sql.SQL("create table {} (x int)").format(sql.Identifier(schema, "perf_sec_probe"))
                )
            except psycopg.errors.InsufficientPrivilege:
                continue
            created.append(schema)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select raw.ensure_snapshot_partition(%s)", (END + dt.timedelta(days=400),))
    with connect(warehouse) as conn:
        privileged = conn.execute(
            """
            select c.oid::regclass::text from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'f')
              and n.nspname not in ('pg_catalog', 'information_schema')
              and has_table_privilege(%s, c.oid, 'insert, update, delete, truncate, references, trigger')
            """,
            (role,),
        ).fetchall()
    after = _owner_counts(warehouse, relations)

    assert accepted == []
    assert [e for e in other_errors if e[0] not in ("v", "m")] == [], other_errors
    assert created == [], f"reader may create tables in {created}"
    assert privileged == []
    assert after == before


def test_reader_without_a_mapping_sees_nothing(reader_login, relations):
    url = reader_login(None)
    with psycopg.connect(url) as conn:
        seen = {r.qualified: _read(conn, r) for r in relations}
    readable = {name: got for name, got in seen.items() if got is not None}
    must = {r.qualified for r in relations if r.must_be_filtered}
    assert must <= set(readable)  # readable (so the emptiness below is the RLS filter), ...
    assert {name: got for name, got in readable.items() if got not in ({}, 0)} == {}  # ... but empty


def test_reader_cannot_become_the_writer_or_the_owner(warehouse, reader_login):
    url = reader_login(MAPPED)
    with connect(warehouse) as conn:
        owner = conn.execute("select current_user").fetchone()[0]
    with psycopg.connect(url, autocommit=True) as conn:
        for role in ("perf_writer", owner):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL("set session authorization {}").format(sql.Identifier(role)))
        # The mapping is looked up by session_user, which the reader cannot change.
        assert conn.execute("select array_agg(w) from raw.current_workspaces() as w").fetchone()[0] == [
            MAPPED
        ]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("insert into raw.workspace_access values (current_user, 'acme')")


def test_a_leaky_function_never_sees_another_workspace(reader_login, relations):
    """The reader's own predicate, cheap enough that the planner would like to run it first,
    reports every workspace_id it is called with."""
    url = reader_login(MAPPED)
    targets = [r for r in relations if r.must_be_filtered]
    notices: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
        conn.execute(
            """
            create function pg_temp.leak(value text) returns boolean
            language plpgsql cost 0.0000001 as $$
            begin
                raise notice 'leak:%', value;
                return true;
            end $$
            """
        )
        for relation in targets:
            conn.execute(
                sql.SQL("select count(*) from {} where pg_temp.leak(workspace_id::text)").format(
                    relation.ident
                )
            )
    seen = {message.removeprefix("leak:") for message in notices if message.startswith("leak:")}
    assert seen == {MAPPED}
