"""`refdata rebuild`: silver and gold rebuilt in one run from bronze equal the tables built
incrementally, poll by poll; a tampered row is reported on both sides; --replace swaps the
rebuilt tables in and keeps the previous ones aside. All in scratch namespaces."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

pytestmark = pytest.mark.integration

VENUE = "binance-usdm"


@pytest.fixture(scope="module")
def incremental(settings, spark):  # type: ignore[no-untyped-def]
    from refdata.bronze.backfill import load, plan_backfill
    from refdata.bronze.store import BronzeStore
    from refdata.catalog import pyiceberg_catalog
    from refdata.gold.job import GoldConfig
    from refdata.gold.job import run as run_gold
    from refdata.migrations.m0008_bronze_tables import create_tables as create_bronze
    from refdata.migrations.m0020_gold_tables import create_tables as create_gold
    from refdata.rebuild import Namespaces
    from refdata.silver.job import SilverTables
    from refdata.silver.job import run as run_silver
    from refdata.silver.tables import create_tables as create_silver

    suffix = uuid.uuid4().hex[:8]
    names = Namespaces(f"bronze_rb{suffix}", f"silver_rb{suffix}", f"gold_rb{suffix}")
    catalog = pyiceberg_catalog(settings)
    create_bronze(catalog, names.bronze, f"{settings.warehouse_uri}{names.bronze}")
    create_silver(catalog, names.silver, settings.warehouse_uri)
    create_gold(catalog, names.gold, f"{settings.warehouse_uri}{names.gold}")
    store = BronzeStore(settings, namespace=names.bronze, catalog=catalog)
    items = plan_backfill(settings.captures_dir, venues=[VENUE], start=datetime(2024, 10, 19),
                          end=datetime(2024, 10, 21), store=store)
    assert len(items) == 2
    tables = SilverTables(settings.catalog_name, silver=names.silver, bronze=names.bronze)
    for number, item in enumerate(items):  # poll by poll, as the hourly pipeline does
        load(store, [item], run_id=f"rb-{number}")
        run_silver(spark, settings, f"rb-silver-{number}-{suffix}", tables=tables, venues=[VENUE])
        run_gold(spark, settings, GoldConfig(silver_table=f"{names.silver}.instrument_versions",
                                             gold_namespace=names.gold, run_id=f"rb-gold-{number}-{suffix}"))
    yield names
    existing = {ns[0] for ns in catalog.list_namespaces()}
    for namespace in sorted(existing):
        if namespace.endswith(suffix) or suffix in namespace:
            for identifier in catalog.list_tables(namespace):
                catalog.purge_table(identifier)
            catalog.drop_namespace(namespace)


def test_rebuild_reproduces_silver_and_gold_exactly(settings, spark, incremental) -> None:  # type: ignore[no-untyped-def]
    from refdata.catalog import pyiceberg_catalog
    from refdata.rebuild import rebuild

    report = rebuild(spark, settings, venues=[VENUE], source=incremental)
    by_table = {d.table: d for d in report.diffs}
    assert set(by_table) == {f"{incremental.silver}.instrument_versions", f"{incremental.silver}.instrument_observed",
                             f"{incremental.silver}.instrument_tail", f"{incremental.silver}.observation_index",
                             f"{incremental.gold}.symbology"}
    for diff in report.diffs:
        assert diff.equal, diff.examples
        assert diff.current_rows == diff.rebuilt_rows > 0
    assert by_table[f"{incremental.silver}.observation_index"].current_rows == 2
    assert report.equal and not report.replaced
    remaining = {ns[0] for ns in pyiceberg_catalog(settings).list_namespaces()}
    assert report.rebuilt.silver not in remaining and report.rebuilt.gold not in remaining


def test_a_tampered_row_is_reported_and_replace_restores_the_derivable_truth(settings, spark, incremental) -> None:  # type: ignore[no-untyped-def]
    from refdata.rebuild import rebuild

    versions = f"{settings.catalog_name}.{incremental.silver}.instrument_versions"
    spark.sql(f"UPDATE {versions} SET tick_size = 42 WHERE symbol = 'BTCUSDT' AND superseded_at IS NULL")

    report = rebuild(spark, settings, venues=[VENUE], source=incremental, replace=True)

    diff = next(d for d in report.diffs if d.table.endswith(".instrument_versions"))
    assert (diff.only_current, diff.only_rebuilt) == (1, 1) and not report.equal
    assert any("only in" in example and "BTCUSDT" in example for example in diff.examples)
    assert report.replaced and report.kept_previous is not None
    ticks = spark.sql(f"SELECT CAST(tick_size AS string) FROM {versions} WHERE symbol = 'BTCUSDT' "
                      "AND superseded_at IS NULL").collect()
    assert [row[0] for row in ticks] == ["0.100000000000000000"]
    aside = f"{settings.catalog_name}.{report.kept_previous.silver}.instrument_versions"
    assert spark.sql(f"SELECT count(*) FROM {aside} WHERE tick_size = 42").first()[0] == 1
