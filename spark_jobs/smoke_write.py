"""Smoke job: prove that a spark-submitted job writes and merges into the Iceberg catalog.

Usage: spark-submit spark_jobs/smoke_write.py <namespace.table> <run_id>
"""

from __future__ import annotations

import sys

from refdata.settings import get_settings
from refdata.spark import get_session


def main(table: str, run_id: str) -> None:
    settings = get_settings()
    spark = get_session(settings, "refdata-smoke")
    qualified = f"{settings.catalog_name}.{table}"
    spark.sql(f"CREATE TABLE IF NOT EXISTS {qualified} (run_id string, n bigint) USING iceberg")
    spark.createDataFrame([(run_id, n) for n in range(3)], "run_id string, n bigint").createOrReplaceTempView(
        "smoke_rows"
    )
    # MERGE keeps the job idempotent: a retried task does not duplicate rows.
    spark.sql(
        f"""MERGE INTO {qualified} AS target USING smoke_rows AS source
            ON target.run_id = source.run_id AND target.n = source.n
            WHEN NOT MATCHED THEN INSERT *"""
    )
    count = spark.table(qualified).where(f"run_id = '{run_id}'").count()
    print(f"smoke_write: {qualified} has {count} rows for run {run_id}")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
