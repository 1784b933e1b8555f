"""What arrived in the landing zone since the last look: a fingerprint per landing day.

A day's fingerprint hashes the relative name, size and modification time of each of its files,
so a new file, a replaced file or a removed file changes it. Comparing two snapshots of the
fingerprints tells which days need ingesting again; because a day's deltas feed the next day's
(each day's views are compared with the previous day's), the days from the earliest changed one
to the latest known one are rebuilt together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster_project.ingest.landing import landing_days, landing_files

Fingerprints = dict[str, str]  # ISO day -> hex digest


def day_fingerprint(landing_dir: Path, day: dt.date) -> str | None:
    """Digest of a landing day's files (None when the day has none)."""
    files = landing_files(landing_dir, day)
    if not files:
        return None
    digest = hashlib.sha256()
    for file in files:
        stat = file.path.stat()
        digest.update(f"{file.relative_name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def fingerprints(landing_dir: Path, first_day: dt.date, last_day: dt.date) -> Fingerprints:
    """Fingerprints of the landing days in [first_day, last_day] that have files."""
    found: Fingerprints = {}
    for day in landing_days(landing_dir):
        if first_day <= day <= last_day:
            digest = day_fingerprint(landing_dir, day)
            if digest is not None:
                found[day.isoformat()] = digest
    return found


@dataclass(frozen=True)
class Arrivals:
    """Days whose files are new or changed since ``previous``, and the range to rebuild."""

    changed: tuple[dt.date, ...]
    rebuild_start: dt.date | None
    rebuild_end: dt.date | None

    @property
    def any(self) -> bool:
        return bool(self.changed)


def compare(previous: Mapping[str, str], current: Mapping[str, str]) -> Arrivals:
    """Changed days (new, modified or emptied) and the range from the earliest of them to the
    latest day known in either snapshot."""
    changed = sorted(
        dt.date.fromisoformat(day)
        for day in set(previous) | set(current)
        if previous.get(day) != current.get(day)
    )
    if not changed:
        return Arrivals((), None, None)
    latest = max(dt.date.fromisoformat(day) for day in set(previous) | set(current))
    return Arrivals(tuple(changed), changed[0], latest)
