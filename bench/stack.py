"""Benchmark the local stack: cold and warm start-up time and idle resident memory.

cold = a fresh data directory (initdb, catalog migrations, Airflow's metadata migration)
with the downloads already cached; warm = the same stack started again after `down`.
Runs on its own data directory and ports (+200), so a development stack is not disturbed.
Targets (issue 2): warm start <= 90 s, idle stack <= 8 GB.
"""

from __future__ import annotations

import shutil
import time

from refdata.settings import PROJECT_ROOT, Ports, Settings
from refdata.stack import manager


def bench_settings() -> Settings:
    ports = Ports(**{name: value + 200 for name, value in Ports().model_dump().items()})
    return Settings(var_dir=PROJECT_ROOT / "var" / "bench-stack", ports=ports)


def timed_up(settings: Settings) -> float:
    began = time.monotonic()
    manager.up(settings, "all", log=lambda line: print(f"    {line}"))
    return time.monotonic() - began


def main() -> None:
    settings = bench_settings()
    manager.down(settings, log=lambda line: None)
    shutil.rmtree(settings.var_dir, ignore_errors=True)
    try:
        print("cold start (fresh data directory, downloads cached):")
        cold = timed_up(settings)
        manager.down(settings, log=lambda line: None)
        print("warm start (existing data directory):")
        warm = timed_up(settings)
        time.sleep(30)  # let the JVMs and Airflow settle into their idle footprint
        statuses = manager.status(settings)
    finally:
        manager.down(settings, log=lambda line: None)
        shutil.rmtree(settings.var_dir, ignore_errors=True)

    print()
    print(f"{'cold make up':<28}{cold:8.1f} s")
    print(f"{'warm make up':<28}{warm:8.1f} s   (target <= 90 s)")
    print()
    print(f"{'service':<28}{'resident memory':>18}")
    total = 0
    for entry in statuses:
        total += entry.rss_bytes
        print(f"{entry.name:<28}{entry.rss_bytes / 2**20:>14,.0f} MiB")
    print(f"{'total (idle)':<28}{total / 2**20:>14,.0f} MiB   (target <= 8192 MiB)")


if __name__ == "__main__":
    main()
