"""Symbology over gold.symbology: by canonical ID (exact vs USD-equivalent), resolve, search, batch."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from refdata.symbology.canonical_id import parse_canonical_id
from refdata.symbology.equivalence import usd_equivalence_group

from api.deps import CLASSES, Services, check_enum, resolve_venue, services
from api.errors import ApiProblem
from api.models import iso, scalar
from api.timeparams import TimePoint, time_point

router = APIRouter(prefix="/v1/symbology", tags=["symbology"])
MAX_JOBS = 1000


def checked_canonical_id(text: str) -> str:
    try:
        parse_canonical_id(text)
    except ValueError as exc:
        raise ApiProblem(400, "bad-canonical-id", str(exc), parameter="canonical_id") from None
    return text


class Mapping(BaseModel):
    venue: str
    symbol: str
    canonical_id: str | None
    match: Literal["exact", "usd_equivalent", "venue_symbol"] = "venue_symbol"
    fields: dict[str, Any] = Field(description="every gold.symbology column (decimals as strings)")


class MappingList(BaseModel):
    query: dict[str, Any]
    as_of: str
    as_known_at: str
    data: list[Mapping]


def _mapping(row: dict[str, Any], match: str) -> Mapping:
    return Mapping(venue=row["venue"], symbol=row["symbol"], canonical_id=row["canonical_id"], match=match,  # type: ignore[arg-type]
                   fields={k: scalar(v) for k, v in row.items()})


def _tables(svc: Services) -> list[tuple[str, str]]:
    return [(svc.gold, "symbology")]


def _rows(svc: Services, tp: TimePoint, clauses: list[str], args: list[Any], limit: int = 1000) -> list[dict[str, Any]]:
    key = ("symbology", tuple(clauses), tuple(map(str, args)), limit, tp.cache_token())
    return svc.cache.get_or_compute(_tables(svc), key,  # type: ignore[no-any-return]
                                    lambda: svc.repo.symbology(clauses, args, tp.as_of, tp.as_known_at, limit))


def _out(query: dict[str, Any], tp: TimePoint, data: list[Mapping]) -> MappingList:
    return MappingList(query=query, as_of=iso(tp.as_of), as_known_at=iso(tp.as_known_at), data=data)  # type: ignore[arg-type]


def by_canonical_id(svc: Services, tp: TimePoint, canonical_id: str) -> list[Mapping]:
    group = usd_equivalence_group(canonical_id)
    if group is None:
        rows = _rows(svc, tp, ["g.canonical_id = ?"], [canonical_id])
    else:
        rows = _rows(svc, tp, ["(g.canonical_id = ? OR g.usd_equivalent_group = ?)"], [canonical_id, group.group_id])
    exact = [_mapping(r, "exact") for r in rows if r["canonical_id"] == canonical_id]
    return exact + [_mapping(r, "usd_equivalent") for r in rows if r["canonical_id"] != canonical_id]


def by_venue_symbol(svc: Services, tp: TimePoint, venue: str, symbol: str) -> list[Mapping]:
    rows = _rows(svc, tp, ["g.venue = ?", "g.symbol = ?"], [venue, symbol])
    return [_mapping(r, "venue_symbol") for r in rows]


@router.get("/resolve", response_model=MappingList, summary="Canonical ID of one venue symbol")
def resolve_one(symbol: str = Query(..., examples=["BTCUSDT"]),
                exchange: str | None = Query(None, examples=["binance"]),
                venue: str | None = Query(None, examples=["binance-spot"]),
                tp: TimePoint = Depends(time_point), svc: Services = Depends(services)) -> MappingList:
    resolved = resolve_venue(exchange, venue, svc.settings)
    if resolved is None:
        raise ApiProblem(422, "missing-parameter", "give exchange or venue", parameter="exchange")
    data = by_venue_symbol(svc, tp, resolved, symbol)
    if not data:
        raise ApiProblem(404, "unknown-symbol", f"unknown symbol {resolved}/{symbol} at {iso(tp.as_of)} "
                         f"as known at {iso(tp.as_known_at)}", venue=resolved, symbol=symbol)
    return _out({"venue": resolved, "symbol": symbol}, tp, data)


@router.get("/search", response_model=MappingList, summary="Search mappings by asset, class, expiry, strike")
def search(base_asset: str | None = Query(None, examples=["BTC"]), quote_asset: str | None = Query(None, examples=["USDT"]),
           instrument_class: str | None = Query(None, examples=["perpetual"]),
           expiry_from: str | None = Query(None, examples=["2024-12-01T00:00:00Z"]),
           expiry_to: str | None = Query(None, examples=["2025-01-01T00:00:00Z"]),
           strike_min: float | None = Query(None), strike_max: float | None = Query(None),
           limit: int = Query(200, ge=1, le=1000),
           tp: TimePoint = Depends(time_point), svc: Services = Depends(services)) -> MappingList:
    from decimal import Decimal

    from api.timeparams import parse_instant

    clauses: list[str] = []
    args: list[Any] = []
    for column, value in (("g.base_asset", base_asset), ("g.quote_asset", quote_asset),
                          ("g.instrument_class", check_enum("instrument_class", instrument_class, CLASSES))):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    for op, name, text in ((">=", "expiry_from", expiry_from), ("<", "expiry_to", expiry_to)):
        if text is not None:
            clauses.append(f"g.expiry {op} ?")
            args.append(parse_instant(name, text))
    for op, value in ((">=", strike_min), ("<=", strike_max)):
        if value is not None:
            if value != value or value in (float("inf"), float("-inf")):
                raise ApiProblem(422, "bad-number", "strike bounds must be finite numbers", parameter="strike_min")
            clauses.append(f"g.strike {op} CAST(? AS decimal(38,18))")
            args.append(str(Decimal(str(value))))
    query = {"base_asset": base_asset, "quote_asset": quote_asset, "instrument_class": instrument_class,
             "expiry_from": expiry_from, "expiry_to": expiry_to, "strike_min": strike_min, "strike_max": strike_max}
    rows = _rows(svc, tp, clauses, args, limit)
    return _out(query, tp, [_mapping(r, "exact") for r in rows])


class ResolveJob(BaseModel):
    canonical_id: str | None = Field(None, examples=["BTC-USD-SPOT"])
    exchange: str | None = Field(None, examples=["binance"])
    venue: str | None = None
    symbol: str | None = Field(None, examples=["BTCUSDT"])


class ResolveResult(BaseModel):
    data: list[Mapping] | None = None
    error: str | None = None
    warning: str | None = None


JOB_COLUMNS = ("job_kind", "job_a", "job_b", "job_rank")


def _batch_rows(svc: Services, tp: TimePoint, canonical: list[tuple[str, str | None]],
                pairs: list[tuple[str, str]]) -> dict[tuple[str, str, str | None], list[dict[str, Any]]]:
    """Every lookup of a batch in one Trino query (none if there is nothing to look up).

    Cached like the single lookups: keyed by the gold.symbology snapshot, the resolved times
    and the (sorted, distinct) lookups, so a publish is a miss."""
    if not canonical and not pairs:
        return {}
    key = ("symbology-batch", tuple(canonical), tuple(pairs), MAX_JOBS, tp.cache_token())
    rows = svc.cache.get_or_compute(_tables(svc), key, lambda: svc.repo.symbology_batch(
        canonical, pairs, tp.as_of, tp.as_known_at, MAX_JOBS))
    out: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
    for row in rows:
        lookup = (row["job_kind"], row["job_a"], row["job_b"])
        out.setdefault(lookup, []).append({k: v for k, v in row.items() if k not in JOB_COLUMNS})
    return out


@router.post("/resolve", response_model=list[ResolveResult],
             summary=f"Batch resolve (OpenFIGI style): up to {MAX_JOBS} jobs, one result per job, in order")
def resolve_batch(jobs: list[ResolveJob], tp: TimePoint = Depends(time_point),
                  svc: Services = Depends(services)) -> list[ResolveResult]:
    """Validates every job, then answers all of them with ONE Trino query (ADR 0011).

    A job that cannot be looked up gets `error`; one that matches nothing gets `warning`;
    otherwise `data`, exactly as the single lookups would answer it. Trino being down or
    rejecting the query fails the whole request (503/502), as it is no job's fault."""
    if len(jobs) > MAX_JOBS:
        raise ApiProblem(422, "too-many-jobs", f"{len(jobs)} jobs; at most {MAX_JOBS} per request")
    planned: list[ResolveResult | tuple[str, str, str | None]] = []
    canonical: dict[str, str | None] = {}
    pairs: set[tuple[str, str]] = set()
    for job in jobs:
        try:
            if job.canonical_id is not None:
                cid = checked_canonical_id(job.canonical_id)
                group = usd_equivalence_group(cid)
                canonical[cid] = None if group is None else group.group_id
                planned.append(("canonical_id", cid, None))
            elif job.symbol is not None:
                venue = resolve_venue(job.exchange, job.venue, svc.settings)
                if venue is None:
                    raise ApiProblem(422, "missing-parameter", "a symbol job needs exchange or venue")
                pairs.add((venue, job.symbol))
                planned.append(("venue_symbol", venue, job.symbol))
            else:
                raise ApiProblem(422, "missing-parameter", "a job needs canonical_id, or symbol with exchange/venue")
        except ApiProblem as problem:
            planned.append(ResolveResult(error=problem.detail))
    found = _batch_rows(svc, tp, sorted(canonical.items()), sorted(pairs))
    results: list[ResolveResult] = []
    for plan in planned:
        if isinstance(plan, ResolveResult):
            results.append(plan)
            continue
        kind, a, b = plan
        rows = found.get(plan, [])
        if kind == "canonical_id":
            data = [_mapping(r, "exact") for r in rows if r["canonical_id"] == a]
            data += [_mapping(r, "usd_equivalent") for r in rows if r["canonical_id"] != a]
            label = a
        else:
            data = [_mapping(r, "venue_symbol") for r in rows]
            label = f"{a}/{b}"
        results.append(ResolveResult(data=data) if data else ResolveResult(warning=f"no match for {label}"))
    return results


@router.get("/{canonical_id}", response_model=MappingList,
            summary="Every venue symbol of a canonical ID; USD-equivalents marked apart")
def get_canonical(canonical_id: str, tp: TimePoint = Depends(time_point),
                  svc: Services = Depends(services)) -> MappingList:
    data = by_canonical_id(svc, tp, checked_canonical_id(canonical_id))
    if not data:
        raise ApiProblem(404, "unknown-canonical-id", f"unknown canonical ID {canonical_id}: no venue lists it "
                         f"at {iso(tp.as_of)} as known at {iso(tp.as_known_at)}", canonical_id=canonical_id)
    return _out({"canonical_id": canonical_id}, tp, data)
