"""The Airflow Assets that chain the DAGs: bronze → silver → gold."""

from __future__ import annotations

from airflow.sdk import Asset

from refdata_airflow.bronze import BRONZE_POLLS

SILVER_INSTRUMENT_VERSIONS = Asset(
    name="refdata_silver_instrument_versions", uri="iceberg://refdata/silver/instrument_versions", group="refdata"
)
GOLD_SYMBOLOGY = Asset(name="refdata_gold_symbology", uri="iceberg://refdata/gold/symbology", group="refdata")

__all__ = ["BRONZE_POLLS", "SILVER_INSTRUMENT_VERSIONS", "GOLD_SYMBOLOGY"]
