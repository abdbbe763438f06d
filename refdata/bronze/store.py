"""The bronze tables through pyiceberg: look-ups, the per-venue write lock, and appends.

Writes go to the catalog of `refdata.catalog.pyiceberg_catalog(settings)`; no JVM. One
append (one Iceberg snapshot) per table per poll, in the order bodies → responses → polls;
each snapshot carries `refdata.poll-id`, `refdata.write-id` and `refdata.run-id` in its
summary so that an operator (and the tests) can tell which poll wrote what.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from refdata.catalog import pyiceberg_catalog
from refdata.locks import venue_lock
from refdata.settings import Settings

if TYPE_CHECKING:
    from pyiceberg.table import Table

DEFAULT_NAMESPACE = "bronze"
TABLE_NAMES = ("polls", "responses", "bodies", "quarantine")


class BronzeStore:
    def __init__(self, settings: Settings, namespace: str = DEFAULT_NAMESPACE, catalog: Any = None) -> None:
        self.settings = settings
        self.namespace = namespace
        self.catalog = catalog or pyiceberg_catalog(settings)

    # ---- tables ----------------------------------------------------------------------------

    def table(self, name: str) -> "Table":
        """Freshly loaded (the current snapshot, not a cached one)."""
        return self.catalog.load_table(f"{self.namespace}.{name}")

    def _rows(self, name: str, row_filter: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        return self.table(name).scan(row_filter=row_filter, selected_fields=fields).to_arrow().to_pylist()

    # ---- look-ups ----------------------------------------------------------------------------

    def committed(self, poll_ids: Iterable[str]) -> set[str]:
        """The poll ids among `poll_ids` that have a `polls` row (i.e. are committed)."""
        from pyiceberg.expressions import In

        wanted = set(poll_ids)
        if not wanted:
            return set()
        return {r["poll_id"] for r in self._rows("polls", In("poll_id", wanted), ("poll_id",))}

    def last_recorded_at(self, venue: str) -> datetime | None:
        from pyiceberg.expressions import EqualTo

        rows = self._rows("polls", EqualTo("venue", venue), ("recorded_at",))
        return max((r["recorded_at"] for r in rows), default=None)

    def stored_bodies(self, venue: str, contents: Iterable[str]) -> dict[str, str]:
        """content_sha256 -> body_sha256 of the body already kept for that content."""
        from pyiceberg.expressions import And, EqualTo, In

        wanted = set(contents)
        if not wanted:
            return {}
        rows = self._rows(
            "bodies", And(EqualTo("venue", venue), In("content_sha256", wanted)), ("content_sha256", "body_sha256")
        )
        found: dict[str, str] = {}
        for row in rows:
            found.setdefault(row["content_sha256"], row["body_sha256"])
        return found

    # ---- writes ------------------------------------------------------------------------------

    def append(self, name: str, rows: list[dict[str, Any]], properties: dict[str, str]) -> int:
        """Append rows as one snapshot; returns the Parquet bytes it added."""
        import pyarrow as pa

        table = self.table(name)
        data = pa.Table.from_pylist(rows, schema=table.schema().as_arrow())
        table.append(data, snapshot_properties=properties)
        return _added_bytes(table, properties)

    def venue_lock(self, venue: str):  # type: ignore[no-untyped-def]
        """Serializes the writers of one venue (any host): the check for an existing poll,
        the recorded_at read and the appends happen as one step (refdata.locks)."""
        return venue_lock(self.settings, self.namespace, venue)


def _added_bytes(table: "Table", properties: dict[str, str]) -> int:
    """`added-files-size` of the snapshot this append made (found by its write id)."""
    write_id = properties.get("refdata.write-id")
    snapshots = [table.current_snapshot()] + list(reversed(table.snapshots()))
    for snapshot in snapshots:
        if snapshot is None or snapshot.summary is None:
            continue
        if write_id is None or snapshot.summary["refdata.write-id"] == write_id:
            return int(snapshot.summary["added-files-size"] or 0)
    return 0
