"""The FastAPI application: `create_app(settings)`; `uvicorn api.app:app`; `python -m api`."""

from __future__ import annotations

import gc
import importlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refdata.settings import Settings, get_settings

from api import errors
from api.cache import CatalogWatcher, ReadCache
from api.deps import Services
from api.fastpath import CachedPointLookup
from api.repository import TrinoRepository, ident
from api.routers import changes, corrections, export, health, instruments, symbology

DESCRIPTION = """Point-in-time reference data. Every read takes `as_of` (valid time) and `as_known_at`
(system time), ISO-8601 UTC, both defaulting to now. Errors are RFC 9457 problem+json.
Write endpoints need an `X-API-Key` (settings.api_keys; local demo keys: demo-alice-key, demo-bob-key)."""


# Imported on first use by the serving paths (the Trino client, the catalog watcher's driver):
# imported at startup instead, so that they are frozen with the rest (below).
SERVING_MODULES = ("trino.dbapi", "trino.exceptions", "requests", "psycopg")


# Lifespans running in this process: the freeze is process-wide, so only the last one to
# shut down may undo it (a test may serve two apps at once, each from its own thread).
_frozen_lifespans = 0
_frozen_lifespans_lock = threading.Lock()


@asynccontextmanager
async def frozen_startup_heap(app: FastAPI) -> AsyncIterator[None]:
    """Everything imported and built by startup is moved out of the garbage collector's
    generations for good (`gc.freeze`). The ~66,000 objects of the imported libraries (~18,000
    of them the serving modules imported here) never die, yet every full collection
    walked them all: a 60-125 ms pause each, every few seconds under load, which was the
    cached lookup's p99 (ADR 0015)."""
    global _frozen_lifespans
    for module in SERVING_MODULES:
        importlib.import_module(module)
    with _frozen_lifespans_lock:
        gc.collect()  # startup's own garbage is not frozen
        gc.freeze()
        _frozen_lifespans += 1
    try:
        yield
    finally:
        with _frozen_lifespans_lock:
            _frozen_lifespans -= 1
            if _frozen_lifespans == 0:
                # Collectable again once no app is served: a process that goes on (a test
                # session serving app after app) would otherwise keep every app it ever served.
                gc.unfreeze()


def create_app(settings: Settings | None = None, *, silver_namespace: str = "silver", gold_namespace: str = "gold",
               bronze_namespace: str = "bronze", repository: TrinoRepository | None = None,
               cache: bool = True) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="refdata API", version="1.0", description=DESCRIPTION, lifespan=frozen_startup_heap)
    versions = (CatalogWatcher(settings, (silver_namespace, gold_namespace, bronze_namespace),
                               timeout_s=settings.api_catalog_timeout_s) if cache else None)
    app.state.services = Services(
        settings=settings, repo=repository or TrinoRepository(settings, silver_namespace, gold_namespace),
        cache=ReadCache(versions), corrections=None, silver=ident(silver_namespace), gold=ident(gold_namespace),
        bronze=ident(bronze_namespace))
    errors.install(app)
    for module in (instruments, symbology, changes, export, corrections, health):
        app.include_router(module.router)

    registry = CollectorRegistry()
    requests_total = Counter("refdata_api_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("refdata_api_request_seconds", "request latency", ["method", "route"], registry=registry,
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))

    app.add_middleware(CachedPointLookup, fastapi_app=app)  # inside the metrics: hits are counted
    app.add_middleware(MetricsMiddleware, requests_total=requests_total, latency=latency)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status.

    Plain ASGI (not `@app.middleware("http")`, whose BaseHTTPMiddleware runs every request
    through an extra task and memory streams: more than a cached answer costs). The time is
    until the last byte of the response is handed to the server."""

    def __init__(self, app: ASGIApp, requests_total: Counter, latency: Histogram) -> None:
        self.app, self.requests_total, self.latency = app, requests_total, latency
        self._children: dict[tuple[str, str, int], tuple[Callable[[], None], Callable[[float], None]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app becomes a 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            count, observe = self._series(scope["method"], route, status)
            count()
            observe(time.perf_counter() - started)

    def _series(self, method: str, route: str, status: int) -> tuple[Callable[[], None], Callable[[float], None]]:
        # `labels()` checks and converts its arguments on every call: a few per cent of a
        # cached answer. The children are kept (prometheus keeps every label set anyway).
        key = (method, route, status)
        series = self._children.get(key)
        if series is None:
            series = self._children[key] = (self.requests_total.labels(method, route, str(status)).inc,
                                            self.latency.labels(method, route).observe)
        return series


def __getattr__(name: str) -> FastAPI:
    # `uvicorn api.app:app`: built on first access, so importing this module stays cheap.
    if name == "app":
        global app
        app = create_app(get_settings())
        return app
    raise AttributeError(name)
