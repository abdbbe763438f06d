"""Airflow's local-settings hook (the plugins folder is on Airflow's sys.path).

Imported once by every Airflow process when it starts. In the scheduler it also imports the
libraries every refdata task needs (pyiceberg, pyarrow, httpx, the Spark provider): the
LocalExecutor forks its workers from the scheduler and each task from a worker, so a task
inherits them instead of importing them again — about 2 s of CPU per task, which on two
cores was most of an hourly ingest's 14 venue tasks (docs/benchmarks.md).
"""

from __future__ import annotations

import sys


def _is_scheduler() -> bool:
    return len(sys.argv) > 1 and sys.argv[1] == "scheduler"


if _is_scheduler():
    from refdata_airflow.preload import preload

    preload()
