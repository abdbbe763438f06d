"""A single-node Trino (core tarball + Iceberg plugin from Maven Central) on the shared catalog."""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import zipfile
from pathlib import Path

import httpx

from refdata.settings import Settings
from refdata.stack import downloads
from refdata.stack.java import trino_java_home
from refdata.stack.process import ManagedProcess


def install_dir(settings: Settings) -> Path:
    return settings.cache_dir / f"trino-server-{settings.versions.trino}"


def install(settings: Settings) -> Path:
    """Unpack the server core and the Iceberg plugin into the cache, once."""
    home = install_dir(settings)
    marker = home / ".installed"
    if marker.exists():
        return home
    core, iceberg_plugin = (downloads.fetch(a, settings) for a in downloads.trino_artifacts(settings))
    staging = home.with_name(home.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(core) as archive:
        archive.extractall(staging, filter="tar")
    (unpacked,) = [p for p in staging.iterdir() if p.is_dir()]
    with zipfile.ZipFile(iceberg_plugin) as archive:
        archive.extractall(unpacked / "plugin")
    plugin_dir = unpacked / "plugin" / f"trino-iceberg-{settings.versions.trino}"
    plugin_dir.rename(unpacked / "plugin" / "iceberg")
    for launcher in (unpacked / "bin").rglob("launcher*"):
        launcher.chmod(0o755)
    shutil.rmtree(home, ignore_errors=True)
    unpacked.rename(home)
    shutil.rmtree(staging, ignore_errors=True)
    marker.write_text(settings.versions.trino)
    return home


def catalog_properties(settings: Settings) -> dict[str, str]:
    """The `refdata` catalog: the same JDBC catalog and object store as Spark and pyiceberg."""
    return {
        "connector.name": "iceberg",
        "iceberg.catalog.type": "jdbc",
        "iceberg.jdbc-catalog.driver-class": "org.postgresql.Driver",
        "iceberg.jdbc-catalog.connection-url": settings.catalog_jdbc_url,
        "iceberg.jdbc-catalog.connection-user": settings.pg_user,
        "iceberg.jdbc-catalog.connection-password": settings.pg_password,
        "iceberg.jdbc-catalog.catalog-name": settings.catalog_name,
        "iceberg.jdbc-catalog.default-warehouse-dir": settings.warehouse_uri.rstrip("/"),
        "iceberg.jdbc-catalog.schema-version": "V1",
        "iceberg.file-format": "PARQUET",
        "iceberg.unique-table-location": "true",
        "fs.native-s3.enabled": "true",
        "s3.endpoint": settings.s3_endpoint_url,
        "s3.region": settings.s3_region,
        "s3.path-style-access": str(settings.s3_path_style_access).lower(),
        **({"s3.aws-access-key": keys[0], "s3.aws-secret-key": keys[1]}
           if (keys := settings.s3_static_credentials) else {}),
    }


# Read-only SQL user for analysts (docs/adr/0009-gold-symbology.md, "Analyst access").
ANALYST_USER = "analyst"


def access_control_rules(settings: Settings) -> dict[str, object]:
    """Trino file-based access control: the pipeline user (settings.trino_user) may do
    everything; `analyst` may read the warehouse catalog (and `system`), never write; any other
    user is denied. No authentication runs on the local stack (users are trusted by name):
    production deployments add password or OAuth authentication in front of these rules."""
    admin = re.escape(settings.trino_user)
    catalog = re.escape(settings.catalog_name)
    return {
        "catalogs": [
            {"user": admin, "catalog": ".*", "allow": "all"},
            {"user": ANALYST_USER, "catalog": f"({catalog}|system)", "allow": "read-only"},
            {"catalog": ".*", "allow": "none"},
        ],
        # Without these sections the file plugin allows only built-in functions and procedures.
        "functions": [
            {"user": admin, "privileges": ["EXECUTE", "GRANT_EXECUTE", "OWNERSHIP"]},
            {"user": ANALYST_USER, "privileges": ["EXECUTE"]},  # read-only ones, e.g. table_changes
        ],
        "procedures": [
            {"user": admin, "privileges": ["EXECUTE", "GRANT_EXECUTE"]},
        ],
    }


def _write_access_control(settings: Settings, etc: Path) -> Path:
    rules = etc / "access-control-rules.json"
    rules.write_text(json.dumps(access_control_rules(settings), indent=2) + "\n")
    properties = etc / "access-control.properties"
    properties.write_text(_properties_text({
        "access-control.name": "file",
        "security.config-file": str(rules),
        "security.refresh-period": "30s",
    }))
    return properties


def _properties_text(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def write_config(settings: Settings) -> Path:
    etc = settings.var_dir / "trino" / "etc"
    (etc / "catalog").mkdir(parents=True, exist_ok=True)
    data = settings.data_dir / "trino"
    data.mkdir(parents=True, exist_ok=True)
    (etc / "node.properties").write_text(
        _properties_text(
            {
                "node.environment": "refdata_local",
                "node.id": "refdata-local-coordinator",
                "node.data-dir": str(data),
                # Airlift's HTTP server binds to node.bind-ip: keep Trino on loopback.
                "node.bind-ip": settings.host,
                "node.internal-address": settings.host,
            }
        )
    )
    (etc / "jvm.config").write_text(
        "\n".join(
            [
                "-server",
                f"-Xmx{settings.trino_heap}",
                "-XX:InitialRAMPercentage=5",
                "-XX:+UseG1GC",
                "-XX:+ExplicitGCInvokesConcurrent",
                "-XX:+ExitOnOutOfMemoryError",
                "-XX:+HeapDumpOnOutOfMemoryError",
                "-XX:-OmitStackTraceInFastThrow",
                "-XX:ReservedCodeCacheSize=256M",
                "-XX:PerMethodRecompilationCutoff=10000",
                "-XX:PerBytecodeRecompilationCutoff=10000",
                "-Djdk.attach.allowAttachSelf=true",
                "-Djdk.nio.maxCachedBufferSize=2000000",
                "-Dfile.encoding=UTF-8",
                "-XX:+EnableDynamicAgentLoading",
                # Two cores: keep the JIT and GC thread pools small.
                "-XX:CICompilerCount=2",
                "-XX:ParallelGCThreads=2",
                "-XX:ConcGCThreads=1",
                "",
            ]
        )
    )
    heap_gb = int(settings.trino_heap.rstrip("Gg"))
    access_control = _write_access_control(settings, etc)
    (etc / "config.properties").write_text(
        _properties_text(
            {
                "coordinator": "true",
                "node-scheduler.include-coordinator": "true",
                "http-server.http.port": str(settings.ports.trino),
                "discovery.uri": settings.trino_http_url,
                "query.max-memory": f"{max(1, heap_gb // 2)}GB",
                "query.max-memory-per-node": f"{max(1, heap_gb // 2)}GB",
                "task.concurrency": "2",
                "task.max-worker-threads": "8",
                # Finished queries and their tasks are kept for the web UI and system.runtime; the
                # coordinator refreshes every kept task's info, which after a few thousand point
                # lookups cost ~30 % of a core at idle (ADR 0014). The last 100 queries are kept.
                "query.min-expire-age": "1m",
                "task.info.max-age": "1m",
                "catalog.management": "static",
                "access-control.config-files": str(access_control),
            }
        )
    )
    (etc / "log.properties").write_text("io.trino=INFO\n")
    (etc / "catalog" / f"{settings.catalog_name}.properties").write_text(
        _properties_text(catalog_properties(settings))
    )
    return etc


def _healthy(settings: Settings) -> bool:
    info = httpx.get(f"{settings.trino_http_url}/v1/info", timeout=2).json()
    return info.get("starting") is False


def service(settings: Settings) -> ManagedProcess:
    def command() -> list[str]:
        home = install(settings)
        etc = write_config(settings)
        java = trino_java_home(settings) / "bin" / "java"
        return [
            str(java),
            *[line for line in (etc / "jvm.config").read_text().splitlines() if line],
            f"-Dconfig={etc / 'config.properties'}",
            f"-Dlog.levels-file={etc / 'log.properties'}",
            f"-Dcatalog.config-dir={etc / 'catalog'}",
            f"-Detc-dir={etc}",
            # The launcher script would turn node.properties into system properties.
            *[f"-D{line}" for line in (etc / "node.properties").read_text().splitlines() if line],
            "-cp",
            str(home / "lib" / "*"),
            "io.trino.server.TrinoServer",
        ]

    return ManagedProcess(
        name="trino",
        host=settings.host,
        port=settings.ports.trino,
        port_setting="REFDATA_PORTS__TRINO",
        command=command,
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        healthy=lambda: _healthy(settings),
        start_timeout=180,
        cwd=install_dir(settings),
    )
