"""GET /v1/health: Trino, the catalog DB, the object store, freshness per venue."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import Services, services
from api.errors import ApiProblem
from api.models import iso
from api.timeparams import utcnow

router = APIRouter(tags=["health"])


def _check(fn: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = fn()
        out: dict[str, Any] = {"status": "ok"}
        if detail is not None:
            out["detail"] = detail
    except ApiProblem as exc:
        out = {"status": "down", "error": exc.detail}
    except Exception as exc:  # noqa: BLE001
        out = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    out["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out


@router.get("/v1/health", summary="Dependencies and freshness; 503 when a dependency is down")
def health(svc: Services = Depends(services)) -> JSONResponse:
    settings = svc.settings

    def catalog() -> None:
        import psycopg

        with psycopg.connect(settings.catalog_psycopg_dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1").fetchone()

    def object_store() -> str:
        response = httpx.get(settings.s3_endpoint_url, timeout=3)
        return f"HTTP {response.status_code}"

    checks = {"trino": _check(svc.repo.ping), "catalog": _check(catalog), "object_store": _check(object_store)}
    freshness: dict[str, Any] = {}
    if checks["trino"]["status"] == "ok":
        now = utcnow()
        try:
            for row in svc.repo.freshness():
                freshness[row["venue"]] = {
                    "last_observed_at": iso(row["last_observed_at"]), "last_recorded_at": iso(row["last_recorded_at"]),
                    "age_s": round((now - row["last_recorded_at"]).total_seconds(), 1)}
        except ApiProblem as exc:
            checks["freshness"] = {"status": "down", "error": exc.detail}
    down = [name for name, c in checks.items() if c["status"] != "ok"]
    body = {"status": "ok" if not down else "degraded", "checks": checks, "freshness": freshness,
            "cache": {"hits": svc.cache.hits, "misses": svc.cache.misses}}
    headers = {"Retry-After": "5"} if down else None
    return JSONResponse(body, status_code=503 if down else 200, headers=headers)
