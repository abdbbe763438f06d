"""Submit the project's PySpark jobs with the shared catalog wired in."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow.exceptions import AirflowException
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from refdata.job_failures import FAILURE_FILE_ENV, read_failure
from refdata.settings import PROJECT_ROOT, get_settings
from refdata.spark import spark_conf, spark_env

SPARK_JOBS_DIR = PROJECT_ROOT / "spark_jobs"
log = logging.getLogger(__name__)


class RefdataSparkSubmitOperator(SparkSubmitOperator):
    """spark-submit `spark_jobs/<job>.py` on settings.spark_master.

    Catalog properties, jars (fetched into the cache on first use) and the JDK 17
    environment are resolved when the task runs, not when the DAG file is parsed, so
    parsing stays cheap and a task always sees the current settings.

    `skip_when`: asked before a scheduled run submits anything; a reason (text) means the job
    has nothing to do, and the task is skipped without starting Spark. A manual run (an
    operator's deliberate "run it anyway") always submits.
    """

    def __init__(self, *, job: str, application_args: list[Any] | None = None,
                 skip_when: Callable[[], str | None] | None = None, **kwargs: Any) -> None:
        self.skip_when = skip_when
        super().__init__(
            application=str(SPARK_JOBS_DIR / f"{job}.py"),
            name=f"refdata-{job}",
            conn_id="spark_default",
            application_args=application_args,
            **kwargs,
        )

    def skip_reason(self, context: Any) -> str | None:
        """Why this run may skip the job (from `skip_when`), or None to submit it."""
        run_type = getattr(context.get("dag_run"), "run_type", "manual")
        if self.skip_when is None or getattr(run_type, "value", run_type) == "manual":
            return None
        try:
            return self.skip_when()
        except Exception:  # noqa: BLE001 - a check that cannot answer (no gold table yet) means: run
            log.warning("%s: could not decide whether to skip; running the job", self.task_id, exc_info=True)
            return None

    def execute(self, context: Any) -> None:
        reason = self.skip_reason(context)
        if reason:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException(reason)
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


def gold_is_current() -> str | None:
    """`skip_when` of the gold task: why gold.symbology already reflects silver, or None."""
    from refdata.gold.freshness import gold_is_current as check

    return check(get_settings())
