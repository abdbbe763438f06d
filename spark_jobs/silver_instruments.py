"""spark-submit entry point of the silver job (refdata.silver.job).

Usage: spark-submit spark_jobs/silver_instruments.py <run_id> ["venue venue ..."]
(venues as separate arguments or one space-separated argument; none = every configured venue)
"""

from __future__ import annotations

import json
import sys

from refdata.job_failures import reported_failures
from refdata.settings import get_settings
from refdata.silver.job import run
from refdata.spark import get_session


def main(run_id: str, venues: list[str]) -> None:
    settings = get_settings()
    spark = get_session(settings, f"refdata-silver-{run_id}")
    try:
        with reported_failures():
            report = run(spark, settings, run_id, venues=venues or None)
    finally:
        spark.stop()
    print("silver report: " + json.dumps({
        "run_id": report.run_id, "published": report.published, "venues": report.venues,
        "correction_problems": report.correction_problems, "gate_report": report.gate_report,
    }))


if __name__ == "__main__":
    main(sys.argv[1], [venue for arg in sys.argv[2:] for venue in arg.split()])
