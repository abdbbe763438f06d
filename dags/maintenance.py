"""
### refdata_maintenance — Iceberg table upkeep for bronze, silver and gold

Daily (paused at creation: unpause it on a long-lived stack). Four spark-submit tasks, in this
order, each over every table of the `bronze`, `silver` and `gold` namespaces (ADR 0012):

1. **retention** — bronze retention policy: `bronze.quarantine` rows older than
   `REFDATA_MAINTENANCE__QUARANTINE_RETENTION_DAYS` (90) are deleted. Polls, responses and
   bodies are kept: they are the source every rebuild starts from.
2. **compact** — `rewrite_data_files` (sorted by the table's sort order where it has one;
   data files carrying position deletes are always rewritten, and the deletes left dangling
   are dropped).
3. **expire** — `expire_snapshots` older than `SNAPSHOT_MAX_AGE_DAYS` (7), keeping at least
   `SNAPSHOT_RETAIN_LAST` (20). System time lives in the `recorded_at`/`superseded_at`
   columns, so `as_known_at` reads never depend on snapshots; only snapshot time travel is
   bounded by this window.
4. **orphans** — `remove_orphan_files` older than `ORPHAN_MIN_AGE_HOURS` (72), so a write in
   flight is never touched.

Silver and gold are maintained under their transform job's lock: a compaction never races
a MERGE. A failed task leaves an alert record (`var/alerts/alerts.jsonl`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import dag
from refdata_airflow.alerts import on_failure
from refdata_airflow.spark import RefdataSparkSubmitOperator

ACTIONS = ("retention", "compact", "expire", "orphans")


@dag(
    dag_id="refdata_maintenance",
    schedule="0 3 * * *",
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["refdata", "maintenance"],
    doc_md=__doc__,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10), "on_failure_callback": on_failure},
)
def refdata_maintenance() -> None:
    previous = None
    for action in ACTIONS:
        task = RefdataSparkSubmitOperator(
            task_id=action,
            job="maintenance",
            application_args=[action],
            doc_md=f"#### {action}\nSee the DAG documentation; the task log ends with the procedure results per table.",
        )
        if previous is not None:
            previous >> task
        previous = task


refdata_maintenance()
