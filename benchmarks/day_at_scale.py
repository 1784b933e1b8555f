"""A day at scale: one landing day of 1M snapshots, ingested and built, with the memory of each stage.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/day_at_scale.py [--rows 1000000] [--files 5]

Against DATABASE_URL, or the embedded server when it is unset, in a scratch database created
and dropped by the run:

1. ``generate``: ``benchmarks/ingest.py``'s canonical CSV files for one day (24 captures per
   item), written by a child process so the generator's arrays never inflate this process;
2. ``ingest``: :func:`load_landing_day` in THIS process (validation, COPY into the raw day
   partition, quarantine, content upsert), as the ingest asset runs it;
3. ``dbt reference`` / ``dbt daily`` / ``dbt marts``: the three ``dbt build`` invocations of a
   daily run (seeds and staging; the incremental models over the day's window pulled back by
   ``LATE_ARRIVAL_DAYS``, built with :func:`window_vars`; the marts, materialized views and BI
   views), each a child process started by :func:`run_dbt`, as Dagster's dbt resource does.

For every stage it prints rows, seconds, the peak RSS of this process (VmHWM, reset before
the stage through ``/proc/self/clear_refs``) and the peak RSS of the child processes it
started.  A child's peak is its own VmHWM read from ``/proc/<pid>/status`` by a polling thread
while it runs (exact up to the last poll before it exits), not ``RUSAGE_CHILDREN``: on Linux a
child's ``ru_maxrss`` keeps the high-water mark of the parent's address space it was forked
(or vforked) from, so it would report this process's peak, not dbt's.  Target: every peak
under 1 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.ingest import DAY, write_landing_day
from benchmarks.memory import current_rss_mib, peak_rss_mib, reset_peak
from dagster_project.config import AnalyticsSettings
from dagster_project.warehouse import migrate
from dagster_project.warehouse.database import (
    database_name,
    ensure_database,
    resolve_database_url,
    with_database,
)
from dagster_project.warehouse.dbt import run_dbt, window_vars

LIMIT_MIB = 1024.0
POLL_SECONDS = 0.05
REFERENCE_SELECT = "resource_type:seed path:models/staging"
DAILY_SELECT = "config.materialized:incremental"


@dataclass
class Stage:
    name: str
    rows: int
    seconds: float
    self_peak_mib: float
    self_start_mib: float = 0.0
    child_peak_mib: float | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        child = "-" if self.child_peak_mib is None else f"{self.child_peak_mib:,.0f}"
        worst = max(self.self_peak_mib, self.child_peak_mib or 0.0)
        verdict = "yes" if worst < LIMIT_MIB else "NO"
        return (
            f"{self.name:14s} {self.rows:>11,} {self.seconds:9.1f} {self.self_start_mib:10,.0f} "
            f"{self.self_peak_mib:10,.0f} {child:>10s}  {verdict}"
        )


def _vmhwm_mib(process: psutil.Process) -> float | None:
    """A live process's peak RSS: VmHWM from /proc, else its current RSS."""
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return process.memory_info().rss / 2**20
    except (OSError, psutil.Error):
        return None


class ChildPeakMonitor:
    """Polls this process's descendants and keeps the largest peak RSS any one of them reached."""

    def __init__(self, interval: float = POLL_SECONDS) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._me = psutil.Process()
        self.peaks: dict[int, tuple[str, float]] = {}

    def _poll(self) -> None:
        while True:
            for child in self._me.children(recursive=True):
                peak = _vmhwm_mib(child)
                if peak is None:
                    continue
                try:
                    name = " ".join(child.cmdline()[:2])
                except psutil.Error:
                    name = str(child.pid)
                previous = self.peaks.get(child.pid, (name, 0.0))
                self.peaks[child.pid] = (previous[0], max(previous[1], peak))
            if self._stop.wait(self._interval):
                return

    def __enter__(self) -> ChildPeakMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def max_mib(self) -> float | None:
        return max((peak for _, peak in self.peaks.values()), default=None)


@contextmanager
def measured(name: str, stages: list[Stage]) -> Iterator[Stage]:
    """Time a stage and record this process's and its children's peak RSS during it."""
    reset_ok = reset_peak()
    stage = Stage(name, rows=0, seconds=0.0, self_peak_mib=0.0, self_start_mib=current_rss_mib())
    if not reset_ok:
        stage.notes.append("peak not reset (no /proc/self/clear_refs): this process's peak since start")
    started = time.perf_counter()
    with ChildPeakMonitor() as children:
        yield stage
    stage.seconds = time.perf_counter() - started
    stage.self_peak_mib = peak_rss_mib()
    stage.child_peak_mib = children.max_mib
    stages.append(stage)


def generate_child(landing: str, rows: int, files: int) -> None:
    """Child process: write the landing day and print the row count."""
    print(json.dumps({"rows": write_landing_day(Path(landing), rows, files)}))


def dbt_build(url: str, select: list[str], start: dt.date, end: dt.date, settings: AnalyticsSettings) -> int:
    """One ``dbt build`` as a daily run does it; returns the number of nodes dbt reported."""
    extra = {
        "low_performance_threshold": settings.LOW_PERFORMANCE_THRESHOLD,
        "high_performance_threshold": settings.HIGH_PERFORMANCE_THRESHOLD,
    }
    result = run_dbt(url, ["build", *select, "--vars", window_vars(start, end, extra)])
    done = [line for line in result.stdout.splitlines() if "Done. PASS=" in line]
    return len(done)


def count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute(query).fetchone()[0])


def run(url: str, rows: int, files: int) -> list[Stage]:
    from dagster_project.ingest.loader import load_landing_day

    settings = AnalyticsSettings(DATABASE_URL=url)
    stages: list[Stage] = []
    with tempfile.TemporaryDirectory(prefix="perf-day-at-scale-") as tmp:
        landing = Path(tmp)
        with measured("generate", stages) as stage:
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--generate",
                    str(landing),
                    "--rows",
                    str(rows),
                    "--files",
                    str(files),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            stage.rows = json.loads(child.stdout.strip().splitlines()[-1])["rows"]
        size_mib = sum(p.stat().st_size for p in landing.glob("*/*/*.csv")) / 2**20
        stages[-1].notes.append(f"{files} CSV files, {size_mib:,.0f} MiB")

        with measured("ingest", stages) as stage:
            report = load_landing_day(
                url,
                DAY,
                landing_dir=landing,
                settings=AnalyticsSettings(DATABASE_URL=url, LANDING_DIR=landing),
                now=dt.datetime.combine(DAY + dt.timedelta(days=5), dt.time(), dt.UTC),
            )
            stage.rows = report.accepted
        stage.notes.append(
            f"received {report.received:,}, accepted {report.accepted:,}, rejected {report.rejected:,}, "
            f"{report.distinct_content:,} content items, chunks of {settings.INGEST_CHUNK_ROWS:,} rows"
        )

    start = DAY - dt.timedelta(days=settings.LATE_ARRIVAL_DAYS)
    end = DAY + dt.timedelta(days=1)
    everything = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    builds: list[tuple[str, list[str], tuple[dt.date, dt.date], Callable[[], int]]] = [
        ("dbt reference", ["--select", REFERENCE_SELECT], everything, lambda: 0),
        (
            "dbt daily",
            ["--select", DAILY_SELECT],
            (start, end),
            lambda: count(url, "select count(*) from marts.content_performance_history"),
        ),
        (
            "dbt marts",
            ["--exclude", f"{REFERENCE_SELECT} {DAILY_SELECT}"],
            everything,
            lambda: count(url, "select count(*) from marts.mv_platform_daily_metrics"),
        ),
    ]
    for name, select, (first, last), rows_of in builds:
        with measured(name, stages) as stage:
            dbt_build(url, select, first, last, settings)
        stage.rows = rows_of()
    stages[-3].notes.append("seeds and staging views")
    stages[-2].notes.append(f"window {start} .. {DAY} (late-arrival lookback); rows: history rows")
    stages[-1].notes.append("rows: platform x day rows of the dashboard materialized view")
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--generate", metavar="LANDING", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate_child(args.generate, args.rows, args.files)
        return

    server = resolve_database_url(AnalyticsSettings())
    url = with_database(server, f"perf_bench_day_{int(time.time())}")
    ensure_database(url)
    where = "embedded server" if "host=/" in server else "DATABASE_URL"
    print(f"server: {where}; scratch database {database_name(url)}")
    print(f"this process after imports: {current_rss_mib():,.0f} MiB RSS")
    try:
        migrate.upgrade(url)
        stages = run(url, args.rows, args.files)
    finally:
        with psycopg.connect(with_database(server, "postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database_name(url)))
            )

    print("\nMiB: this process's RSS when the stage starts and its peak during it; the largest child's peak")
    header = ("rows", 11), ("seconds", 9), ("self start", 10), ("self peak", 10), ("child peak", 10)
    print(f"{'stage':14s} " + " ".join(f"{c:>{w}s}" for c, w in header) + "  < 1 GiB")
    for stage in stages:
        print(stage.line())
    for stage in stages:
        for note in stage.notes:
            print(f"  {stage.name}: {note}")
    ingest_and_build = [s for s in stages if s.name != "generate"]
    worst_self = max(s.self_peak_mib for s in ingest_and_build)
    worst_child = max((s.child_peak_mib or 0.0) for s in ingest_and_build)
    total = sum(s.seconds for s in ingest_and_build)
    print(
        f"\ningest + build: {total:.1f}s; peak RSS of this process {worst_self:,.0f} MiB, "
        f"of a dbt child {worst_child:,.0f} MiB (limit {LIMIT_MIB:,.0f} MiB): "
        f"{'within' if max(worst_self, worst_child) < LIMIT_MIB else 'OVER'} 1 GiB"
    )


if __name__ == "__main__":
    main()
