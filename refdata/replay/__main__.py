"""`python -m refdata.replay [--host H] [--port N] [--captures-dir D] [--clock ISO]`."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from refdata.replay.app import create_app, parse_time
from refdata.replay.server import UVICORN_OPTIONS
from refdata.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m refdata.replay", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.ports.replay)
    parser.add_argument("--captures-dir", default=str(settings.captures_dir))
    parser.add_argument("--clock", help="initial replay clock (ISO 8601); default: newest capture")
    parser.add_argument("--hang-s", type=float, default=60.0, help="how long a 'timeout' fault hangs")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    app = create_app(
        args.captures_dir,
        clock=parse_time(args.clock) if args.clock else None,
        hang_s=args.hang_s,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, **UVICORN_OPTIONS)


if __name__ == "__main__":
    main()
