"""Synthetic landing-data generator: determinism, layout, planted truth. Pure, no database."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import itertools
import json
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dagster_project.analytics_io.experiments import read_declarations, write_declarations
from dagster_project.ingest.schema import (
    COUNTER_FIELDS,
    METADATA_FIELDS,
    PLATFORMS,
    SNAPSHOT_COLUMNS,
)
from dagster_project.synthetic import (
    DIRTY_KINDS,
    GROUND_TRUTH_FILENAME,
    SyntheticSpec,
    experiment_declarations,
    generate,
)

SMALL = SyntheticSpec(items=40, days=10, seed=7)
LARGE = SyntheticSpec(items=400, days=20, seed=11)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*/*") if p.suffix in (".csv", ".jsonl"))


def _read_lines(root: Path) -> list[dict[str, Any]]:
    """Every data line of every landing file: file, line number, raw text, flat record."""
    out = []
    for path in _data_files(root):
        rel = path.relative_to(root).as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        if path.suffix == ".csv":
            for line_no, fields in enumerate(csv.reader(lines), start=1):
                if line_no == 1:
                    continue
                record = dict(zip(SNAPSHOT_COLUMNS, fields, strict=True))
                out.append({"file": rel, "line": line_no, "raw": lines[line_no - 1], "rec": record})
        else:
            for line_no, text in enumerate(lines, start=1):
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError:
                    out.append({"file": rel, "line": line_no, "raw": text, "rec": None})
                    continue
                flat = {k: v for k, v in obj.items() if k not in ("metrics", "metadata")}
                flat.update(obj.get("metrics", {}))
                flat.update(obj.get("metadata", {}))
                record = {c: flat.get(c) for c in SNAPSHOT_COLUMNS}
                record = {k: "" if v is None else v for k, v in record.items()}
                if isinstance(record["tags"], list):
                    record["tags"] = "|".join(record["tags"])
                out.append({"file": rel, "line": line_no, "raw": text, "rec": record})
    return out


def _parse_ts(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _violations(entry: dict[str, Any], published: dict[str, dt.datetime], seen: set) -> list[str]:
    """The validation rules a landing line breaks (an independent re-implementation)."""
    key = (entry["file"], entry["raw"])
    duplicate = key in seen
    seen.add(key)
    rec = entry["rec"]
    if rec is None:
        return ["malformed_json"]
    found = []
    if duplicate:
        found.append("duplicate_row")
    if not rec["content_id"]:
        found.append("missing_content_id")
    if rec["platform"] not in PLATFORMS:
        found.append("unknown_platform")
    for name in COUNTER_FIELDS:
        value = rec[name]
        if value == "":
            continue
        if isinstance(value, int) or str(value).lstrip("-").isdigit():
            if int(value) < 0:
                found.append("negative_counter")
        else:
            found.append("non_numeric_counter")
    captured = _parse_ts(rec["captured_at"])
    if captured is None:
        found.append("unparseable_captured_at")
    else:
        folder = dt.date.fromisoformat(entry["file"].split("/")[1])
        if captured.date() > folder + dt.timedelta(days=1):
            found.append("future_captured_at")
        own = _parse_ts(rec["published_at"]) if rec.get("published_at") else None
        pub = own or published.get(rec["content_id"])
        if pub is not None and captured < pub:
            found.append("captured_before_published")
    return found


def _clean_records(
    lines: list[dict[str, Any]], truth: dict[str, Any]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    dirty = {(d["file"], d["line"]) for d in truth["dirty"]["rows"]}
    return [(e, e["rec"]) for e in lines if (e["file"], e["line"]) not in dirty]


def _as_int(value: Any) -> int | None:
    return None if value == "" else int(value)


def _series(clean: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, list[dict]]:
    """content_id -> clean records sorted by captured_at."""
    by_item: dict[str, list[dict]] = defaultdict(list)
    for _, rec in clean:
        by_item[rec["content_id"]].append(rec)
    for recs in by_item.values():
        recs.sort(key=lambda r: _parse_ts(r["captured_at"]))
    return by_item


def _daily_views(recs: list[dict]) -> dict[dt.date, int]:
    """Last lifetime views per UTC capture day."""
    out: dict[dt.date, int] = {}
    for rec in recs:
        out[_parse_ts(rec["captured_at"]).date()] = int(rec["views"])
    return out


# ----------------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, Any]]:
    root = tmp_path_factory.mktemp("small")
    summary = generate(root, SMALL)
    truth = json.loads((root / GROUND_TRUTH_FILENAME).read_text())
    return root, summary, truth


@pytest.fixture(scope="module")
def small_lines(small: tuple[Path, Any, dict[str, Any]]) -> list[dict[str, Any]]:
    return _read_lines(small[0])


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[dict]]:
    root = tmp_path_factory.mktemp("large")
    generate(root, LARGE)
    truth = json.loads((root / GROUND_TRUTH_FILENAME).read_text())
    return root, truth, _read_lines(root)


# ----------------------------------------------------------------------------------------------
# tests
# ----------------------------------------------------------------------------------------------


def test_same_spec_gives_byte_identical_files(tmp_path: Path) -> None:
    first = _hashes(_gen(tmp_path / "a", SMALL))
    second = _hashes(_gen(tmp_path / "b", SMALL))
    other = _hashes(_gen(tmp_path / "c", SyntheticSpec(items=40, days=10, seed=8)))
    assert len(first) > 10
    assert first == second
    assert set(first) & set(other)
    assert first != other
    shared = set(first) & set(other)
    assert any(first[name] != other[name] for name in shared)


def _gen(root: Path, spec: SyntheticSpec) -> Path:
    generate(root, spec)
    return root


def test_layout_headers_and_summary(small: tuple[Path, Any, dict[str, Any]]) -> None:
    root, summary, truth = small
    assert summary.ground_truth_path == root / GROUND_TRUTH_FILENAME
    assert summary.items == SMALL.items and summary.days == SMALL.days
    files = _data_files(root)
    assert len(files) == summary.files == len(truth["files"])
    assert {p.suffix for p in files} == {".csv", ".jsonl"}
    assert {p.relative_to(root).parts[0] for p in files} == set(PLATFORMS)
    window = {SMALL.start_date + dt.timedelta(days=d) for d in range(SMALL.days)}
    for path in files:
        platform, day, name = path.relative_to(root).parts
        assert platform in PLATFORMS
        assert dt.date.fromisoformat(day) in window
        assert name.startswith(platform)
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as fh:
                assert tuple(next(csv.reader(fh))) == SNAPSHOT_COLUMNS
    # every top-level entry besides the platform folders is the ground truth
    assert sorted(p.name for p in root.iterdir()) == sorted([*PLATFORMS, GROUND_TRUTH_FILENAME])
    total = sum(summary.rows_by_platform.values())
    assert total == summary.rows == truth["totals"]["rows"]
    written = sum(len(p.read_text().splitlines()) - (p.suffix == ".csv") for p in files)
    assert written == summary.rows
    assert len(truth["items"]) == SMALL.items
    ids = [item["content_id"] for item in truth["items"]]
    assert len(set(ids)) == len(ids)
    assert all(cid[:2] in {"yt", "tt", "ig", "li", "tw"} and cid[3:].isdigit() for cid in ids)


def test_records_are_canonical_and_metadata_on_first_row(
    small: tuple[Path, Any, dict[str, Any]], small_lines: list[dict[str, Any]]
) -> None:
    _, _, truth = small
    items = {item["content_id"]: item for item in truth["items"]}
    clean = _clean_records(small_lines, truth)
    first_in_file: set[tuple[str, str]] = set()
    for entry, rec in clean:
        platform = entry["file"].split("/")[0]
        assert rec["platform"] == platform
        assert rec["workspace_id"] == SMALL.workspace_id
        assert rec["captured_at"].endswith("+00:00")
        item = items[rec["content_id"]]
        assert item["platform"] == platform
        assert _parse_ts(rec["captured_at"]) > _parse_ts(item["published_at"])
        assert rec["views"] != ""
        key = (entry["file"], rec["content_id"])
        if key not in first_in_file:
            first_in_file.add(key)
            assert rec["title"] == item["title"]
            assert rec["published_at"] == item["published_at"]
            assert rec["creator_timezone"] == item["creator_timezone"]
            assert all(rec[f] != "" for f in ("title", "published_at", "creator_id", "format"))
    assert {rec["content_id"] for _, rec in clean} == set(items)
    creators = {(i["creator_id"], i["platform"]) for i in truth["items"]}
    assert len({c for c, _ in creators}) == len(creators)  # one platform per creator
    assert all("/" in c["timezone"] for c in truth["creators"])


def test_dirty_rows_match_ground_truth(
    small: tuple[Path, Any, dict[str, Any]], small_lines: list[dict[str, Any]]
) -> None:
    _, summary, truth = small
    published = {i["content_id"]: _parse_ts(i["published_at"]) for i in truth["items"]}
    seen: set = set()
    found: dict[tuple[str, int], list[str]] = {}
    for entry in small_lines:
        rules = _violations(entry, published, seen)
        if rules:
            found[(entry["file"], entry["line"])] = rules
    assert all(len(rules) == 1 for rules in found.values()), found
    recorded = {(d["file"], d["line"]): d["kind"] for d in truth["dirty"]["rows"]}
    assert {k: v[0] for k, v in found.items()} == recorded
    counts = {kind: 0 for kind in DIRTY_KINDS}
    for kind in recorded.values():
        counts[kind] += 1
    assert counts == truth["dirty"]["counts"]
    assert all(n >= 1 for n in counts.values())  # every kind is exercised
    assert summary.dirty_rows == len(recorded) == truth["dirty"]["total"]
    assert any(f.endswith(".jsonl") for f, _ in recorded)
    assert any(f.endswith(".csv") for f, _ in recorded)


def test_dirty_fraction_is_respected(tmp_path: Path) -> None:
    spec = SyntheticSpec(items=120, days=30, seed=3, dirty_fraction=0.01)
    summary = generate(tmp_path, spec)
    assert summary.dirty_rows == pytest.approx(0.01 * summary.rows, rel=0.05)
    clean_root = tmp_path / "clean"
    clean = generate(clean_root, SyntheticSpec(items=120, days=30, seed=3, dirty_fraction=0))
    assert clean.dirty_rows == 0
    truth = json.loads((clean_root / GROUND_TRUTH_FILENAME).read_text())
    assert truth["dirty"]["rows"] == []


def test_counters_monotone_except_recorded_decreases(
    small: tuple[Path, Any, dict[str, Any]], small_lines: list[dict[str, Any]]
) -> None:
    _, _, truth = small
    series = _series(_clean_records(small_lines, truth))
    planned = {(d["content_id"], d["captured_at"], d["counter"]): d for d in truth["counter_decreases"]}
    assert planned
    observed = set()
    for cid, recs in series.items():
        for prev, cur in itertools.pairwise(recs):
            for name in COUNTER_FIELDS:
                a, b = _as_int(prev[name]), _as_int(cur[name])
                if a is None or b is None or b >= a:
                    continue
                key = (cid, cur["captured_at"], name)
                assert key in planned, f"unplanned decrease {key}: {a} -> {b}"
                assert planned[key]["before"] == a and planned[key]["after"] == b
                observed.add(key)
    assert observed == set(planned)


def test_late_snapshots_land_in_next_day_folder(
    small: tuple[Path, Any, dict[str, Any]], small_lines: list[dict[str, Any]]
) -> None:
    _, summary, truth = small
    late = truth["late_snapshots"]
    assert late["count"] == len(late["rows"]) == summary.late_snapshots > 0
    by_pos = {(e["file"], e["line"]): e["rec"] for e in small_lines}
    for row in late["rows"]:
        rec = by_pos[(row["file"], row["line"])]
        assert rec["content_id"] == row["content_id"]
        captured = _parse_ts(rec["captured_at"])
        folder = dt.date.fromisoformat(row["file"].split("/")[1])
        assert captured.date() == folder - dt.timedelta(days=1)
    # and no other clean row is filed under a day other than its capture day
    off_day = [
        (e["file"], e["line"])
        for e, rec in _clean_records(small_lines, truth)
        if _parse_ts(rec["captured_at"]).date().isoformat() != e["file"].split("/")[1]
    ]
    assert sorted(off_day) == sorted((r["file"], r["line"]) for r in late["rows"])


def test_ground_truth_structure(small: tuple[Path, Any, dict[str, Any]]) -> None:
    _, _, truth = small
    for key in (
        "spec",
        "items",
        "effects",
        "anomalies",
        "level_shifts",
        "trend_changes",
        "counter_decreases",
        "experiments",
        "late_snapshots",
        "dirty",
    ):
        assert key in truth
    assert truth["spec"]["items"] == SMALL.items
    assert truth["spec"]["end_date"] == SMALL.end_date.isoformat()
    experiments = truth["experiments"]
    assert any(e["is_aa"] and e["true_lift"] == 0 for e in experiments)
    assert any(e["true_lift"] != 0 for e in experiments)
    items = {i["content_id"]: i for i in truth["items"]}
    for exp in experiments:
        assert len(exp["variants"]["A"]) == len(exp["variants"]["B"]) >= 1
        for a, b in zip(exp["variants"]["A"], exp["variants"]["B"], strict=True):
            assert items[a]["platform"] == items[b]["platform"] == exp["platform"]
            assert items[a]["features"] == items[b]["features"]
            assert items[b]["experiment_id"] == exp["experiment_id"]
        assert exp["start_date"] <= exp["end_date"]
    events = truth["anomalies"] + truth["level_shifts"] + truth["trend_changes"]
    assert {e["kind"] for e in events} >= {"level_shift", "trend_change"}
    assert {e["kind"] for e in truth["anomalies"]} <= {"spike", "drop"}
    for event in events:
        assert items[event["content_id"]]["platform"] == event["platform"]
        assert SMALL.start_date.isoformat() <= event["date"] <= SMALL.end_date.isoformat()
        assert event["size"] != 0
    assert truth["effects"]["question_in_title"]["factor"] > 1
    assert truth["effects"]["title_over_60_chars"]["factor"] < 1


def test_anomalies_visible_in_daily_deltas(large: tuple[Path, dict[str, Any], list]) -> None:
    _, truth, lines = large
    series = _series(_clean_records(lines, truth))
    anomalies = truth["anomalies"]
    assert len(anomalies) >= 10
    for event in anomalies:
        daily = _daily_views(series[event["content_id"]])
        d = dt.date.fromisoformat(event["date"])
        one = dt.timedelta(days=1)
        deltas = [daily[d - one] - daily[d - 2 * one], daily[d] - daily[d - one]]
        deltas.append(daily[d + one] - daily[d])
        ratio = deltas[1] / math.sqrt(max(deltas[0], 1) * max(deltas[2], 1))
        if event["kind"] == "spike":
            assert ratio > 1.8, event
        else:
            assert ratio < 0.55, event


def test_ab_experiment_lift_recoverable(large: tuple[Path, dict[str, Any], list]) -> None:
    _, truth, lines = large
    series = _series(_clean_records(lines, truth))
    final = {cid: int(recs[-1]["views"]) for cid, recs in series.items()}
    checked = 0
    for exp in truth["experiments"]:
        if exp["primary_metric"] != "views":
            continue
        ratios = [
            final[b] / final[a] for a, b in zip(exp["variants"]["A"], exp["variants"]["B"], strict=True)
        ]
        assert statistics.median(ratios) == pytest.approx(1 + exp["true_lift"], abs=0.08)
        checked += 1
    assert checked >= 2


def test_planted_effects_visible_in_data(large: tuple[Path, dict[str, Any], list]) -> None:
    _, truth, lines = large
    series = _series(_clean_records(lines, truth))
    end = dt.datetime.combine(LARGE.end_date, dt.time(23, 59), tzinfo=dt.UTC)
    meta: dict[str, dict] = {}
    for recs in series.values():
        for rec in recs:
            if rec["title"]:
                meta[rec["content_id"]] = rec
    rows = []
    for cid, recs in series.items():
        if end - _parse_ts(meta[cid]["published_at"]) < dt.timedelta(days=4):
            continue
        logv = math.log(max(int(recs[-1]["views"]), 1))
        rows.append((cid, logv, meta[cid]["title"], meta[cid]["creator_id"]))
    assert len(rows) > 200
    # remove the creator (and so platform) level, compare the residual views
    by_creator: dict[str, list[float]] = defaultdict(list)
    for _, logv, _, c in rows:
        by_creator[c].append(logv)
    mean = {c: statistics.fmean(v) for c, v in by_creator.items()}
    resid = [(logv - mean[c], title) for _, logv, title, c in rows]
    with_q = [r for r, t in resid if "?" in t]
    without_q = [r for r, t in resid if "?" not in t]
    assert statistics.median(with_q) > statistics.median(without_q)
    long_t = [r for r, t in resid if len(t) > 60]
    short_t = [r for r, t in resid if len(t) <= 60]
    assert statistics.median(long_t) < statistics.median(short_t)

    # a small regression recovers sign and rough magnitude of the planted title effects
    creators = sorted(mean)
    x = np.array(
        [
            [
                "?" in title,
                any(ch.isdigit() for ch in title),
                len(title) > 60,
                *(c == k for k in creators),
            ]
            for _, _, title, c in rows
        ],
        dtype=float,
    )
    y = np.array([logv for _, logv, _, _ in rows])
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    effects = truth["effects"]
    for j, name in enumerate(("question_in_title", "number_in_title", "title_over_60_chars")):
        true = math.log(effects[name]["factor"])
        assert math.copysign(1, coef[j]) == math.copysign(1, true), name
        assert coef[j] == pytest.approx(true, abs=0.2), name


def test_metadata_fields_cover_schema(small_lines: list[dict[str, Any]]) -> None:
    with_meta = [e["rec"] for e in small_lines if e["rec"] and e["rec"]["title"]]
    assert with_meta
    filled = {f for rec in with_meta for f in METADATA_FIELDS if rec[f] != ""}
    assert filled == set(METADATA_FIELDS)


def test_default_spec_is_fast(tmp_path: Path) -> None:
    import time

    started = time.perf_counter()
    summary = generate(tmp_path, SyntheticSpec())
    elapsed = time.perf_counter() - started
    assert summary.items == 500 and summary.days == 60
    assert summary.files_by_format["csv"] > 0 and summary.files_by_format["jsonl"] > 0
    assert elapsed < 10


def test_planted_experiments_become_declarations_the_analyses_accept(
    large: tuple[Path, dict[str, Any], list[dict]], tmp_path: Path
) -> None:
    root, truth, _ = large
    rows = experiment_declarations(root / GROUND_TRUTH_FILENAME, metric_age_days=7)
    path = write_declarations(tmp_path, "synthetic.csv", rows)
    declared = read_declarations([path], default_workspace_id="default")

    planted = {
        (e["experiment_id"], variant, content_id)
        for e in truth["experiments"]
        for variant, ids in e["variants"].items()
        for content_id in ids
    }
    assert planted and len(declared) == len(planted)
    keys = zip(declared["experiment_id"], declared["variant"], declared["content_id"], strict=True)
    assert set(keys) == planted
    assert (declared["is_control"] == (declared["variant"] == "A")).all()
    assert set(declared["metric_kind"]) <= {"mean", "rate"}
