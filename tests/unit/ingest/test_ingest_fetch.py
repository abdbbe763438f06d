"""fetch_listing without a server: header keeping, empty listings, a bare httpx.Client."""

from __future__ import annotations

import hashlib
from datetime import datetime

import httpx
import pytest

from refdata.errors import IncompleteListing
from refdata.ingest.fetch import fetch_listing, keep_headers
from refdata.settings import Settings


def transport(body: bytes, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body, headers=headers))


def test_keeps_only_headers_worth_keeping() -> None:
    kept = keep_headers(httpx.Headers({
        "Date": "Tue, 11 Mar 2025 08:09:10 GMT", "Content-Type": "application/json", "ETag": "x",
        "X-MBX-USED-WEIGHT-1M": "20", "X-Bapi-Limit-Status": "99", "X-RateLimit-Remaining": "5",
        "Set-Cookie": "secret", "Server": "nginx", "Content-Length": "2",
    }))
    assert kept == {
        "date": "Tue, 11 Mar 2025 08:09:10 GMT", "content-type": "application/json", "etag": "x",
        "x-mbx-used-weight-1m": "20", "x-bapi-limit-status": "99", "x-ratelimit-remaining": "5",
    }


def test_bare_httpx_client_and_date_header() -> None:
    headers = {"Date": "Tue, 11 Mar 2025 08:09:10 GMT", "Content-Type": "application/json"}
    with httpx.Client(transport=transport(b'[{"id": "BTC-USD"}]', headers)) as http:
        listing = fetch_listing("coinbase-spot", Settings(replay_base_url="http://x.test"), http)
    (page,) = listing.pages
    assert (page.path, page.params, page.http_status, page.body) == ("/products", {}, 200, b'[{"id": "BTC-USD"}]')
    assert page.sha256 == hashlib.sha256(page.body).hexdigest()
    assert listing.observed_at == datetime(2025, 3, 11, 8, 9, 10)


def test_empty_listing_is_refused() -> None:
    with httpx.Client(transport=transport(b"[]")) as http:
        with pytest.raises(IncompleteListing, match="coinbase-spot GET /products: no instruments in 1 page"):
            fetch_listing("coinbase-spot", Settings(replay_base_url="http://x.test"), http)
