"""Run the maintenance actions on every table of the layer namespaces (Spark procedures).

Tables of a namespace written by a transform job (silver, gold) are maintained under that
job's lock (`refdata.locks.transform_lock`), so a compaction or an expiry never races the job's
MERGE on the same tables. Bronze is append-only and written under per-venue locks; a compaction
commutes with appends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from refdata.catalog import pyiceberg_catalog
from refdata.locks import TRANSFORM_JOBS, transform_lock
from refdata.maintenance.plan import (
    Action,
    TableRef,
    compact_sql,
    expire_sql,
    orphans_sql,
    quarantine_retention_sql,
)
from refdata.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

NAMESPACES = ("bronze", "silver", "gold")


@dataclass
class MaintenanceReport:
    # (action, table) -> the procedure's output row(s) as dicts, and seconds taken
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def record(self, action: Action, table: str, rows: list[dict[str, Any]], seconds: float) -> None:
        key = f"{action.value} {table}"
        self.results[key] = rows
        self.seconds[key] = round(seconds, 2)

    def summary(self) -> str:
        lines = [f"{key}: {rows} ({self.seconds[key]} s)" for key, rows in self.results.items()]
        return "\n".join(lines) or "nothing to maintain"


def layer_tables(settings: Settings, namespaces: Sequence[str]) -> list[TableRef]:
    """Every table of the namespaces (views excluded), with whether it declares a sort order."""
    catalog = pyiceberg_catalog(settings)
    tables = []
    for namespace in namespaces:
        for identifier in sorted(catalog.list_tables(namespace)):
            table = catalog.load_table(identifier)
            tables.append(TableRef(settings.catalog_name, namespace, identifier[-1],
                                   sorted=not table.sort_order().is_unsorted))
    return tables


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def run(spark: "SparkSession", settings: Settings, actions: Sequence[Action],
        namespaces: Sequence[str] = NAMESPACES, now: datetime | None = None,
        bronze_namespace: str = "bronze") -> MaintenanceReport:
    now = now or _utcnow()
    policy = settings.maintenance
    report = MaintenanceReport()
    tables = layer_tables(settings, namespaces)

    def call(action: Action, table: str, sql: str) -> None:
        log.info("%s: %s", action.value, sql)
        started = time.monotonic()
        rows = [row.asDict() for row in spark.sql(sql).collect()]
        report.record(action, table, rows, time.monotonic() - started)

    if Action.RETENTION in actions and bronze_namespace in namespaces:
        sql = quarantine_retention_sql(settings.catalog_name, bronze_namespace, policy, now)
        call(Action.RETENTION, f"{bronze_namespace}.quarantine", sql)
    for namespace in namespaces:
        # The layer namespaces carry their layer's name.
        lock = transform_lock(settings, namespace, namespace) if namespace in TRANSFORM_JOBS else nullcontext()
        with lock:
            for table in (t for t in tables if t.namespace == namespace):
                if Action.COMPACT in actions:
                    call(Action.COMPACT, table.identifier, compact_sql(table, policy))
                if Action.EXPIRE in actions:
                    call(Action.EXPIRE, table.identifier, expire_sql(table, policy, now))
                if Action.ORPHANS in actions:
                    call(Action.ORPHANS, table.identifier, orphans_sql(table, policy, now))
    return report
