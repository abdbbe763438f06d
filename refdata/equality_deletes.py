"""Upserts into venue-partitioned Iceberg tables by equality delete: no scan of the table.

Spark writes row-level changes as *position* deletes, which means finding every target row
first: at 10M rows of silver that scan was most of an hourly run (docs/benchmarks.md).
Iceberg also has *equality* deletes ("delete every row whose `version_id` is X"), which
need no read: a delete file applies to the rows of data files committed before it. So an
upsert is two commits on the same branch: an equality delete of the keys, then an append of
the rows' new images (the append comes later, so the delete does not apply to it).
Spark cannot write equality deletes; pyarrow writes the small Parquet file (with Iceberg's
field ids) and Iceberg's Java API, reached through the Spark session, stores and commits it.
Spark, Trino and compaction all read equality deletes (ADR 0013).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from refdata.errors import RefdataError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PARTITION_COLUMN = "venue"


class EqualityDeleteError(RefdataError):
    """A table cannot take equality deletes the way this module writes them."""


def _java_table(spark: "SparkSession", table: str) -> Any:
    jvm = spark._jvm  # type: ignore[attr-defined]
    return jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, table)  # type: ignore[attr-defined]


def _check_spec(java_table: Any, table: str) -> None:
    fields = list(java_table.spec().fields())
    names = [(f.name(), str(f.transform())) for f in fields]
    if names != [(PARTITION_COLUMN, "identity")]:
        raise EqualityDeleteError(f"{table}: expected partitioning by identity({PARTITION_COLUMN}), found {names}")


def _parquet(column: str, field_id: int, values: list[str]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    field = pa.field(column, pa.string(), nullable=False, metadata={b"PARQUET:field_id": str(field_id).encode()})
    buffer = io.BytesIO()
    pq.write_table(pa.table({column: values}, schema=pa.schema([field])), buffer, compression="zstd")
    return buffer.getvalue()


def delete_keys(spark: "SparkSession", table: str, column: str, keys_by_venue: Mapping[str, Iterable[str]],
                branch: str | None = None) -> int:
    """Delete every row of `table` whose `column` is one of the keys of its venue partition.

    One Parquet delete file per venue, one commit (on `branch` if given, else main).
    Returns the number of keys written.
    """
    wanted = {venue: sorted(set(keys)) for venue, keys in keys_by_venue.items()}
    wanted = {venue: keys for venue, keys in wanted.items() if keys}
    if not wanted:
        return 0
    java_table = _java_table(spark, table)
    _check_spec(java_table, table)
    field = java_table.schema().findField(column)
    if field is None:
        raise EqualityDeleteError(f"{table} has no column {column}")
    jvm = spark._jvm  # type: ignore[attr-defined]
    field_ids = spark.sparkContext._gateway.new_array(jvm.int, 1)  # type: ignore[union-attr]
    field_ids[0] = field.fieldId()
    row_delta = java_table.newRowDelta()
    for venue, keys in sorted(wanted.items()):
        data = _parquet(column, field.fieldId(), keys)
        partition_path = f"{PARTITION_COLUMN}={quote_plus(venue)}"
        location = java_table.locationProvider().newDataLocation(
            f"{partition_path}/eqdelete-{uuid.uuid4().hex}.parquet")
        stream = java_table.io().newOutputFile(location).create()
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()
        delete_file = (
            jvm.org.apache.iceberg.FileMetadata.deleteFileBuilder(java_table.spec())
            .ofEqualityDeletes(field_ids)
            .withPath(location)
            .withFormat("parquet")
            .withFileSizeInBytes(len(data))
            .withRecordCount(len(keys))
            .withPartitionPath(partition_path)
            .build()
        )
        row_delta = row_delta.addDeletes(delete_file)
    if branch is not None:
        row_delta = row_delta.toBranch(branch)
    row_delta.commit()
    return sum(len(keys) for keys in wanted.values())
