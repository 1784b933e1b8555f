"""The Definitions load, and the ingest job materialises a partition range through Dagster."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.partitions import daily_partitions
from dagster_project.runs import day_chunks, run_range
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import snapshot, write_csv


def test_definitions_load_with_partitioned_ingest_assets():
    definitions = defs()
    keys = {key.to_user_string() for key in definitions.resolve_all_asset_keys()}
    assert {"raw/engagement_snapshots", "raw/content", "raw/rejected_snapshots"} <= keys
    job = definitions.resolve_job_def("ingest_job")
    assert job.partitions_def == daily_partitions


def test_day_chunks_cover_the_range_without_overlap():
    chunks = list(day_chunks(dt.date(2026, 1, 30), dt.date(2026, 2, 12), 5))
    assert chunks == [
        (dt.date(2026, 1, 30), dt.date(2026, 2, 3)),
        (dt.date(2026, 2, 4), dt.date(2026, 2, 8)),
        (dt.date(2026, 2, 9), dt.date(2026, 2, 12)),
    ]


def test_ingest_job_materialises_a_range_with_metadata_and_checks(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL.get_secret_value())
    monkeypatch.setenv("LANDING_DIR", str(settings.LANDING_DIR))
    days = [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    for day in days:
        rows = [snapshot(f"yt-{i}", captured_at=f"{day}T10:00:00+00:00", title=f"t{i}") for i in range(5)]
        write_csv(settings.LANDING_DIR, "youtube", [*rows, snapshot("bad", platform="myspace")], day=day)

    with dg.DagsterInstance.ephemeral() as instance:
        [result] = run_range("ingest_job", days[0], days[-1], instance=instance, definitions=defs())
        materialized = instance.get_materialized_partitions(dg.AssetKey(["raw", "engagement_snapshots"]))

    assert result.success
    assert materialized == {"2026-03-01", "2026-03-02"}
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["raw", "engagement_snapshots"]) and e.partition == "2026-03-01"
    ]
    metadata = event.materialization.metadata
    assert (metadata["received"].value, metadata["accepted"].value, metadata["rejected"].value) == (
        12,
        10,
        2,
    )
    assert metadata["by_platform"].value == {"youtube": {"received": 12, "accepted": 10, "rejected": 2}}
    checks = result.get_asset_check_evaluations()
    assert {c.check_name: c.passed for c in checks} == {
        "no_duplicate_snapshots": True,
        "received_equals_accepted_plus_rejected": True,
    }
    with connect(settings.DATABASE_URL.get_secret_value()) as conn:
        assert conn.execute("select count(*) from raw.engagement_snapshots").fetchone()[0] == 10
