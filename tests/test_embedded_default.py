"""With no DATABASE_URL the product starts its own Postgres under DATA_DIR and ingests into it."""

from __future__ import annotations

import psycopg

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import resolve_database_url
from dagster_project.warehouse.embedded import stop_embedded_server
from tests.ingest.landing_helpers import DAY, NOW, snapshot, write_csv


def test_embedded_server_starts_migrates_ingests_and_is_reused(tmp_path):
    settings = AnalyticsSettings(
        DATABASE_URL=None, DATA_DIR=tmp_path / ".data", LANDING_DIR=tmp_path / "landing"
    )
    assert settings.embedded
    try:
        url = resolve_database_url(settings)
        assert "host=" in url and str(tmp_path / ".data" / "pg") in url
        migrate.upgrade(url)
        write_csv(
            settings.LANDING_DIR,
            "youtube",
            [snapshot("yt-1"), snapshot("yt-2"), snapshot("x", views="?")],
        )

        report = load_landing_day(url, DAY, settings=settings, now=NOW)

        assert (report.accepted, report.rejected) == (2, 1)
        assert resolve_database_url(settings) == url  # second call reuses the running server
        with psycopg.connect(url) as conn:
            version = conn.execute("show server_version_num").fetchone()[0]
            count = conn.execute("select count(*) from raw.engagement_snapshots").fetchone()[0]
        assert int(version) >= 180000
        assert count == 2
    finally:
        assert stop_embedded_server(settings.DATA_DIR)
    assert not (settings.DATA_DIR / "pg" / "postmaster.pid").exists()
