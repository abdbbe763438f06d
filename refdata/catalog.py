"""How each engine reaches the one Iceberg catalog: Spark, pyiceberg and Trino.

The catalog name, JDBC location, schema version and object store are the same in all three
(docs/adr/0002-catalog-and-storage.md), so a table written by one is read by the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refdata.settings import Settings

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog
    from trino.dbapi import Connection

# Iceberg's JDBC catalog table layout; V1 adds the `iceberg_type` column (views).
JDBC_SCHEMA_VERSION = "V1"


def spark_catalog_conf(settings: Settings) -> dict[str, str]:
    """Spark properties that register the Iceberg catalog under settings.catalog_name."""
    prefix = f"spark.sql.catalog.{settings.catalog_name}"
    return {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "jdbc",
        f"{prefix}.uri": settings.catalog_jdbc_url,
        f"{prefix}.jdbc.user": settings.pg_user,
        f"{prefix}.jdbc.password": settings.pg_password,
        f"{prefix}.jdbc.schema-version": JDBC_SCHEMA_VERSION,
        f"{prefix}.warehouse": settings.warehouse_uri,
        # Bronze and corrections are appended by pyiceberg outside Spark: a cached table
        # would hide those commits from a long-lived session for the cache's lifetime.
        f"{prefix}.cache-enabled": "false",
        f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{prefix}.s3.endpoint": settings.s3_endpoint_url,
        f"{prefix}.s3.path-style-access": str(settings.s3_path_style_access).lower(),
        **({f"{prefix}.s3.access-key-id": keys[0], f"{prefix}.s3.secret-access-key": keys[1]}
           if (keys := settings.s3_static_credentials) else {}),
        f"{prefix}.client.region": settings.s3_region,
        "spark.sql.defaultCatalog": settings.catalog_name,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.driver.bindAddress": settings.host,
        "spark.driver.host": settings.host,
        "spark.ui.enabled": "false",
        "spark.sql.iceberg.vectorization.enabled": "true",
    }


def pyiceberg_catalog(settings: Settings) -> "SqlCatalog":
    from pyiceberg.catalog.sql import SqlCatalog

    properties: dict[str, Any] = {
        "uri": settings.catalog_sqlalchemy_url,
        "warehouse": settings.warehouse_uri,
        "s3.endpoint": settings.s3_endpoint_url,
        **({"s3.access-key-id": keys[0], "s3.secret-access-key": keys[1]}
           if (keys := settings.s3_static_credentials) else {}),
        "s3.region": settings.s3_region,
        "s3.path-style-access": str(settings.s3_path_style_access).lower(),
        "py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO",
    }
    return SqlCatalog(settings.catalog_name, **properties)


def trino_connection(settings: Settings, user: str | None = None, schema: str | None = None) -> "Connection":
    from urllib.parse import urlparse

    import trino

    url = urlparse(settings.trino_http_url)
    return trino.dbapi.connect(
        host=url.hostname,
        port=url.port or (443 if url.scheme == "https" else 80),
        http_scheme=url.scheme,
        user=user or settings.trino_user,
        catalog=settings.catalog_name,
        schema=schema,
        request_timeout=120,
    )
