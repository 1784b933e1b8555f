"""A/B experiments declared as data, and the per-item frames their analysis needs.

Declarations are CSV files ``<landing>/_experiments/*.csv``, one row per content item (the unit
of an experiment) with the columns of ``analytics.experiments``:

    experiment_id, platform, content_id, variant, is_control, start_date, end_date,
    primary_metric, metric_kind                                            (required)
    workspace_id, metric_age_days (7), planned_sample_size_per_variant, allocation,
    target_relative_lift (0.05), higher_is_better (true)                   (optional)

Experiment-level columns must agree on every row of an experiment, ``is_control`` and
``allocation`` on every row of a variant; exactly one variant is the control. A file that breaks
a rule fails the load with every problem listed (file and line): declarations are hand-written
configuration, and a half-loaded experiment would be analysed wrongly.

Every item is measured at the same age (``metric_age_days`` after its platform-local publish
day). The fixed horizon is the day after the last item's measured day (``end_date +
metric_age_days + 1``): no comparison is reported before every declared item could be measured.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from dagster_project.analytics.ab_testing import (
    SUCCESSES,
    TRIALS,
    VALUE,
    VARIANT,
    WEEKDAY,
    ExperimentPlan,
    MetricKind,
)

EXPERIMENTS_FOLDER = "_experiments"
TABLE = "experiments"

REQUIRED_COLUMNS = (
    "experiment_id",
    "platform",
    "content_id",
    "variant",
    "is_control",
    "start_date",
    "end_date",
    "primary_metric",
    "metric_kind",
)
DEFAULTS: dict[str, Any] = {
    "metric_age_days": 7,
    "planned_sample_size_per_variant": None,
    "allocation": None,
    "target_relative_lift": 0.05,
    "higher_is_better": True,
}
TABLE_COLUMNS = ("workspace_id", *REQUIRED_COLUMNS, *DEFAULTS, "source_file")
EXPERIMENT_LEVEL = (
    "start_date",
    "end_date",
    "primary_metric",
    "metric_kind",
    "metric_age_days",
    "planned_sample_size_per_variant",
    "target_relative_lift",
    "higher_is_better",
)
VARIANT_LEVEL = ("is_control", "allocation")

# Counters of marts.content_performance_history at the measured age.
MEAN_METRICS = (
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "watch_time_seconds",
    "impressions",
    "reach",
    "interactions",
    "engagement_rate",
)
# Rate metrics: the counter per view (successes = counter, trials = views), items as the unit.
RATE_METRICS = ("likes", "comments", "shares", "saves", "interactions")

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class ExperimentDeclarationError(ValueError):
    """Declarations that break the rules; ``problems`` lists each with its file and line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("invalid experiment declarations:\n  " + "\n  ".join(problems))
        self.problems = list(problems)


def write_declarations(landing_dir: Path, name: str, rows: Sequence[dict[str, Any]]) -> Path:
    """Write declaration ``rows`` as ``<landing_dir>/_experiments/<name>`` (the columns a declaration
    file holds; empty cells for None)."""
    path = landing_dir / EXPERIMENTS_FOLDER / name
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [c for c in TABLE_COLUMNS if c != "source_file"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return path


def declaration_files(landing_dir: Path) -> list[Path]:
    folder = landing_dir / EXPERIMENTS_FOLDER
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def read_declarations(paths: Sequence[Path], default_workspace_id: str) -> pd.DataFrame:
    """Validated declarations (one row per item, ``TABLE_COLUMNS``) from the CSV files."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                problems.append(f"{path.name}: missing columns {', '.join(missing)}")
                continue
            for line, record in enumerate(reader, start=2):
                row, errors = _parse_row(record, default_workspace_id)
                problems += [f"{path.name}:{line}: {e}" for e in errors]
                if not errors:
                    rows.append({**row, "source_file": path.name, "_line": line})
    frame = pd.DataFrame(rows, columns=[*TABLE_COLUMNS, "_line"], dtype=object)
    problems += _consistency_problems(frame)
    if problems:
        raise ExperimentDeclarationError(problems)
    return frame.drop(columns="_line").reset_index(drop=True)


def _parse_row(record: dict[str, str | None], default_workspace_id: str) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    text = {k: (v or "").strip() for k, v in record.items() if k is not None}

    def required(name: str) -> str:
        if not text.get(name):
            errors.append(f"{name} is empty")
        return text.get(name, "")

    def parse(name: str, convert: Any, default: Any) -> Any:
        raw = text.get(name, "")
        if raw == "":
            return default
        try:
            return convert(raw)
        except ValueError:
            errors.append(f"{name} {raw!r} is not a valid {_TYPE_NAMES.get(convert, 'value')}")
            return default

    row: dict[str, Any] = {
        "workspace_id": text.get("workspace_id") or default_workspace_id,
        **{name: required(name) for name in ("experiment_id", "platform", "content_id", "variant")},
        "is_control": parse("is_control", _boolean, None),
        "start_date": parse("start_date", dt.date.fromisoformat, None),
        "end_date": parse("end_date", dt.date.fromisoformat, None),
        "primary_metric": required("primary_metric"),
        "metric_kind": required("metric_kind"),
        "metric_age_days": parse("metric_age_days", int, DEFAULTS["metric_age_days"]),
        "planned_sample_size_per_variant": parse("planned_sample_size_per_variant", int, None),
        "allocation": parse("allocation", float, None),
        "target_relative_lift": parse("target_relative_lift", float, DEFAULTS["target_relative_lift"]),
        "higher_is_better": parse("higher_is_better", _boolean, DEFAULTS["higher_is_better"]),
    }
    for name in ("is_control", "start_date", "end_date"):
        if row[name] is None and text.get(name, "") == "":
            errors.append(f"{name} is empty")
    if row["start_date"] and row["end_date"] and row["end_date"] < row["start_date"]:
        errors.append(f"end_date {row['end_date']} is before start_date {row['start_date']}")
    kind, metric = row["metric_kind"], row["primary_metric"]
    if kind and kind not in ("mean", "rate"):
        errors.append(f"metric_kind {kind!r} is not 'mean' or 'rate'")
    elif kind == "mean" and metric and metric not in MEAN_METRICS:
        errors.append(f"primary_metric {metric!r} is not one of {', '.join(MEAN_METRICS)} (mean kind)")
    elif kind == "rate" and metric and metric not in RATE_METRICS:
        errors.append(
            f"primary_metric {metric!r} is not a per-view rate; use one of {', '.join(RATE_METRICS)}"
        )
    if row["metric_age_days"] is not None and row["metric_age_days"] < 0:
        errors.append("metric_age_days is negative")
    for name in ("planned_sample_size_per_variant", "allocation", "target_relative_lift"):
        value = row[name]
        if value is not None and not (np.isfinite(value) and value > 0):
            errors.append(f"{name} must be positive")
    return row, errors


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


_TYPE_NAMES = {_boolean: "boolean", dt.date.fromisoformat: "ISO date", int: "integer", float: "number"}


def _consistency_problems(frame: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    if frame.empty:
        return problems
    for (workspace, experiment), rows in frame.groupby(["workspace_id", "experiment_id"], sort=True):
        name = f"experiment {experiment} (workspace {workspace})"
        files = sorted(rows["source_file"].unique())
        if len(files) > 1:
            problems.append(f"{name} is declared in several files: {', '.join(files)}")
        for column in EXPERIMENT_LEVEL:
            values = {_key(v) for v in rows[column]}
            if len(values) > 1:
                problems.append(f"{name}: {column} differs between rows ({', '.join(sorted(values))})")
        for variant, variant_rows in rows.groupby("variant", sort=True):
            for column in VARIANT_LEVEL:
                values = {_key(v) for v in variant_rows[column]}
                if len(values) > 1:
                    problems.append(f"{name}: {column} differs within variant {variant}")
        controls = sorted(rows.loc[rows["is_control"].astype(bool), "variant"].unique())
        if len(controls) != 1:
            problems.append(
                f"{name}: {len(controls)} control variants ({', '.join(controls)}); exactly 1 needed"
            )
        if rows["variant"].nunique() < 2:
            problems.append(f"{name}: only {rows['variant'].nunique()} variant; at least 2 are needed")
        allocated = rows.groupby("variant")["allocation"].first().notna()
        if allocated.any() and not allocated.all():
            problems.append(f"{name}: allocation is given for some variants only")
        duplicated = rows[rows.duplicated(["platform", "content_id"], keep=False)]
        for (platform, content_id), dup in duplicated.groupby(["platform", "content_id"], sort=True):
            lines = ", ".join(str(line) for line in dup["_line"])
            problems.append(
                f"{name}: item {platform}/{content_id} is declared more than once (lines {lines})"
            )
    return problems


def _key(value: Any) -> str:
    return "NULL" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


@dataclass(frozen=True)
class SyncReport:
    files: int
    experiments: int
    items: int
    replaced_items: int
    kept_undeclared: tuple[str, ...]


def sync_declarations(conn: psycopg.Connection, declarations: pd.DataFrame, files: int) -> SyncReport:
    """Replace the declared experiments' rows (delete + insert, in the caller's transaction).

    Experiments already in the table but in no file are kept (and reported): removing a file
    does not erase an experiment's history.
    """
    target = sql.Identifier("analytics", TABLE)
    keys = sorted(set(zip(declarations["workspace_id"], declarations["experiment_id"], strict=True)))
    replaced = 0
    for workspace, experiment in keys:
        replaced += conn.execute(
            sql.SQL("delete from {} where workspace_id = %s and experiment_id = %s").format(target),
            (workspace, experiment),
        ).rowcount
    statement = sql.SQL("copy {} ({}) from stdin").format(
        target, sql.SQL(", ").join(map(sql.Identifier, TABLE_COLUMNS))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for record in declarations[list(TABLE_COLUMNS)].itertuples(index=False):
            copy.write_row([_python(v) for v in record])
    stored = conn.execute(
        sql.SQL("select distinct workspace_id, experiment_id from {} order by 1, 2").format(target)
    ).fetchall()
    undeclared = tuple(f"{w}/{e}" for w, e in stored if (w, e) not in set(keys))
    return SyncReport(files, len(keys), len(declarations), replaced, undeclared)


def _python(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class DeclaredExperiment:
    """One experiment as declared, with its items (platform, content_id, variant)."""

    workspace_id: str
    experiment_id: str
    plan: ExperimentPlan
    control_variant: str
    metric_age_days: int
    start_date: dt.date
    end_date: dt.date
    items: pd.DataFrame

    @property
    def planned_end(self) -> dt.date:
        return self.plan.end_date


def planned_end(end_date: dt.date, metric_age_days: int) -> dt.date:
    """The day after the last item's measured day: the fixed horizon of the verdict."""
    return end_date + dt.timedelta(days=metric_age_days + 1)


def read_experiments(conn: psycopg.Connection, started_by: dt.date) -> list[DeclaredExperiment]:
    """Experiments whose start_date is on or before ``started_by``, in a stable order."""
    cursor = conn.execute(
        "select workspace_id, experiment_id, platform, content_id, variant, is_control, start_date, "
        "end_date, primary_metric, metric_kind, metric_age_days, planned_sample_size_per_variant, "
        "allocation, target_relative_lift, higher_is_better "
        "from analytics.experiments where start_date <= %s "
        "order by workspace_id, experiment_id, variant, platform, content_id",
        (started_by,),
    )
    names = [c.name for c in cursor.description or ()]
    frame = pd.DataFrame(cursor.fetchall(), columns=names)
    experiments = []
    for (workspace, experiment), rows in frame.groupby(["workspace_id", "experiment_id"], sort=True):
        first = rows.iloc[0]
        control = str(rows.loc[rows["is_control"].astype(bool), "variant"].iloc[0])
        variants = (control, *sorted(v for v in rows["variant"].unique() if v != control))
        shares = rows.groupby("variant")["allocation"].first()
        allocation = None if shares.isna().any() else tuple(float(shares[v]) for v in variants)
        age = int(first["metric_age_days"])
        planned = first["planned_sample_size_per_variant"]
        kind: MetricKind = "rate" if first["metric_kind"] == "rate" else "mean"
        plan = ExperimentPlan(
            experiment=str(experiment),
            variants=variants,
            primary_metric=str(first["primary_metric"]),
            metric_kind=kind,
            start_date=first["start_date"],
            end_date=planned_end(first["end_date"], age),
            planned_sample_size_per_variant=None if pd.isna(planned) else int(planned),
            allocation=allocation,
            target_relative_lift=float(first["target_relative_lift"]),
            higher_is_better=bool(first["higher_is_better"]),
        )
        experiments.append(
            DeclaredExperiment(
                workspace_id=str(workspace),
                experiment_id=str(experiment),
                plan=plan,
                control_variant=control,
                metric_age_days=age,
                start_date=first["start_date"],
                end_date=first["end_date"],
                items=rows[["platform", "content_id", "variant"]].reset_index(drop=True),
            )
        )
    return experiments


_OUTCOME_COLUMNS = ("views", *(m for m in MEAN_METRICS if m != "views"))


def read_item_outcomes(
    conn: psycopg.Connection, experiment: DeclaredExperiment, analysis_date: dt.date
) -> pd.DataFrame:
    """Each declared item with its publish day and its counters at the measured age, as far as
    that day ended before ``analysis_date`` (NULL counters otherwise)."""
    query = sql.SQL(
        """
        select e.platform, e.content_id, e.variant, c.published_date, h.metric_date, {counters}
        from analytics.experiments as e
        left join marts.content_feature_analysis as c
            on c.workspace_id = e.workspace_id and c.platform = e.platform and c.content_id = e.content_id
        left join marts.content_performance_history as h
            on h.workspace_id = e.workspace_id and h.platform = e.platform and h.content_id = e.content_id
            and h.age_days = e.metric_age_days and h.metric_date < %(day)s
        where e.workspace_id = %(workspace)s and e.experiment_id = %(experiment)s
        order by e.variant, e.platform, e.content_id
        """
    ).format(counters=sql.SQL(", ").join(sql.Identifier("h", c) for c in _OUTCOME_COLUMNS))
    cursor = conn.execute(
        query,
        {"day": analysis_date, "workspace": experiment.workspace_id, "experiment": experiment.experiment_id},
    )
    names = [c.name for c in cursor.description or ()]
    return pd.DataFrame(cursor.fetchall(), columns=names)


@dataclass(frozen=True)
class ExperimentFrame:
    """The frame ``analyse_experiment`` takes, and the declared items left out (by reason)."""

    frame: pd.DataFrame
    declared: dict[str, int]
    excluded: dict[str, dict[str, int]]


def experiment_frame(outcomes: pd.DataFrame, experiment: DeclaredExperiment) -> ExperimentFrame:
    """Per-item primary metric at the measured age (or successes / views for rate metrics) and
    the publish weekday; items unknown, published outside [start_date, end_date] or not (yet)
    measured at that age are left out and counted."""
    published = pd.to_datetime(outcomes["published_date"])
    start, end = pd.Timestamp(experiment.start_date), pd.Timestamp(experiment.end_date)
    reason = pd.Series(pd.NA, index=outcomes.index, dtype="string")
    reason[outcomes["metric_date"].isna()] = "not_measured_at_age"
    reason[(published < start) | (published > end)] = "published_outside_experiment"
    reason[published.isna()] = "not_in_warehouse"
    declared = outcomes.groupby("variant").size().to_dict()
    excluded = {
        str(variant): {str(k): int(v) for k, v in rows.value_counts().sort_index().items()}
        for variant, rows in reason.dropna().groupby(outcomes["variant"], sort=True)
    }
    kept = outcomes[reason.isna()]
    frame = pd.DataFrame(
        {
            VARIANT: kept["variant"].astype(str),
            WEEKDAY: published[reason.isna()].dt.day_of_week.astype("Int64") + 1,
        }
    )
    metric = experiment.plan.primary_metric
    if experiment.plan.metric_kind == "rate":
        frame[SUCCESSES] = pd.to_numeric(kept[metric], errors="coerce").astype(float)
        frame[TRIALS] = pd.to_numeric(kept["views"], errors="coerce").astype(float)
    else:
        frame[VALUE] = pd.to_numeric(kept[metric], errors="coerce").astype(float)
    return ExperimentFrame(
        frame.reset_index(drop=True), {str(k): int(v) for k, v in declared.items()}, excluded
    )
