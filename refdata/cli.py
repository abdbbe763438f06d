"""The `refdata` command line: run and inspect the local stack and the pipeline."""

from __future__ import annotations

import sys
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
