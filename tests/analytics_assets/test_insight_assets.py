"""The optimization_insights asset on the synthetic warehouse: insights of several types written
for a day with the result rows they rest on, readable by BI readers only for their workspaces; a
re-run replaces the day identically; the next day with the same evidence repeats nothing, and an
insight whose evidence changed comes back as updated."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import pytest
from psycopg import sql

from dagster_project.warehouse.database import connect
from tests.analytics_assets.conftest import SPEC, Warehouse
from tests.analytics_assets.helpers import day_checksum, result_rows
from tests.analytics_assets.test_tables import _as, login_role  # noqa: F401  (login_role: a fixture)

DAY = SPEC.end_date
NEXT = DAY + dt.timedelta(days=1)
INSIGHTS = dg.AssetKey(["analytics", "optimization_insights"])
UPSTREAM = (
    "correlation_analysis_results",
    "feature_importance_results",
    "platform_comparison_results",
    "ab_test_performance",
    "trend_analysis_results",
    "performance_anomalies",
)
CORRELATIONAL = (
    "best_posting_hour",
    "best_posting_weekday",
    "content_length",
    "content_format",
    "content_category",
)
SHOWN_BY_DEFAULT = "status <> 'unchanged'"


def _materialise(url: str, day: dt.date, *, with_analyses: bool = False) -> dict[str, Any]:
    """The insights asset for one partition (after the day's analyses when ``with_analyses``);
    returns its materialisation metadata."""
    from dagster_project.defs.analytics.assets import (
        ab_test_performance,
        correlation_analysis_results,
        feature_importance_results,
        platform_comparison_results,
    )
    from dagster_project.defs.analytics.insight_assets import optimization_insights
    from dagster_project.defs.analytics.trend_assets import trend_analysis_results
    from dagster_project.defs.resources import PostgresResource

    analyses = [
        correlation_analysis_results,
        feature_importance_results,
        platform_comparison_results,
        ab_test_performance,
        trend_analysis_results,
    ]
    result = dg.materialize(
        [*analyses, optimization_insights] if with_analyses else [optimization_insights],
        partition_key=day.isoformat(),
        resources={"warehouse": PostgresResource(database_url=url)},
        run_config={
            "ops": {"analytics__feature_importance_results": {"config": {"bootstrap_resamples": 100}}}
        }
        if with_analyses
        else None,
    )
    assert result.success
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == INSIGHTS]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def _copy_results(url: str, table: str, source: dt.date, target: dt.date) -> None:
    """``source``'s rows of an analytics table again as ``target``'s (its window moved along)."""
    shifted = {
        "analysis_date": sql.Literal(target),
        "window_end": sql.Literal(target),
        "window_start": sql.SQL("window_start + {}").format(sql.Literal((target - source).days)),
    }
    with connect(url) as conn:
        columns = [
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'analytics' "
                "and table_name = %s order by ordinal_position",
                (table,),
            )
        ]
        conn.execute(
            sql.SQL(
                "insert into {table} ({columns}) select {values} from {table} where analysis_date = %s"
            ).format(
                table=sql.Identifier("analytics", table),
                columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
                values=sql.SQL(", ").join(shifted.get(c, sql.Identifier(c)) for c in columns),
            ),
            (source,),
        )


def _insights(url: str, day: dt.date, where: str = "true") -> list[dict]:
    return result_rows(url, "optimization_insights", f"analysis_date = %s and {where}", (day,))


@pytest.fixture(scope="module")
def first_day(warehouse: Warehouse) -> Iterator[tuple[Warehouse, dict[str, Any]]]:
    with connect(warehouse.url) as conn:
        conn.execute("delete from analytics.optimization_insights")
    metadata = _materialise(warehouse.url, DAY, with_analyses=True)
    yield warehouse, metadata
    with connect(warehouse.url) as conn:
        conn.execute("delete from analytics.optimization_insights")
        for table in UPSTREAM:
            conn.execute(
                sql.SQL("delete from {} where analysis_date = %s").format(sql.Identifier("analytics", table)),
                (NEXT,),
            )


def _source_exists(url: str, source: Mapping[str, Any]) -> bool:
    schema, table = source["table"].split(".")
    key = {k: v for k, v in source["key"].items() if not isinstance(v, list)}
    condition = sql.SQL(" and ").join(sql.SQL("{}::text = %s").format(sql.Identifier(k)) for k in key)
    with connect(url) as conn:
        query = sql.SQL("select count(*) from {} where {}").format(sql.Identifier(schema, table), condition)
        return conn.execute(query, [str(v) for v in key.values()]).fetchone()[0] > 0


def test_a_day_has_prioritised_quantified_insights_of_several_types(first_day):
    warehouse, metadata = first_day
    rows = _insights(warehouse.url, DAY)
    types = {r["insight_type"] for r in rows}
    assert len(types) >= 7, types
    assert {"platform_mix", "ab_test_winner", "content_length", "underperforming_content"} <= types
    assert metadata["rows"] == len(rows) == metadata["new"] > 0
    assert (metadata["updated"], metadata["unchanged"]) == (0, 0)
    assert sum(metadata["by_type"].values()) == sum(metadata["by_priority"].values()) == len(rows)
    assert str(metadata["top_insights_plot"]).startswith("![top optimisation insights")

    # The lab's planted lifts are the winners to roll out; its A/A and sample-ratio experiments are not.
    winners = {r["insight_id"] for r in rows if r["insight_type"] == "ab_test_winner"}
    assert winners == {"ab_test_winner:tiktok:lab-lift:treatment", "ab_test_winner:tiktok:lab-rate:treatment"}
    # The generator plants fewer views for night posts and for short-form video over 60 s.
    titles = {r["title"] for r in rows}
    assert "Avoid publishing in the night (00:00-05:59 local time) across your platforms" in titles
    assert "Try shorter videos on TikTok" in titles

    for r in rows:
        assert r["status"] == "new" and r["first_reported_date"] == DAY
        assert r["priority_score"] == pytest.approx(
            r["effect_score"] * r["reach_score"] * r["confidence_score"]
        )
        assert r["priority"] == (
            "high" if r["priority_score"] >= 0.25 else "medium" if r["priority_score"] >= 0.1 else "low"
        )
        assert r["impact_ci_lower"] <= r["impact_estimate"] <= r["impact_ci_upper"]
        assert ", 95% " in r["impact_prediction"]
        if r["insight_type"] in CORRELATIONAL:
            assert "associated with" in r["description"] and "causes" not in r["description"]
        sources = r["data_supporting"]["sources"]
        assert sources and all(_source_exists(warehouse.url, s) for s in sources), r["insight_id"]


def test_readers_see_their_workspaces_insights_only(first_day, login_role):  # noqa: F811
    warehouse, _ = first_day
    reader = login_role("perf_reader")
    with connect(warehouse.url) as conn:
        conn.execute("insert into raw.workspace_access values (%s, 'lab')", (reader,))
        everyone = conn.execute(
            "select distinct workspace_id from analytics.optimization_insights order by 1"
        ).fetchall()
    with _as(warehouse.url, reader) as conn:
        seen = conn.execute("select distinct workspace_id from analytics.optimization_insights").fetchall()
    assert everyone == [("default",), ("lab",)]
    assert seen == [("lab",)]


def test_rerunning_the_day_replaces_it_with_identical_rows(first_day):
    warehouse, _ = first_day
    before = day_checksum(warehouse.url, "optimization_insights", DAY)
    metadata = _materialise(warehouse.url, DAY)
    assert day_checksum(warehouse.url, "optimization_insights", DAY) == before
    assert metadata["new"] == before[0]  # compared with the days before it, not with itself


def test_the_next_day_with_the_same_evidence_repeats_nothing_until_the_evidence_changes(first_day):
    warehouse, _ = first_day
    for table in UPSTREAM:
        _copy_results(warehouse.url, table, DAY, NEXT)
    metadata = _materialise(warehouse.url, NEXT)

    day_one = {r["insight_id"]: r for r in _insights(warehouse.url, DAY)}
    day_two = _insights(warehouse.url, NEXT)
    # Each insight is new, updated or unchanged by comparing its evidence with the day before.
    for r in day_two:
        before = day_one.get(r["insight_id"])
        expected = (
            "new"
            if before is None
            else "unchanged"
            if before["evidence_hash"] == r["evidence_hash"]
            else "updated"
        )
        assert r["status"] == expected
        assert r["first_reported_date"] == (NEXT if before is None else DAY)
    statuses = Counter(r["status"] for r in day_two)
    assert (metadata["new"], metadata["updated"], metadata["unchanged"]) == tuple(
        statuses[s] for s in ("new", "updated", "unchanged")
    )
    # The same results give the same insights: all but those that also read the day's own items
    # (one more day of outcomes is observable) repeat nothing. Underperformers (judged on the
    # day's own history, none after the data ends) drop out; so do anomalies no longer recent,
    # which lets anomalies that the per-platform limit had left out on DAY in as new.
    same_results = [r for r in day_two if r["insight_type"] in ("ab_test_winner", "platform_mix")]
    assert same_results and {r["status"] for r in same_results} == {"unchanged"}
    assert statuses["unchanged"] >= 0.8 * sum(1 for r in day_two if r["insight_id"] in day_one)
    assert not any(r["insight_type"] == "underperforming_content" for r in day_two)
    shown = {r["insight_id"] for r in _insights(warehouse.url, NEXT, SHOWN_BY_DEFAULT)}
    assert shown == {r["insight_id"] for r in day_two if r["status"] != "unchanged"}

    with connect(warehouse.url) as conn:
        conn.execute(
            "update analytics.ab_test_performance set relative_lift = relative_lift * 1.5, "
            "lift_ci_lower = lift_ci_lower * 1.5, lift_ci_upper = lift_ci_upper * 1.5 "
            "where analysis_date = %s and experiment_id = 'lab-lift' and not is_control",
            (NEXT,),
        )
    _materialise(warehouse.url, NEXT)
    changed = {r["insight_id"]: r for r in _insights(warehouse.url, NEXT, SHOWN_BY_DEFAULT)}
    assert set(changed) - shown == {"ab_test_winner:tiktok:lab-lift:treatment"}
    assert changed["ab_test_winner:tiktok:lab-lift:treatment"]["first_reported_date"] == DAY
    assert changed["ab_test_winner:tiktok:lab-lift:treatment"]["status"] == "updated"
