"""Gold symbology job: silver published versions -> gold.symbology (write-audit-publish).

Usage:
    spark-submit spark_jobs/gold_symbology.py [--run-id ID] [--silver-table silver.instrument_versions]
        [--gold-namespace gold] [--aliases path/to/asset_aliases.csv]
        [--usd-equivalents USDT,USDC,...] [--report-dir DIR]

Exit status 0 on success (also when there was nothing to do); a failed gate raises GateFailed
(the audit branch is dropped and gold main is untouched). See refdata/gold/job.py, ADR 0009.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from refdata.gold.job import GoldConfig, run
from refdata.job_failures import reported_failures
from refdata.settings import get_settings
from refdata.spark import get_session
from refdata.symbology import DEFAULT_USD_EQUIVALENTS


def parse_args(argv: list[str]) -> GoldConfig:
    parser = argparse.ArgumentParser(prog="gold_symbology", description=__doc__.splitlines()[0])
    parser.add_argument("--run-id", default="")
    parser.add_argument("--silver-table", default="silver.instrument_versions")
    parser.add_argument("--gold-namespace", default="gold")
    parser.add_argument("--aliases", type=Path, default=None)
    parser.add_argument("--usd-equivalents", default=",".join(sorted(DEFAULT_USD_EQUIVALENTS)))
    parser.add_argument("--report-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    return GoldConfig(
        silver_table=args.silver_table,
        gold_namespace=args.gold_namespace,
        aliases_path=args.aliases,
        usd_equivalents=frozenset(code for code in args.usd_equivalents.split(",") if code),
        report_dir=args.report_dir,
        run_id=args.run_id,
    )


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = parse_args(argv)
    settings = get_settings()
    spark = get_session(settings, "refdata-gold-symbology")
    try:
        with reported_failures():
            result = run(spark, settings, config)
        print(result.summary())
        if result.id_error_instruments:
            print(f"instruments without a canonical ID (published with id_error): {result.id_errors}")
            for key in result.id_error_instruments:
                print("  " + "/".join(str(v) for v in key.values()))
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
