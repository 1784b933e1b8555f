"""Synthetic landing data end to end: every planted dirty row is quarantined where the ground truth says."""

from __future__ import annotations

import datetime as dt
import json

from dagster_project.ingest.loader import load_landing_day
from dagster_project.synthetic import SyntheticSpec, generate
from dagster_project.warehouse.database import connect

EXPECTED_FIELD = {
    "missing_content_id": "content_id",
    "unknown_platform": "platform",
    "non_numeric_counter": "views",
    "negative_counter": "likes",
    "unparseable_captured_at": "captured_at",
    "future_captured_at": "captured_at",
    "captured_before_published": "captured_at",
    "duplicate_row": "captured_at",
    "malformed_json": "record",
}


def test_every_dirty_row_is_quarantined_and_every_clean_row_lands(settings):
    spec = SyntheticSpec(items=60, days=8, end_date=dt.date(2026, 10, 8), seed=7)
    summary = generate(settings.LANDING_DIR, spec)
    truth = json.loads(summary.ground_truth_path.read_text())
    url = settings.DATABASE_URL.get_secret_value()
    now = dt.datetime(2026, 10, 9, 12, tzinfo=dt.UTC)

    reports = [
        load_landing_day(url, spec.end_date - dt.timedelta(days=d), settings=settings, now=now)
        for d in range(spec.days - 1, -1, -1)
    ]

    assert sum(r.received for r in reports) == summary.rows
    assert sum(r.rejected for r in reports) == truth["dirty"]["total"] == summary.dirty_rows
    assert sum(r.accepted for r in reports) == summary.rows - summary.dirty_rows
    with connect(url) as conn:
        quarantined = {
            (file, line): field
            for file, line, field in conn.execute(
                "select source_file, source_line, field from raw.rejected_snapshots"
            )
        }
        late = conn.execute(
            "select count(*) from raw.engagement_snapshots where captured_at < ingest_date"
        ).fetchone()[0]
    expected = {(row["file"], row["line"]): EXPECTED_FIELD[row["kind"]] for row in truth["dirty"]["rows"]}
    assert quarantined == expected
    assert late == truth["late_snapshots"]["count"] > 0
