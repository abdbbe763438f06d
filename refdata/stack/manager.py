"""Bring the whole local stack up or down, in dependency order, and report its state."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable

import httpx

from refdata.settings import Settings
from refdata.stack import airflow, objectstore, postgres, trino
from refdata.stack.process import ManagedProcess, pid_alive, process_tree_rss_bytes


def replay_service(settings: Settings) -> ManagedProcess:
    return ManagedProcess(
        name="replay",
        host=settings.host,
        port=settings.ports.replay,
        port_setting="REFDATA_PORTS__REPLAY",
        command=lambda: [
            sys.executable, "-m", "refdata.replay",
            "--host", settings.host, "--port", str(settings.ports.replay),
        ],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        healthy=lambda: httpx.get(f"{settings.replay_url}/_replay/state", timeout=2).status_code == 200,
        start_timeout=30,
    )


def api_service(settings: Settings) -> ManagedProcess:
    return ManagedProcess(
        name="api",
        host=settings.host,
        port=settings.ports.api,
        port_setting="REFDATA_PORTS__API",
        command=lambda: [sys.executable, "-m", "api"],
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        healthy=lambda: httpx.get(f"{settings.api_url}/openapi.json", timeout=3).status_code == 200,
        start_timeout=60,
    )


@dataclass(frozen=True)
class Step:
    """A service to start, and what must happen once it is up (databases, migrations)."""

    service: ManagedProcess
    after_start: Callable[[Settings], None] | None = None


def _run_migrations(settings: Settings) -> None:
    from refdata.migrations.runner import migrate

    migrate(settings)


def _ensure_views(settings: Settings) -> None:
    # Views are SQL of Trino's own dialect: created through Trino once it answers.
    from refdata.gold.views import ensure_views

    ensure_views(settings)


# Groups of the stack a caller may ask for; "core" is what integration tests of the
# warehouse need, "all" adds the replay server and Airflow.
GROUPS: dict[str, tuple[str, ...]] = {
    "storage": ("postgres", "objectstore"),
    "core": ("postgres", "objectstore", "trino"),
    "all": (
        "postgres", "objectstore", "trino", "replay", "api",
        "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
    ),
}


def steps(settings: Settings) -> list[Step]:
    return [
        Step(postgres.service(settings), postgres.ensure_databases),
        Step(objectstore.service(settings), _run_migrations),
        Step(trino.service(settings), _ensure_views),
        Step(replay_service(settings)),
        Step(api_service(settings)),
        *[Step(component) for component in airflow.services(settings)],
    ]


def up(settings: Settings, group: str = "all", log: Callable[[str], None] = print) -> list[str]:
    """Start what is not running; on failure stop what this call started and re-raise.

    Returns the names of the services this call started (the caller owns stopping them).
    """
    wanted = set(GROUPS[group])
    started: list[ManagedProcess] = []
    try:
        for step in steps(settings):
            if step.service.name not in wanted:
                continue
            began = time.monotonic()
            if step.service.start():
                started.append(step.service)
                log(f"started {step.service.name:<22} in {time.monotonic() - began:5.1f}s")
            else:
                log(f"running {step.service.name}")
            if step.after_start is not None:
                step.after_start(settings)
    except BaseException:
        for service in reversed(started):
            log(f"stopping {service.name} (start-up failed)")
            service.stop()
        raise
    return [service.name for service in started]


def down(settings: Settings, only: list[str] | None = None, log: Callable[[str], None] = print) -> None:
    for step in reversed(steps(settings)):
        if only is not None and step.service.name not in only:
            continue
        if step.service.stop():
            log(f"stopped {step.service.name}")


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    port: int
    pid: int | None
    healthy: bool
    rss_bytes: int
    log_file: str


def status(settings: Settings) -> list[ServiceStatus]:
    result = []
    for step in steps(settings):
        service = step.service
        pid = service.pid()
        running = pid is not None and pid_alive(pid)
        result.append(
            ServiceStatus(
                name=service.name,
                port=service.port,
                pid=pid,
                healthy=running and service.is_healthy(),
                rss_bytes=process_tree_rss_bytes(pid) if pid else 0,
                log_file=str(service.log_file),
            )
        )
    return result
