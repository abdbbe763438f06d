"""The `refdata` command line: run and inspect the local stack and the pipeline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from refdata.errors import ConfigurationError
from refdata.settings import get_settings

app = typer.Typer(help="Crypto reference-data warehouse", no_args_is_help=True, add_completion=False)
console = Console()


@app.command()
def up(
    group: Annotated[str, typer.Option(help="storage | core | all")] = "all",
) -> None:
    """Start the local stack (idempotent: running services are left as they are)."""
    from refdata.stack import manager

    try:
        manager.up(get_settings(), group, log=console.print)
    except ConfigurationError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error
    _print_status()


@app.command()
def down() -> None:
    """Stop every service this project started."""
    from refdata.stack import manager

    manager.down(get_settings(), log=console.print)


@app.command()
def status() -> None:
    """Each service, its port, its PID, whether it answers, and its memory."""
    if not _print_status():
        raise typer.Exit(3)


@app.command()
def logs(
    service: Annotated[Optional[str], typer.Argument(help="service name; all when omitted")] = None,
    lines: int = 40,
) -> None:
    """Show the last lines of each service's log."""
    from refdata.stack import manager

    for step in manager.steps(get_settings()):
        if service and step.service.name != service:
            continue
        console.rule(f"{step.service.name}  ({step.service.log_file})")
        console.print(step.service.tail(lines), markup=False, highlight=False)


@app.command()
def migrate() -> None:
    """Apply pending warehouse schema migrations."""
    from refdata.migrations.runner import migrate as run

    applied = run(get_settings())
    console.print(f"applied {len(applied)} migration(s): {[m.version for m in applied]}")


# ---- bronze ---------------------------------------------------------------------------------


def _cli_run_id(command: str) -> str:
    import getpass
    import socket
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"cli:{command}:{getpass.getuser()}@{socket.gethostname()}:{stamp}"


@app.command()
def ingest(
    venue: Annotated[Optional[list[str]], typer.Option("--venue", "-v", help="venue id; repeat; default: all configured")] = None,
) -> None:
    """Poll venues once, now, into bronze (exchange URLs from settings: by default the replay server)."""
    from datetime import datetime, timezone

    from refdata.bronze.store import BronzeStore
    from refdata.bronze.writer import ingest_venue
    from refdata.errors import RefdataError
    from refdata.venues import get_venue

    settings = get_settings()
    venues = venue or list(settings.venues)
    try:
        for v in venues:
            get_venue(v)
    except ConfigurationError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    run_id = _cli_run_id("ingest")
    store = BronzeStore(settings)
    table = Table(title=f"refdata ingest  (interval {now.isoformat()}Z, run {run_id})")
    for column in ("poll", "endpoint", "result", "observed_at", "instruments", "raw bytes", "stored bytes"):
        table.add_column(column)
    failures: list[str] = []
    for v in venues:
        try:
            outcomes = ingest_venue(v, settings, interval_start=now, run_id=run_id, store=store)
        except RefdataError as error:
            failures.append(str(error))
            table.add_row(v, "", "[red]failed[/red]", "", "", "", "")
            continue
        for o in outcomes:
            table.add_row(
                o.poll_id, o.endpoint, "written" if o.written else "already in bronze",
                o.observed_at.isoformat() if o.observed_at else "", str(o.instrument_count or ""),
                f"{o.raw_bytes:,}", f"{o.stored_bytes:,}",
            )
    console.print(table)
    for failure in failures:
        console.print(f"[red]error:[/red] {failure}", markup=True, highlight=False)
    if failures:
        raise typer.Exit(1)


@app.command()
def backfill(
    from_captures: Annotated[Path, typer.Option("--from-captures", help="directory of <exchange>/<endpoint>/<date>-*.json")],
    venue: Annotated[Optional[list[str]], typer.Option("--venue", "-v", help="venue id; repeat; default: every venue")] = None,
    start: Annotated[Optional[str], typer.Option("--from", help="ISO 8601 capture time, inclusive (UTC if no offset)")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="ISO 8601 capture time, exclusive")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan only")] = False,
) -> None:
    """Load timestamped captures into bronze in capture-time order, idempotently."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from refdata.bronze.backfill import load, parse_when, plan_backfill, render_plan
    from refdata.bronze.store import BronzeStore
    from refdata.errors import RefdataError

    settings = get_settings()
    try:
        store = BronzeStore(settings)
        items = plan_backfill(from_captures, venues=venue or None, start=parse_when(start), end=parse_when(end), store=store)
    except ConfigurationError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    console.print(render_plan(items), markup=False, highlight=False, soft_wrap=True)
    if dry_run or not items:
        return
    run_id = _cli_run_id("backfill")
    written = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("backfill", total=len(items))

        def advance(item, outcome) -> None:  # type: ignore[no-untyped-def]
            nonlocal written
            written += outcome.written
            progress.update(bar, advance=1, description=f"{item.venue} {item.capture.captured_at:%Y-%m-%d}")

        try:
            load(store, items, run_id=run_id, on_item=advance)
        except RefdataError as error:
            progress.stop()
            console.print(f"[red]error:[/red] {error}", highlight=False)
            console.print(f"{written} poll(s) loaded before the failure; re-run to resume.")
            raise typer.Exit(1) from error
    console.print(f"{written} poll(s) loaded, {len(items) - written} already in bronze (run {run_id})")


@app.command("run")
def run_pipeline(
    timeout: Annotated[float, typer.Option(help="seconds to wait for each DAG run")] = 1800,
) -> None:
    """The main job: replay every recorded capture through the real Airflow DAGs.

    Starts the stack if needed, triggers `refdata_backfill` (every capture, in capture-time
    order, with its original observation time) and waits for the `refdata_transform` run that
    bronze's Asset then schedules; prints where to look next.
    """
    from refdata.airflow_client import AirflowClient, AirflowRunFailed, utcnow
    from refdata.stack import manager

    settings = get_settings()
    try:
        manager.up(settings, "all", log=console.print)
        client = AirflowClient(settings)
        # Ingest stays paused: it polls the exchanges themselves; maintenance too, as its
        # first (catch-up) run would compete with this one for the machine. Unpause both
        # deliberately on a long-lived stack.
        for dag_id in ("refdata_backfill", "refdata_transform"):
            client.wait_for_dag(dag_id)
            client.unpause(dag_id)
        began = utcnow()
        triggered = client.trigger("refdata_backfill", {"capture_dir": str(settings.captures_dir), "venues": settings.venues})
        console.print(f"triggered refdata_backfill run {triggered.run_id}")
        with console.status("backfilling bronze from the recorded captures…"):
            client.wait("refdata_backfill", triggered.run_id, timeout)
        with console.status("transforming bronze into silver…"):
            transform = client.wait_for_run_after("refdata_transform", began, timeout)
        console.print(f"refdata_transform run {transform.run_id}: {transform.state}")
    except (ConfigurationError, AirflowRunFailed) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error
    _print_next_steps(settings)


def _print_next_steps(settings) -> None:  # type: ignore[no-untyped-def]
    console.rule("ready")
    console.print(f"Airflow UI   {settings.airflow_url}")
    console.print(f"Trino        {settings.trino_http_url}  (catalog {settings.catalog_name})")
    console.print(f"Replay       {settings.replay_url}/_replay/state")
    console.print(f"REST API     {settings.api_url}/docs")
    console.print("Try:")
    examples = [
        "SELECT venue, count(*) AS versions FROM silver.instrument_versions "
        "WHERE superseded_at IS NULL GROUP BY venue ORDER BY venue",
        "SELECT valid_from, valid_to, status, lifetime_id FROM silver.instrument_versions "
        "WHERE venue = 'binance-spot' AND symbol = 'AXSBIDR' AND superseded_at IS NULL ORDER BY valid_from",
    ]
    for sql in examples:
        console.print(f'  .venv/bin/python -m refdata query "{sql}"', markup=False, highlight=False)
    console.print(f"  curl -s '{settings.api_url}/v1/instruments?exchange=binance&symbol=BTCUSDT'")
    console.print(f"  curl -s '{settings.api_url}/v1/instruments/binance-spot/AXSBIDR/history?as_known_at=2030-01-01T00:00:00Z'")
    console.print(f"  curl -s {settings.api_url}/v1/health")


@app.command()
def rebuild(
    venue: Annotated[Optional[list[str]], typer.Option("--venue", "-v", help="venue id; repeat; default: all configured")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="swap the rebuilt silver and gold in (the current tables are kept aside)")] = False,
    keep: Annotated[bool, typer.Option("--keep", help="keep the rebuilt namespaces for inspection (without --replace)")] = False,
) -> None:
    """Rebuild silver and gold from bronze into fresh namespaces and compare them with the current tables.

    Exit 0 when every compared table is identical, 1 when one differs (the differences are
    printed). With --replace the rebuilt tables take the place of the current ones whatever
    the comparison says (after a parser fix that is the point); the previous tables are kept
    in `<ns>_previous_<stamp>` namespaces. Runbook: docs/runbooks/rebuild-from-bronze.md.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from refdata.rebuild import rebuild as run_rebuild
    from refdata.spark import get_session

    settings = get_settings()
    spark = get_session(settings, "refdata-rebuild")
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("starting", total=None)

            def step(message: str) -> None:
                progress.console.print(f"  {message}")
                progress.update(task, description=message)

            report = run_rebuild(spark, settings, venues=venue or None, replace=replace, keep=keep, step=step)
    finally:
        spark.stop()
    table = Table(title=f"rebuild of {report.source.silver}/{report.source.gold} from {report.source.bronze}")
    for column in ("table", "current rows", "rebuilt rows", "only current", "only rebuilt", "identical"):
        table.add_column(column)
    for diff in report.diffs:
        table.add_row(diff.table, f"{diff.current_rows:,}", f"{diff.rebuilt_rows:,}", f"{diff.only_current:,}",
                      f"{diff.only_rebuilt:,}", "yes" if diff.equal else "[red]NO[/red]")
    console.print(table)
    for diff in report.diffs:
        for example in diff.examples:
            console.print(example, markup=False, highlight=False)
    if report.replaced and report.kept_previous:
        console.print(f"replaced; previous tables kept in {report.kept_previous.silver} and {report.kept_previous.gold}")
    elif keep:
        console.print(f"rebuilt tables kept in {report.rebuilt.silver} and {report.rebuilt.gold}")
    if not report.equal:
        raise typer.Exit(1)


@app.command()
def query(sql: Annotated[str, typer.Argument(help="SQL for Trino (catalog refdata)")]) -> None:
    """Run one SQL statement through Trino and print the result as a table."""
    from refdata.catalog import trino_connection

    cursor = trino_connection(get_settings()).cursor()
    cursor.execute(sql)
    rows = cursor.fetchall()
    table = Table()
    for column in cursor.description or []:
        table.add_column(column[0])
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)


def _print_status() -> bool:
    from refdata.stack import manager

    settings = get_settings()
    table = Table(title="refdata local stack")
    for column in ("service", "port", "pid", "answers", "memory", "log"):
        table.add_column(column)
    all_healthy = True
    for entry in manager.status(settings):
        all_healthy &= entry.healthy
        table.add_row(
            entry.name,
            str(entry.port or "-"),
            str(entry.pid or "-"),
            "[green]yes[/green]" if entry.healthy else "[red]no[/red]",
            f"{entry.rss_bytes / 2**20:,.0f} MiB" if entry.rss_bytes else "-",
            entry.log_file,
        )
    console.print(table)
    return all_healthy


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
