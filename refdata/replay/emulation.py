"""How each exchange would answer a request, given one recorded response of its endpoint.

Captures are single responses; the real APIs filter and paginate. We emulate only what the
production client relies on: Bybit `limit`/`cursor` pages and `baseCoin` (options default to
BTC), OKX `instFamily`/`uly` filters (OPTION requires one) and the families list of
`/api/v5/public/underlying`, Deribit `currency`/`kind`/`expired`. When nothing is filtered
or paged, the capture's bytes are served unchanged. Pure functions over parsed payloads.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping


BYBIT_PATH = "/v5/market/instruments-info"
OKX_PATH = "/api/v5/public/instruments"
OKX_UNDERLYING_PATH = "/api/v5/public/underlying"
DERIBIT_PATH = "/api/v2/public/get_instruments"
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Rendered:
    status: int
    body: bytes
    media_type: str = "application/json"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# ---- exchange-style errors -----------------------------------------------------------------

def _ms(now: datetime) -> int:
    return int((now - _EPOCH).total_seconds() * 1000)


def error_body(family: str | None, status: int, message: str, now: datetime) -> bytes:
    """An error in the exchange's own envelope (what its clients expect to parse)."""
    limited = status == 429
    if family == "binance":
        return dumps({"code": -1003 if limited else -1000, "msg": message})
    if family == "kraken":
        return dumps({"error": ["EAPI:Rate limit exceeded" if limited else f"EGeneral:{message}"]})
    if family == "bybit":
        return dumps({"retCode": 10006 if limited else 10001, "retMsg": "Too many visits!" if limited else message,
                      "result": {}, "retExtInfo": {}, "time": _ms(now)})
    if family == "coinbase":
        return dumps({"message": message})
    if family == "okx":
        # 50011 rate limit, 51000 parameter error, 51001 instrument unknown, 50001 unavailable
        code = {429: "50011", 400: "51000", 404: "51001"}.get(status, "50001")
        return dumps({"code": code, "msg": message, "data": []})
    if family == "deribit":
        code = 10028 if limited else (-32601 if status == 404 else 11094)
        us = _ms(now) * 1000
        return dumps({"jsonrpc": "2.0", "error": {"code": code, "message": message},
                      "usIn": us, "usOut": us, "usDiff": 0, "testnet": False})
    return dumps({"error": message})


# ---- Bybit ---------------------------------------------------------------------------------

def encode_cursor(offset: int) -> str:
    """Opaque to clients (like Bybit's), an offset to us."""
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, _, value = text.partition("=")
        if key != "offset" or not value.isdigit():
            raise ValueError(cursor)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"invalid cursor {cursor!r}") from None


def bybit(raw: bytes, payload: Any, query: Mapping[str, str], now: datetime) -> Rendered:
    everything = payload["result"]["list"]
    items = everything
    coin = query.get("baseCoin") or ("BTC" if query.get("category") == "option" else None)
    if coin:
        items = [i for i in items if i.get("baseCoin") == coin]
    try:
        limit = int(query.get("limit", "500"))
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be in [1, 1000]")
        offset = decode_cursor(query.get("cursor"))
    except ValueError as exc:
        return Rendered(200, error_body("bybit", 400, f"params error: {exc}", now))
    page = items[offset : offset + limit]
    following = encode_cursor(offset + limit) if offset + limit < len(items) else ""
    if offset == 0 and not following and len(items) == len(everything):
        return Rendered(200, raw)
    result = {**payload["result"], "list": page, "nextPageCursor": following}
    return Rendered(200, dumps({**payload, "result": result}))


def stick_cursor(body: bytes, query: Mapping[str, str]) -> bytes:
    """Fault: answer with a cursor that leads back to the same page (a listing that never ends)."""
    payload = json.loads(body)
    if isinstance(payload, dict) and isinstance(payload.get("result"), dict):
        payload["result"]["nextPageCursor"] = query.get("cursor") or encode_cursor(0)
    return dumps(payload)


# ---- OKX -------------------------------------------------------------------------------------

def okx(raw: bytes, payload: Any, query: Mapping[str, str], now: datetime) -> Rendered:
    items = payload["data"]
    family, uly, inst_id = query.get("instFamily"), query.get("uly"), query.get("instId")
    if query.get("instType") == "OPTION" and not (family or uly or inst_id):
        # The real API lists options only per underlying / instrument family.
        return Rendered(400, error_body("okx", 400, "Parameter instFamily error", now))
    filters: list[Callable[[dict[str, Any]], bool]] = []
    if family:
        filters.append(lambda i: i.get("instFamily") == family)
    if uly:
        filters.append(lambda i: i.get("uly") == uly)
    if inst_id:
        filters.append(lambda i: i.get("instId") == inst_id)
    kept = [i for i in items if all(f(i) for f in filters)]
    if len(kept) == len(items):
        return Rendered(200, raw)
    return Rendered(200, dumps({**payload, "data": kept}))


def okx_underlying(payload: Any) -> Rendered:
    """Families of a recorded OPTION listing, in /public/underlying's `data: [[...]]` shape."""
    families = sorted({i.get("uly") or i.get("instFamily") for i in payload["data"]} - {None, ""})
    return Rendered(200, dumps({"code": "0", "data": [families], "msg": ""}))


# ---- Deribit -----------------------------------------------------------------------------------

def _deribit_currency(item: Mapping[str, Any]) -> str:
    """Derivatives are grouped by settlement currency (BTC/ETH inverse, USDC/USDT linear);
    spot pairs have none, so their base currency stands in."""
    return str(item.get("settlement_currency") or item.get("base_currency") or "").upper()


def deribit(raw: bytes, payload: Any, query: Mapping[str, str], now: datetime) -> Rendered:
    items = payload["result"]
    kind = query.get("kind")
    currency = (query.get("currency") or "any").upper()
    if query.get("expired", "false").lower() == "true":
        kept: list[Any] = []  # captures hold live instruments only
    else:
        kept = [
            i for i in items
            if (not kind or i.get("kind") == kind)
            and (currency == "ANY" or _deribit_currency(i) == currency)
        ]
    if len(kept) == len(items):
        return Rendered(200, raw)
    return Rendered(200, dumps({**payload, "result": kept}))


# path -> emulator; endpoints not listed are served byte for byte.
EMULATORS: Mapping[str, Callable[[bytes, Any, Mapping[str, str], datetime], Rendered]] = {
    BYBIT_PATH: bybit,
    OKX_PATH: okx,
    DERIBIT_PATH: deribit,
}


def rename_key(payload: Any, old: str, new: str) -> Any:
    """Fault: the exchange renamed a field (everywhere it occurs), e.g. tickSize -> tick_size."""
    if isinstance(payload, dict):
        return {(new if k == old else k): rename_key(v, old, new) for k, v in payload.items()}
    if isinstance(payload, list):
        return [rename_key(v, old, new) for v in payload]
    return payload
