"""Writing small landing files for tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from dagster_project.ingest.schema import SNAPSHOT_COLUMNS

DAY = dt.date(2026, 10, 5)
NOW = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)


def snapshot(content_id: str = "yt-1", **values: object) -> dict[str, object]:
    record: dict[str, object] = {
        "content_id": content_id,
        "platform": "youtube",
        "captured_at": "2026-10-05T06:00:00+00:00",
        "views": 100,
        "likes": 5,
        "comments": 1,
    }
    record.update(values)
    return record


def write_csv(
    landing: Path,
    platform: str,
    rows: Sequence[Mapping[str, object]],
    name: str = "a.csv",
    day: dt.date = DAY,
) -> Path:
    path = landing / platform / day.isoformat() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SNAPSHOT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_jsonl(
    landing: Path, platform: str, lines: Sequence[str | bytes], name: str = "b.jsonl", day: dt.date = DAY
) -> Path:
    path = landing / platform / day.isoformat() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
    path.write_bytes(data)
    return path
