"""The cache-hit path of `GET /v1/instruments/{venue}/{symbol}`, in front of FastAPI.

The point lookup is the API's hottest read. On a cache hit, FastAPI's routing, dependency
solving and exception middleware cost about three times the answer itself (profiled under
wrk, docs/benchmarks.md). This ASGI layer answers exactly the requests it can answer from
the cache (the same key, the same table versions, the same bytes as the endpoint) and hands
every other request, unchanged, to FastAPI: a miss, a 404, any unexpected parameter, a bad
timestamp (FastAPI then answers the problem+json). It never computes or stores anything.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiProblem
from api.routers.instruments import instrument_tables, one_json, point_key
from api.timeparams import resolve

PREFIX = "/v1/instruments/"
ROUTE_PATH = "/v1/instruments/{venue}/{symbol}"
TIME_PARAMETERS = frozenset({"as_of", "as_known_at"})


def point_request(path: str, query_string: bytes) -> tuple[str, str, dict[str, str]] | None:
    """(venue, symbol, time parameters) if the request is a plain point lookup, else None."""
    if not path.startswith(PREFIX):
        return None
    parts = path[len(PREFIX):].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, strict_parsing=False)
    except ValueError:
        return None
    params = dict(pairs)
    if len(params) != len(pairs) or not params.keys() <= TIME_PARAMETERS:
        return None  # repeated or unknown parameters: FastAPI decides what they mean
    return parts[0], parts[1], params


class CachedPointLookup:
    """`fastapi_app`: the app whose services (cache) and route this layer stands in for."""

    def __init__(self, app: ASGIApp, fastapi_app: Any) -> None:
        self.app, self.fastapi_app = app, fastapi_app
        self.route: Any = None
        self.hits = 0  # requests answered here
        fastapi_app.state.point_lookup = self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            body = await self._cached(scope)
            if body is not None:
                if self.route is None:
                    self.route = next((r for r in self.fastapi_app.router.routes
                                       if getattr(r, "path", None) == ROUTE_PATH), None)
                scope["route"] = self.route  # metrics label the request like FastAPI would
                self.hits += 1
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _cached(self, scope: Scope) -> bytes | None:
        request = point_request(scope["path"], scope.get("query_string", b""))
        if request is None:
            return None
        venue, symbol, params = request
        try:
            tp = resolve(params.get("as_of"), params.get("as_known_at"))
        except ApiProblem:
            return None
        svc = self.fastapi_app.state.services
        data = await svc.cache.peek_async(instrument_tables(svc), point_key(venue, symbol, tp))
        return one_json(data, tp) if isinstance(data, bytes) else None
