"""Bronze tables: polls (the commit marker), responses, bodies (deduplicated), quarantine.

Append-only Iceberg tables in namespace `bronze`, written by pyiceberg (refdata.bronze) and
read by Trino and Spark. Timestamps are Iceberg `timestamp` (no zone): naive UTC.
Layout and dedup rules: docs/adr/0008-bronze-layout-and-dedup.md.

Frozen once merged: a change to these tables is a new migration. `create_tables` is also
used by tests to build the same tables in a scratch namespace.
"""

from __future__ import annotations

from typing import Any

from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    IntegerType,
    LongType,
    NestedField,
    StringType,
    TimestampType,
)

from refdata.catalog import pyiceberg_catalog
from refdata.migrations.runner import MigrationContext

VERSION = 8
DESCRIPTION = "bronze tables: polls, responses, bodies, quarantine"

NAMESPACE = "bronze"


def _f(field_id: int, name: str, kind: Any, doc: str, required: bool = True) -> NestedField:
    return NestedField(field_id, name, kind, required=required, doc=doc)


S, TS, I, L = StringType(), TimestampType(), IntegerType(), LongType()

POLLS = Schema(
    _f(1, "poll_id", S, "venue/<interval start> | venue/<interval start>/<target> | backfill/venue/<capture sha256[:16]>"),
    _f(2, "write_id", S, "id of the write attempt; responses of this poll carry the same write_id"),
    _f(3, "venue", S, "venue id, e.g. binance-spot"),
    _f(4, "endpoint", S, "GET /path of the listing (kraken-spot also polls GET /0/public/Assets)"),
    _f(5, "request_params", S, "fixed query parameters of the listing, JSON object"),
    _f(6, "status", S, "complete (only complete listings are written)"),
    _f(7, "observed_at", TS, "exchange time of the listing (server time, else Date header, else poll time; backfill: capture time), UTC"),
    _f(8, "recorded_at", TS, "system time: ingestion wall clock, strictly increasing per venue, UTC"),
    _f(9, "run_id", S, "Airflow run id, or cli:..."),
    _f(10, "client_version", S, "refdata client version that fetched or loaded the bytes"),
    _f(11, "page_count", I, "listing pages (responses rows with role=listing)"),
    _f(12, "raw_bytes", L, "total size of the bodies as received (all pages)"),
    _f(13, "stored_bytes", L, "Parquet bytes this poll added to bronze.bodies and bronze.responses"),
    _f(14, "instrument_count", I, "instruments (assets for /0/public/Assets) parsed from the listing"),
    _f(15, "content_sha256", S, "hash of the listing's instrument content (envelope noise excluded)"),
    _f(16, "source", S, "poll | backfill"),
    _f(17, "capture_file", S, "backfill: capture file, relative to the captures directory", required=False),
    _f(18, "complete_listing", BooleanType(), "false: the capture is a partial listing (PROVENANCE.md); null: unknown", required=False),
)

RESPONSES = Schema(
    _f(1, "poll_id", S, "the poll this response belongs to"),
    _f(2, "write_id", S, "trust only rows whose (poll_id, write_id) is in bronze.polls"),
    _f(3, "page_no", I, "0-based, request order"),
    _f(4, "role", S, "listing | discovery (read only to plan the listing: OKX option families)"),
    _f(5, "path", S, "URL path requested"),
    _f(6, "params", S, "query parameters of this request, JSON object (incl. cursor / family / currency)"),
    _f(7, "http_status", I, "HTTP status"),
    _f(8, "headers", S, "response headers kept by the client, JSON object"),
    _f(9, "body_sha256", S, "sha256 of the body bytes as received"),
    _f(10, "content_sha256", S, "hash of the page's instrument content"),
    _f(11, "stored_body_sha256", S, "bronze.bodies row holding this content (this body, or an earlier identical-content one)"),
    _f(12, "size_bytes", L, "size of the body as received"),
    _f(13, "fetched_at", TS, "when the response arrived (backfill: capture time), UTC"),
    _f(14, "recorded_at", TS, "system time of the poll, UTC"),
)

BODIES = Schema(
    _f(1, "body_sha256", S, "sha256 of body"),
    _f(2, "content_sha256", S, "instrument content of body (venue and endpoint included); one row per distinct content"),
    _f(3, "body", BinaryType(), "raw response bytes, exactly as received"),
    _f(4, "size_bytes", L, "length of body"),
    _f(5, "venue", S, "venue of the poll that first received this content"),
    _f(6, "first_poll_id", S, "the poll that first received this content"),
    _f(7, "recorded_at", TS, "system time of that poll, UTC"),
)

QUARANTINE = Schema(
    _f(1, "poll_id", S, "the poll that was rejected"),
    _f(2, "venue", S, "venue id"),
    _f(3, "endpoint", S, "GET /path of the listing"),
    _f(4, "request_params", S, "fixed query parameters of the listing, JSON object"),
    _f(5, "request", S, "the offending request (GET /path?query), when known", required=False),
    _f(6, "error", S, "the precise problem: venue, endpoint, JSON path"),
    _f(7, "body", BinaryType(), "what was received for the offending request, when known", required=False),
    _f(8, "recorded_at", TS, "when the rejection was recorded, UTC"),
    _f(9, "run_id", S, "Airflow run id, or cli:..."),
    _f(10, "source", S, "poll | backfill"),
    _f(11, "capture_file", S, "backfill: capture file", required=False),
)


def _by_venue(schema: Schema) -> PartitionSpec:
    """Identity partition on venue: the writer's per-venue look-ups (last recorded_at, stored
    contents) stay pruned to one venue's files after compaction too."""
    source = schema.find_field("venue").field_id
    return PartitionSpec(PartitionField(source_id=source, field_id=1000, transform=IdentityTransform(), name="venue"))


TABLES: dict[str, tuple[Schema, str, PartitionSpec | None]] = {
    "polls": (POLLS, "One row per complete poll of one venue endpoint; written last: the commit marker", _by_venue(POLLS)),
    "responses": (RESPONSES, "One row per HTTP response page of a poll", None),
    "bodies": (BODIES, "Raw response bodies, one row per distinct instrument content", _by_venue(BODIES)),
    "quarantine": (QUARANTINE, "Responses rejected by validation, with the error", None),
}

PROPERTIES = {
    "format-version": "2",
    # One small commit per poll and table: keep Iceberg metadata from growing with every poll.
    # Old metadata.json versions are deleted after commit (20 kept for time travel/debugging);
    # small manifests are merged (a snapshot's manifest list stays short). Snapshot expiry
    # and compaction are periodic maintenance (ADR 0008).
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "20",
    "commit.manifest-merge.enabled": "true",
    "commit.manifest.min-count-to-merge": "50",
    # Venue tasks run in parallel and append to the same tables: retry lost commit races.
    "commit.retry.num-retries": "10",
    "write.parquet.compression-codec": "zstd",
}


def create_tables(catalog: Any, namespace: str = NAMESPACE, location: str | None = None) -> list[str]:
    """Create the namespace (if needed) and every missing table; returns the tables created."""
    existing_ns = {ns[0] for ns in catalog.list_namespaces()}
    if namespace not in existing_ns:
        catalog.create_namespace(namespace, {"location": location} if location else {})
    present = {ident[-1] for ident in catalog.list_tables(namespace)}
    created = []
    for name, (schema, comment, spec) in TABLES.items():
        if name in present:
            continue
        options: dict[str, Any] = {"partition_spec": spec} if spec is not None else {}
        catalog.create_table(f"{namespace}.{name}", schema, properties={**PROPERTIES, "comment": comment}, **options)
        created.append(name)
    return created


def apply(context: MigrationContext) -> None:
    create_tables(pyiceberg_catalog(context.settings), NAMESPACE)
