"""Rebuild silver and gold from bronze into fresh namespaces and compare them with the
current tables; optionally swap the rebuilt tables in (runbook: docs/runbooks/rebuild-from-bronze.md).

Silver is a function of bronze and the correction events (ids are content hashes, system
time comes from bronze and corrections, never from the job's clock; ADR 0010), and gold
of silver and the alias data (ADR 0009): a rebuild must reproduce them row for row. A
difference means a parser or engine change, or a bug, and is reported per table with
examples. Columns that record *our* runs (run ids, run times) are not compared.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from refdata.catalog import pyiceberg_catalog
from refdata.gold.job import GoldConfig
from refdata.gold.job import run as run_gold
from refdata.locks import transform_lock
from refdata.migrations.m0020_gold_tables import create_tables as create_gold_tables
from refdata.settings import Settings
from refdata.silver.job import SilverTables
from refdata.silver.job import run as run_silver
from refdata.silver.tables import create_tables as create_silver_tables

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# table -> columns left out of the comparison (they describe our runs, not the data)
COMPARED: dict[str, tuple[str, ...]] = {
    "silver.instrument_versions": (),
    "silver.instrument_observed": (),
    "silver.instrument_tail": (),  # kept by the job; must equal the tails of the rebuilt history
    "silver.observation_index": ("applied_by_run",),
    "gold.symbology": (),
}
# Copied, not derived: correction events are inputs, like bronze.
COPIED = ("corrections",)


@dataclass(frozen=True)
class Namespaces:
    bronze: str = "bronze"
    silver: str = "silver"
    gold: str = "gold"


@dataclass
class TableDiff:
    table: str
    current_rows: int
    rebuilt_rows: int
    only_current: int
    only_rebuilt: int
    examples: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.only_current == 0 and self.only_rebuilt == 0


@dataclass
class RebuildReport:
    source: Namespaces
    rebuilt: Namespaces
    venues: list[str]
    diffs: list[TableDiff] = field(default_factory=list)
    replaced: bool = False
    kept_previous: Namespaces | None = None

    @property
    def equal(self) -> bool:
        return all(d.equal for d in self.diffs)


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")


def compare(spark: "SparkSession", settings: Settings, current: str, rebuilt: str, venues: Sequence[str],
            excluded: Sequence[str] = (), examples: int = 5) -> TableDiff:
    """Row-multiset difference of two tables of the same schema, restricted to `venues`."""
    from pyspark.sql import functions as F

    def frame(table: str):  # type: ignore[no-untyped-def]
        data = spark.table(f"{settings.catalog_name}.{table}").where(F.col("venue").isin(list(venues)))
        return data.select(*[c for c in data.columns if c not in excluded])

    left, right = frame(current), frame(rebuilt)
    only_left, only_right = left.exceptAll(right), right.exceptAll(left)
    shown = [f"only in {current}: {row.asDict()}" for row in only_left.limit(examples).collect()]
    shown += [f"only in {rebuilt}: {row.asDict()}" for row in only_right.limit(examples).collect()]
    return TableDiff(current, left.count(), right.count(), only_left.count(), only_right.count(), shown)


def rebuild(spark: "SparkSession", settings: Settings, venues: Sequence[str] | None = None,
            source: Namespaces = Namespaces(), replace: bool = False, keep: bool = False,
            step: Callable[[str], None] = lambda message: None) -> RebuildReport:
    venues = list(venues or settings.venues)
    stamp = _stamp()
    rebuilt = Namespaces(source.bronze, f"{source.silver}_rebuild_{stamp}", f"{source.gold}_rebuild_{stamp}")
    report = RebuildReport(source, rebuilt, venues)
    catalog = pyiceberg_catalog(settings)
    q = settings.catalog_name

    step(f"creating {rebuilt.silver} and {rebuilt.gold}")
    create_silver_tables(catalog, rebuilt.silver, settings.warehouse_uri)
    create_gold_tables(catalog, rebuilt.gold, f"{settings.warehouse_uri}{rebuilt.gold}")
    for name in COPIED:
        spark.sql(f"INSERT INTO {q}.{rebuilt.silver}.{name} SELECT * FROM {q}.{source.silver}.{name}")

    step(f"silver job over bronze ({', '.join(venues)})")
    tables = SilverTables(q, silver=rebuilt.silver, bronze=source.bronze)
    run_silver(spark, settings, f"rebuild-{stamp}", tables=tables, venues=venues)
    step("gold job over the rebuilt silver")
    run_gold(spark, settings, GoldConfig(silver_table=f"{rebuilt.silver}.instrument_versions",
                                         gold_namespace=rebuilt.gold, run_id=f"rebuild-{stamp}"))

    for table, excluded in COMPARED.items():
        layer, name = table.split(".")
        current = f"{getattr(source, layer)}.{name}"
        step(f"comparing {current} with {getattr(rebuilt, layer)}.{name}")
        report.diffs.append(compare(spark, settings, current, f"{getattr(rebuilt, layer)}.{name}", venues, excluded))

    if replace:
        step("swapping the rebuilt tables in")
        report.kept_previous = _swap(settings, source, rebuilt, stamp)
        report.replaced = True
    elif not keep:
        step("dropping the rebuilt namespaces")
        drop_namespaces(settings, [rebuilt.silver, rebuilt.gold])
    return report


def _swap(settings: Settings, source: Namespaces, rebuilt: Namespaces, stamp: str) -> Namespaces:
    """Move the current silver and gold tables aside and the rebuilt ones into their names,
    under both transform jobs' locks (no run can be in between)."""
    catalog = pyiceberg_catalog(settings)
    previous = Namespaces(source.bronze, f"{source.silver}_previous_{stamp}", f"{source.gold}_previous_{stamp}")
    with transform_lock(settings, "silver", source.silver), transform_lock(settings, "gold", source.gold):
        for live, fresh, aside in ((source.silver, rebuilt.silver, previous.silver),
                                   (source.gold, rebuilt.gold, previous.gold)):
            catalog.create_namespace(aside)
            for identifier in catalog.list_tables(fresh):
                name = identifier[-1]
                if catalog.table_exists(f"{live}.{name}"):
                    catalog.rename_table(f"{live}.{name}", f"{aside}.{name}")
                catalog.rename_table(f"{fresh}.{name}", f"{live}.{name}")
            catalog.drop_namespace(fresh)
    return previous


def drop_namespaces(settings: Settings, namespaces: Sequence[str]) -> None:
    catalog = pyiceberg_catalog(settings)
    for namespace in namespaces:
        for identifier in catalog.list_tables(namespace):
            catalog.purge_table(identifier)
        catalog.drop_namespace(namespace)
