"""What the silver job writes: the engine's changes as row images, and how they are stored.

A supersession replaces a row's image by the same row with `superseded_at` set; a new
version is a new image. Both are stored as an upsert by `version_id` (an equality delete of
the ids, then an append of the images, `refdata.equality_deletes`), so a layer table is
never scanned, and writing the same images twice leaves one copy of each: a run retried
after a crash between two tables' publication changes nothing more. The tail table is kept
the same way, by key: the touched keys' old tail rows are deleted and their new tails
appended.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refdata.bitemporal.materialize import Changes
from refdata.bitemporal.schema import to_record
from refdata.bitemporal.window import tail_rows
from refdata.equality_deletes import delete_keys
from refdata.silver.plan import NewObservation
from refdata.silver.reads import Key, LoadedRow, SilverTables

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Record = dict[str, Any]


@dataclass
class StagedTable:
    """Keys to delete (per venue partition) and row images to append, for one table."""

    deleted: dict[str, set[str]] = field(default_factory=dict)
    appended: list[Record] = field(default_factory=list)

    def delete(self, venue: str, key: str) -> None:
        self.deleted.setdefault(venue, set()).add(key)


@dataclass
class Staged:
    published: StagedTable = field(default_factory=StagedTable)  # by version_id
    observed: StagedTable = field(default_factory=StagedTable)  # by version_id
    tail: StagedTable = field(default_factory=StagedTable)  # by symbol
    inserted: int = 0
    superseded: int = 0

    def layer(self, name: str) -> StagedTable:
        return self.published if name == "published" else self.observed


def raw_lookup(batch: Iterable[NewObservation], loaded: Iterable[LoadedRow]) -> dict[tuple[str, str], str]:
    """(observation event id, symbol) -> raw payload, from the batch and from loaded rows."""
    lookup = {(n.observation.event_id, symbol): raw for n in batch for symbol, raw in n.raw_payloads.items()}
    for item in loaded:
        if item.raw_payload is not None:
            for event_id in item.row.asserted_by:
                lookup.setdefault((event_id, item.row.symbol), item.raw_payload)
    return lookup


def stage(changes: Iterable[Changes], loaded: Mapping[Key, Sequence[LoadedRow]],
          raws: Mapping[tuple[str, str], str]) -> Staged:
    """Row images of every change, and each changed key's new tail.

    `loaded` holds, per key, the rows handed to the engine as its state (with raw payloads).
    """
    staged = Staged()
    for change in changes:
        if change.is_empty:
            continue
        venue, symbol = change.state.venue, change.state.symbol
        images: dict[str, Record] = {}
        for item in loaded.get((venue, symbol), ()):
            images[item.row.version_id] = {**to_record(item.row), "raw_payload": item.raw_payload}
        for row in change.to_insert:
            raw = next((raws[(e, symbol)] for e in row.asserted_by if (e, symbol) in raws), None)
            record = {**to_record(row), "raw_payload": raw}
            images[row.version_id] = record
            staged.layer(row.layer).delete(venue, row.version_id)
            staged.layer(row.layer).appended.append(record)
        by_id = {item.row.version_id: item.row for item in loaded.get((venue, symbol), ())}
        for version_id, superseded_at in change.to_supersede:
            row = by_id.get(version_id)
            if row is None:
                raise ValueError(f"{venue} {symbol}: superseded version {version_id} was not loaded")
            record = {**images[version_id], "superseded_at": superseded_at}
            staged.layer(row.layer).delete(venue, version_id)
            staged.layer(row.layer).appended.append(record)
        staged.inserted += len(change.to_insert)
        staged.superseded += len(change.to_supersede)
        staged.tail.delete(venue, symbol)
        staged.tail.appended += [images[row.version_id] for row in tail_rows(change.state.rows)]
    return staged


def _append(spark: "SparkSession", table: str, records: Sequence[Record]) -> None:
    if records:
        schema = spark.table(table).schema
        rows = [tuple(record.get(f.name) for f in schema.fields) for record in records]
        spark.createDataFrame(rows, schema).writeTo(table).append()


def append_rows(spark: "SparkSession", table: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        spark.createDataFrame(rows, spark.table(table).schema).writeTo(table).append()


def upsert(spark: "SparkSession", table: str, key_column: str, staged: StagedTable, branch: str | None = None) -> None:
    """Equality delete of the staged keys, then the append of the staged images (on `branch`
    when given: the caller has set it as Spark's WAP branch too; else on main)."""
    delete_keys(spark, table, key_column, staged.deleted, branch=branch)
    _append(spark, table, staged.appended)


def _parts(tables: SilverTables, staged: Staged) -> list[tuple[str, str, StagedTable]]:
    parts = ((tables.versions, "version_id", staged.published),
             (tables.observed, "version_id", staged.observed),
             (tables.tail, "symbol", staged.tail))
    return [(table, key, part) for table, key, part in parts if part.deleted or part.appended]


def tables_to_write(tables: SilverTables, staged: Staged) -> list[str]:
    """The instrument tables the staged changes write to, in publication order."""
    return [table for table, _, _ in _parts(tables, staged)]


def write(spark: "SparkSession", tables: SilverTables, staged: Staged, branch: str) -> None:
    """Write the staged changes on the audit branch (already created on those tables)."""
    for table, key_column, part in _parts(tables, staged):
        upsert(spark, table, key_column, part, branch)
