"""The landing sensor: which days changed, one run per arrival, and a late file for a past day
correcting the history's deltas through the daily pipeline."""

from __future__ import annotations

import datetime as dt
import json
import os

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.ingest import sensors
from dagster_project.defs.ingest.sensors import landing_sensor
from dagster_project.defs.resources import LandingZoneResource
from dagster_project.ingest.arrivals import compare, fingerprints
from dagster_project.runs import QUIET_CONSOLE, RANGE_END_TAG, RANGE_START_TAG
from dagster_project.warehouse.database import connect
from tests.ingest.landing_helpers import snapshot, write_csv

D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def _day(day: dt.date) -> str:
    return day.isoformat()


def test_compare_lists_new_changed_and_emptied_days_and_the_range_to_rebuild():
    before = {_day(D1): "a", _day(D2): "b", _day(D3): "c"}
    assert not compare(before, before).any
    late = compare(before, {**before, _day(D2): "b2"})
    assert (late.changed, late.rebuild_start, late.rebuild_end) == ((D2,), D2, D3)
    new_day = compare(before, {**before, "2026-03-04": "d"})
    assert (new_day.changed, new_day.rebuild_start, new_day.rebuild_end) == ((dt.date(2026, 3, 4),),) + (
        dt.date(2026, 3, 4),
    ) * 2
    emptied = compare(before, {_day(D2): "b", _day(D3): "c"})
    assert (emptied.changed, emptied.rebuild_start, emptied.rebuild_end) == ((D1,), D1, D3)
    first = compare({}, before)
    assert (first.changed, first.rebuild_start, first.rebuild_end) == ((D1, D2, D3), D1, D3)


def test_fingerprints_change_with_a_new_or_rewritten_file_only(tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing, "tiktok", [snapshot("tt-1", platform="tiktok")], day=D1)
    write_csv(landing, "tiktok", [snapshot("tt-1", platform="tiktok")], day=D2)
    first = fingerprints(landing, D1, D3)
    assert set(first) == {_day(D1), _day(D2)}
    assert fingerprints(landing, D1, D3) == first
    assert fingerprints(landing, D2, D3) == {_day(D2): first[_day(D2)]}
    write_csv(landing, "tiktok", [snapshot("tt-2", platform="tiktok")], name="late.csv", day=D1)
    assert compare(first, fingerprints(landing, D1, D3)).changed == (D1,)


def _history(url: str) -> dict[dt.date, float]:
    with connect(url) as conn:
        rows = conn.execute(
            "select metric_date, daily_views from marts.content_performance_history "
            "where content_id = 'tt-1' order by metric_date"
        ).fetchall()
    return {day: views for day, views in rows}


def _evaluate(instance: dg.DagsterInstance, landing, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"landing_zone": LandingZoneResource(path=str(landing))}
    )
    return landing_sensor(context)


def _tiktok(day: dt.date, views: int, hour: int = 10) -> dict[str, object]:
    return snapshot(
        "tt-1",
        platform="tiktok",
        captured_at=f"{day}T{hour:02d}:00:00+00:00",
        published_at=f"{D1}T06:00:00+00:00",
        views=views,
        likes=views // 10,
    )


@pytest.mark.timeout(900)
def test_a_late_file_for_a_past_day_reruns_it_and_corrects_the_next_days_delta(settings, monkeypatch):
    landing = settings.LANDING_DIR
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL.get_secret_value())
    monkeypatch.setenv("LANDING_DIR", str(landing))
    monkeypatch.setattr(sensors, "today_utc", lambda: D3 + dt.timedelta(days=1))
    for day, views in ((D1, 100), (D2, 200), (D3, 300)):
        write_csv(landing, "tiktok", [_tiktok(day, views)], day=day)
    job = defs().resolve_job_def("daily_pipeline_job")

    def run(request: dg.RunRequest) -> None:
        assert request.job_name in (None, "daily_pipeline_job")
        result = job.execute_in_process(instance=instance, tags=request.tags, run_config=QUIET_CONSOLE)
        assert result.success

    with dg.DagsterInstance.ephemeral() as instance:
        first = _evaluate(instance, landing, None)
        [request] = first.run_requests
        assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (_day(D1), _day(D3))
        run(request)
        assert _history(settings.DATABASE_URL.get_secret_value())[D3] == 100

        unchanged = _evaluate(instance, landing, first.cursor)
        assert isinstance(unchanged, dg.SkipReason)

        # A snapshot captured late on D2 (260 views at 23:00) lands in D2's folder after D3 was built.
        write_csv(landing, "tiktok", [_tiktok(D2, 260, hour=23)], name="late.csv", day=D2)
        os.utime(landing / "tiktok" / _day(D2) / "late.csv")
        late = _evaluate(instance, landing, first.cursor)
        [request] = late.run_requests
        assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (_day(D2), _day(D3))
        assert json.loads(late.cursor)[_day(D2)] != json.loads(first.cursor)[_day(D2)]
        run(request)

        again = _evaluate(instance, landing, late.cursor)
        assert isinstance(again, dg.SkipReason)

    history = _history(settings.DATABASE_URL.get_secret_value())
    assert (history[D2], history[D3]) == (160, 40)
