"""The silver job on the real Binance spot series (SM2A daily snapshots, 2022-11 .. 2023-04).

Bronze and silver live in scratch namespaces so the test neither sees nor disturbs other
tests' data; the facts are checked by SQL in Trino.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

pytestmark = pytest.mark.integration

SERIES_START, SERIES_END = datetime(2022, 11, 1), datetime(2023, 5, 1)
NOV_04 = datetime(2022, 11, 4, 18, 43, 58)
NOV_08 = datetime(2022, 11, 8, 1, 17, 23)
NOV_16 = datetime(2022, 11, 16, 1, 14, 43)
DEC_17 = datetime(2022, 12, 17, 0, 58, 38)


@pytest.fixture(scope="module")
def series(settings, spark, trino_cursor):  # type: ignore[no-untyped-def]
    from refdata.bronze.backfill import load, plan_backfill
    from refdata.bronze.store import BronzeStore
    from refdata.catalog import pyiceberg_catalog
    from refdata.migrations.m0008_bronze_tables import create_tables as create_bronze
    from refdata.silver.tables import create_tables as create_silver
    from refdata.silver.job import SilverTables, run

    suffix = uuid.uuid4().hex[:8]
    bronze_ns, silver_ns = f"bronze_t{suffix}", f"silver_t{suffix}"
    catalog = pyiceberg_catalog(settings)
    create_bronze(catalog, bronze_ns, f"{settings.warehouse_uri}{bronze_ns}")
    create_silver(catalog, silver_ns, settings.warehouse_uri)
    store = BronzeStore(settings, namespace=bronze_ns, catalog=catalog)
    items = plan_backfill(settings.captures_dir, venues=["binance-spot"], start=SERIES_START, end=SERIES_END, store=store)
    assert len(items) == 6
    load(store, items, run_id="test-silver-series")

    tables = SilverTables(settings.catalog_name, silver=silver_ns, bronze=bronze_ns)
    first = run(spark, settings, "series-1", tables=tables, venues=["binance-spot"])
    yield {"silver": silver_ns, "tables": tables, "first": first}
    for namespace in (silver_ns, bronze_ns):
        for identifier in catalog.list_tables(namespace):
            catalog.purge_table(identifier)
        catalog.drop_namespace(namespace)


def _current(trino_cursor, silver: str, symbol: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    trino_cursor.execute(
        f"""SELECT valid_from, valid_to, status, status_raw, lifetime_id, basis
            FROM {silver}.instrument_versions
            WHERE venue = 'binance-spot' AND symbol = ? AND superseded_at IS NULL
            ORDER BY valid_from""",
        [symbol],
    )
    return [tuple(row) for row in trino_cursor.fetchall()]


def test_first_run_published_every_observation(series) -> None:
    report = series["first"]
    assert report.published
    assert report.venues["binance-spot"]["observations"] == 6
    assert report.rows_inserted > 2000


def test_symbols_removed_on_nov_4_are_delisted_from_that_observation(series, trino_cursor) -> None:
    for symbol in ("AXSBIDR", "NBTBIDR", "NBTUSDT"):
        versions = _current(trino_cursor, series["silver"], symbol)
        delisted = [v for v in versions if v[2] == "delisted"]
        assert delisted, symbol
        assert delisted[0][0].replace(microsecond=0) == NOV_04
        listed_before = [v for v in versions if v[0] < NOV_04]
        assert listed_before and listed_before[-1][2] == "active" and listed_before[-1][1].replace(microsecond=0) == NOV_04


def test_hft_pairs_appear_on_nov_8(series, trino_cursor) -> None:
    for symbol in ("HFTBTC", "HFTBUSD", "HFTUSDT"):
        versions = _current(trino_cursor, series["silver"], symbol)
        assert versions[0][0].replace(microsecond=0) == NOV_08, symbol
        assert versions[0][5] == "listed"


def test_ftt_pairs_are_halted_from_nov_16(series, trino_cursor) -> None:
    versions = _current(trino_cursor, series["silver"], "FTTBTC")
    halted = [v for v in versions if v[2] == "halted"]
    assert halted and halted[0][0].replace(microsecond=0) == NOV_16
    assert halted[0][3] == "BREAK"
    assert [v[2] for v in versions if v[0] < NOV_16][-1] == "active"


def test_axsbidr_returns_on_dec_17_as_a_new_lifetime(series, trino_cursor) -> None:
    versions = _current(trino_cursor, series["silver"], "AXSBIDR")
    relisted = [v for v in versions if v[0].replace(microsecond=0) == DEC_17]
    assert relisted and relisted[0][5] == "listed"
    first_lifetime = versions[0][4]
    assert relisted[0][4] != first_lifetime
    # The DELISTED gap keeps the first lifetime and its last listed fields.
    gap = [v for v in versions if v[2] == "delisted" and v[0] < DEC_17]
    assert gap and gap[0][4] == first_lifetime and gap[0][1].replace(microsecond=0) == DEC_17


def test_second_run_changes_nothing(series, settings, spark, trino_cursor) -> None:
    from refdata.silver.job import run

    silver = series["silver"]
    trino_cursor.execute(f'SELECT count(*) FROM {silver}."instrument_versions$snapshots"')
    snapshots_before = trino_cursor.fetchone()[0]
    trino_cursor.execute(f"SELECT count(*) FROM {silver}.instrument_versions")
    rows_before = trino_cursor.fetchone()[0]

    report = run(spark, settings, "series-2", tables=series["tables"], venues=["binance-spot"])
    assert report.venues == {} and not report.published

    trino_cursor.execute(f'SELECT count(*) FROM {silver}."instrument_versions$snapshots"')
    assert trino_cursor.fetchone()[0] == snapshots_before
    trino_cursor.execute(f"SELECT count(*) FROM {silver}.instrument_versions")
    assert trino_cursor.fetchone()[0] == rows_before
