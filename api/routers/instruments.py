"""GET /v1/instruments, /v1/instruments/{venue}/{symbol}, .../history."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from api import cursor as cursors
from api.deps import CLASSES, STATUSES, Services, check_enum, check_venue, resolve_venue, services
from api.errors import ApiProblem
from api.models import History, InstrumentOne, InstrumentPage, TimeAxes, iso, version_from_row
from api.repository import InstrumentFilter
from api.routers.symbology import checked_canonical_id
from api.symbology_index import SymbologyIndex
from api.timeparams import AS_KNOWN_AT_DOC, TimePoint, resolve, time_point

router = APIRouter(prefix="/v1/instruments", tags=["instruments"])


def instrument_tables(svc: Services) -> list[tuple[str, str]]:
    return [(svc.silver, "instrument_versions"), (svc.gold, "symbology")]


@router.get("", response_model=InstrumentPage, summary="Instruments at (as_of, as_known_at)")
def list_instruments(
    venue: str | None = Query(None, examples=["binance-spot"]),
    exchange: str | None = Query(None, description="seed alias: binance -> binance-spot unless venue is given",
                                 examples=["binance"]),
    symbol: str | None = Query(None, examples=["BTCUSDT"]),
    canonical_id: str | None = Query(None, examples=["BTC-USDT-SPOT"]),
    base: str | None = Query(None, description="canonical base asset", examples=["BTC"]),
    quote: str | None = Query(None, description="canonical quote asset", examples=["USDT"]),
    instrument_class: str | None = Query(None, alias="class", examples=["spot"]),
    status: str | None = Query(None, examples=["active"]),
    cursor: str | None = Query(None, description="opaque; from next_cursor"),
    limit: int = Query(100, ge=1, le=1000),
    as_of: str | None = Query(None, examples=["2024-10-20T12:00:00Z"]),
    as_known_at: str | None = Query(None, description=AS_KNOWN_AT_DOC),
    svc: Services = Depends(services),
) -> InstrumentPage:
    filters = InstrumentFilter(
        venue=resolve_venue(exchange, venue, svc.settings), symbol=symbol,
        canonical_id=checked_canonical_id(canonical_id) if canonical_id is not None else None,
        base=base, quote=quote, instrument_class=check_enum("class", instrument_class, CLASSES),
        status=check_enum("status", status, STATUSES))
    after = None
    tp = resolve(as_of, as_known_at)
    if cursor is not None:
        position, query = cursors.decode(cursor)
        if query.get("filters") != asdict(filters):
            raise ApiProblem(400, "bad-cursor", "cursor was issued for different filters; repeat the same "
                             "filters with the cursor", parameter="cursor")
        if len(position) != 2 or not all(isinstance(p, str) for p in position):
            raise ApiProblem(400, "bad-cursor", "cursor position is malformed", parameter="cursor")
        pinned = resolve(query["as_of"] + "Z", query["as_known_at"] + "Z")
        tp = TimePoint(pinned.as_of if as_of is None else tp.as_of,
                       pinned.as_known_at if as_known_at is None else tp.as_known_at, True, True)
        after = (position[0], position[1])
    rows = svc.cache.get_or_compute(
        instrument_tables(svc), ("instruments", filters, after, limit, tp.cache_token()),
        lambda: svc.repo.instruments(filters, tp.as_of, tp.as_known_at, after, limit + 1))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursors.encode([last["venue"], last["symbol"]], {
            "filters": asdict(filters), "as_of": tp.as_of.isoformat(), "as_known_at": tp.as_known_at.isoformat()})
    return InstrumentPage(data=[version_from_row(r) for r in rows], next_cursor=next_cursor,
                          time=TimeAxes(as_of=iso(tp.as_of), as_known_at=iso(tp.as_known_at)))


@router.get("/{venue}/{symbol}", response_model=InstrumentOne, summary="One instrument at (as_of, as_known_at)")
async def get_instrument(venue: str, symbol: str, tp: TimePoint = Depends(time_point),
                         svc: Services = Depends(services)) -> Response:
    # The hot path (ADR 0011, "Serving"): a cache hit stays on the event loop and answers
    # the version's JSON as cached, wrapped with the resolved times; Trino runs in the pool.
    check_venue(venue, svc.settings)

    def version_json() -> bytes | None:
        rows = svc.repo.instrument_at(venue, symbol, tp.as_of, tp.as_known_at)
        if not rows:
            return None
        mapping = symbology_index(svc).joined_at(venue, symbol, tp.as_of, tp.as_known_at)
        return version_from_row({**rows[0], **mapping}).model_dump_json().encode()

    data = await svc.cache.aget_or_compute(instrument_tables(svc), point_key(venue, symbol, tp), version_json)
    if data is None:
        known = await svc.cache.aget_or_compute(instrument_tables(svc)[:1], ("known", venue, symbol),
                                                lambda: svc.repo.instrument_known(venue, symbol))
        when = f"valid at {iso(tp.as_of)} as known at {iso(tp.as_known_at)}"
        detail = (f"instrument {venue}/{symbol} has no version {when}" if known
                  else f"unknown instrument {venue}/{symbol}: never listed on {venue}")
        raise ApiProblem(404, "unknown-instrument", detail, venue=venue, symbol=symbol)
    return Response(one_json(data, tp), media_type="application/json")


def symbology_index(svc: Services) -> SymbologyIndex:
    """gold.symbology in memory at its current version (built once per publish, ADR 0014)."""
    return svc.cache.get_or_compute(instrument_tables(svc)[1:], ("symbology.index",),  # type: ignore[no-any-return]
                                    lambda: SymbologyIndex(svc.repo.symbology_versions()))


def point_key(venue: str, symbol: str, tp: TimePoint) -> tuple[Any, ...]:
    """The cache key of one instrument's version JSON at a time point (api/fastpath.py too)."""
    return "instrument.json", venue, symbol, tp.cache_token()


def one_json(data: bytes, tp: TimePoint) -> bytes:
    """The InstrumentOne document around a version's JSON (what FastAPI would render)."""
    times = json.dumps({"as_of": iso(tp.as_of), "as_known_at": iso(tp.as_known_at)}, separators=(",", ":"))
    return b'{"data":' + data + b',"time":' + times.encode() + b"}"


@router.get("/{venue}/{symbol}/history", response_model=History,
            summary="Every valid-time version as known at as_known_at (include_superseded: the audit trail)")
def history(venue: str, symbol: str,
            as_known_at: str | None = Query(None, description=AS_KNOWN_AT_DOC),
            include_superseded: bool = Query(False, description="add every system-time revision (audit trail)"),
            svc: Services = Depends(services)) -> History:
    check_venue(venue, svc.settings)
    tp = resolve(None, as_known_at)
    rows = svc.cache.get_or_compute(
        instrument_tables(svc)[:1], ("history", venue, symbol, include_superseded, tp.cache_token()[1]),
        lambda: svc.repo.history(venue, symbol, tp.as_known_at, include_superseded))
    if not rows:
        raise ApiProblem(404, "unknown-instrument",
                         f"unknown instrument {venue}/{symbol}: no version recorded on {venue} as known at "
                         f"{iso(tp.as_known_at)}", venue=venue, symbol=symbol)
    return History(venue=venue, symbol=symbol, as_known_at=iso(tp.as_known_at),
                   include_superseded=include_superseded, versions=[version_from_row(r) for r in rows])
