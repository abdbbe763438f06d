"""Create the Iceberg JDBC catalog tables in the V1 layout that Spark, pyiceberg and Trino share.

Trino does not create them, and Spark and pyiceberg would each create their own variant
(pyiceberg without `iceberg_type`); creating them once here fixes the layout for all.
"""

from __future__ import annotations

from refdata.migrations.runner import MigrationContext

VERSION = 1
DESCRIPTION = "Iceberg JDBC catalog tables (schema version V1)"


def apply(context: MigrationContext) -> None:
    db = context.catalog_db
    db.execute(
        """CREATE TABLE IF NOT EXISTS iceberg_tables (
               catalog_name varchar(255) NOT NULL,
               table_namespace varchar(255) NOT NULL,
               table_name varchar(255) NOT NULL,
               metadata_location varchar(1000),
               previous_metadata_location varchar(1000),
               iceberg_type varchar(5),
               PRIMARY KEY (catalog_name, table_namespace, table_name))"""
    )
    db.execute("ALTER TABLE iceberg_tables ADD COLUMN IF NOT EXISTS iceberg_type varchar(5)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
               catalog_name varchar(255) NOT NULL,
               namespace varchar(255) NOT NULL,
               property_key varchar(255) NOT NULL,
               property_value varchar(1000),
               PRIMARY KEY (catalog_name, namespace, property_key))"""
    )
