"""Modules the refdata tasks import, loaded ahead of the fork (see airflow_local_settings)."""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

# Import only: nothing here may start a thread or open a connection before the fork.
MODULES = (
    "pyarrow",
    "pyarrow.parquet",
    "pyiceberg.catalog.sql",
    "pyiceberg.io.pyarrow",
    "pyiceberg.expressions",
    "httpx",
    "psycopg",
    "refdata.bronze.writer",
    "refdata.bronze.store",
    "refdata.bronze.backfill",
    "refdata.ingest.fetch",
    "refdata.parsing",
    "refdata.gold.freshness",
    "airflow.providers.apache.spark.operators.spark_submit",
)


def preload() -> list[str]:
    """Import MODULES; a failure is logged, never fatal (the task imports it itself)."""
    loaded = []
    for name in MODULES:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # noqa: BLE001 - a missing optional module must not stop Airflow
            log.warning("refdata preload: could not import %s", name, exc_info=True)
    return loaded
