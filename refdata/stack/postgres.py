"""PostgreSQL for the Iceberg JDBC catalog and Airflow's metadata database."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

import psycopg

from refdata.errors import ConfigurationError
from refdata.settings import Settings
from refdata.stack.process import ManagedProcess


def postgres_bin_dir() -> Path:
    """Debian's PostgreSQL binaries (the newest installed major version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).resolve().parent
    raise ConfigurationError(
        "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin); "
        "`make install` installs them (apt-get install postgresql)"
    )


def _service_user() -> str | None:
    """initdb and postgres refuse to run as root; run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return "postgres"


def _as_service_user(command: list[str]) -> list[str]:
    user = _service_user()
    return ["runuser", "-u", user, "--", *command] if user else command


def _chown_to_service_user(path: Path) -> None:
    user = _service_user()
    if user:
        entry = pwd.getpwnam(user)
        for root, dirs, files in os.walk(path):
            os.chown(root, entry.pw_uid, entry.pw_gid)
            for name in files:
                os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def _check_reachable_by_service_user(directory: Path) -> None:
    user = _service_user()
    if user and subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(directory)]).returncode:
        raise ConfigurationError(
            f"PostgreSQL runs as the `{user}` user when started by root, and that user cannot "
            f"enter {directory}; put the data directory somewhere it can reach (REFDATA_VAR_DIR)"
        )


def data_dir(settings: Settings) -> Path:
    return settings.data_dir / "postgres"


def socket_dir(settings: Settings) -> Path:
    return settings.run_dir / "postgres-socket"


def initialize(settings: Settings) -> None:
    """Create the database cluster once (superuser = settings.pg_user, password auth)."""
    cluster = data_dir(settings)
    if (cluster / "PG_VERSION").exists():
        return
    cluster.mkdir(parents=True, exist_ok=True)
    socket_dir(settings).mkdir(parents=True, exist_ok=True)
    _check_reachable_by_service_user(cluster.parent)
    password_file = cluster.parent / "postgres.pwfile"
    password_file.write_text(settings.pg_password + "\n")
    _chown_to_service_user(cluster)
    _chown_to_service_user(socket_dir(settings))
    _chown_to_service_user(password_file)
    try:
        subprocess.run(
            _as_service_user(
                [
                    str(postgres_bin_dir() / "initdb"),
                    "-D", str(cluster),
                    "-U", settings.pg_user,
                    f"--pwfile={password_file}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as error:
        shutil.rmtree(cluster, ignore_errors=True)
        raise ConfigurationError(f"initdb failed: {error.stderr.strip()}") from error
    finally:
        password_file.unlink(missing_ok=True)


def connect(settings: Settings, database: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(
        host=settings.host,
        port=settings.ports.postgres,
        user=settings.pg_user,
        password=settings.pg_password,
        dbname=database,
        connect_timeout=3,
        autocommit=True,
    )


def connect_catalog(settings: Settings) -> psycopg.Connection:
    """The Iceberg catalog database (settings.catalog_uri when set, else the local one)."""
    try:
        return psycopg.connect(settings.catalog_psycopg_dsn, connect_timeout=5, autocommit=True)
    except psycopg.OperationalError as error:
        raise ConfigurationError(
            f"cannot reach the Iceberg catalog database at {settings.catalog_jdbc_url} "
            f"(REFDATA_CATALOG_URI): {str(error).strip()}"
        ) from error


def ensure_databases(settings: Settings) -> None:
    with connect(settings) as connection:
        existing = {row[0] for row in connection.execute("SELECT datname FROM pg_database")}
        for database in (settings.catalog_db, settings.airflow_db):
            if database not in existing:
                # Identifiers cannot be bound parameters; these come from settings, not input.
                connection.execute(f'CREATE DATABASE "{database}"')


def _healthy(settings: Settings) -> bool:
    with connect(settings) as connection:
        return connection.execute("SELECT 1").fetchone() == (1,)


def service(settings: Settings) -> ManagedProcess:
    def command() -> list[str]:
        initialize(settings)
        return _as_service_user(
            [
                str(postgres_bin_dir() / "postgres"),
                "-D", str(data_dir(settings)),
                "-h", settings.host,
                "-p", str(settings.ports.postgres),
                "-k", str(socket_dir(settings)),
                "-c", "shared_buffers=256MB",
                "-c", "max_connections=200",
                "-c", "fsync=on",
            ]
        )

    return ManagedProcess(
        name="postgres",
        host=settings.host,
        port=settings.ports.postgres,
        port_setting="REFDATA_PORTS__POSTGRES",
        command=command,
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        healthy=lambda: _healthy(settings),
        start_timeout=60,
        stop_signal=signal.SIGINT,  # "fast" shutdown: rolls back open sessions, no recovery needed
    )
