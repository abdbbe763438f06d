"""The current silver table definitions, for scratch namespaces (tests, benchmarks, rebuild).

Migrations are frozen once merged; this applies, in order, every migration that shapes the
silver tables, so a scratch namespace is created exactly as `silver` is migrated.
"""

from __future__ import annotations

from refdata.migrations.m0010_silver_tables import create_tables as _create_m0010
from refdata.migrations.m0011_silver_write_properties import set_write_properties
from refdata.migrations.m0012_silver_instrument_tail import create_and_fill as _create_tail


def create_tables(catalog: object, namespace: str, base_location: str) -> None:
    _create_m0010(catalog, namespace, base_location)
    set_write_properties(catalog, namespace)
    _create_tail(catalog, namespace, base_location)
