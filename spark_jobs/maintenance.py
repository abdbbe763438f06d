"""spark-submit entry point of table maintenance (refdata.maintenance.job).

Usage: spark-submit spark_jobs/maintenance.py <action> [<action> ...] [--namespaces bronze silver gold]
Actions, always applied in this order: retention, compact, expire, orphans (ADR 0012).
"""

from __future__ import annotations

import argparse
import logging
import sys

from refdata.maintenance.job import NAMESPACES, run
from refdata.maintenance.plan import Action
from refdata.job_failures import reported_failures
from refdata.settings import get_settings
from refdata.spark import get_session


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="maintenance", description=__doc__.splitlines()[0])
    parser.add_argument("actions", nargs="*", help="retention | compact | expire | orphans (default: all)")
    parser.add_argument("--namespaces", nargs="+", default=list(NAMESPACES))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with reported_failures():
        actions = Action.parse([a for arg in args.actions for a in arg.split()])
        settings = get_settings()
        spark = get_session(settings, f"refdata-maintenance-{'-'.join(a.value for a in actions)}")
        try:
            report = run(spark, settings, actions, namespaces=args.namespaces)
        finally:
            spark.stop()
    print("maintenance report:\n" + report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
