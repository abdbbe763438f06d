"""The main job's figures on a fresh stack of its own (data under var/bench-pipeline, ports +200):

1. full pipeline: `refdata run`'s work after the stack is up — refdata_backfill of every
   shared capture (47 polls, 14 venues) and the refdata_transform run its Asset schedules
   (silver, gates, gold), timed from the trigger to the transform's success;
2. the hourly cycles: refdata_ingest is unpaused and the scheduler starts the run of the
   latest hour, which polls every venue from the replay server (whose answers are the
   newest captures, already in bronze), then the transform it triggers; timed from the
   unpause to the transform's success. This first cycle is not a no-change one: the replay
   serves partial captures (test fixtures, PROVENANCE.md) as if they were complete live
   listings, so silver delists what they leave out (a known limit of the replay, not of
   the pipeline). A second, triggered cycle then re-polls the same answers: that is the
   hourly no-change cycle.

Targets (issue 7): full pipeline <= 3 min, no-change cycle <= 60 s.

    python bench/pipeline.py [--keep]

The stack's settings go to the environment first (REFDATA_VAR_DIR, REFDATA_PORTS__*,
REFDATA_VENUES), so the Airflow tasks and Spark jobs it starts use the bench stack too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time

from refdata.settings import ALL_VENUES, PROJECT_ROOT, Ports

NO_CAPTURE = {"bybit-inverse"}  # PROVENANCE.md: nothing recorded, the replay answers 404
BENCH_VENUES = [v for v in ALL_VENUES if v not in NO_CAPTURE]


def bench_env() -> dict[str, str]:
    env = {"REFDATA_VAR_DIR": str(PROJECT_ROOT / "var" / "bench-pipeline"),
           "REFDATA_VENUES": json.dumps(BENCH_VENUES)}
    for name, port in Ports().model_dump().items():
        env[f"REFDATA_PORTS__{name.upper()}"] = str(port + 200)
    return env


os.environ.update(bench_env())

from refdata.airflow_client import AirflowClient, utcnow  # noqa: E402
from refdata.settings import Settings, get_settings  # noqa: E402
from refdata.stack import manager  # noqa: E402


def bench_settings() -> Settings:
    return get_settings()


def wait_transform(client: AirflowClient, after, began: float, timeout: float = 1800) -> float:  # type: ignore[no-untyped-def]
    transform = client.wait_for_run_after("refdata_transform", after, timeout)
    if transform.state != "success":
        raise SystemExit(f"refdata_transform {transform.run_id} ended {transform.state}")
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()
    settings = bench_settings()
    manager.down(settings, log=lambda line: None)
    shutil.rmtree(settings.var_dir, ignore_errors=True)
    try:
        began = time.monotonic()
        manager.up(settings, "all", log=lambda line: print(f"    {line}"))
        stack_up = time.monotonic() - began
        client = AirflowClient(settings)
        for dag_id in ("refdata_backfill", "refdata_transform", "refdata_ingest"):
            client.wait_for_dag(dag_id)
        for dag_id in ("refdata_backfill", "refdata_transform"):
            client.unpause(dag_id)

        print("full pipeline (backfill of every capture, then transform)…", flush=True)
        began_at, began = utcnow(), time.monotonic()
        run = client.trigger("refdata_backfill", {"capture_dir": str(settings.captures_dir), "venues": BENCH_VENUES})
        client.wait("refdata_backfill", run.run_id, 1800)
        backfill = time.monotonic() - began
        full = wait_transform(client, began_at, began)

        print("first hourly cycle (the scheduler's ingest run, then transform)…", flush=True)
        began_at, began = utcnow(), time.monotonic()
        client.unpause("refdata_ingest")
        first_ingest = client.wait_for_run_after("refdata_ingest", began_at, 600)
        if first_ingest.state != "success":
            raise SystemExit(f"refdata_ingest {first_ingest.run_id} ended {first_ingest.state}")
        first_cycle = wait_transform(client, began_at, began)

        print("hourly no-change cycle (a triggered ingest run, then transform)…", flush=True)
        began_at, began = utcnow(), time.monotonic()
        run = client.trigger("refdata_ingest", {})
        ingest_run = client.wait("refdata_ingest", run.run_id, 600)
        ingest = time.monotonic() - began
        if ingest_run.state != "success":
            raise SystemExit(f"refdata_ingest {ingest_run.run_id} ended {ingest_run.state}")
        cycle = wait_transform(client, began_at, began)
    finally:
        if not args.keep:
            manager.down(settings, log=lambda line: None)
            shutil.rmtree(settings.var_dir, ignore_errors=True)
    print()
    print(f"{'stack start (fresh)':<44}{stack_up:8.1f} s")
    print(f"{'full pipeline: backfill':<44}{backfill:8.1f} s")
    print(f"{'full pipeline: backfill + transform':<44}{full:8.1f} s   (target <= 180 s) "
          f"{'met' if full <= 180 else 'NOT met'}")
    print(f"{'first hourly cycle (partial replays delist)':<44}{first_cycle:8.1f} s")
    print(f"{'no-change cycle: ingest':<44}{ingest:8.1f} s")
    print(f"{'no-change cycle: ingest + transform':<44}{cycle:8.1f} s   (target <= 60 s) "
          f"{'met' if cycle <= 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
