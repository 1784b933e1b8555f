"""Loopback load test of the REST API: p50/p95 latency and errors for overview, trending and track.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/api_load.py [--items 300 --days 30] [--clients 8] [--requests 400]
    .venv/bin/python benchmarks/api_load.py --configured   # the warehouse DATABASE_URL names, as built

By default a demo-sized scratch warehouse is built (synthetic items, every landing day loaded,
``dbt build``) and dropped afterwards. The API runs under uvicorn in a subprocess on a free
loopback port, twice: with the read cache (CACHE_TTL_SECONDS=300) and without (0), so the
cached and the uncached cost are both measured. ``--clients`` concurrent httpx clients send
``--requests`` requests per endpoint in total; an error is a transport failure or a status other
than the one expected. Track writes ``load-*`` items into the workspace (``default``), also in a
configured warehouse. It also times, on one connection, the two queries every cached read runs
(the caller's key and the generations of the relations it reads) against the uncached overview.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.loader import load_landing_day
from dagster_project.serving import reads
from dagster_project.serving.auth import create_api_key, revoke_api_key, verify_api_key
from dagster_project.serving.deps import workspace_scope
from dagster_project.serving.models_reads import Timeframe
from dagster_project.serving.queries_dashboard import dashboard_overview
from dagster_project.synthetic import SyntheticSpec, generate
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import (
    database_name,
    ensure_database,
    resolve_database_url,
    with_database,
)
from dagster_project.warehouse.dbt import run_dbt
from dagster_project.warehouse.generations import read_generations

WORKSPACE = "default"
END = dt.date.today() - dt.timedelta(days=1)
TIMEFRAMES = ("7d", "30d", "90d", "1y")


# --- the warehouse -----------------------------------------------------------------------------


def build_warehouse(server: str, items: int, days: int) -> str:
    url = with_database(server, f"perf_bench_api_{int(time.time())}")
    ensure_database(url)
    migrate.upgrade(url)
    with tempfile.TemporaryDirectory(prefix="perf-bench-api-") as tmp:
        landing = Path(tmp)
        generate(landing, SyntheticSpec(items=items, days=days, end_date=END, seed=7, workspace_id=WORKSPACE))
        settings = AnalyticsSettings(DATABASE_URL=url, LANDING_DIR=landing)
        now = dt.datetime.combine(END + dt.timedelta(days=1), dt.time(12), dt.UTC)
        for offset in range(days - 1, -1, -1):
            load_landing_day(url, END - dt.timedelta(days=offset), settings=settings, now=now)
    run_dbt(url, ["build", "--exclude-resource-type", "test"])
    return url


def drop(server: str, url: str) -> None:
    with psycopg.connect(with_database(server, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database_name(url)))
        )


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def start_server(database_url: str, ttl_seconds: int) -> Server:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "CACHE_TTL_SECONDS": str(ttl_seconds)}
    env.pop("REDIS_URL", None)
    command = [
        sys.executable, "-m", "uvicorn", "dagster_project.serving.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("the API did not start within 60 s")


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    request: Callable[[int], tuple[str, str, dict | None]]  # i -> (method, path, json body)
    expected: int = 200


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def track_request(run: str) -> Callable[[int], tuple[str, str, dict | None]]:
    def request(i: int) -> tuple[str, str, dict | None]:
        captured = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
        body = {
            "content_id": f"load-{run}-{i}",
            "platform": "youtube",
            "metrics": {"views": 100 + i, "likes": i},
        }
        return "POST", "/analytics/engagement/track", {**body, "captured_at": captured}

    return request


SCENARIOS = {
    "overview": Scenario(
        "overview", lambda i: ("GET", f"/analytics/dashboard/overview?timeframe={TIMEFRAMES[i % 4]}", None)
    ),
    "trending": Scenario(
        "trending", lambda i: ("GET", f"/analytics/dashboard/trending?limit=20&offset={20 * (i % 5)}", None)
    ),
}


async def run_load(base: str, token: str, scenario: Scenario, clients: int, requests: int) -> Result:
    result = Result()
    counter = itertools.count()

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": token}, timeout=30) as http:
            while (i := next(counter)) < requests:
                method, path, body = scenario.request(i)
                started = time.perf_counter()
                try:
                    response = await http.request(method, path, json=body)
                    ok = response.status_code == scenario.expected
                except httpx.HTTPError:
                    ok = False
                result.latencies.append(time.perf_counter() - started)
                result.errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


# --- the per-request overhead of a cached read -------------------------------------------------


def median_ms(action: Callable[[], object], repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def query_costs(url: str, token: str) -> dict[str, float]:
    with psycopg.connect(url, autocommit=True) as conn:

        def overview() -> None:
            with workspace_scope(conn, WORKSPACE):
                dashboard_overview(conn, WORKSPACE, Timeframe.D30)

        return {
            "API key check": median_ms(lambda: verify_api_key(conn, token), 500),
            "generations of the overview's relations": median_ms(
                lambda: read_generations(conn, reads.OVERVIEW_READS), 500
            ),
            "overview queries (uncached, 30d)": median_ms(overview, 30),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint and server")
    parser.add_argument("--configured", action="store_true", help="use the configured, built warehouse")
    args = parser.parse_args()
    server_url = resolve_database_url(AnalyticsSettings())
    started = time.perf_counter()
    url = server_url if args.configured else build_warehouse(server_url, args.items, args.days)
    kind = "configured" if args.configured else "scratch"
    print(f"{kind} warehouse ready in {time.perf_counter() - started:.0f} s")
    try:
        with psycopg.connect(url) as conn:
            issued = create_api_key(conn, WORKSPACE, label="api_load benchmark")
            history = conn.execute("select count(*) from marts.content_performance_history").fetchone()[0]
        print(f"{history:,} history rows; {args.clients} clients, {args.requests} requests per endpoint\n")
        header = ("endpoint", "cache", "requests", "errors", "p50 ms", "p95 ms", "req/s")
        print("{:10s} {:6s} {:>8s} {:>6s} {:>8s} {:>8s} {:>7s}".format(*header))
        for ttl, label in ((300, "on"), (0, "off")):
            server = start_server(url, ttl)
            try:
                scenarios = list(SCENARIOS.values())
                if ttl:  # tracking writes and is never cached: measured once
                    scenarios.append(Scenario("track", track_request(str(time.time_ns())), 201))
                for scenario in scenarios:
                    result = asyncio.run(
                        run_load(server.url, issued.token, scenario, args.clients, args.requests)
                    )
                    print(
                        f"{scenario.name:10s} {label:6s} {len(result.latencies):8d} {result.errors:6d} "
                        f"{result.quantile(0.5):8.1f} {result.quantile(0.95):8.1f} "
                        f"{len(result.latencies) / result.seconds:7.0f}"
                    )
            finally:
                server.stop()
        print("\nper-request queries (one connection, median):")
        for name, ms in query_costs(url, issued.token).items():
            print(f"  {name:42s} {ms:7.2f} ms")
    finally:
        if args.configured:
            with psycopg.connect(url) as conn:
                revoke_api_key(conn, issued.caller.key_id)
        else:
            drop(server_url, url)


if __name__ == "__main__":
    main()
