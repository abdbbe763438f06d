"""Load generator on loopback, bounded in time: rps and p50/p99 of
(1) a bare FastAPI hello-world, (2) a cached point lookup, (3) an uncached lookup through Trino.

    python bench/api.py [--seconds 10] [--concurrency 200] [--venue binance-usdm --symbol BTCUSDT]

Each server runs in its own uvicorn process (one worker) on a free port; the client is one
asyncio process with httpx. Uncached: each request asks a distinct as_of (a cache miss).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta

import httpx

HELLO = "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/hello')\ndef hello():\n    return {'hello': 'world'}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, port: int, cwd: str | None = None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", target, "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], cwd=cwd)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{target} did not start")


async def load(url_for, seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def worker(n: int) -> None:
            nonlocal errors
            i = 0
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    response = await client.get(url_for(n, i))
                except httpx.HTTPError:  # a refused or dropped connection counts, it does not end the run
                    errors += 1
                    i += 1
                    continue
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200
                i += 1
        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000, "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--uncached-concurrency", type=int, default=4)
    parser.add_argument("--venue", default="binance-usdm")
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--as-of", default="2024-10-20T12:00:00Z")
    args = parser.parse_args()

    import tempfile
    tmp = tempfile.mkdtemp()
    with open(f"{tmp}/hello_app.py", "w") as f:
        f.write(HELLO)
    hello_port, api_port = free_port(), free_port()
    procs = [serve("hello_app:app", hello_port, cwd=tmp), serve("api.app:app", api_port)]
    try:
        base = f"http://127.0.0.1:{api_port}/v1/instruments/{args.venue}/{args.symbol}"
        known = "2099-01-01T00:00:00Z"  # placeholder replaced below
        known = datetime.utcnow().replace(microsecond=0).isoformat() + "Z"
        warm = httpx.get(base, params={"as_of": args.as_of, "as_known_at": known}, timeout=120)
        print(f"warm-up: HTTP {warm.status_code}")
        t0 = datetime(2024, 10, 20)
        runs = {
            "hello-world": asyncio.run(load(lambda n, i: f"http://127.0.0.1:{hello_port}/hello", args.seconds, args.concurrency)),
            "cached lookup": asyncio.run(load(lambda n, i: f"{base}?as_of={args.as_of}&as_known_at={known}",
                                               args.seconds, args.concurrency)),
            "uncached lookup": asyncio.run(load(
                lambda n, i: f"{base}?as_of={(t0 + timedelta(seconds=n * 100000 + i)).isoformat()}Z&as_known_at={known}",
                args.seconds, args.uncached_concurrency)),
        }
    finally:
        for proc in procs:
            proc.terminate()
    print(f"{'case':18} {'conc':>5} {'requests':>9} {'errors':>7} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, r in runs.items():
        conc = args.uncached_concurrency if name.startswith("uncached") else args.concurrency
        print(f"{name:18} {conc:>5} {r['requests']:>9} {r['errors']:>7} {r['rps']:>9.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}")


if __name__ == "__main__":
    main()
