"""Smoke DAG: one SparkSubmitOperator task that writes to Iceberg; proves the wiring."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag
from refdata_airflow.spark import RefdataSparkSubmitOperator


@dag(
    dag_id="refdata_smoke",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["refdata", "smoke"],
    doc_md=__doc__,
    params={"table": "bronze.airflow_smoke"},
)
def refdata_smoke() -> None:
    RefdataSparkSubmitOperator(
        task_id="spark_write_iceberg",
        job="smoke_write",
        application_args=["{{ params.table }}", "{{ run_id }}"],
    )


refdata_smoke()
