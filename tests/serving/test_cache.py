"""The read cache: real hit/miss/stale counts, TTL expiry, LRU bound, the Redis backend against
the local Redis (own key prefix, cleaned up), and invalidation when a writer bumps the
generation of a relation a cached answer read (replace_day, the loader, a dbt re-materialisation)."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from unittest import mock

import dagster as dg
import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr

from dagster_project.analytics_io.store import replace_day
from dagster_project.analytics_io.trend_rows import ANOMALY_COLUMNS, TREND_COLUMNS
from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.serving.app import create_app
from dagster_project.serving.auth import create_api_key
from dagster_project.serving.cache import MemoryCache, ReadCache, RedisCache, build_cache
from dagster_project.serving.reads import ReadSession
from dagster_project.warehouse.database import connect, database_name
from dagster_project.warehouse.generations import read_generations
from tests.ingest.landing_helpers import NOW, snapshot, write_csv
from tests.serving.reads_warehouse import ReadsWarehouse

REDIS_URL = "redis://127.0.0.1:6379/0"
TRENDS = "analytics.trend_analysis_results"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_cache() -> Iterator[RedisCache]:
    prefix = f"perf-analytics-test:{uuid.uuid4().hex}"
    cache = RedisCache.from_url(REDIS_URL, ttl_seconds=60, prefix=prefix)
    yield cache
    cache.clear()
    assert list(cache.client.scan_iter(match=f"{prefix}:*")) == []


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> ReadCache:
    if request.param == "memory":
        return MemoryCache(ttl_seconds=60)
    return request.getfixturevalue("redis_cache")


def test_lookups_count_hits_misses_and_stale_entries(cache: ReadCache):
    assert cache.lookup("k", {"a.b": 1}) is None
    cache.store("k", {"a.b": 1}, '{"x": 1}')
    assert cache.lookup("k", {"a.b": 1}) == '{"x": 1}'
    assert cache.lookup("k", {"a.b": 1}) == '{"x": 1}'
    assert cache.lookup("k", {"a.b": 2}) is None  # computed under an older generation
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.stale, stats.size) == (2, 2, 1, 1)
    assert stats.hit_ratio == 0.5
    cache.clear()
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size, stats.hit_ratio) == (0, 0, 0, None)


def test_memory_entries_expire_after_the_ttl():
    clock = FakeClock()
    cache = MemoryCache(ttl_seconds=10, clock=clock)
    cache.store("k", {}, "v")
    clock.now += 9.9
    assert cache.lookup("k", {}) == "v"
    clock.now += 0.1
    assert cache.lookup("k", {}) is None
    assert cache.stats().size == 0


def test_memory_cache_keeps_the_most_recently_used_entries():
    cache = MemoryCache(ttl_seconds=60, max_entries=2)
    cache.store("a", {}, "1")
    cache.store("b", {}, "2")
    assert cache.lookup("a", {}) == "1"  # a is now the most recent
    cache.store("c", {}, "3")
    assert (cache.lookup("a", {}), cache.lookup("b", {}), cache.lookup("c", {})) == ("1", None, "3")


def test_a_ttl_of_zero_caches_nothing():
    cache = MemoryCache(ttl_seconds=0)
    cache.store("k", {}, "v")
    assert cache.lookup("k", {}) is None and cache.stats().size == 0


def test_redis_entries_carry_the_ttl_and_expire(redis_cache: RedisCache):
    short = RedisCache(redis_cache.client, ttl_seconds=1, prefix=redis_cache.prefix)
    short.store("k", {"a.b": 3}, "v")
    assert 0 < redis_cache.client.ttl(f"{redis_cache.prefix}:entry:k") <= 1
    assert short.lookup("k", {"a.b": 3}) == "v"
    time.sleep(1.1)
    assert short.lookup("k", {"a.b": 3}) is None


def test_redis_counts_are_shared_by_every_process_using_the_prefix(redis_cache: RedisCache):
    other = RedisCache.from_url(REDIS_URL, ttl_seconds=60, prefix=redis_cache.prefix)
    redis_cache.store("k", {}, "v")
    assert other.lookup("k", {}) == "v"
    assert redis_cache.lookup("missing", {}) is None
    assert (redis_cache.stats().hits, redis_cache.stats().misses) == (1, 1)


def test_an_unreachable_redis_is_a_miss_not_an_error():
    cache = RedisCache.from_url("redis://127.0.0.1:1/0", ttl_seconds=60, prefix="nowhere")
    cache.store("k", {}, "v")
    assert cache.lookup("k", {}) is None
    stats = cache.stats()
    assert stats.backend == "redis" and stats.errors == 3


def test_build_cache_uses_redis_when_configured():
    memory = build_cache(AnalyticsSettings(REDIS_URL=None, CACHE_TTL_SECONDS=7), "warehouse")
    assert isinstance(memory, MemoryCache) and memory.stats().ttl_seconds == 7
    shared = build_cache(AnalyticsSettings(REDIS_URL=SecretStr(REDIS_URL)), "warehouse")
    assert isinstance(shared, RedisCache) and shared.prefix == "perf-analytics:warehouse"
    assert isinstance(shared.client, redis.Redis)


# --- invalidation by generations ---------------------------------------------------------------


class Answer(BaseModel):
    computed: int
    workspace: str


class Counter:
    """A read that counts its computations and returns the workspace it ran for."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, conn: psycopg.Connection) -> Answer:
        self.calls += 1
        workspace = conn.execute("select current_setting('perf.workspace_id')").fetchone()[0]
        return Answer(computed=self.calls, workspace=workspace)


def _read(url: str, cache: ReadCache, workspace: str, compute: Counter, relations=(TRENDS,)) -> Answer:
    with psycopg.connect(url, autocommit=True) as conn:
        return ReadSession(conn, workspace, cache).cached("test_read", {"p": 1}, relations, compute, Answer)


def test_a_write_through_replace_day_invalidates_what_read_the_table(database_url: str):
    cache, compute = MemoryCache(ttl_seconds=60), Counter()
    assert _read(database_url, cache, "acme", compute) == Answer(computed=1, workspace="acme")
    assert _read(database_url, cache, "acme", compute).computed == 1
    assert _read(database_url, cache, "beta", compute) == Answer(computed=2, workspace="beta")
    with connect(database_url) as conn:
        replace_day(
            conn, "performance_anomalies", dt.date(2026, 1, 1), ANOMALY_COLUMNS, []
        )  # another relation
    assert _read(database_url, cache, "acme", compute).computed == 1
    with connect(database_url) as conn:
        before = read_generations(conn, [TRENDS])[TRENDS]
        replace_day(conn, "trend_analysis_results", dt.date(2026, 1, 1), TREND_COLUMNS, [])
        assert read_generations(conn, [TRENDS])[TRENDS] > before
    assert _read(database_url, cache, "acme", compute).computed == 3
    assert _read(database_url, cache, "acme", compute).computed == 3
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.stale) == (3, 3, 1)


def test_an_uncommitted_write_does_not_invalidate(database_url: str):
    cache, compute = MemoryCache(ttl_seconds=60), Counter()
    _read(database_url, cache, "acme", compute)
    with connect(database_url) as conn:
        replace_day(conn, "trend_analysis_results", dt.date(2026, 1, 1), TREND_COLUMNS, [])
        assert _read(database_url, cache, "acme", compute).computed == 1
        conn.rollback()
    assert _read(database_url, cache, "acme", compute).computed == 1


def test_loading_a_landing_day_bumps_the_raw_tables(settings: AnalyticsSettings):
    url = settings.DATABASE_URL.get_secret_value()
    write_csv(settings.LANDING_DIR, "youtube", [snapshot("yt-1")])
    relations = ["raw.engagement_snapshots", "raw.content"]
    with connect(url) as conn:
        before = read_generations(conn, relations)
    report = load_landing_day(url, dt.date(2026, 10, 5), settings=settings, now=NOW)
    assert report.accepted == 1
    with connect(url) as conn:
        after = read_generations(conn, relations)
    assert all(after[r] > before[r] for r in relations)


# --- through the API, with a dbt re-materialisation --------------------------------------------


def _rematerialise_trending(url: str) -> dg.ExecuteInProcessResult:
    """Refresh marts.mv_trending_content through its Dagster asset (the dbt marts invocation)."""
    from dagster_dbt import DbtCliResource

    from dagster_project.config import DBT_PROJECT_DIR
    from dagster_project.defs.resources import PostgresResource
    from dagster_project.defs.warehouse.assets import warehouse_marts
    from dagster_project.warehouse.dbt import dbt_executable

    dbt = DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
    with mock.patch.dict(os.environ):  # the asset points dbt's profile at the URL through the environment
        return dg.materialize(
            [warehouse_marts],
            selection=[dg.AssetKey(["marts", "mv_trending_content"])],
            resources={"dbt": dbt, "warehouse": PostgresResource(database_url=url)},
        )


def test_api_answers_are_cached_until_their_asset_is_rematerialised(reads_warehouse: ReadsWarehouse):
    settings = reads_warehouse.settings.model_copy(update={"REDIS_URL": None, "CACHE_TTL_SECONDS": 300})
    with connect(reads_warehouse.url) as conn:
        headers = {"X-API-Key": create_api_key(conn, "acme", label="cache tests").token}
    with TestClient(create_app(settings)) as client:
        cache = client.app.state.cache
        first = client.get("/analytics/dashboard/trending", params={"limit": 3}, headers=headers)
        again = client.get("/analytics/dashboard/trending", params={"limit": 3}, headers=headers)
        assert first.json() == again.json()
        assert (cache.stats().hits, cache.stats().misses) == (1, 1)

        result = _rematerialise_trending(reads_warehouse.url)
        assert result.success

        after = client.get("/analytics/dashboard/trending", params={"limit": 3}, headers=headers)
        assert after.json() == first.json()  # same data, but recomputed
        stats = cache.stats()
        assert (stats.hits, stats.misses, stats.stale) == (1, 2, 1)
        client.get("/analytics/dashboard/trending", params={"limit": 3}, headers=headers)
        assert cache.stats().hits == 2


def test_api_processes_share_answers_through_redis(reads_warehouse: ReadsWarehouse):
    """Two apps (as two API processes) with REDIS_URL: what one computed, the other serves."""
    settings = reads_warehouse.settings.model_copy(update={"REDIS_URL": SecretStr(REDIS_URL)})
    with connect(reads_warehouse.url) as conn:
        headers = {"X-API-Key": create_api_key(conn, "acme", label="redis tests").token}
    first_app, second_app = create_app(settings), create_app(settings)
    cache = first_app.state.cache
    # keys are prefixed by the database's name (a socket URL ends in ?host=..., not in the name)
    assert isinstance(cache, RedisCache) and cache.prefix.split(":")[-1] == database_name(reads_warehouse.url)
    try:
        with TestClient(first_app) as first, TestClient(second_app) as second:
            computed = first.get("/analytics/dashboard/overview", params={"timeframe": "7d"}, headers=headers)
            served = second.get("/analytics/dashboard/overview", params={"timeframe": "7d"}, headers=headers)
        assert computed.status_code == served.status_code == 200
        assert computed.json() == served.json()
        stats = second_app.state.cache.stats()
        assert (stats.backend, stats.hits, stats.misses, stats.size) == ("redis", 1, 1, 1)
    finally:
        cache.clear()
    assert list(cache.client.scan_iter(match=f"{cache.prefix}:*")) == []
