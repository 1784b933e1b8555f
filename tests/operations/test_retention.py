"""Retention: cutoffs for an injected day, partitions dropped whole and only when entirely old,
history/result/quarantine rows pruned by their own windows, and the daily sensor and job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest
from psycopg import sql

from dagster_project.config import AnalyticsSettings
from dagster_project.defs.operations import retention as retention_defs
from dagster_project.ingest.loader import load_landing_day
from dagster_project.warehouse.database import connect
from dagster_project.warehouse.dbt import run_dbt, window_vars
from dagster_project.warehouse.generations import read_generations
from dagster_project.warehouse.retention import (
    PartitionBound,
    Removal,
    RetentionPolicy,
    apply_retention,
    build_plan,
    cutoff_for,
    partitions_to_drop,
    read_tables,
)
from tests.checksums import relation_checksum
from tests.ingest.landing_helpers import snapshot, write_csv

UTC = dt.UTC


def _policy(raw: int = 365, history: int = 730, results: int = 180, rejected: int = 90) -> RetentionPolicy:
    return RetentionPolicy(raw, history, results, rejected)


# --- pure date arithmetic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "days", "cutoff"),
    [
        (dt.date(2026, 3, 1), 30, dt.date(2026, 1, 30)),  # February 2026 has 28 days
        (dt.date(2026, 3, 1), 1, dt.date(2026, 2, 28)),
        (dt.date(2027, 1, 1), 1, dt.date(2026, 12, 31)),  # year boundary
        (dt.date(2027, 1, 1), 30, dt.date(2026, 12, 2)),
        (dt.date(2027, 1, 1), 365, dt.date(2026, 1, 1)),
        (dt.date(2024, 3, 1), 30, dt.date(2024, 1, 31)),  # leap February: 29 days
        (dt.date(2024, 3, 1), 1, dt.date(2024, 2, 29)),
        (dt.date(2028, 3, 1), 365, dt.date(2027, 3, 2)),  # the year before includes 29 Feb 2028
        (dt.date(2027, 3, 1), 365, dt.date(2026, 3, 1)),
        (dt.date(2026, 3, 1), 730, dt.date(2024, 3, 1)),  # spans 29 Feb 2024
    ],
)
def test_cutoff_is_today_minus_the_retention_days(today, days, cutoff):
    assert cutoff_for(today, days) == cutoff


def test_policy_cutoffs_per_data_class_across_a_year_boundary():
    policy = _policy(raw=365, history=730, results=180, rejected=90)
    today = dt.date(2027, 1, 1)
    assert {c: policy.cutoff(c, today) for c in ("raw", "history", "results", "rejected")} == {
        "raw": dt.date(2026, 1, 1),
        "history": dt.date(2025, 1, 1),
        "results": dt.date(2026, 7, 5),
        "rejected": dt.date(2026, 10, 3),
    }


@pytest.mark.parametrize("days", [0, -1, -365])
def test_zero_or_negative_retention_is_rejected_with_the_setting_named(days):
    with pytest.raises(ValueError, match=rf"HISTORY_RETENTION_DAYS must be at least 1 day, got {days}"):
        _policy(history=days)
    with pytest.raises(ValueError, match="at least 1 day"):
        cutoff_for(dt.date(2026, 3, 1), days)
    # The settings themselves refuse it when they are read (pydantic names the field).
    with pytest.raises(ValueError, match="ENGAGEMENT_DATA_RETENTION_DAYS"):
        AnalyticsSettings(ENGAGEMENT_DATA_RETENTION_DAYS=days)


def test_non_integer_retention_is_rejected():
    with pytest.raises(ValueError, match="whole number"):
        _policy(results=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number"):
        _policy(rejected=True)


def _at(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_only_partitions_entirely_before_the_cutoff_are_chosen():
    cutoff = dt.date(2026, 1, 1)
    day = dt.timedelta(days=1)
    parts = {
        "p20251230": PartitionBound("raw", "p20251230", _at(cutoff - 2 * day), _at(cutoff - day)),
        "p20251231": PartitionBound("raw", "p20251231", _at(cutoff - day), _at(cutoff)),  # ends at cutoff
        "p20260101": PartitionBound("raw", "p20260101", _at(cutoff), _at(cutoff + day)),
        "straddle": PartitionBound("raw", "straddle", _at(cutoff - day, 12), _at(cutoff, 12)),
        "from_min": PartitionBound("raw", "from_min", None, _at(cutoff - 5 * day)),
        "to_max": PartitionBound("raw", "to_max", _at(cutoff - 9 * day), None),  # or DEFAULT
    }
    chosen = partitions_to_drop(parts.values(), cutoff)
    assert [p.name for p in chosen] == ["from_min", "p20251230", "p20251231"]


# --- the database -----------------------------------------------------------------------------------

TODAY = dt.date(2027, 1, 1)


def _truncate_analytics(url: str) -> None:
    with connect(url) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'analytics' and table_type = 'BASE TABLE'"
        ).fetchall()
        if tables:
            conn.execute(
                sql.SQL("truncate {}").format(
                    sql.SQL(", ").join(sql.Identifier("analytics", t) for (t,) in tables)
                )
            )


@pytest.fixture
def clean(db: str) -> Iterator[str]:
    """The ``db`` fixture with the analytics tables emptied too (before and after: the session
    database is shared and ``db`` leaves them as earlier tests wrote them)."""
    _truncate_analytics(db)
    yield db
    _truncate_analytics(db)


def _snapshot_day(conn, day: dt.date, rows: int) -> None:
    conn.execute("select raw.ensure_snapshot_partition(%s)", (day,))
    conn.execute(
        """
        insert into raw.engagement_snapshots
            (workspace_id, platform, content_id, captured_at, views, likes, ingest_date, source_file,
             source_line)
        select 'default', 'tiktok', 'c' || i, %(day)s::timestamp at time zone 'UTC' + (i || ' min')::interval,
               100 * i, i, %(day)s, 'tiktok/f.csv', i
        from generate_series(1, %(rows)s) as i
        """,
        {"day": day, "rows": rows},
    )


def _partition_rows(conn) -> dict[str, int]:
    names = conn.execute(
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'raw.engagement_snapshots'::regclass order by 1"
    ).fetchall()
    count = sql.SQL("select count(*) from {}")
    return {name: conn.execute(count.format(sql.Identifier("raw", name))).fetchone()[0] for (name,) in names}


def _inside(cutoff: dt.date) -> str:
    return f"(select * from raw.engagement_snapshots where captured_at >= '{cutoff}T00:00:00Z')"


def _name(day: dt.date) -> str:
    return f"engagement_snapshots_p{day:%Y%m%d}"


# Days before TODAY with their row counts: around the 365-day cutoff (2026-01-01) and the 30-day
# one (2026-12-02); the day count differs per day so a wrong partition shows in the totals.
OFFSETS = {400: 2, 367: 3, 366: 4, 365: 5, 364: 6, 200: 7, 31: 8, 30: 9, 29: 10, 0: 11}


@pytest.fixture
def partitions(clean: str) -> str:
    with connect(clean) as conn:
        for offset, rows in OFFSETS.items():
            _snapshot_day(conn, TODAY - dt.timedelta(days=offset), rows)
    return clean


def test_partitions_entirely_before_the_cutoff_are_dropped_with_their_rows_reported(partitions):
    cutoff = dt.date(2026, 1, 1)
    with connect(partitions) as conn:
        before = _partition_rows(conn)
        inside_before = relation_checksum(conn, _inside(cutoff))
    assert len(before) == 10 and sum(before.values()) == 65

    removed = apply_retention(partitions, TODAY, _policy(raw=365))

    expected = [
        Removal(f"raw.{_name(TODAY - dt.timedelta(days=offset))}", "raw_partition", rows, cutoff)
        for offset, rows in ((400, 2), (367, 3), (366, 4))
    ]
    assert removed == expected
    with connect(partitions) as conn:
        after = _partition_rows(conn)
        everything_after = relation_checksum(conn, "raw.engagement_snapshots")
        detached_left = conn.execute(
            "select count(*) from pg_class where relkind = 'r' and relname like 'engagement_snapshots_p%%' "
            "and not relispartition"
        ).fetchone()[0]
    # The cutoff day (offset 365 = 2026-01-01) and every later day are untouched, row for row.
    assert after == {name: rows for name, rows in before.items() if name >= _name(cutoff)}
    assert sum(after.values()) == 65 - 9 == inside_before[0]
    assert everything_after == inside_before
    assert detached_left == 0  # detached partitions were dropped, not left behind

    assert apply_retention(partitions, TODAY, _policy(raw=365)) == []  # idempotent
    with connect(partitions) as conn:
        assert relation_checksum(conn, "raw.engagement_snapshots") == inside_before


def test_a_partition_straddling_the_cutoff_is_kept_whole(clean):
    db = clean
    cutoff = dt.date(2026, 1, 1)
    with connect(db) as conn:
        conn.execute(
            "create table raw.engagement_snapshots_straddle partition of raw.engagement_snapshots "
            "for values from ('2025-12-31T12:00:00Z') to ('2026-01-01T12:00:00Z')"
        )
        _snapshot_day(conn, dt.date(2025, 12, 30), 4)
        conn.execute(
            "insert into raw.engagement_snapshots (workspace_id, platform, content_id, captured_at, views, "
            "ingest_date, source_file, source_line) values "
            "('default', 'tiktok', 'old', '2025-12-31T13:00:00Z', 1, '2025-12-31', 'f', 1), "
            "('default', 'tiktok', 'new', '2026-01-01T01:00:00Z', 2, '2026-01-01', 'f', 2)"
        )
    plan = build_plan(db, TODAY, _policy(raw=365))
    assert [d.partition.name for d in plan.partitions] == ["engagement_snapshots_p20251230"]
    assert plan.kept_partitions == 1

    removed = apply_retention(db, TODAY, _policy(raw=365))

    assert [(r.table_or_partition, r.rows) for r in removed] == [("raw.engagement_snapshots_p20251230", 4)]
    assert cutoff == removed[0].cutoff
    with connect(db) as conn:
        assert _partition_rows(conn) == {"engagement_snapshots_straddle": 2}


def test_a_shorter_retention_removes_more_and_lengthening_it_again_restores_nothing(partitions):
    long = RetentionPolicy.from_settings(AnalyticsSettings(ENGAGEMENT_DATA_RETENTION_DAYS=365))
    short = RetentionPolicy.from_settings(AnalyticsSettings(ENGAGEMENT_DATA_RETENTION_DAYS=30))
    short_cutoff = dt.date(2026, 12, 2)
    with connect(partitions) as conn:
        inside_short = relation_checksum(conn, _inside(short_cutoff))

    first = apply_retention(partitions, TODAY, long)
    second = apply_retention(partitions, TODAY, short)
    back = apply_retention(partitions, TODAY, long)

    assert [r.rows for r in first] == [2, 3, 4]
    # 2026-01-01 (365 days old) .. 2026-12-01 (31 days old) go now; 2026-12-02 stays.
    assert [(r.table_or_partition, r.rows, r.cutoff) for r in second] == [
        (f"raw.{_name(TODAY - dt.timedelta(days=offset))}", rows, short_cutoff)
        for offset, rows in ((365, 5), (364, 6), (200, 7), (31, 8))
    ]
    assert back == []
    with connect(partitions) as conn:
        remaining = _partition_rows(conn)
        assert relation_checksum(conn, "raw.engagement_snapshots") == inside_short
        # New rows still land: a day inside the window can get its partition again.
        _snapshot_day(conn, dt.date(2026, 12, 31), 1)
    assert remaining == {_name(TODAY - dt.timedelta(days=o)): OFFSETS[o] for o in (30, 29, 0)}
    assert min(remaining) == _name(short_cutoff)


# --- history, results and quarantine ----------------------------------------------------------------

HISTORY_DAYS = [dt.date(2025, 12, 28) + dt.timedelta(days=i) for i in range(10)]  # .. 2026-01-06
HISTORY_TODAY = dt.date(2026, 1, 6)


def _anomaly(conn, analysis_date: dt.date, series: str = "s") -> None:
    conn.execute(
        """
        insert into analytics.performance_anomalies
            (analysis_date, workspace_id, series_level, platform, series_id, metric, anomaly_date, value,
             expected, score, direction, method, threshold, seasonally_adjusted)
        values (%s, 'default', 'content', 'tiktok', %s, 'views', %s, 10, 1, 5, 'spike', 'robust_zscore', 3,
                false)
        """,
        (analysis_date, series, analysis_date),
    )


@pytest.fixture
def warehouse(settings, clean) -> str:
    """Ten landing days (tiktok reports in UTC: metric day = capture day), each with one bad row,
    the dbt history built over them, and anomaly results for each day."""
    url = settings.DATABASE_URL.get_secret_value()
    meta = {"published_at": "2025-12-28T00:00:00Z", "title": "t", "category": "Education"}
    for number, day in enumerate(HISTORY_DAYS):
        rows = [
            snapshot(f"tt-{i}", platform="tiktok", captured_at=f"{day}T12:00:00+00:00",
                     views=100 * (number + 1) + i, **meta)
            for i in range(3)
        ]  # fmt: skip
        write_csv(settings.LANDING_DIR, "tiktok", [*rows, snapshot("bad", platform="myspace")], day=day)
        load_landing_day(url, day, settings=settings, now=_at(day, 23))
    run_dbt(url, ["seed", "--full-refresh"])
    run_dbt(
        url,
        ["run", "--select", "+content_performance_history", "--vars",
         window_vars(HISTORY_DAYS[0], HISTORY_DAYS[-1] + dt.timedelta(days=1))],
    )  # fmt: skip
    with connect(url) as conn:
        for day in HISTORY_DAYS:
            _anomaly(conn, day)
        conn.execute(
            "insert into analytics.experiments (workspace_id, experiment_id, platform, content_id, variant, "
            "is_control, start_date, end_date, primary_metric, metric_kind, source_file) values "
            "('default', 'old', 'tiktok', 'tt-0', 'a', true, '2020-01-01', '2020-01-31', 'views', 'mean', "
            "'f')"
        )
    return url


HISTORY_TABLES = {
    "marts.content_performance_history": "metric_date",
    "intermediate.int_content_days_aggregated": "metric_date",
    "intermediate.int_age_benchmarks_computed": "as_of_date",
}


def _dated_counts(conn, table: str, column: str) -> dict[dt.date, int]:
    schema, name = table.split(".")
    query = sql.SQL("select {c}, count(*) from {t} group by 1 order by 1").format(
        c=sql.Identifier(column), t=sql.Identifier(schema, name)
    )
    return dict(conn.execute(query).fetchall())


def test_history_results_and_quarantine_are_pruned_by_their_own_retention(warehouse):
    policy = _policy(raw=365, history=5, results=3, rejected=7)
    history_cutoff, results_cutoff, rejected_cutoff = (
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 3),
        dt.date(2025, 12, 30),
    )
    with connect(warehouse) as conn:
        targets = {t.qualified: t.kind for t in read_tables(conn)}
        before = {t: _dated_counts(conn, t, c) for t, c in HISTORY_TABLES.items()}
        kept_before = {
            t: relation_checksum(conn, f"(select * from {t} where {c} >= '{history_cutoff}')")
            for t, c in HISTORY_TABLES.items()
        }
        raw_before = relation_checksum(conn, "raw.engagement_snapshots")
        log_before = conn.execute("select count(*) from raw.ingest_log").fetchone()[0]
    # Every analytics table with analysis_date is a results table; the declarations are not.
    assert targets == {
        "raw.ingest_log": "ingest_log",
        "raw.rejected_snapshots": "rejected",
        **dict.fromkeys(HISTORY_TABLES, "history"),
        "analytics.ab_test_performance": "results",
        "analytics.correlation_analysis_results": "results",
        "analytics.feature_importance_results": "results",
        "analytics.optimization_insights": "results",
        "analytics.performance_anomalies": "results",
        "analytics.platform_comparison_results": "results",
        "analytics.trend_analysis_results": "results",
    }
    assert all(set(counts) == set(HISTORY_DAYS) for counts in before.values())
    with connect(warehouse) as conn:
        generations_before = read_generations(conn, [*targets, "raw.engagement_snapshots"])

    removed = apply_retention(warehouse, HISTORY_TODAY, policy, batch_rows=2)

    expected_history = {t: sum(n for d, n in before[t].items() if d < history_cutoff) for t in HISTORY_TABLES}
    assert {r.table_or_partition: (r.kind, r.rows, r.cutoff) for r in removed} == {
        "raw.rejected_snapshots": ("rejected", 2, rejected_cutoff),  # the bad rows of Dec 28 and 29
        **{t: ("history", n, history_cutoff) for t, n in expected_history.items()},
        "analytics.performance_anomalies": ("results", 6, results_cutoff),  # Dec 28 .. Jan 2
    }
    assert all(n > 2 for n in expected_history.values())  # several batches of 2 rows each
    with connect(warehouse) as conn:  # serving caches see exactly the relations that lost rows change
        generations_after = read_generations(conn, generations_before)
    changed = {r for r in generations_before if generations_after[r] != generations_before[r]}
    assert changed == {r.table_or_partition for r in removed}
    assert all(generations_after[r] > generations_before[r] for r in changed)
    with connect(warehouse) as conn:
        for table, column in HISTORY_TABLES.items():
            counts = _dated_counts(conn, table, column)
            assert min(counts) == history_cutoff  # the cutoff day is kept
            assert counts == {d: n for d, n in before[table].items() if d >= history_cutoff}
            assert relation_checksum(conn, table) == kept_before[table]
        anomaly_days = [
            d for (d,) in conn.execute("select analysis_date from analytics.performance_anomalies")
        ]
        reject_days = conn.execute("select min(ingest_date), count(*) from raw.rejected_snapshots").fetchone()
        assert sorted(anomaly_days) == [d for d in HISTORY_DAYS if d >= results_cutoff]
        assert reject_days == (rejected_cutoff, 8)
        assert conn.execute("select count(*) from analytics.experiments").fetchone()[0] == 1
        assert relation_checksum(conn, "raw.engagement_snapshots") == raw_before
        assert conn.execute("select count(*) from raw.ingest_log").fetchone()[0] == log_before == 10

    assert apply_retention(warehouse, HISTORY_TODAY, policy, batch_rows=2) == []
    # The history keeps building incrementally on what is left.
    run_dbt(warehouse, ["run", "--select", "content_performance_history", "--vars",
                        window_vars(HISTORY_TODAY, HISTORY_TODAY + dt.timedelta(days=1))])  # fmt: skip
    with connect(warehouse) as conn:
        rebuilt = _dated_counts(conn, "marts.content_performance_history", "metric_date")
    history_before = before["marts.content_performance_history"]
    assert rebuilt == {d: n for d, n in history_before.items() if d >= history_cutoff}


def test_rejects_without_a_landing_day_age_by_their_arrival(clean):
    db = clean
    with connect(db) as conn:
        conn.execute(
            "insert into raw.rejected_snapshots "
            "(workspace_id, ingest_date, source, reason, payload, received_at) values"
            " ('default', null, 'api', 'r', '{}', '2026-01-01T23:59:00Z'), "
            "('default', null, 'api', 'r', '{}', '2026-01-02T00:00:00Z')"
        )
    removed = apply_retention(db, dt.date(2026, 4, 2), _policy(rejected=90))  # cutoff 2026-01-02
    assert [(r.table_or_partition, r.rows) for r in removed] == [("raw.rejected_snapshots", 1)]
    with connect(db) as conn:
        assert conn.execute("select received_at from raw.rejected_snapshots").fetchone()[0] == _at(
            dt.date(2026, 1, 2)
        )


# --- Dagster ----------------------------------------------------------------------------------------


def _tick(monkeypatch, today: dt.date, cursor: str | None, instance: dg.DagsterInstance):
    monkeypatch.setattr(retention_defs, "utc_today", lambda: today)
    context = dg.build_sensor_context(cursor=cursor, instance=instance)
    return retention_defs.retention_sensor.evaluate_tick(context)


def test_sensor_requests_one_run_per_new_utc_day(monkeypatch):
    with dg.DagsterInstance.ephemeral() as instance:
        first = _tick(monkeypatch, dt.date(2026, 12, 31), None, instance)
        same_day = _tick(monkeypatch, dt.date(2026, 12, 31), first.cursor, instance)
        next_year = _tick(monkeypatch, dt.date(2027, 1, 1), same_day.cursor or first.cursor, instance)
        after_a_pause = _tick(monkeypatch, dt.date(2027, 3, 1), next_year.cursor, instance)
        clock_back = _tick(monkeypatch, dt.date(2027, 2, 27), after_a_pause.cursor, instance)

    [request] = first.run_requests
    assert (request.run_key, first.cursor) == ("2026-12-31", "2026-12-31")
    assert request.run_config == {"ops": {"apply_retention": {"config": {"today": "2026-12-31"}}}}
    assert request.job_name in (None, "retention_job")
    assert same_day.run_requests == [] and "2026-12-31" in same_day.skip_message
    assert [r.run_key for r in next_year.run_requests] == ["2027-01-01"] and next_year.cursor == "2027-01-01"
    # Days missed while the sensor was off are covered by one run for today.
    assert [r.run_key for r in after_a_pause.run_requests] == ["2027-03-01"]
    assert clock_back.run_requests == [] and clock_back.cursor in (None, "2027-03-01")


def test_definitions_hold_the_job_and_a_running_sensor(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL.get_secret_value())
    from dagster_project.definitions import defs

    definitions = defs()
    sensor = definitions.resolve_sensor_def("retention_sensor")
    assert sensor.job_name == "retention_job"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert definitions.resolve_job_def("retention_job").name == "retention_job"


def test_job_run_from_the_sensor_lists_every_removal_in_output_metadata(partitions, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", partitions)
    from dagster_project.definitions import defs

    job = defs().resolve_job_def("retention_job")
    with dg.DagsterInstance.ephemeral() as instance:
        tick = _tick(monkeypatch, TODAY, "2026-12-31", instance)
        [request] = tick.run_requests
        config = request.run_config
        config["ops"]["apply_retention"]["config"]["engagement_data_retention_days"] = 30
        result = job.execute_in_process(run_config=config, instance=instance)
        again = job.execute_in_process(run_config=request.run_config, instance=instance)

    assert result.success
    [output] = [e for e in result.all_node_events if e.is_successful_output]
    metadata = output.event_specific_data.metadata
    dropped = [TODAY - dt.timedelta(days=o) for o in (400, 367, 366, 365, 364, 200, 31)]
    assert metadata["removed"].value == [
        {"table_or_partition": f"raw.{_name(day)}", "kind": "raw_partition", "rows": OFFSETS[o],
         "cutoff": "2026-12-02"}
        for day, o in zip(dropped, (400, 367, 366, 365, 364, 200, 31), strict=True)
    ]  # fmt: skip
    assert metadata["partitions_dropped"].value == 7
    assert metadata["rows_removed"].value == 2 + 3 + 4 + 5 + 6 + 7 + 8
    assert metadata["today"].value == "2027-01-01"
    assert metadata["cutoffs"].value["raw"] == "2026-12-02"
    assert "`raw.engagement_snapshots_p20251127` | 2 |" in metadata["removals"].value
    assert result.output_for_node("apply_retention") == metadata["removed"].value
    [again_output] = [e for e in again.all_node_events if e.is_successful_output]
    assert again_output.event_specific_data.metadata["rows_removed"].value == 0
