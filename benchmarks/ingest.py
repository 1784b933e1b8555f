"""Ingestion benchmark: 1M snapshots from landing files vs a plain COPY of the same rows.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--files 5]

Writes one landing day of canonical CSV files, then in the same run and the same scratch
database measures (1) a plain ``COPY`` of those files into an unindexed table with the same
typed columns, and (2) ``load_landing_day`` (validation + COPY into the partitioned,
primary-keyed raw table + quarantine + content upsert) in a child process whose peak RSS is
reported.  Prints rows/s, the ratio ingest/COPY and peak RSS.  Targets: ratio >= 0.5 and
peak RSS < 1 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dagster_project.config import AnalyticsSettings
from dagster_project.ingest.schema import SNAPSHOT_COLUMNS
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import (
    database_name,
    ensure_database,
    resolve_database_url,
    with_database,
)

DAY = dt.date(2026, 6, 15)
PLATFORMS = ("youtube", "tiktok", "instagram", "linkedin", "twitter")


def write_landing_day(landing: Path, rows: int, files: int, seed: int = 1) -> int:
    """Canonical CSV files for one day: ``rows`` snapshots spread over ``files`` files."""
    rng = np.random.default_rng(seed)
    per_file = rows // files
    written = 0
    start = int(dt.datetime.combine(DAY, dt.time(), dt.UTC).timestamp())
    for index in range(files):
        platform = PLATFORMS[index % len(PLATFORMS)]
        n = per_file if index < files - 1 else rows - written
        snapshots_per_item = 24
        items = np.arange(n) // snapshots_per_item
        minute = (np.arange(n) % snapshots_per_item) * 60 + rng.integers(0, 59, n)
        captured = np.datetime_as_string((start + minute * 60).astype("datetime64[s]"), unit="s")
        views = rng.integers(0, 5_000_000, n)
        columns = {name: np.full(n, "", dtype=object) for name in SNAPSHOT_COLUMNS}
        columns["workspace_id"] = np.full(n, "default")
        columns["content_id"] = np.char.add(f"{platform[:2]}-{index}-", items.astype(str))
        columns["platform"] = np.full(n, platform)
        columns["captured_at"] = np.char.add(captured, "+00:00")
        columns["views"] = views.astype(str)
        columns["likes"] = (views // 20).astype(str)
        columns["comments"] = (views // 400).astype(str)
        columns["shares"] = (views // 900).astype(str)
        columns["watch_time_seconds"] = (views * 31).astype(str)
        first = (np.arange(n) % snapshots_per_item) == 0
        columns["title"] = np.where(first, np.char.add("Video number ", items.astype(str)), "")
        columns["published_at"] = np.where(first, "2026-06-01T10:00:00+00:00", "")
        path = landing / platform / DAY.isoformat() / f"bench-{index}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            handle.write(",".join(SNAPSHOT_COLUMNS) + "\n")
            for start_row in range(0, n, 50_000):
                block = [columns[name][start_row : start_row + 50_000].tolist() for name in SNAPSHOT_COLUMNS]
                handle.write("\n".join(",".join(map(str, row)) for row in zip(*block, strict=True)) + "\n")
        written += n
    return written


def plain_copy_seconds(url: str, landing: Path, *, with_raw_key: bool = False) -> float:
    """COPY the landing files as they are into an unindexed table with the same typed columns.

    ``with_raw_key`` adds the raw table's primary key: the server-side floor of any loader
    that keeps that key (no validation, no partition routing).
    """
    with psycopg.connect(url) as conn:
        conn.execute("drop table if exists bench_plain_copy")
        conn.execute(
            """
            create table bench_plain_copy (
                workspace_id text, content_id text, platform text, captured_at timestamptz,
                views bigint, likes bigint, comments bigint, shares bigint, saves bigint,
                watch_time_seconds bigint, impressions bigint, reach bigint, engagement_rate float8,
                title text, description text, published_at timestamptz, duration_seconds int,
                category text, tags text, language text, creator_id text, creator_name text,
                creator_timezone text, format text
            )
            """
        )
        if with_raw_key:
            conn.execute(
                "alter table bench_plain_copy add primary key "
                "(workspace_id, platform, content_id, captured_at)"
            )
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for path in sorted(landing.glob("*/*/*.csv")):
                statement = "copy bench_plain_copy from stdin (format csv, header true)"
                with cursor.copy(statement) as copy, path.open("rb") as handle:
                    while block := handle.read(8 << 20):
                        copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("drop table bench_plain_copy")
        conn.commit()
    return seconds


def ingest_child(url: str, landing: str) -> None:
    """Child process: run the real ingestion and report seconds and peak RSS as JSON."""
    from dagster_project.ingest.loader import load_landing_day

    settings = AnalyticsSettings(DATABASE_URL=url, LANDING_DIR=Path(landing))
    started = time.perf_counter()
    report = load_landing_day(url, DAY, settings=settings, now=dt.datetime(2026, 6, 20, tzinfo=dt.UTC))
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and would include the parent.
    status = Path("/proc/self/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_kb / 1024,
                "accepted": report.accepted,
                "rejected": report.rejected,
                "received": report.received,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("URL", "LANDING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        ingest_child(*args.child)
        return

    server = resolve_database_url(AnalyticsSettings())
    url = with_database(server, f"perf_bench_{int(time.time())}")
    ensure_database(url)
    try:
        migrate.upgrade(url)
        with tempfile.TemporaryDirectory(prefix="perf-bench-") as tmp:
            landing = Path(tmp)
            started = time.perf_counter()
            rows = write_landing_day(landing, args.rows, args.files)
            size_mb = sum(p.stat().st_size for p in landing.glob("*/*/*.csv")) / 2**20
            print(
                f"landing day: {rows:,} rows in {args.files} CSV files, {size_mb:,.0f} MB "
                f"(written in {time.perf_counter() - started:.1f}s)"
            )
            copy_seconds = plain_copy_seconds(url, landing)
            keyed_seconds = plain_copy_seconds(url, landing, with_raw_key=True)
            child = subprocess.run(
                [sys.executable, __file__, "--child", url, str(landing)],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(with_database(server, "postgres"), autocommit=True) as admin:
            admin.execute(
                psycopg.sql.SQL("drop database if exists {} with (force)").format(
                    psycopg.sql.Identifier(database_name(url))
                )
            )

    copy_rate = rows / copy_seconds
    ingest_rate = result["received"] / result["seconds"]
    print(f"plain COPY (unindexed table):   {copy_seconds:6.2f}s  {copy_rate:,.0f} rows/s")
    print(
        f"ingest (validate + COPY + PK):  {result['seconds']:6.2f}s  {ingest_rate:,.0f} rows/s  "
        f"({result['accepted']:,} accepted, {result['rejected']:,} rejected)"
    )
    print(f"ratio ingest/COPY: {ingest_rate / copy_rate:.2f}  (target >= 0.5)")
    print(
        f"server-side floor: plain COPY into a table with the raw primary key takes {keyed_seconds:.2f}s, "
        f"ratio {copy_seconds / keyed_seconds:.2f} before any validation or partition routing"
    )
    print(f"peak RSS of the ingesting process: {result['peak_rss_mb']:,.0f} MB  (target < 1024 MB)")


if __name__ == "__main__":
    main()
