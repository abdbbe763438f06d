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


def test_a_failed_spark_job_fails_the_task_with_its_own_message(settings, stack) -> None:
    """spark-submit only returns an exit code; the operator raises with the job's error."""
    import sys

    from airflow.exceptions import AirflowException

    from refdata.settings import PROJECT_ROOT

    sys.path.insert(0, str(PROJECT_ROOT / "plugins"))
    from refdata_airflow.spark import RefdataSparkSubmitOperator

    operator = RefdataSparkSubmitOperator(task_id="maintenance_typo", job="maintenance", application_args=["vacuum"])
    with pytest.raises(AirflowException) as failure:
        operator.execute({})
    assert str(failure.value) == (
        "maintenance_typo: ConfigurationError: unknown maintenance action(s) ['vacuum']; "
        "choose from ['compact', 'expire', 'orphans', 'retention']")


def test_the_maintenance_dag_runs_its_actions_in_order(stack) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from refdata.settings import PROJECT_ROOT

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "maintenance.py")).get_dag("refdata_maintenance")
    upstream = {task.task_id: set(task.upstream_task_ids) for task in dag.tasks}
    assert upstream == {"retention": set(), "compact": {"retention"}, "expire": {"compact"}, "orphans": {"expire"}}
    assert all(task.on_failure_callback for task in dag.tasks)
