"""Submit the project's PySpark jobs with the shared catalog wired in."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from airflow.exceptions import AirflowException
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from refdata.job_failures import FAILURE_FILE_ENV, read_failure
from refdata.settings import PROJECT_ROOT, get_settings
from refdata.spark import spark_conf, spark_env

SPARK_JOBS_DIR = PROJECT_ROOT / "spark_jobs"


class RefdataSparkSubmitOperator(SparkSubmitOperator):
    """spark-submit `spark_jobs/<job>.py` on settings.spark_master.

    Catalog properties, jars (fetched into the cache on first use) and the JDK 17
    environment are resolved when the task runs, not when the DAG file is parsed, so
    parsing stays cheap and a task always sees the current settings.
    """

    def __init__(self, *, job: str, application_args: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(
            application=str(SPARK_JOBS_DIR / f"{job}.py"),
            name=f"refdata-{job}",
            conn_id="spark_default",
            application_args=application_args,
            **kwargs,
        )

    def execute(self, context: Any) -> None:
        settings = get_settings()
        conf = spark_conf(settings)
        self.jars = conf.pop("spark.jars")
        self.driver_memory = conf.pop("spark.driver.memory")
        self.conf = {**conf, **(self.conf or {})}
        with tempfile.TemporaryDirectory(prefix="refdata-task-") as scratch:
            failure_file = Path(scratch) / "failure.txt"
            self.env_vars = {**spark_env(settings), **(self.env_vars or {}), FAILURE_FILE_ENV: str(failure_file)}
            try:
                super().execute(context)
            except AirflowException as error:
                # The job's own message (a gate failure names the instruments and the report).
                reason = read_failure(failure_file)
                if reason is None:
                    raise
                raise AirflowException(f"{self.task_id}: {reason}") from error
