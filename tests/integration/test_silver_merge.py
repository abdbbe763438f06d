"""The one-statement SCD2 MERGE on small frames (chispa): inserts new versions, sets
superseded_at once, and leaves every other value of an existing row alone."""

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
        status="active", tick_size=__import__("decimal").Decimal(tick), raw_payload="{}", _op="insert",
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


def test_merge_inserts_then_supersedes_once(spark, scratch_silver) -> None:
    from refdata.silver.job import merge_layer

    merge_layer(spark, scratch_silver, [_record("v1", S1, "0.1")])
    merge_layer(spark, scratch_silver, [
        {"version_id": "v1", "venue": "kraken-spot", "superseded_at": S2, "_op": "supersede"},
        _record("v2", S2, "0.5"),
    ])
    # A second supersession of v1 and a re-insert of v2 must change nothing (replays).
    merge_layer(spark, scratch_silver, [
        {"version_id": "v1", "venue": "kraken-spot", "superseded_at": S3, "_op": "supersede"},
        _record("v2", S2, "0.5"),
    ])
    actual = spark.sql(
        f"SELECT version_id, recorded_at, superseded_at, CAST(tick_size AS string) AS tick FROM {scratch_silver}"
    )
    expected = spark.createDataFrame(
        [("v1", S1, S2, "0.100000000000000000"), ("v2", S2, None, "0.500000000000000000")],
        "version_id string, recorded_at timestamp_ntz, superseded_at timestamp_ntz, tick string",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
