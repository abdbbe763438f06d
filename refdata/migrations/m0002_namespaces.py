"""The three warehouse layers as Iceberg namespaces (Trino schemas)."""

from __future__ import annotations

from refdata.catalog import pyiceberg_catalog
from refdata.migrations.runner import MigrationContext

VERSION = 2
DESCRIPTION = "namespaces bronze, silver, gold"

NAMESPACES = {
    "bronze": "Raw exchange responses, append-only",
    "silver": "Bitemporal instrument specifications (SCD2 on valid and system time)",
    "gold": "Canonical symbology master and analyst views",
}


def apply(context: MigrationContext) -> None:
    catalog = pyiceberg_catalog(context.settings)
    existing = {ns[0] for ns in catalog.list_namespaces()}
    for name, comment in NAMESPACES.items():
        location = f"{context.settings.warehouse_uri}{name}"
        if name not in existing:
            catalog.create_namespace(name, {"comment": comment, "location": location})
