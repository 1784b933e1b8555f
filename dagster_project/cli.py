"""``perf-analytics``: set up the warehouse, generate demo data, ingest and run the pipeline."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import time
import warnings
from contextlib import redirect_stdout
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dagster_project.config import PROJECT_ROOT, get_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()

DateOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _yesterday() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Dagster and dbt loggers set their own INFO level and propagate here: filter at the handler
    # so the console shows the progress bar and warnings (the Dagster UI keeps every event).
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    # Run events reach the console through the runs' own console logger (QUIET_CONSOLE): their
    # copies propagated to the root logger would print each warning twice.
    logging.getLogger("dagster").propagate = False
    # Known noise: Dagster's own freshness-check sensor passes a beta parameter (not ours to fix).
    warnings.filterwarnings("ignore", message="Parameter `owners` of initializer `SensorDefinition")


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    downgrade: Annotated[bool, typer.Option(help="Downgrade to --revision instead.")] = False,
) -> None:
    """Apply (or revert) the database migrations."""
    from dagster_project.warehouse import migrate as migrations
    from dagster_project.warehouse.database import resolve_database_url

    url = resolve_database_url()
    (migrations.downgrade if downgrade else migrations.upgrade)(url, revision)
    console.print(f"database at revision [bold]{migrations.current_revision(url)}[/]")


@app.command()
def generate(
    items: int = 500,
    days: int = 60,
    end_date: DateOption = None,
    seed: int = 42,
    landing_dir: Annotated[Path | None, typer.Option(help="Default: LANDING_DIR.")] = None,
) -> None:
    """Write deterministic synthetic landing files (with ground truth) for every platform."""
    summary = _generate(items, days, _day(end_date) or _yesterday(), seed, landing_dir)
    console.print(
        f"wrote {summary.rows:,} rows ({summary.dirty_rows} dirty) in {summary.files} files "
        f"to {summary.landing_dir}; ground truth: {summary.ground_truth_path}"
    )


def _generate(items: int, days: int, end: dt.date, seed: int, landing_dir: Path | None):
    """Landing files, and the planted A/B experiments declared as the analyses expect them."""
    from dagster_project.analytics_io.experiments import write_declarations
    from dagster_project.synthetic import SyntheticSpec, experiment_declarations
    from dagster_project.synthetic import generate as generate_files

    landing = landing_dir or get_settings().LANDING_DIR
    summary = generate_files(landing, SyntheticSpec(items=items, days=days, end_date=end, seed=seed))
    declarations = experiment_declarations(summary.ground_truth_path)
    path = write_declarations(landing, "synthetic.csv", declarations)
    console.print(f"    {len(declarations)} experiment items declared in {path}")
    return summary


def _date_range(date: dt.datetime | None, start: dt.datetime | None, end: dt.datetime | None):
    first = _day(date) or _day(start)
    last = _day(date) or _day(end) or first
    if first is None or last is None or last < first:
        raise typer.BadParameter("give --date D, or --start S [--end E] with S <= E")
    return first, last


@app.command()
def ingest(
    date: DateOption = None,
    start: DateOption = None,
    end: DateOption = None,
    chunk_days: Annotated[int, typer.Option(help="Days per Dagster run.")] = 10,
) -> None:
    """Materialise the ingestion assets for one landing day or an inclusive range, via Dagster."""
    first, last = _date_range(date, start, end)
    _run_pipeline("ingest_job", first, last, chunk_days)


@app.command()
def pipeline(
    date: DateOption = None,
    start: DateOption = None,
    end: DateOption = None,
    chunk_days: Annotated[int, typer.Option(help="Days per Dagster run.")] = 10,
) -> None:
    """Ingest and build the warehouse (dbt) for a day or an inclusive range, as the schedule does."""
    first, last = _date_range(date, start, end)
    _run_pipeline("daily_pipeline_job", first, last, chunk_days)


def _run_pipeline(job_name: str, first: dt.date, last: dt.date, chunk_days: int) -> float:
    import dagster as dg

    from dagster_project.runs import load_definitions, run_range
    from dagster_project.warehouse.dbt import prepare_manifest
    from dagster_project.warehouse.instance import prepare_dagster_home

    prepare_dagster_home()
    prepare_manifest()
    definitions = load_definitions()
    total = (last - first).days + 1
    started = time.perf_counter()
    # dagster-dbt re-emits every dbt log line on stdout (for compute logs): keep them in a file, and
    # the console for the progress bar (the Dagster UI has every event of the runs).
    step_log = get_settings().DATA_DIR / "logs" / f"{job_name}.log"
    step_log.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"    step output (dbt's log) in {step_log}")
    with (
        dg.DagsterInstance.get() as instance,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("days"),
            TimeElapsedColumn(),
            console=Console(file=sys.stdout),  # the terminal, not the redirected stdout below
        ) as progress,
        step_log.open("a") as log_file,
        redirect_stdout(log_file),
    ):
        task = progress.add_task(f"{job_name} {first}..{last}", total=total)

        def advance(chunk_first: dt.date, chunk_last: dt.date, result) -> None:
            progress.advance(task, (chunk_last - chunk_first).days + 1)
            progress.console.print(f"  run {result.run_id[:8]} {chunk_first}..{chunk_last}: ok")

        run_range(
            job_name,
            first,
            last,
            instance=instance,
            definitions=definitions,
            chunk_days=chunk_days,
            on_chunk=advance,
        )
    return time.perf_counter() - started


@app.command()
def demo(
    items: int = 500,
    days: int = 60,
    seed: int = 42,
    trend_days: Annotated[
        int, typer.Option(help="Last days to run the time-series analyses for (trends_job).")
    ] = 7,
) -> None:
    """Migrate, generate demo data, run every daily partition through Dagster, print a summary."""
    from dagster_project.warehouse import migrate as migrations
    from dagster_project.warehouse.database import resolve_database_url

    settings = get_settings()
    started = time.perf_counter()
    where = "embedded Postgres under " + str(settings.DATA_DIR) if settings.embedded else "DATABASE_URL"
    console.rule("[bold]content performance warehouse: demo")
    console.print(f"1/4 migrating the warehouse ({where})")
    url = resolve_database_url(settings)
    migrations.upgrade(url)
    last = _yesterday()
    first = last - dt.timedelta(days=days - 1)
    console.print(f"2/4 generating {items} items x {days} days ({first}..{last}) into {settings.LANDING_DIR}")
    summary = _generate(items, days, last, seed, None)
    console.print(
        f"    {summary.rows:,} rows in {summary.files} files, {summary.dirty_rows} dirty on purpose"
    )
    console.print(
        "3/4 materialising every daily partition in-process (ingestion, dbt warehouse, feature analyses)"
    )
    _run_pipeline("history_backfill_job", first, last, chunk_days=10)
    trends_from = max(first, last - dt.timedelta(days=max(trend_days, 1) - 1))
    console.print(
        f"4/4 trends, forecasts and anomalies of every series, and the optimisation insights, "
        f"for {trends_from}..{last}"
    )
    _run_pipeline("trends_job", trends_from, last, chunk_days=max(trend_days, 1))
    _print_summary(url, first, last, time.perf_counter() - started)


def _print_summary(url: str, first: dt.date, last: dt.date, seconds: float) -> None:
    from dagster_project.ingest.loader import reason_code
    from dagster_project.warehouse.database import connect, redact_password

    with connect(url) as conn:
        tables = conn.execute(
            """
            select c.relnamespace::regnamespace || '.' || c.relname, c.relkind::text
            from pg_class as c
            where c.relnamespace::regnamespace::text in ('raw', 'intermediate', 'marts', 'bi', 'analytics')
              and c.relkind in ('r', 'p', 'm', 'v') and not c.relispartition
            order by 1
            """
        ).fetchall()
        counts = {
            name: conn.execute(f"select count(*) from {name}").fetchone()[0]  # noqa: S608 - catalog names
            for name, kind in tables
            if kind in ("r", "p", "m")
        }
        reasons = conn.execute(
            "select reason from raw.rejected_snapshots where ingest_date between %s and %s",
            (first, last),
        ).fetchall()
    kinds = {"r": "table", "p": "partitioned table", "m": "materialized view", "v": "view"}
    table = Table(title="warehouse", show_header=True)
    table.add_column("relation")
    table.add_column("kind")
    table.add_column("rows", justify="right")
    for name, kind in tables:
        table.add_row(name, kinds[kind], f"{counts[name]:,}" if name in counts else "")
    console.print(table)
    counts: dict[str, int] = {}
    for (reason,) in reasons:
        code = reason_code(reason)
        counts[code] = counts.get(code, 0) + 1
    rejects = Table(title="rejected records by reason")
    rejects.add_column("reason")
    rejects.add_column("records", justify="right")
    for code, count in sorted(counts.items(), key=lambda item: -item[1]):
        rejects.add_row(code, str(count))
    console.print(rejects)
    _print_top_insights(url, last)
    console.print(f"done in {seconds:.1f}s.")
    console.print(
        "Where to look:\n"
        "  marts (schema [bold]marts[/]): content_performance_history, content_feature_analysis, "
        "performance_benchmarks, materialized views mv_dashboard_overview, mv_platform_daily_metrics, "
        "mv_trending_content\n"
        "  BI views filtered by workspace (schema [bold]bi[/]), for roles in perf_reader\n"
        "  analyses (schema [bold]analytics[/]): correlation_analysis_results, feature_importance_results, "
        "platform_comparison_results, ab_test_performance (experiments: landing/_experiments/*.csv); "
        "trend_analysis_results (trends, seasonality, change points, forecasts) and "
        "performance_anomalies for the last days; optimization_insights (prioritised recommendations)\n"
        "  Dagster UI on the same database:  [bold]perf-analytics dev[/]  then http://127.0.0.1:3000 "
        "(asset groups ingest, warehouse, analytics and trends, daily partitions, the runs of this demo; "
        "trends_job backfills more days of trends)\n"
        "  REST API:  [bold]perf-analytics api-key create --workspace default[/]  then  "
        "[bold]perf-analytics serve[/]  (OpenAPI docs at http://127.0.0.1:8000/docs)\n"
        "  Exports:  [bold]perf-analytics export -f excel -o analytics.xlsx[/]  (or json / csv)\n"
        f'  SQL:  [bold]psql "{redact_password(url)}"[/]'
    )


def _print_top_insights(url: str, day: dt.date, limit: int = 5) -> None:
    from dagster_project.warehouse.database import connect

    with connect(url) as conn:
        rows = conn.execute(
            "select priority, title, impact_prediction from analytics.optimization_insights "
            "where analysis_date = %s order by priority_score desc, insight_id limit %s",
            (day, limit),
        ).fetchall()
    top = Table(title=f"top optimisation insights of {day}")
    for column in ("priority", "insight", "expected impact"):
        top.add_column(column)
    for priority, title, impact in rows:
        top.add_row(priority, title, impact)
    console.print(top)


@app.command()
def dev(
    port: int = 3000,
    print_env: Annotated[bool, typer.Option(help="Only print the environment to export.")] = False,
) -> None:
    """Start the Dagster UI (``dagster dev -w workspace.yaml``) on the project's instance."""
    from dagster_project.warehouse.dbt import prepare_manifest
    from dagster_project.warehouse.instance import prepare_dagster_home

    home = prepare_dagster_home()
    prepare_manifest()
    if print_env:
        console.print(f"export DAGSTER_HOME={home}")
        return
    os.chdir(PROJECT_ROOT)
    # A shell starts background jobs with SIGINT ignored and exec keeps that: restore the
    # default so Ctrl-C / `kill -INT` stops dagster dev and its children.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    dagster = Path(sys.executable).with_name("dagster")
    os.execv(str(dagster), [str(dagster), "dev", "-w", "workspace.yaml", "-p", str(port)])


@app.command()
def db(action: Annotated[str, typer.Argument(help="url | stop")] = "url") -> None:
    """Print the warehouse URL, or stop the embedded server."""
    from dagster_project.warehouse.database import resolve_database_url
    from dagster_project.warehouse.embedded import stop_embedded_server

    settings = get_settings()
    if action == "stop":
        stopped = settings.embedded and stop_embedded_server(settings.DATA_DIR)
        console.print("embedded Postgres stopped" if stopped else "no embedded server running")
    else:
        console.print(resolve_database_url(settings))


@app.command()
def export(
    export_format: Annotated[str, typer.Option("--format", "-f", help="json, csv or excel.")] = "excel",
    timeframe: Annotated[str, typer.Option(help="7d, 30d, 90d or 1y, ending on --as-of.")] = "30d",
    platform: Annotated[list[str] | None, typer.Option(help="Platform to keep (repeatable).")] = None,
    content: Annotated[list[str] | None, typer.Option(help="Content id to keep (repeatable).")] = None,
    table: Annotated[
        list[str] | None, typer.Option(help="Table to export (repeatable; default all).")
    ] = None,
    workspace: Annotated[str | None, typer.Option(help="Only this workspace (default: all).")] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day of the timeframe (default: the latest data)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File (json, excel) or directory (csv); default: DATA_DIR/exports/<name>."
        ),
    ] = None,
) -> None:
    """Export the analytics tables as JSON, CSV (one file per table) or Excel (sheets and charts)."""
    from dagster_project.exports.filters import ExportFilters
    from dagster_project.exports.formats import ExportFormat, export_to_path, file_name, prepare
    from dagster_project.exports.reader import ExportReport
    from dagster_project.warehouse.database import connect, resolve_database_url

    try:
        fmt = ExportFormat(export_format)
        filters = ExportFilters(
            timeframe=timeframe,  # type: ignore[arg-type]  (validated by ExportFilters)
            platforms=tuple(platform or ()),
            content_ids=tuple(content or ()),
            workspace_id=workspace,
            as_of=_day(as_of),
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    started = time.monotonic()
    with connect(resolve_database_url()) as conn:
        try:
            filters, tables = prepare(conn, filters, tuple(table or ()))
        except ValueError as error:
            raise typer.BadParameter(str(error)) from error
        name = file_name(fmt, filters, tables).removesuffix(".zip")
        target = output or get_settings().DATA_DIR / "exports" / name
        with Progress(
            TextColumn("{task.description}"), TextColumn("{task.completed:,} rows"), console=console
        ) as bar:
            tasks = {t.name: bar.add_task(t.name, total=None) for t in tables}
            report = ExportReport(progress=lambda name, rows: bar.update(tasks[name], completed=rows))
            files = export_to_path(conn, fmt, filters, tables, target, report, dt.datetime.now(dt.UTC))
    summary = Table("table", "rows", title=f"{fmt.value} export, {filters.timeframe} to {filters.as_of}")
    for t in tables:
        summary.add_row(t.name, f"{report.rows.get(t.name, 0):,}")
    console.print(summary)
    size = sum(f.stat().st_size for f in files)
    console.print(
        f"wrote {sum(report.rows.values()):,} rows to {target} ({len(files)} files, {size:,} bytes) "
        f"in {time.monotonic() - started:.1f} s"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for all).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each opens its own connections).")] = 1,
) -> None:
    """Start the REST API (uvicorn) on the warehouse; OpenAPI docs under /docs."""
    import uvicorn

    console.print(f"REST API on [bold]http://{host}:{port}/analytics[/] (docs: http://{host}:{port}/docs)")
    uvicorn.run("dagster_project.serving.app:create_app", factory=True, host=host, port=port, workers=workers)


api_key_app = typer.Typer(help="Create and revoke REST API keys (stored hashed).", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")


@api_key_app.command("create")
def api_key_create(
    workspace: Annotated[str, typer.Option(help="Workspace the key reads and writes.")],
    admin: Annotated[bool, typer.Option(help="May call the /analytics/admin endpoints.")] = False,
    label: Annotated[str | None, typer.Option(help="Who or what the key is for.")] = None,
) -> None:
    """Create a key and print its token once (only its hash is stored): send it as X-API-Key."""
    from dagster_project.serving.auth import create_api_key
    from dagster_project.warehouse.database import connect, resolve_database_url

    with connect(resolve_database_url()) as conn:
        issued = create_api_key(conn, workspace, is_admin=admin, label=label)
    kind = "admin key" if admin else "key"
    console.print(
        f"{kind} [bold]{issued.caller.key_id}[/] for workspace {workspace}; the token is shown once:"
    )
    typer.echo(issued.token)


@api_key_app.command("revoke")
def api_key_revoke(key: Annotated[str, typer.Argument(help="Key id, or the whole token.")]) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from dagster_project.serving.auth import key_id_of, revoke_api_key
    from dagster_project.warehouse.database import connect, resolve_database_url

    key_id = key_id_of(key) or key
    with connect(resolve_database_url()) as conn:
        revoked = revoke_api_key(conn, key_id)
    if not revoked:
        console.print(f"no active key {key_id}")
        raise typer.Exit(1)
    console.print(f"key {key_id} revoked")


if __name__ == "__main__":
    app()
