"""Fixtures of the gold integration tests: scratch silver and gold tables in the test stack.

`gold_scratch` creates a `gold_test_<uuid>` namespace holding a silver-shaped
`instrument_versions` table (the silver migration's own schema) and the gold tables (the gold
migration's own `create_tables`), so the tests never touch the shared silver/gold tables, and
drops everything afterwards (views included).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest

from refdata.bitemporal import VersionRow
from refdata.bitemporal.schema import to_record


@dataclass
class Scratch:
    settings: Any
    catalog: Any
    namespace: str

    @property
    def silver_table(self) -> str:
        return f"{self.namespace}.instrument_versions"

    def config(self, **overrides: Any):  # type: ignore[no-untyped-def]
        from refdata.gold.job import GoldConfig

        base = dict(silver_table=self.silver_table, gold_namespace=self.namespace,
                    report_dir=self.settings.var_dir / "reports" / "gates-tests")
        return GoldConfig(**{**base, **overrides})

    def silver_records(self, rows: Iterable[VersionRow], raw: Mapping[tuple[str, str, str], str]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            record = to_record(row)
            record["raw_payload"] = next(
                (raw[(row.venue, row.symbol, event)] for event in row.asserted_by if (row.venue, row.symbol, event) in raw),
                None,
            )
            out.append(record)
        return out

    def overwrite_silver(self, records: list[dict[str, Any]]) -> None:
        """Replace the scratch silver table's content (what silver's MERGEs would have produced)."""
        table = self.catalog.load_table(self.silver_table)
        table.overwrite(pa.Table.from_pylist(records, schema=table.schema().as_arrow()))

    def append_silver(self, records: list[dict[str, Any]]) -> None:
        table = self.catalog.load_table(self.silver_table)
        table.append(pa.Table.from_pylist(records, schema=table.schema().as_arrow()))


@pytest.fixture(scope="module")
def gold_scratch(settings, stack):  # type: ignore[no-untyped-def]
    from refdata.catalog import pyiceberg_catalog, trino_connection
    from refdata.migrations.m0010_silver_tables import version_schema
    from refdata.migrations.m0020_gold_tables import create_tables

    catalog = pyiceberg_catalog(settings)
    namespace = f"gold_test_{uuid.uuid4().hex[:8]}"
    created = create_tables(catalog, namespace)
    assert created == ["symbology", "assets", "job_state"]
    catalog.create_table(f"{namespace}.instrument_versions", version_schema(),
                         properties={"format-version": "2", "write.wap.enabled": "true"})
    yield Scratch(settings, catalog, namespace)
    with trino_connection(settings) as conn:  # views first: pyiceberg does not drop them
        cursor = conn.cursor()
        cursor.execute(f"SELECT table_name FROM information_schema.views WHERE table_schema = '{namespace}'")
        for (view,) in cursor.fetchall():
            cursor.execute(f"DROP VIEW {namespace}.{view}")
            cursor.fetchall()
    for ident in catalog.list_tables(namespace):
        catalog.purge_table(ident)  # data and metadata files too: scratch tables leave nothing
    catalog.drop_namespace(namespace)
