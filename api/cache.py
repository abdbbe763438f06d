"""Read cache keyed by the Iceberg snapshots of the tables a read touches.

The current table version is the `metadata_location` of the table in the JDBC catalog
(one row in `iceberg_tables`; every Iceberg commit writes a new metadata file), looked up with
one indexed PostgreSQL query and remembered for `ttl_s` (default 1 s). A cached answer is
therefore never served more than `ttl_s` after a publish replaced the snapshot it came from.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from refdata.settings import Settings


class SnapshotVersions:
    def __init__(self, settings: Settings, ttl_s: float = 1.0) -> None:
        self.settings, self.ttl_s = settings, ttl_s
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[float, str | None]] = {}

    def _lookup(self, namespace: str, table: str) -> str | None:
        import psycopg

        with psycopg.connect(self.settings.catalog_psycopg_dsn, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = %s AND table_namespace = %s "
                "AND table_name = %s", (self.settings.catalog_name, namespace, table)).fetchone()
        return row[0] if row else None

    def version(self, namespace: str, table: str) -> str | None:
        key = (namespace, table)
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(key)
            if hit and now - hit[0] < self.ttl_s:
                return hit[1]
        value = self._lookup(namespace, table)
        with self._lock:
            self._seen[key] = (time.monotonic(), value)
        return value


class ReadCache:
    """A bounded LRU of answers; keys include the table versions, so a publish misses."""

    def __init__(self, versions: SnapshotVersions | None, max_entries: int = 4096) -> None:
        self.versions = versions
        self.max_entries = max_entries
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, tables: list[tuple[str, str]], key: Any, compute: Callable[[], Any]) -> Any:
        if self.versions is None:
            return compute()
        try:
            stamp = tuple(self.versions.version(ns, t) for ns, t in tables)
        except Exception:  # noqa: BLE001 - the catalog DB is down: serve uncached
            return compute()
        full = (stamp, key)
        with self._lock:
            if full in self._data:
                self._data.move_to_end(full)
                self.hits += 1
                return self._data[full]
        value = compute()
        with self._lock:
            self.misses += 1
            self._data[full] = value
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value
