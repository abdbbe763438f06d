"""`python -m api`: serve on settings.host:settings.ports.api (uvicorn, the production options).

    python -m api [--port P] [--workers N] [--app module:attr --app-dir DIR] [--log-level L]

Options (ADR 0011, "Serving"): uvloop event loop and httptools parser (both pinned in
requirements/main.in), no access log (one log line per request costs more than a cached
answer), and one worker process per core (`REFDATA_API_WORKERS`, default: the cores this
process may run on, at most 8): a Python process serves one core at most. Each worker keeps
its own read cache and catalog watcher (api/cache.py). `--app` serves another ASGI app with
the same options (bench/api.py's hello-world).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import uvicorn

from refdata.settings import get_settings


def default_workers() -> int:
    configured = os.environ.get("REFDATA_API_WORKERS")
    if configured:
        return max(1, int(configured))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def uvicorn_options(workers: int, log_level: str = "info") -> dict[str, Any]:
    return {"workers": workers, "loop": "uvloop", "http": "httptools", "access_log": False,
            "log_level": log_level, "backlog": 2048, "timeout_keep_alive": 30}


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.ports.api)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--app", default="api.app:app")
    parser.add_argument("--app-dir", default=None)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    uvicorn.run(args.app, host=args.host, port=args.port, app_dir=args.app_dir,
                **uvicorn_options(args.workers, args.log_level))


if __name__ == "__main__":
    main()
