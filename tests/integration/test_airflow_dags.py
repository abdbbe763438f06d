"""Every DAG imports cleanly, and a SparkSubmitOperator task really writes to Iceberg."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


def test_every_dag_imports_without_errors(stack) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from refdata.settings import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    assert "refdata_smoke" in bag.dags


def test_smoke_dag_spark_submit_writes_iceberg(settings, stack, trino_cursor) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState

    from refdata.settings import PROJECT_ROOT

    table = f"bronze.airflow_smoke_{uuid.uuid4().hex[:8]}"
    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "smoke.py")).get_dag("refdata_smoke")
    dag_run = dag.test(run_conf={"table": table})
    assert dag_run.state == DagRunState.SUCCESS

    trino_cursor.execute(f"SELECT run_id, count(*) FROM {table} GROUP BY run_id")
    assert trino_cursor.fetchall() == [[dag_run.run_id, 3]]
