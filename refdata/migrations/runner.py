"""Apply pending migrations in version order."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import Callable

import psycopg

from refdata.settings import Settings
from refdata.stack import postgres

# Any constant works; it only has to be the same for every runner.
_ADVISORY_LOCK_ID = 7_104_202_611


@dataclass(frozen=True)
class MigrationContext:
    settings: Settings
    catalog_db: psycopg.Connection


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[MigrationContext], None]


def discover() -> list[Migration]:
    import refdata.migrations as package

    migrations: list[Migration] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("m") or not info.name[1:5].isdigit():
            continue
        module: ModuleType = importlib.import_module(f"{package.__name__}.{info.name}")
        migrations.append(Migration(module.VERSION, module.DESCRIPTION, module.apply))
    migrations.sort(key=lambda m: m.version)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return migrations


def applied_versions(connection: psycopg.Connection) -> set[int]:
    connection.execute(
        """CREATE TABLE IF NOT EXISTS refdata_schema_migrations (
               version integer PRIMARY KEY,
               description text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )
    return {row[0] for row in connection.execute("SELECT version FROM refdata_schema_migrations")}


def migrate(settings: Settings) -> list[Migration]:
    """Apply every pending migration; returns the ones applied by this call."""
    applied_now: list[Migration] = []
    with postgres.connect_catalog(settings) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_ID,))
        try:
            done = applied_versions(connection)
            context = MigrationContext(settings, connection)
            for migration in discover():
                if migration.version in done:
                    continue
                migration.apply(context)
                connection.execute(
                    "INSERT INTO refdata_schema_migrations (version, description) VALUES (%s, %s)",
                    (migration.version, migration.description),
                )
                applied_now.append(migration)
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_ID,))
    return applied_now
