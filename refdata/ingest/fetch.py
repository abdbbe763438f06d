"""Fetch one venue's complete instrument listing, exactly as the exchange sent it.

`fetch_listing` follows the venue's fan-out (one request per OKX option family, Deribit
currency, Bybit option base coin) and pagination (Bybit cursor) to the end and returns every
response body untouched, with its hash, for bronze. It never returns a partial listing: a
cursor that does not run out, a slice that fails after others succeeded, an exchange error
code or a non-JSON body raise IncompleteListing / MalformedResponse / FetchError instead.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

import httpx

from refdata.errors import IncompleteListing
from refdata.ingest import envelope
from refdata.ingest.http import ExchangeClient, FetchError, HttpResult
from refdata.ingest.observed_time import observed_at as _observed_at
from refdata.settings import Settings
from refdata.venues import (
    KRAKEN_ASSETS_PATH,
    OKX_UNDERLYING_PATH,
    FanOut,
    Pagination,
    Venue,
    get_venue,
)

# Headers worth keeping in bronze: the exchange clock, the body's identity, and our quota.
_KEEP = frozenset({"date", "content-type", "etag", "last-modified", "retry-after", "age"})
_KEEP_PATTERN = re.compile(r"rate-?limit|x-mbx-used-weight|x-mbx-order-count|x-bapi-limit", re.I)


@dataclass(frozen=True)
class FetchedPage:
    path: str
    params: dict[str, str]
    http_status: int
    headers: dict[str, str]  # lower-case names, only those worth keeping
    body: bytes  # exactly as received
    sha256: str
    fetched_at: datetime  # naive UTC, when this response arrived


@dataclass(frozen=True)
class FetchedListing:
    venue: str
    endpoint: str  # "GET /path"
    pages: tuple[FetchedPage, ...]  # responses of `endpoint` only, in request order
    observed_at: datetime  # exchange time of the listing (see observed_time)
    fetched_at: datetime  # when the last page arrived
    complete: bool = True
    # Responses read only to plan the listing (OKX option families); kept for provenance.
    discovery: tuple[FetchedPage, ...] = field(default=())


def keep_headers(headers: Any) -> dict[str, str]:
    return {
        k.lower(): v
        for k, v in headers.items()
        if k.lower() in _KEEP or _KEEP_PATTERN.search(k)
    }


def _page(path: str, params: dict[str, str], result: HttpResult) -> FetchedPage:
    return FetchedPage(
        path=path,
        params=dict(params),
        http_status=result.status,
        headers=keep_headers(result.headers),
        body=result.body,
        sha256=hashlib.sha256(result.body).hexdigest(),
        fetched_at=result.received_at,
    )


@contextmanager
def _client(settings: Settings, client: ExchangeClient | httpx.Client | None) -> Iterator[ExchangeClient]:
    """Use the caller's client (a bare httpx.Client gets our retries and limits) or a new one."""
    if isinstance(client, ExchangeClient):
        yield client
        return
    with ExchangeClient(settings, http=client) as owned:
        yield owned


def _describe(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "(no params)"


def _slices(
    venue: Venue, settings: Settings, client: ExchangeClient, discovery: list[FetchedPage]
) -> list[dict[str, str]]:
    """The independent requests (before pagination) that together make the listing."""
    base = dict(venue.params)
    if venue.fan_out is FanOut.NONE:
        return [base]
    if venue.fan_out is FanOut.DERIBIT_CURRENCY:
        return [{**base, "currency": c} for c in settings.fetch.deribit_currencies]
    if venue.fan_out is FanOut.BYBIT_BASE_COIN:
        return [{**base, "baseCoin": c} for c in settings.fetch.bybit_option_base_coins]
    # OKX options: instruments are only listed per family, so ask which families exist.
    params = {"instType": base["instType"]}
    result = client.get(venue, OKX_UNDERLYING_PATH, params)
    page = _page(OKX_UNDERLYING_PATH, params, result)
    discovery.append(page)
    families = envelope.okx_families(venue.id, f"GET {OKX_UNDERLYING_PATH}", page.body)
    if not families:
        raise IncompleteListing(venue.id, venue.endpoint, f"GET {OKX_UNDERLYING_PATH} listed no option families")
    return [{**base, "instFamily": f} for f in families]


def _read_slice(
    venue: Venue, params: dict[str, str], settings: Settings, client: ExchangeClient
) -> Iterator[tuple[FetchedPage, Any, list[Any]]]:
    """Every page of one slice, checked; follows a Bybit cursor until it is empty."""
    if venue.pagination is Pagination.NONE:
        page = _page(venue.path, params, client.get(venue, venue.path, params))
        yield (page, *envelope.check(venue.family, venue.id, venue.endpoint, page.body))
        return
    base = {**params, "limit": str(settings.fetch.bybit_page_limit)}
    request, seen = dict(base), set()
    for number in range(1, settings.fetch.max_pages + 1):
        page = _page(venue.path, request, client.get(venue, venue.path, request))
        payload, items = envelope.check(venue.family, venue.id, venue.endpoint, page.body)
        yield page, payload, items
        cursor = payload["result"].get("nextPageCursor") or ""
        if not cursor:
            return
        if cursor in seen:
            raise IncompleteListing(
                venue.id, venue.endpoint,
                f"{_describe(params)}: cursor {cursor!r} repeated at page {number}; the listing never ends",
            )
        seen.add(cursor)
        request = {**base, "cursor": cursor}
    raise IncompleteListing(
        venue.id, venue.endpoint,
        f"{_describe(params)}: cursor not exhausted after {settings.fetch.max_pages} pages (page cap)",
    )


def fetch_listing(
    venue: str | Venue, settings: Settings, client: ExchangeClient | httpx.Client | None = None
) -> FetchedListing:
    """The complete current listing of one venue, or an exception saying why not."""
    v = get_venue(venue) if isinstance(venue, str) else venue
    discovery: list[FetchedPage] = []
    pages: list[FetchedPage] = []
    first_payload: Any = None
    count = 0
    with _client(settings, client) as c:
        for params in _slices(v, settings, c, discovery):
            try:
                for page, payload, items in _read_slice(v, params, settings, c):
                    if not pages:
                        first_payload = payload
                    pages.append(page)
                    count += len(items)
            except FetchError as exc:
                if not (pages or discovery):
                    raise  # nothing read yet: a plain failure to reach the venue
                raise IncompleteListing(
                    v.id, v.endpoint,
                    f"{_describe(params)} failed after {len(pages)} good page(s): {exc}",
                ) from exc
    if count == 0:
        # An empty listing would mark every instrument of the venue delisted: refuse it.
        raise IncompleteListing(v.id, v.endpoint, f"no instruments in {len(pages)} page(s)")
    first = pages[0]
    return FetchedListing(
        venue=v.id,
        endpoint=v.endpoint,
        pages=tuple(pages),
        observed_at=_observed_at(v, [first_payload], first.headers, first.fetched_at),
        fetched_at=pages[-1].fetched_at,
        discovery=tuple(discovery),
    )


def fetch_kraken_assets(
    settings: Settings, client: ExchangeClient | httpx.Client | None = None
) -> FetchedListing:
    """Kraken's asset list (`GET /0/public/Assets`): needed to read pair codes like XXBTZUSD."""
    v = get_venue("kraken-spot")
    endpoint = f"GET {KRAKEN_ASSETS_PATH}"
    with _client(settings, client) as c:
        page = _page(KRAKEN_ASSETS_PATH, {}, c.get(v, KRAKEN_ASSETS_PATH, {}))
    payload, items = envelope.check("kraken", v.id, endpoint, page.body)
    if not items:
        raise IncompleteListing(v.id, endpoint, "no assets")
    return FetchedListing(
        venue=v.id,
        endpoint=endpoint,
        pages=(page,),
        observed_at=_observed_at(v, [payload], page.headers, page.fetched_at),
        fetched_at=page.fetched_at,
    )
