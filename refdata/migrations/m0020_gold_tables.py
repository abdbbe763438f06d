"""Gold tables: symbology (bitemporal canonical-ID mappings), assets (the alias table), job state.

- `gold.symbology`: canonical ID <-> (venue, symbol, lifetime) with valid time
  [valid_from, valid_to) and system time [recorded_at, superseded_at), derived from
  `silver.instrument_versions` by `spark_jobs/gold_symbology.py` (write-audit-publish:
  `write.wap.enabled`).
- `gold.assets`: refdata/symbology/data/asset_aliases.csv loaded bitemporally.
- `gold.job_state`: the gold job's watermark, one row per run that changed something.

Columns come from `refdata.gold.schema` (names, types, docs); ADR 0009 explains them.
Frozen once merged: a change is a new migration. `create_tables` is also used by tests to
build the same tables in a scratch namespace.
"""

from __future__ import annotations

from typing import Any

from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table.sorting import SortField, SortOrder
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import (
    BooleanType,
    DecimalType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    NestedField,
    StringType,
    TimestampType,
)

from refdata.catalog import pyiceberg_catalog
from refdata.gold.schema import ASSET_COLUMNS, JOB_STATE_COLUMNS, SYMBOLOGY_COLUMNS, Column
from refdata.migrations.runner import MigrationContext

VERSION = 20
DESCRIPTION = "gold tables: symbology, assets, job_state"

NAMESPACE = "gold"


def _iceberg_type(kind: str, next_id: list[int]) -> IcebergType:
    simple: dict[str, IcebergType] = {
        "string": StringType(), "timestamp": TimestampType(), "int": IntegerType(),
        "long": LongType(), "boolean": BooleanType(),
    }
    if kind in simple:
        return simple[kind]
    if kind.startswith("decimal("):
        precision, scale = (int(x) for x in kind[len("decimal("):-1].split(","))
        return DecimalType(precision, scale)
    if kind == "list<string>":
        next_id[0] += 1
        return ListType(element_id=next_id[0], element_type=StringType(), element_required=True)
    raise ValueError(f"no Iceberg type for {kind}")


def schema_of(columns: tuple[Column, ...]) -> Schema:
    next_id = [1000]  # list element ids live apart from column ids
    return Schema(*(
        NestedField(position, name, _iceberg_type(kind, next_id), required=not nullable, doc=doc)
        for position, (name, kind, nullable, doc) in enumerate(columns, start=1)
    ))


def _by_venue(schema: Schema) -> PartitionSpec:
    venue = schema.find_field("venue").field_id
    return PartitionSpec(PartitionField(source_id=venue, field_id=1000, transform=IdentityTransform(), name="venue"))


def _sorted(schema: Schema, names: tuple[str, ...]) -> SortOrder:
    return SortOrder(*(SortField(source_id=schema.find_field(n).field_id, transform=IdentityTransform())
                       for n in names))


COMMON = {
    "format-version": "2",
    "write.merge.mode": "copy-on-write",
    "write.update.mode": "copy-on-write",
    "write.delete.mode": "copy-on-write",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "50",
    "write.parquet.compression-codec": "zstd",
}


def create_tables(catalog: Any, namespace: str = NAMESPACE, location: str | None = None) -> list[str]:
    """Create the namespace (if needed) and every missing gold table; returns those created."""
    if namespace not in {ns[0] for ns in catalog.list_namespaces()}:
        catalog.create_namespace(namespace, {"location": location} if location else {})
    present = {ident[-1] for ident in catalog.list_tables(namespace)}
    created = []
    symbology = schema_of(SYMBOLOGY_COLUMNS)
    tables: dict[str, tuple[Schema, dict[str, Any], str]] = {
        "symbology": (symbology, {
            "partition_spec": _by_venue(symbology),
            "sort_order": _sorted(symbology, ("venue", "symbol", "valid_from")),
        }, "Canonical instrument IDs per (venue, symbol, lifetime), bitemporal (ADR 0009)"),
        "assets": (schema_of(ASSET_COLUMNS), {}, "Asset alias table (ADR 0007), bitemporal"),
        "job_state": (schema_of(JOB_STATE_COLUMNS), {}, "Watermarks of the gold symbology job"),
    }
    for name, (schema, options, comment) in tables.items():
        if name in present:
            continue
        properties = {**COMMON, "comment": comment}
        if name == "symbology":
            # Write-audit-publish: the job writes to an audit branch, gates it, fast-forwards main.
            properties["write.wap.enabled"] = "true"
        catalog.create_table(f"{namespace}.{name}", schema, properties=properties, **options)
        created.append(name)
    return created


def apply(context: MigrationContext) -> None:
    create_tables(pyiceberg_catalog(context.settings), NAMESPACE)
