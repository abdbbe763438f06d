"""GET /v1/changes (cursor paged) and GET /v1/changes/stream (SSE of new versions as published)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api import cursor as cursors
from api.deps import Services, check_venue, services
from api.errors import ApiProblem
from api.models import ChangesPage, iso, version_from_row
from api.timeparams import parse_instant, utcnow

router = APIRouter(prefix="/v1/changes", tags=["changes"])


@router.get("", response_model=ChangesPage, summary="Versions recorded after `since` (system time), oldest first")
def changes(since: str = Query(..., examples=["2024-10-20T00:00:00Z"]), venue: str | None = Query(None),
            cursor: str | None = None, limit: int = Query(500, ge=1, le=5000),
            svc: Services = Depends(services)) -> ChangesPage:
    start = parse_instant("since", since)
    if venue is not None:
        check_venue(venue, svc.settings)
    until, after = utcnow(), None
    if cursor is not None:
        position, query = cursors.decode(cursor, {"since": start.isoformat(), "venue": venue})
        try:
            until, after = datetime.fromisoformat(position[0]), (position[1], position[2])
            datetime.fromisoformat(after[0])
        except (ValueError, IndexError, TypeError):
            raise ApiProblem(400, "bad-cursor", "cursor position is malformed", parameter="cursor") from None
    rows = svc.repo.changes(start, venue, after, limit + 1, until)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursors.encode([until.isoformat(), last["recorded_at"].isoformat(), last["version_id"]],
                                     {"since": start.isoformat(), "venue": venue})
    return ChangesPage(data=[version_from_row(r) for r in rows], since=iso(start), until=iso(until),
                       next_cursor=next_cursor)


@router.get("/stream", summary="Server-Sent Events: each new version as the silver job publishes it",
            response_class=StreamingResponse)
async def stream(request: Request, since: str | None = Query(None, description="default: now"),
                 venue: str | None = Query(None), poll_s: float = Query(2.0, ge=0.2, le=60),
                 max_seconds: float | None = Query(None, gt=0, le=86400, description="close after this long"),
                 svc: Services = Depends(services)) -> StreamingResponse:
    start = parse_instant("since", since) if since else utcnow()
    if venue is not None:
        check_venue(venue, svc.settings)
    versions = svc.cache.versions

    async def events() -> AsyncIterator[str]:
        mark, seen_ids, last_version = start, set(), None
        deadline = time.monotonic() + max_seconds if max_seconds else None
        yield f": streaming versions recorded after {iso(start)}\n\n"
        while deadline is None or time.monotonic() < deadline:
            if await request.is_disconnected():
                return
            current = await run_in_threadpool(versions.version, svc.silver, "instrument_versions") if versions else None
            if current is None or current != last_version:
                last_version = current
                rows = await run_in_threadpool(svc.repo.changes, mark, venue, None, 5000, utcnow())
                for row in rows:
                    if row["version_id"] in seen_ids:
                        continue
                    seen_ids.add(row["version_id"])
                    mark = max(mark, row["recorded_at"])
                    yield f"id: {row['version_id']}\nevent: version\ndata: {version_from_row(row).model_dump_json()}\n\n"
            else:
                yield ": keep-alive\n\n"
            await asyncio.sleep(poll_s)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
