"""Migrations: one head; upgrade creates the raw schema, the analytics result tables and the
serving tables (API keys, asset generations), downgrade removes them, upgrade again works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.script import ScriptDirectory

from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import connect
from tests.conftest import create_scratch_database, drop_database


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    url = create_scratch_database(server_url, "perf_migrations")
    yield url
    drop_database(url)


def _raw_objects(url: str) -> dict[str, list[str]]:
    """Tables and policies of the raw and analytics schemas, and whether raw exists."""
    with connect(url) as conn:
        tables = conn.execute(
            "select n.nspname || '.' || c.relname || ':' || c.relkind::text from pg_class as c "
            "join pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname in ('raw', 'analytics') and c.relkind in ('r', 'p') order by 1"
        ).fetchall()
        policies = conn.execute(
            "select schemaname || '.' || tablename || ':' || policyname from pg_policies "
            "where schemaname in ('raw', 'analytics') order by 1"
        ).fetchall()
        schema = conn.execute("select count(*) from pg_namespace where nspname = 'raw'").fetchone()
    return {
        "tables": [t for (t,) in tables],
        "policies": [p for (p,) in policies],
        "schema": [str(schema[0])],
    }


def test_single_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config("postgresql://unused/x")).get_heads()
    assert heads == ["0008"]


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    upgraded = _raw_objects(empty_database)
    assert migrate.current_revision(empty_database) == "0008"
    assert upgraded["tables"] == [
        "analytics.ab_test_performance:r",
        "analytics.correlation_analysis_results:r",
        "analytics.experiments:r",
        "analytics.feature_importance_results:r",
        "analytics.optimization_insights:r",
        "analytics.performance_anomalies:r",
        "analytics.platform_comparison_results:r",
        "analytics.trend_analysis_results:r",
        "raw.api_keys:r",
        "raw.asset_generations:r",
        "raw.content:r",
        "raw.engagement_snapshots:p",
        "raw.ingest_log:r",
        "raw.rejected_snapshots:r",
        "raw.workspace_access:r",
    ]
    assert "raw.engagement_snapshots:reader_workspace" in upgraded["policies"]
    assert "analytics.ab_test_performance:reader_workspace" in upgraded["policies"]
    assert "analytics.optimization_insights:reader_workspace" in upgraded["policies"]
    assert len(upgraded["policies"]) == 4 + 5 + 2 + 1

    migrate.downgrade(empty_database, "0003")
    without_results = _raw_objects(empty_database)
    assert [t for t in without_results["tables"] if t.startswith("analytics.")] == []
    assert len(without_results["policies"]) == 4
    migrate.downgrade(empty_database, "0001")
    assert _raw_objects(empty_database)["policies"] == []
    migrate.downgrade(empty_database, "base")
    assert _raw_objects(empty_database) == {"tables": [], "policies": [], "schema": ["0"]}
    assert migrate.current_revision(empty_database) is None

    migrate.upgrade(empty_database)
    assert _raw_objects(empty_database) == upgraded


def test_primary_key_includes_partition_key(database_url: str) -> None:
    with connect(database_url) as conn:
        [(definition,)] = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid = 'raw.engagement_snapshots'::regclass and contype = 'p'"
        ).fetchall()
        [(strategy,)] = conn.execute(
            "select pg_get_partkeydef('raw.engagement_snapshots'::regclass)"
        ).fetchall()
    assert definition == "PRIMARY KEY (workspace_id, platform, content_id, captured_at)"
    assert strategy == "RANGE (captured_at)"
