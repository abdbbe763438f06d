"""Silver tables: both bitemporal layers, the observation index, corrections, job state.

- `instrument_versions`: the published layer (what readers query): spec versions with
  valid time [valid_from, valid_to) and system time [recorded_at, superseded_at).
- `instrument_observed`: the observed layer (listed runs from observations only), kept so
  that a correction can be revoked and the feed's values restored (ADR 0005).
- `observation_index`: every venue observation silver has applied, with its times; the
  bitemporal engine needs it to know which observation governs which valid interval.
- `corrections`: append-only correction events (propose, approve, reject, revoke).
- `job_state`: the silver job's committed watermark, one row per run.

Columns of the two layers come from `refdata.bitemporal.schema.COLUMNS`.
Frozen once merged: a change is a new migration.
"""

from __future__ import annotations

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
    NestedField,
    StringType,
    TimestampType,
)

from refdata.bitemporal.schema import COLUMNS
from refdata.catalog import pyiceberg_catalog
from refdata.migrations.runner import MigrationContext

VERSION = 10
DESCRIPTION = "silver tables: instrument_versions, instrument_observed, observation_index, corrections, job_state"

S, TS = StringType(), TimestampType()


def _iceberg_type(kind: str, next_id: list[int]) -> IcebergType:
    if kind == "string":
        return S
    if kind == "timestamp":
        return TS
    if kind == "int":
        return IntegerType()
    if kind.startswith("decimal("):
        precision, scale = (int(x) for x in kind[len("decimal("):-1].split(","))
        return DecimalType(precision, scale)
    if kind == "list<string>":
        next_id[0] += 1
        return ListType(element_id=next_id[0], element_type=S, element_required=True)
    raise ValueError(f"no Iceberg type for {kind}")


def version_schema() -> Schema:
    next_id = [1000]  # list element ids live apart from column ids
    fields = [
        NestedField(position, name, _iceberg_type(kind, next_id), required=not nullable)
        for position, (name, kind, nullable) in enumerate(COLUMNS, start=1)
    ]
    # The instrument's own JSON object from the observation that established the version.
    fields.append(NestedField(len(fields) + 1, "raw_payload", S, required=False))
    return Schema(*fields)


OBSERVATION_INDEX = Schema(
    NestedField(1, "venue", S, required=True),
    NestedField(2, "event_id", S, required=True, doc="the bronze poll_id of the observation"),
    NestedField(3, "observed_at", TS, required=True),
    NestedField(4, "recorded_at", TS, required=True),
    NestedField(5, "complete_listing", BooleanType(), required=True,
                doc="false: a partial listing, applied to its listed instruments only"),
    NestedField(6, "instrument_count", IntegerType(), required=True),
    NestedField(7, "applied_by_run", S, required=True),
    NestedField(8, "listed_symbols", ListType(element_id=100, element_type=S, element_required=True),
                required=False, doc="partial listings only: the symbols it lists (it says nothing of others)"),
)

CORRECTIONS = Schema(
    NestedField(1, "event_id", S, required=True),
    NestedField(2, "correction_id", S, required=True),
    NestedField(3, "action", S, required=True, doc="propose | approve | reject | revoke"),
    NestedField(4, "at", TS, required=True, doc="system time of this action, UTC"),
    NestedField(5, "actor", S, required=True),
    NestedField(6, "reason", S, required=False),
    NestedField(7, "venue", S, required=True),
    NestedField(8, "symbol", S, required=True),
    NestedField(9, "valid_from", TS, required=False, doc="propose only"),
    NestedField(10, "valid_to", TS, required=False, doc="propose only; null = open-ended"),
    NestedField(11, "fields_json", S, required=False, doc="propose only: JSON object field -> value (decimals as strings)"),
)

JOB_STATE = Schema(
    NestedField(1, "job", S, required=True),
    NestedField(2, "run_id", S, required=True),
    NestedField(3, "watermark", TS, required=True,
                doc="every event of the venue with system time <= watermark is applied"),
    NestedField(4, "finished_at", TS, required=True),
    NestedField(5, "events_applied", IntegerType(), required=True),
    NestedField(6, "rows_inserted", IntegerType(), required=True),
    NestedField(7, "rows_superseded", IntegerType(), required=True),
    NestedField(8, "venue", S, required=True),
)


def _partitioned_by_venue(schema: Schema) -> PartitionSpec:
    venue = schema.find_field("venue")
    return PartitionSpec(PartitionField(source_id=venue.field_id, field_id=1000, transform=IdentityTransform(), name="venue"))


def _sorted_by_key(schema: Schema) -> SortOrder:
    return SortOrder(
        *(SortField(source_id=schema.find_field(name).field_id, transform=IdentityTransform())
          for name in ("venue", "symbol", "valid_from"))
    )


def create_tables(catalog: object, namespace: str, base_location: str) -> None:
    """Create the silver tables in `namespace` (also used by tests for scratch namespaces)."""
    existing = {ns[0] for ns in catalog.list_namespaces()}  # type: ignore[attr-defined]
    if namespace not in existing:
        catalog.create_namespace(namespace, {"location": f"{base_location}{namespace}"})  # type: ignore[attr-defined]
    # WAP (write.wap.enabled): the silver job writes to an audit branch, gates it, then publishes.
    wap = {"write.wap.enabled": "true", "format-version": "2", "write.merge.mode": "copy-on-write"}
    create = catalog.create_table_if_not_exists  # type: ignore[attr-defined]
    for name in ("instrument_versions", "instrument_observed"):
        schema = version_schema()
        create(
            f"{namespace}.{name}", schema,
            location=f"{base_location}{namespace}/{name}",
            partition_spec=_partitioned_by_venue(schema),
            sort_order=_sorted_by_key(schema),
            properties=wap,
        )
    for name, schema, properties in (
        ("observation_index", OBSERVATION_INDEX, wap),
        ("corrections", CORRECTIONS, {"format-version": "2"}),
        ("job_state", JOB_STATE, wap),
    ):
        create(f"{namespace}.{name}", schema, location=f"{base_location}{namespace}/{name}", properties=properties)


def apply(context: MigrationContext) -> None:
    create_tables(pyiceberg_catalog(context.settings), "silver", context.settings.warehouse_uri)
