"""Fixtures of the bronze integration tests (imported by the test_bronze_* / test_ingest_dag modules).

- `bronze_store`: the four bronze tables in a scratch namespace of the test stack's catalog
  (built by the migration's own `create_tables`), dropped afterwards: row counts and snapshots
  are this module's alone, whatever other sessions write to `bronze`.
- `replay`: the test stack's replay server; sets the clock through /_replay and restores the
  clock found (and clears the faults it added) afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

# Every capture is at or before this: the replay serves the newest recording of each endpoint.
CLOCK = datetime(2025, 11, 6, 12, 0, 0)


@dataclass
class Replay:
    url: str
    http: httpx.Client
    fault_paths: set[str] = field(default_factory=set)

    def set_clock(self, when: datetime) -> None:
        response = self.http.put(f"{self.url}/_replay/clock", json={"clock": when.isoformat()})
        assert response.status_code == 200, response.text

    def fault(self, **spec: Any) -> None:
        response = self.http.post(f"{self.url}/_replay/faults", json=spec)
        assert response.status_code == 200, response.text
        self.fault_paths.add(spec["path"])

    def clear_faults(self) -> None:
        for path in self.fault_paths:
            self.http.delete(f"{self.url}/_replay/faults", params={"path": path})
        self.fault_paths.clear()


@pytest.fixture
def replay(settings, stack) -> Iterator[Replay]:  # type: ignore[no-untyped-def]
    with httpx.Client(timeout=10) as http:
        before = http.get(f"{settings.replay_url}/_replay/state").json()["clock"]
        r = Replay(settings.replay_url, http)
        r.set_clock(CLOCK)
        try:
            yield r
        finally:
            r.clear_faults()
            http.put(f"{settings.replay_url}/_replay/clock", json={"clock": before})


@pytest.fixture(scope="module")
def bronze_store(settings, stack):  # type: ignore[no-untyped-def]
    from refdata.bronze.store import TABLE_NAMES, BronzeStore
    from refdata.catalog import pyiceberg_catalog
    from refdata.migrations.m0008_bronze_tables import create_tables

    catalog = pyiceberg_catalog(settings)
    namespace = f"bronze_test_{uuid.uuid4().hex[:8]}"
    assert create_tables(catalog, namespace) == list(TABLE_NAMES)
    yield BronzeStore(settings, namespace, catalog)
    for name in TABLE_NAMES:
        catalog.drop_table(f"{namespace}.{name}")
    catalog.drop_namespace(namespace)


def rows(store: Any, table: str, row_filter: Any = None) -> list[dict[str, Any]]:
    from pyiceberg.expressions import AlwaysTrue

    return store.table(table).scan(row_filter=row_filter or AlwaysTrue()).to_arrow().to_pylist()


def counts(store: Any) -> dict[str, int]:
    return {name: len(store.table(name).scan(selected_fields=(_first(name),)).to_arrow()) for name in
            ("polls", "responses", "bodies", "quarantine")}


def snapshot_counts(store: Any) -> dict[str, int]:
    return {name: len(store.table(name).snapshots()) for name in ("polls", "responses", "bodies", "quarantine")}


def _first(table: str) -> str:
    return "body_sha256" if table == "bodies" else "poll_id"
