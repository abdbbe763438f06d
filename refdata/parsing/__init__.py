"""Exchange listing responses -> normalized `InstrumentSpec`s (pure functions, no I/O).

    parse_listing("binance-spot", "/api/v3/exchangeInfo", [body_bytes])

`pages` is every page of one listing (Bybit cursor pages, OKX option families, Deribit
per-currency responses); their instruments are concatenated. Anything malformed, an error
envelope, an HTML page, a symbol listed twice with different content, an empty listing or a renamed/missing field we
need raises `MalformedResponse` naming the venue, the endpoint and the JSON path: a partial
listing would read as mass delistings downstream, so there is no best effort.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from refdata.domain import InstrumentSpec
from refdata.errors import MalformedResponse
from refdata.parsing import binance, bybit, coinbase, deribit, kraken, okx
from refdata.parsing.common import Ctx, decode_page
from refdata.parsing.kraken import KrakenAsset

__all__ = ["SUPPORTED", "KrakenAsset", "parse_kraken_assets", "parse_listing"]

Parser = Callable[[Ctx, Any], list[InstrumentSpec]]

_BYBIT = "/v5/market/instruments-info"
_OKX_V5 = "/api/v5/public/instruments"
_DERIBIT = "/api/v2/public/get_instruments"

_PARSERS: dict[tuple[str, str], Parser] = {
    ("binance-spot", "/api/v3/exchangeInfo"): binance.parse_spot,
    ("binance-usdm", "/fapi/v1/exchangeInfo"): binance.parse_usdm,
    ("binance-coinm", "/dapi/v1/exchangeInfo"): binance.parse_coinm,
    ("kraken-spot", "/0/public/AssetPairs"): kraken.parse_pairs,
    ("bybit-spot", _BYBIT): bybit.parse,
    ("bybit-linear", _BYBIT): bybit.parse,
    ("bybit-inverse", _BYBIT): bybit.parse,
    ("bybit-option", _BYBIT): bybit.parse,
    ("coinbase-spot", "/products"): coinbase.parse,
    ("okx-spot", _OKX_V5): okx.parse_v5,
    ("okx-swap", _OKX_V5): okx.parse_v5,
    ("okx-futures", _OKX_V5): okx.parse_v5,
    ("okx-futures", "/api/futures/v3/instruments"): okx.parse_v3_futures,
    ("okx-option", _OKX_V5): okx.parse_v5,
    ("deribit-future", _DERIBIT): deribit.parse,
    ("deribit-option", _DERIBIT): deribit.parse,
}

SUPPORTED: dict[str, tuple[str, ...]] = {}
for _venue, _endpoint in _PARSERS:
    SUPPORTED[_venue] = (*SUPPORTED.get(_venue, ()), _endpoint)


def _path(endpoint: str) -> str:
    """"/products", "GET /products", "https://host/products?x=1" -> "/products"."""
    text = endpoint.strip()
    if text[:4].upper() == "GET ":
        text = text[4:].strip()
    path = urlsplit(text).path
    return path if path.startswith("/") else "/" + path


def parse_listing(
    venue: str, endpoint: str, pages: Sequence[bytes | str | Mapping[str, Any] | list[Any]]
) -> tuple[InstrumentSpec, ...]:
    """All instruments of one complete listing of `venue`, in response order."""
    path = _path(endpoint)
    parser = _PARSERS.get((venue, path))
    if parser is None:
        known = ", ".join(f"{v} {e}" for v, e in _PARSERS)
        raise ValueError(f"no parser for venue {venue!r} endpoint {endpoint!r} (supported: {known})")
    where = f"GET {path}"
    if isinstance(pages, (bytes, str, Mapping)) or not isinstance(pages, Sequence):
        raise TypeError(f"pages must be a sequence of page payloads, got {type(pages).__name__}")
    if not pages:
        raise MalformedResponse(venue, where, "no pages")
    specs: dict[str, InstrumentSpec] = {}  # the symbol is the key within a venue
    first_seen: dict[str, int] = {}
    for n, page in enumerate(pages):
        ctx = Ctx(venue, where, f"pages[{n}]" if len(pages) > 1 else "")
        for spec in parser(ctx, decode_page(ctx, page)):
            seen = specs.get(spec.symbol)
            if seen is None:
                specs[spec.symbol] = spec
                first_seen[spec.symbol] = n
            elif seen.raw != spec.raw:
                # The same object in two fan-out slices is one fact; two different objects
                # under one symbol leave no way to tell which is the listing.
                first = first_seen[spec.symbol]
                ctx.fail("", f"symbol {spec.symbol!r} listed twice with different content (first in pages[{first}])")
    if not specs:
        # An empty listing would delist the whole venue downstream: never accept it.
        raise MalformedResponse(venue, where, f"no {venue} instruments in {len(pages)} page(s)")
    return tuple(specs.values())


def parse_kraken_assets(payload: bytes | str | Mapping[str, Any]) -> dict[str, KrakenAsset]:
    """GET /0/public/Assets: asset code (XXBT) -> altname, decimals, display_decimals, status."""
    ctx = Ctx("kraken-spot", kraken.ASSETS_ENDPOINT)
    assets = kraken.parse_assets(ctx, decode_page(ctx, payload))
    if not assets:
        ctx.fail("result", "no assets")
    return assets
