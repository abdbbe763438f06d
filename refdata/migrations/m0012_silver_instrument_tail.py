"""Silver `instrument_tail`: each key's tail, so that an hourly run reads a few rows per key.

The tail of a key (`refdata.bitemporal.window`) is its last current observed row and the
current published rows reaching past that row's start: one or two rows per key in each
layer, whatever the length of its history. The silver job plans and advances ordinary
batches from this table and keeps it in step (ADR 0013); readers never use it.

Same columns as the layer tables (both layers, told apart by `layer`), partitioned by venue,
sorted by key, merge-on-read and zstd like them. On an existing deployment the tail is
filled from the current rows of the two layer tables (which at this version hold no
equality deletes, so pyiceberg reads them exactly).
Frozen once merged: a change is a new migration.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from refdata.bitemporal.schema import from_record
from refdata.bitemporal.window import tail_rows
from refdata.catalog import pyiceberg_catalog
from refdata.migrations.m0010_silver_tables import _partitioned_by_venue, _sorted_by_key, version_schema
from refdata.migrations.m0011_silver_write_properties import MERGE_ON_READ, ZSTD
from refdata.migrations.runner import MigrationContext

VERSION = 12
DESCRIPTION = "silver instrument_tail: the rows each key's next ordinary batch needs"

TABLE = "instrument_tail"
LAYER_TABLES = ("instrument_observed", "instrument_versions")


def create_table(catalog: Any, namespace: str, base_location: str) -> bool:
    """Create the tail table; False if it existed already."""
    if catalog.table_exists(f"{namespace}.{TABLE}"):
        return False
    schema = version_schema()
    catalog.create_table(
        f"{namespace}.{TABLE}", schema,
        location=f"{base_location}{namespace}/{TABLE}",
        partition_spec=_partitioned_by_venue(schema),
        sort_order=_sorted_by_key(schema),
        properties={"write.wap.enabled": "true", "format-version": "2", **MERGE_ON_READ, **ZSTD},
    )
    return True


def fill_from_layers(catalog: Any, namespace: str) -> int:
    """Append the tail of every key computed from the layer tables' current rows."""
    from pyiceberg.expressions import IsNull

    records: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for name in LAYER_TABLES:
        scan = catalog.load_table(f"{namespace}.{name}").scan(row_filter=IsNull("superseded_at"))
        for record in scan.to_arrow().to_pylist():
            records[(record["venue"], record["symbol"])].append(record)
    if not records:
        return 0
    by_id: dict[str, dict[str, Any]] = {}
    tail: list[dict[str, Any]] = []
    for key_records in records.values():
        by_id.update({r["version_id"]: r for r in key_records})
        tail += [by_id[row.version_id] for row in tail_rows(from_record(r) for r in key_records)]
    table = catalog.load_table(f"{namespace}.{TABLE}")
    import pyarrow as pa

    table.append(pa.Table.from_pylist(tail, schema=table.schema().as_arrow()))
    return len(tail)


def create_and_fill(catalog: Any, namespace: str, base_location: str) -> None:
    if create_table(catalog, namespace, base_location):
        fill_from_layers(catalog, namespace)


def apply(context: MigrationContext) -> None:
    create_and_fill(pyiceberg_catalog(context.settings), "silver", context.settings.warehouse_uri)
