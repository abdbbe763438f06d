"""The SCD2 write on small frames (chispa): an upsert by version_id inserts new versions,
replaces a superseded row by its image with superseded_at set, leaves every other value of
the row alone, and writing the same images again leaves one copy of each."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from chispa import assert_df_equality

pytestmark = pytest.mark.integration

S1, S2, S3 = datetime(2024, 1, 1), datetime(2024, 1, 2), datetime(2024, 1, 3)


def _record(version_id: str, recorded_at: datetime, tick: str, superseded_at: datetime | None = None) -> dict:  # type: ignore[type-arg]
    from refdata.bitemporal.schema import COLUMNS

    record = {name: None for name, _, _ in COLUMNS}
    record.update(
        version_id=version_id, layer="published", venue="kraken-spot", symbol="XXBTZUSD", lifetime_id="lt_1",
        valid_from=datetime(2023, 12, 1), valid_to=None, recorded_at=recorded_at, superseded_at=superseded_at,
        basis="listed", spec_hash=f"h{tick}", corrected_fields=[], asserted_by=["o1"], instrument_class="spot",
        status="active", tick_size=__import__("decimal").Decimal(tick), raw_payload="{}",
    )
    return record


@pytest.fixture()
def scratch_silver(settings, spark):  # type: ignore[no-untyped-def]
    from refdata.catalog import pyiceberg_catalog
    from refdata.silver.tables import create_tables

    namespace = f"silver_m{uuid.uuid4().hex[:8]}"
    catalog = pyiceberg_catalog(settings)
    create_tables(catalog, namespace, settings.warehouse_uri)
    yield f"{settings.catalog_name}.{namespace}.instrument_versions"
    for identifier in catalog.list_tables(namespace):
        catalog.purge_table(identifier)
    catalog.drop_namespace(namespace)


def _upsert(spark, table: str, records: list) -> None:  # type: ignore[no-untyped-def, type-arg]
    from refdata.silver.writes import StagedTable, upsert

    staged = StagedTable()
    for record in records:
        staged.delete(record["venue"], record["version_id"])
        staged.appended.append(record)
    upsert(spark, table, "version_id", staged)


def test_upsert_inserts_then_supersedes_and_replays_change_nothing(spark, scratch_silver) -> None:
    _upsert(spark, scratch_silver, [_record("v1", S1, "0.1")])
    superseded = {**_record("v1", S1, "0.1"), "superseded_at": S2}
    _upsert(spark, scratch_silver, [superseded, _record("v2", S2, "0.5")])
    _upsert(spark, scratch_silver, [superseded, _record("v2", S2, "0.5")])  # a replay of the same images
    actual = spark.sql(
        f"SELECT version_id, recorded_at, superseded_at, CAST(tick_size AS string) AS tick, raw_payload FROM {scratch_silver}"
    )
    expected = spark.createDataFrame(
        [("v1", S1, S2, "0.100000000000000000", "{}"), ("v2", S2, None, "0.500000000000000000", "{}")],
        "version_id string, recorded_at timestamp_ntz, superseded_at timestamp_ntz, tick string, raw_payload string",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    # No row was rewritten or scanned: each upsert is an equality delete file plus an append.
    files = {r.content: r.n for r in spark.sql(
        f"SELECT content, count(*) AS n FROM {scratch_silver}.files GROUP BY content").collect()}
    assert files == {0: 3, 2: 3}


def test_equality_deletes_stay_in_their_venue(spark, scratch_silver) -> None:
    other = {**_record("v1", S1, "0.7"), "venue": "binance-spot"}
    _upsert(spark, scratch_silver, [_record("v1", S1, "0.1"), other])
    _upsert(spark, scratch_silver, [{**_record("v1", S1, "0.1"), "superseded_at": S2}])
    rows = sorted((r.venue, r.superseded_at) for r in spark.table(scratch_silver).collect())
    assert rows == [("binance-spot", None), ("kraken-spot", S2)]
