"""The exchange replay server: recorded responses at the exchanges' own URL paths.

Point every exchange base URL at it (the local default) and the production clients run
unchanged. Control API under /_replay/ (state, clock, advance, faults).

`Date` header: every capture response carries the capture time as its Date, as the
exchange's own server would have on that day. For captures with a payload server time the
two agree; for the others (OKX, Kraken, Coinbase) it is the only exchange clock the client
sees, so observations get their historical time instead of the wall clock of the replay.
Other responses (errors, control API) carry the replay clock. Run uvicorn with
`date_header=False` so that it does not add a second, wall-clock Date.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Body, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from refdata.captures import CaptureFile, load_catalog
from refdata.replay import emulation
from refdata.replay.faults import Fault, FaultKind
from refdata.replay.state import ReplayState, parsed, raw_bytes

_HTML = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>"
)


def http_date(when: datetime) -> str:
    return format_datetime(when.replace(tzinfo=timezone.utc), usegmt=True)


def parse_time(text: str) -> datetime:
    """ISO 8601 (a trailing Z, an offset, or naive = UTC) to naive UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, f"not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class ClockBody(BaseModel):
    clock: str


class AdvanceBody(BaseModel):
    path: str | None = None
    params: dict[str, str] | None = None


def _render(state: ReplayState, capture: CaptureFile, path: str, query: dict[str, str]) -> emulation.Rendered:
    raw = raw_bytes(capture.path)
    if path == emulation.OKX_UNDERLYING_PATH:
        return emulation.okx_underlying(parsed(capture.path))
    emulate = emulation.EMULATORS.get(path)
    if emulate is None:
        return emulation.Rendered(200, raw)
    return emulate(raw, parsed(capture.path), query, state.clock)


def create_app(
    captures_dir: Path | str | None = None,
    *,
    catalog: tuple[CaptureFile, ...] | None = None,
    clock: datetime | None = None,
    hang_s: float = 60.0,
) -> FastAPI:
    """The ASGI app over one capture set; `app.state.replay` is its ReplayState."""
    if catalog is None:
        if captures_dir is None:
            from refdata.settings import get_settings

            captures_dir = get_settings().captures_dir
        catalog = load_catalog(captures_dir)
    state = ReplayState(catalog, clock=clock, hang_s=hang_s)
    app = FastAPI(
        title="refdata exchange replay",
        docs_url="/_replay/docs",
        openapi_url="/_replay/openapi.json",
        redoc_url=None,
    )
    app.state.replay = state

    def error(path: str, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        body = emulation.error_body(state.family_of(path), status, message, state.clock)
        return Response(body, status, {"Date": http_date(state.clock), **(headers or {})},
                        media_type="application/json")

    # ---- control API -------------------------------------------------------------------

    @app.get("/_replay/state")
    def get_state() -> dict[str, Any]:
        nxt = state.next_capture_time()
        return {
            "clock": state.clock.isoformat(),
            "next_capture_at": nxt.isoformat() if nxt else None,
            "endpoints": state.serving(),
            "faults": state.faults.pending(),
        }

    @app.get("/_replay/captures")
    def get_captures() -> list[dict[str, Any]]:
        return [
            {"file": c.rel, "path": c.http_path, "params": dict(c.params), "venues": list(c.venues),
             "captured_at": c.captured_at.isoformat(), "time_source": c.time_source, "full": c.full}
            for c in state.catalog
        ]

    @app.put("/_replay/clock")
    @app.post("/_replay/clock")
    def set_clock(body: ClockBody) -> dict[str, str]:
        state.set_clock(parse_time(body.clock))
        return {"clock": state.clock.isoformat()}

    @app.post("/_replay/advance")
    def advance(body: AdvanceBody | None = Body(default=None)) -> dict[str, Any]:
        body = body or AdvanceBody()
        when = state.advance(body.path, body.params)
        if when is None:
            raise HTTPException(409, f"no capture after {state.clock.isoformat()}"
                                     + (f" for {body.path} {body.params or ''}" if body.path else ""))
        return {"clock": when.isoformat(), "endpoints": state.serving()}

    @app.get("/_replay/faults")
    def get_faults() -> list[dict[str, object]]:
        return state.faults.pending()

    @app.post("/_replay/faults")
    def add_faults(body: Fault | list[Fault]) -> list[dict[str, object]]:
        for fault in body if isinstance(body, list) else [body]:
            try:
                state.faults.add(fault)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
        return state.faults.pending()

    @app.delete("/_replay/faults")
    def clear_faults(path: str | None = None) -> dict[str, int]:
        return {"cleared": state.faults.clear(path)}

    # ---- the exchanges -----------------------------------------------------------------

    @app.get("/{full_path:path}", include_in_schema=False)
    async def serve(request: Request) -> Response:
        path = request.url.path
        query = dict(request.query_params)
        fault = state.faults.take(path, query)
        if fault is not None:
            early = await _early_fault(fault, path, error)
            if early is not None:
                return early
        # /public/underlying is derived from the recorded OPTION (etc.) instruments listing.
        source = emulation.OKX_PATH if path == emulation.OKX_UNDERLYING_PATH else path
        if not state.knows(source):
            return error(path, 404, f"replay: no captures of GET {path}")
        capture = state.select(source, query)
        if capture is None:
            shown = f"{path}?{urlencode(query)}" if query else path
            return error(path, 404, f"replay: no capture of GET {shown} at or before {state.clock.isoformat()}Z")
        rendered = await run_in_threadpool(_render, state, capture, path, query)
        body = rendered.body
        if fault is not None and rendered.status == 200:
            body = _late_fault(fault, body, query)
        headers = {"Date": http_date(capture.captured_at), "X-Replay-File": capture.rel}
        return Response(body, rendered.status, headers, media_type=rendered.media_type)

    async def _early_fault(fault: Fault, path: str, error: Any) -> Response | None:
        if fault.kind is FaultKind.RATE_LIMIT:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return error(path, fault.status or 429, "Too many requests", headers)
        if fault.kind is FaultKind.SERVER_ERROR:
            return error(path, fault.status or 500, "Internal error; replay fault")
        if fault.kind is FaultKind.HTML:
            return Response(_HTML, fault.status or 200, {"Date": http_date(state.clock)}, media_type="text/html")
        if fault.kind is FaultKind.TIMEOUT:
            await asyncio.sleep(fault.delay_s if fault.delay_s is not None else state.hang_s)
        return None

    return app


def _late_fault(fault: Fault, body: bytes, query: dict[str, str]) -> bytes:
    """Faults that damage an otherwise normal response body."""
    if fault.kind is FaultKind.TRUNCATED:
        return body[: len(body) // 2]
    if fault.kind is FaultKind.RENAME_FIELD:
        payload = emulation.rename_key(json.loads(body), fault.rename_from or "", fault.rename_to or "")
        return emulation.dumps(payload)
    if fault.kind is FaultKind.STUCK_CURSOR:
        return emulation.stick_cursor(body, query)
    return body
