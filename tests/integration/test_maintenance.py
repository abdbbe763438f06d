"""Table maintenance on scratch namespaces of the test stack: compaction folds small files
and merge-on-read deletes into fewer files without changing a row, snapshot expiry keeps
what the policy says, orphan removal runs on the object store and spares young files, and
bronze retention deletes only quarantine rows past their retention."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from chispa import assert_df_equality

pytestmark = pytest.mark.integration

# Real time: snapshot expiry compares with the snapshots' real commit times.
NOW = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _record(version_id: str, symbol: str, recorded_at: datetime) -> dict:  # type: ignore[type-arg]
    from decimal import Decimal

    from refdata.bitemporal.schema import COLUMNS

    record = {name: None for name, _, _ in COLUMNS}
    record.update(
        version_id=version_id, layer="published", venue="kraken-spot", symbol=symbol, lifetime_id=f"lt_{symbol}",
        valid_from=datetime(2023, 12, 1), valid_to=None, recorded_at=recorded_at, superseded_at=None,
        basis="listed", spec_hash=f"h{version_id}", corrected_fields=[], asserted_by=["o1"], instrument_class="spot",
        status="active", tick_size=Decimal("0.1"), raw_payload="{}",
    )
    return record


def _upsert(spark, table: str, records: list) -> None:  # type: ignore[no-untyped-def, type-arg]
    from refdata.silver.writes import StagedTable, upsert

    staged = StagedTable()
    for record in records:
        staged.delete(record["venue"], record["version_id"])
        staged.appended.append(record)
    upsert(spark, table, "version_id", staged)


@pytest.fixture()
def scratch(settings, spark):  # type: ignore[no-untyped-def]
    from refdata.catalog import pyiceberg_catalog
    from refdata.migrations.m0008_bronze_tables import create_tables as create_bronze
    from refdata.silver.tables import create_tables as create_silver

    suffix = uuid.uuid4().hex[:8]
    silver_ns, bronze_ns = f"silver_mt{suffix}", f"bronze_mt{suffix}"
    catalog = pyiceberg_catalog(settings)
    create_silver(catalog, silver_ns, settings.warehouse_uri)
    create_bronze(catalog, bronze_ns, f"{settings.warehouse_uri}{bronze_ns}")
    yield silver_ns, bronze_ns
    for namespace in (silver_ns, bronze_ns):
        for identifier in catalog.list_tables(namespace):
            catalog.purge_table(identifier)
        catalog.drop_namespace(namespace)


def _policy(settings, **changes):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"maintenance": settings.maintenance.model_copy(update=changes)})


def _files(spark, table: str) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """content (0 data, 1 position deletes, 2 equality deletes) -> live files."""
    return {row.content: row.n for row in spark.sql(f"SELECT content, count(*) AS n FROM {table}.files GROUP BY content").collect()}


def test_compaction_and_expiry_keep_every_row(settings, spark, scratch) -> None:  # type: ignore[no-untyped-def]
    from refdata.maintenance.job import run
    from refdata.maintenance.plan import Action
    silver_ns, _ = scratch
    table = f"{settings.catalog_name}.{silver_ns}.instrument_versions"
    for i in range(6):  # six small appends, then a supersession
        _upsert(spark, table, [_record(f"v{i}", f"SYM{i}", datetime(2024, 1, 1, i))])
    _upsert(spark, table, [{**_record("v0", "SYM0", datetime(2024, 1, 1, 0)), "superseded_at": datetime(2024, 2, 1)}])
    # the supersession is an equality delete plus a file with the new image, no rewrite
    # (each upsert wrote one equality delete file: seven)
    assert _files(spark, table) == {0: 7, 2: 7}
    before = spark.table(table).orderBy("version_id").collect()
    snapshots_before = spark.sql(f"SELECT count(*) FROM {table}.snapshots").first()[0]
    assert snapshots_before == 14  # each upsert: an equality delete commit and an append

    report = run(spark, _policy(settings, snapshot_max_age_days=0, snapshot_retain_last=2),
                 [Action.COMPACT, Action.EXPIRE], namespaces=[silver_ns], now=NOW + timedelta(days=1))

    assert _files(spark, table) == {0: 1}  # one sorted file, the deletes applied and dropped
    after = spark.table(table).orderBy("version_id").collect()
    schema = spark.table(table).schema
    assert_df_equality(spark.createDataFrame(after, schema), spark.createDataFrame(before, schema), ignore_nullable=True)
    assert [r.superseded_at for r in after if r.version_id == "v0"] == [datetime(2024, 2, 1)]
    assert spark.sql(f"SELECT count(*) FROM {table}.snapshots").first()[0] == 2
    compaction = report.results[f"compact {silver_ns}.instrument_versions"][0]
    assert compaction["rewritten_data_files_count"] == 7 and compaction["added_data_files_count"] == 1


def test_orphan_removal_lists_the_store_and_spares_young_files(settings, spark, scratch) -> None:  # type: ignore[no-untyped-def]
    """The procedure lists the table's files through its S3 FileIO (prefix listing, no Hadoop
    S3 connector) and deletes only unreferenced files older than the policy's minimum age
    (Iceberg refuses less than 24 h): a file written a moment ago by a writer that has not
    committed yet must survive, and so must every referenced file."""
    from pyarrow import fs

    from refdata.catalog import pyiceberg_catalog
    from refdata.maintenance.job import run
    from refdata.maintenance.plan import Action
    silver_ns, _ = scratch
    table = f"{settings.catalog_name}.{silver_ns}.instrument_versions"
    _upsert(spark, table, [_record("v1", "SYM1", datetime(2024, 1, 1))])
    location = pyiceberg_catalog(settings).load_table(f"{silver_ns}.instrument_versions").location()
    s3 = fs.S3FileSystem(endpoint_override=settings.s3_endpoint_url, access_key=settings.s3_access_key,
                         secret_key=settings.s3_secret_key, region=settings.s3_region, scheme="http")
    in_flight = location.removeprefix("s3://") + "/data/written-by-an-uncommitted-writer.parquet"
    with s3.open_output_stream(in_flight) as out:
        out.write(b"not referenced by any snapshot yet")

    report = run(spark, settings, [Action.ORPHANS], namespaces=[silver_ns])

    assert report.results[f"orphans {silver_ns}.instrument_versions"] == []  # nothing old enough
    assert s3.get_file_info(in_flight).type == fs.FileType.File
    assert [r.version_id for r in spark.table(table).collect()] == ["v1"]


def test_bronze_retention_deletes_only_old_quarantine_rows(settings, spark, scratch) -> None:  # type: ignore[no-untyped-def]
    from refdata.maintenance.job import run
    from refdata.maintenance.plan import Action

    _, bronze_ns = scratch
    quarantine = f"{settings.catalog_name}.{bronze_ns}.quarantine"
    spark.sql(
        f"""INSERT INTO {quarantine} VALUES
            ('p-old', 'kraken-spot', 'GET /0/public/AssetPairs', '{{}}', NULL, 'old error', NULL,
             TIMESTAMP_NTZ '{NOW - timedelta(days=91)}', 'r1', 'poll', NULL),
            ('p-new', 'kraken-spot', 'GET /0/public/AssetPairs', '{{}}', NULL, 'new error', NULL,
             TIMESTAMP_NTZ '{NOW - timedelta(days=89)}', 'r2', 'poll', NULL)"""
    )
    run(spark, settings, [Action.RETENTION], namespaces=[bronze_ns], now=NOW, bronze_namespace=bronze_ns)
    assert [r.poll_id for r in spark.table(quarantine).collect()] == ["p-new"]
