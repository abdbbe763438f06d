"""Every figure of the issues side by side, in one run on one fresh stack of its own
(var/bench-pipeline, ports +200; nothing of a development or test stack is touched):

1. bench/pipeline.py: full pipeline over all shared captures, hourly no-change cycle;
2. bench/silver.py:   the silver job on an unchanged snapshot and the 50k x 1 % MERGE into ~10M rows;
3. bench/api.py:      hello-world vs cached vs uncached lookups (on the data of step 1), with
                      Airflow, the replay server and the stack's own API stopped first.

    python bench/all.py [--quick]     # --quick: 5,000 instruments x 10 versions in step 2

Each step prints its own table; a summary of the target lines follows at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from refdata.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
from pipeline import bench_env, bench_settings  # noqa: E402  (sets the bench stack's environment)

from refdata.airflow_client import AirflowClient  # noqa: E402
from refdata.stack import manager  # noqa: E402


def step(title: str, command: list[str], env: dict[str, str]) -> list[str]:
    print(f"\n===== {title}: {' '.join(command)}", flush=True)
    began = time.monotonic()
    completed = subprocess.run([sys.executable, *command], cwd=PROJECT_ROOT, env=env, text=True,
                               stdout=subprocess.PIPE)
    print(completed.stdout, end="")
    print(f"===== {title}: exit {completed.returncode} after {time.monotonic() - began:.0f} s")
    return completed.stdout.splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, **bench_env()}
    summary: list[str] = []
    try:
        lines = step("pipeline", ["bench/pipeline.py", "--keep"], env)
        summary += [line for line in lines if "target" in line or line.startswith(("stack start", "full pipeline", "no-change"))]
        # The hourly schedule stays off while the other figures are taken: an ingest run
        # landing in the middle of them would measure the two together.
        client = AirflowClient(bench_settings())
        for dag_id in ("refdata_ingest", "refdata_transform", "refdata_backfill"):
            client.pause(dag_id)
        sizes = ["--instruments", "5000", "--versions", "10"] if args.quick else []
        lines = step("silver", ["bench/silver.py", *sizes], env)
        summary += [line for line in lines if line.startswith(("(a", "(b", "target"))]
        # The API's figures are taken with only what the API reads up (PostgreSQL, the object
        # store, Trino): Airflow's scheduler, DAG processor and triggerer wake every few seconds,
        # and on two shared cores they were the cached lookup's whole p99 (docs/benchmarks.md).
        batch = [name for name in manager.GROUPS["all"] if name not in manager.GROUPS["core"]]
        manager.down(bench_settings(), only=batch, log=lambda line: print(f"  (api step) {line}"))
        lines = step("api", ["bench/api.py", "--seconds", "10"], env)
        summary += [line for line in lines if line.startswith(("case", "hello", "cached", "uncached", "target", "Trino"))]
    finally:
        manager.down(bench_settings(), log=lambda line: None)
    print("\n===== summary")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
