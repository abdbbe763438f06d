"""Content hashing: what a response *says* about instruments, without its envelope noise.

Exchange bodies change on every poll even when no instrument changes: Binance carries
`serverTime` (and `rateLimits`, `timezone`), Bybit `time`, Deribit `usIn`/`usOut`/`usDiff`;
a plain body hash would store a full copy of every poll. The content of a page is therefore
its list of instrument objects only — where that list lives is per endpoint (table below) —
each object serialized canonically (keys sorted, no whitespace), the list sorted:

    content_sha256 = sha256('{"endpoint":<e>,"instruments":[<sorted objects>],"venue":<v>}')

which is exactly the canonical JSON (`sort_keys`) of that object. Venue and endpoint are part
of the hashed document so that two pages of different venues never share content (an empty
Bybit option page and an empty Deribit currency page both list `[]`, but a reader must parse
a stored body with the parser of its own venue). Order is ignored: exchanges reorder lists.
Kraken lists instruments as an object keyed by pair/asset code; each entry is `[key, value]`.

Pure functions; no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# Envelope keys that are noise, per endpoint family: documented, not hashed (for the ADR and
# tests; the hash ignores *every* key outside the instrument list anyway).
ENVELOPE_NOISE: dict[str, tuple[str, ...]] = {
    "binance": ("serverTime", "rateLimits", "timezone", "exchangeFilters", "assets", "futuresType"),
    "bybit": ("time", "retCode", "retMsg", "retExtInfo", "result.nextPageCursor", "result.category"),
    "deribit": ("usIn", "usOut", "usDiff", "jsonrpc", "testnet"),
    "okx": ("code", "msg"),
    "kraken": ("error",),
    "coinbase": (),
}


class ContentError(ValueError):
    """The page does not hold an instrument list where its endpoint keeps it."""


def canonical_json(value: Any) -> str:
    """Keys sorted, no whitespace, UTF-8 text kept as is: equal JSON values, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _at(payload: Any, *keys: str) -> Any:
    value = payload
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise ContentError(f"no {'.'.join(keys)} in the payload")
        value = value[key]
    return value


def _top_level(payload: Any) -> Any:
    return payload


# URL path -> where that endpoint's instrument list is.
_CONTAINERS: dict[str, Callable[[Any], Any]] = {
    "/api/v3/exchangeInfo": lambda p: _at(p, "symbols"),
    "/fapi/v1/exchangeInfo": lambda p: _at(p, "symbols"),
    "/dapi/v1/exchangeInfo": lambda p: _at(p, "symbols"),
    "/0/public/AssetPairs": lambda p: _at(p, "result"),
    "/0/public/Assets": lambda p: _at(p, "result"),
    "/v5/market/instruments-info": lambda p: _at(p, "result", "list"),
    "/products": _top_level,
    "/api/v5/public/instruments": lambda p: _at(p, "data"),
    "/api/v5/public/underlying": lambda p: _at(p, "data"),  # OKX option families (discovery)
    "/api/v2/public/get_instruments": lambda p: _at(p, "result"),
    "/api/futures/v3/instruments": _top_level,  # retired OKEx v3 (captures only)
}


def endpoint_path(endpoint: str) -> str:
    """'GET /products' or '/products' -> '/products'."""
    text = endpoint.strip()
    return text[4:].strip() if text[:4].upper() == "GET " else text


def instrument_container(path: str, payload: Any) -> Any:
    try:
        locate = _CONTAINERS[endpoint_path(path)]
    except KeyError:
        raise ContentError(f"no instrument-list location known for {path!r}") from None
    return locate(payload)


def instrument_entries(path: str, payload: Any) -> list[str]:
    """Each instrument of the page as canonical JSON text, in response order."""
    container = instrument_container(path, payload)
    if isinstance(container, dict):
        return [canonical_json([key, value]) for key, value in container.items()]
    if isinstance(container, list):
        return [canonical_json(item) for item in container]
    raise ContentError(f"instrument list of {path} is a {type(container).__name__}, not a list or object")


def content_sha256(venue: str, endpoint: str, entries: Iterable[str]) -> str:
    """Hash of the canonical JSON {"endpoint", "instruments" (sorted), "venue"}."""
    document = (
        '{"endpoint":' + canonical_json(f"GET {endpoint_path(endpoint)}")
        + ',"instruments":[' + ",".join(sorted(entries)) + "]"
        + ',"venue":' + canonical_json(venue) + "}"
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def page_entries(path: str, body: bytes) -> list[str]:
    """Parse a (validated) body and return its instrument entries."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContentError(f"body is not JSON: {exc}") from None
    return instrument_entries(path, payload)


def poll_content_sha256(venue: str, endpoint: str, pages_entries: Sequence[Sequence[str]]) -> str:
    """Content of a whole listing: every listing page's instruments, as one sorted list."""
    return content_sha256(venue, endpoint, (e for entries in pages_entries for e in entries))
