"""
### refdata_transform — bronze → silver → gold (bitemporal instruments and symbology)

Runs whenever bronze gains polls (the `refdata_bronze_polls` Asset, emitted by
`refdata_ingest` and `refdata_backfill`), and can be triggered by hand.

**silver_instruments** (spark-submit `spark_jobs/silver_instruments.py`): per venue, the
bronze polls and approved corrections above the committed watermark are parsed and applied
to `silver.instrument_versions` / `silver.instrument_observed` with one SCD2 `MERGE` per
layer on an Iceberg audit branch. The Great Expectations gate checks the branch; main is
fast-forwarded only if it passes. A failed gate fails this task with the failing
instruments and the report path (`var/reports/gates/...`); published silver is untouched.
Re-running is safe: applied events are never applied twice.

**gold_symbology** (spark-submit `spark_jobs/gold_symbology.py`), after silver: derives the
canonical IDs of every published silver version into `gold.symbology` (and the asset
aliases into `gold.assets`), again on an audit branch behind its own gate. When silver has
not moved since gold's last run (an hourly poll with nothing new) the task is skipped
before Spark starts (`refdata.gold.freshness`); a manually triggered run always runs it.

Both jobs hold a job lock in the catalog database, so a manual run and a scheduled one
serialize instead of racing on the same tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag
from refdata_airflow.alerts import on_failure
from refdata_airflow.assets import BRONZE_POLLS, GOLD_SYMBOLOGY, SILVER_INSTRUMENT_VERSIONS
from refdata_airflow.spark import RefdataSparkSubmitOperator, gold_is_current


@dag(
    dag_id="refdata_transform",
    schedule=[BRONZE_POLLS],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["refdata", "silver", "gold"],
    doc_md=__doc__,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2), "on_failure_callback": on_failure},
    params={
        "venues": Param([], type="array", title="Venues",
                        description="Venues to transform; empty = every configured venue"),
    },
)
def refdata_transform() -> None:
    silver = RefdataSparkSubmitOperator(
        task_id="silver_instruments",
        job="silver_instruments",
        application_args=["{{ run_id }}", "{{ params.venues | join(' ') }}"],
        outlets=[SILVER_INSTRUMENT_VERSIONS],
        doc_md="Apply new bronze observations and approved corrections to silver, behind the gate.",
    )
    gold = RefdataSparkSubmitOperator(
        task_id="gold_symbology",
        job="gold_symbology",
        application_args=["--run-id", "{{ run_id }}"],
        outlets=[GOLD_SYMBOLOGY],
        skip_when=gold_is_current,
        doc_md="Map every published silver version to its canonical ID in gold.symbology, behind the gate. "
               "Skipped (no Spark started) when gold's last run already read the current silver snapshot "
               "with the same asset aliases; a manual run always runs.",
    )
    silver >> gold


refdata_transform()
