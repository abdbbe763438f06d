"""Airflow 3 as four processes (api-server, scheduler, dag-processor, triggerer) on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from refdata.errors import ConfigurationError
from refdata.settings import PROJECT_ROOT, Settings
from refdata.stack.java import spark_java_home
from refdata.stack.process import ManagedProcess


def airflow_home(settings: Settings) -> Path:
    return settings.var_dir / "airflow"


def _stable_secret(settings: Settings, purpose: str) -> str:
    # Every component must sign and verify the same JWTs; derive the secret from the
    # local data directory so it is stable across restarts but differs between checkouts.
    return hashlib.sha256(f"{settings.var_dir.resolve()}:{purpose}".encode()).hexdigest()


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment for every Airflow process, including task processes and `dag.test()`."""
    home = airflow_home(settings)
    bin_dir = str(Path(sys.executable).parent)
    java_home = spark_java_home(settings)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(settings.airflow_parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(settings.airflow_parallelism),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{settings.airflow_url}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": settings.airflow_sqlalchemy_url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
        "AIRFLOW__API__HOST": settings.host,
        "AIRFLOW__API__PORT": str(settings.ports.airflow),
        "AIRFLOW__API__BASE_URL": settings.airflow_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": _stable_secret(settings, "api"),
        "AIRFLOW__API_AUTH__JWT_SECRET": _stable_secret(settings, "jwt"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__TRIGGERER__CAPACITY": "100",
        "AIRFLOW__WEBSERVER__EXPOSE_CONFIG": "False",
        "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": settings.spark_master}),
        "JAVA_HOME": str(java_home),
        "PATH": f"{bin_dir}:{java_home / 'bin'}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(PROJECT_ROOT),
        "GX_ANALYTICS_ENABLED": "false",
        "NO_PROXY": "*",
    }
    return env


def migrate_metadata_db(settings: Settings) -> None:
    home = airflow_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        env={**os.environ, **airflow_env(settings)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise ConfigurationError(f"airflow db migrate failed:\n{result.stderr[-3000:]}")


def health(settings: Settings) -> dict[str, str]:
    """Component -> status, as the api-server reports it."""
    body = httpx.get(f"{settings.airflow_url}/api/v2/monitor/health", timeout=3).json()
    return {name: (value or {}).get("status", "unknown") for name, value in body.items()}


def _component_healthy(settings: Settings, component: str) -> bool:
    return health(settings).get(component) == "healthy"


def services(settings: Settings) -> list[ManagedProcess]:
    airflow = str(Path(sys.executable).parent / "airflow")

    def component(name: str, args: list[str], health_key: str | None, **kwargs) -> ManagedProcess:  # type: ignore[no-untyped-def]
        return ManagedProcess(
            name=f"airflow-{name}",
            host=settings.host,
            port=kwargs.pop("port", 0),
            port_setting=kwargs.pop("port_setting", ""),
            command=lambda: [airflow, *args],
            env=lambda: airflow_env(settings),
            run_dir=settings.run_dir,
            log_dir=settings.log_dir,
            healthy=(lambda: _component_healthy(settings, health_key)) if health_key else None,
            start_timeout=kwargs.pop("start_timeout", 120),
            cwd=airflow_home(settings),
            **kwargs,
        )

    def api_server_command() -> list[str]:
        migrate_metadata_db(settings)
        return [airflow, "api-server"]

    api_server = component(
        "api-server",
        [],
        "metadatabase",
        port=settings.ports.airflow,
        port_setting="REFDATA_PORTS__AIRFLOW",
        start_timeout=300,
    )
    api_server.command = api_server_command
    return [
        api_server,
        component("scheduler", ["scheduler", "--skip-serve-logs"], "scheduler"),
        component("dag-processor", ["dag-processor"], "dag_processor"),
        component("triggerer", ["triggerer", "--skip-serve-logs"], "triggerer"),
    ]
