"""Silver write properties for scale: merge-on-read and zstd (ADR 0010, "Writing at scale").

m0010 created the two layer tables copy-on-write with Iceberg's legacy default codec (gzip,
as the tables were created by pyiceberg without a codec property). Superseding a few
hundred versions then rewrote every data file holding one of them, i.e. nearly the whole
venue partition at 10M rows. Merge-on-read writes small position-delete files instead; the
maintenance DAG compacts them. zstd writes several times faster than gzip at a similar size.
"""

from __future__ import annotations

from refdata.catalog import pyiceberg_catalog
from refdata.migrations.runner import MigrationContext

VERSION = 11
DESCRIPTION = "silver tables: merge-on-read row-level writes, zstd Parquet"

LAYER_TABLES = ("instrument_versions", "instrument_observed")
OTHER_TABLES = ("observation_index", "corrections", "job_state")
MERGE_ON_READ = {
    "write.merge.mode": "merge-on-read",
    "write.update.mode": "merge-on-read",
    "write.delete.mode": "merge-on-read",
}
ZSTD = {"write.parquet.compression-codec": "zstd"}


def set_write_properties(catalog: object, namespace: str) -> None:
    for name in LAYER_TABLES + OTHER_TABLES:
        table = catalog.load_table(f"{namespace}.{name}")  # type: ignore[attr-defined]
        wanted = {**ZSTD, **(MERGE_ON_READ if name in LAYER_TABLES else {})}
        if any(table.properties.get(key) != value for key, value in wanted.items()):
            with table.transaction() as transaction:
                transaction.set_properties(wanted)


def apply(context: MigrationContext) -> None:
    set_write_properties(pyiceberg_catalog(context.settings), "silver")
