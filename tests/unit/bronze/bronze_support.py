"""Helpers for the bronze unit tests: real capture bytes, and small synthetic bodies."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from refdata.bronze.rows import PageIn, PollIn
from refdata.settings import Settings

CAPTURES = Settings().captures_dir
BINANCE_SPOT_FILE = "binance/api-v3-exchangeInfo/2022-11-03T1928Z-SM2A.json"
BINANCE_SPOT_NEXT_DAY = "binance/api-v3-exchangeInfo/2022-11-04T1843Z-SM2A.json"
KRAKEN_FILE = "kraken/0-public-AssetPairs/2019-08-10-knowm-XChange.json"


@lru_cache(maxsize=None)
def capture_bytes(rel: str) -> bytes:
    return (CAPTURES / rel).read_bytes()


def capture_json(rel: str) -> Any:
    return json.loads(capture_bytes(rel))


def dumps(payload: Any) -> bytes:
    """Compact, as an exchange would send it (key order kept)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def binance_symbol(symbol: str, tick: str = "0.01000000") -> dict[str, Any]:
    return {
        "symbol": symbol, "status": "TRADING", "baseAsset": symbol[:-4], "quoteAsset": "USDT",
        "baseAssetPrecision": 8, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"], "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
            {"filterType": "MIN_NOTIONAL", "minNotional": "10.00000000", "applyToMarket": True, "avgPriceMins": 5},
        ],
        "permissions": ["SPOT"],
    }


def binance_body(server_time: int = 1_700_000_000_000, symbols: list[dict[str, Any]] | None = None,
                 weight: int = 6000) -> bytes:
    return dumps({
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight}],
        "exchangeFilters": [],
        "symbols": symbols if symbols is not None else [binance_symbol("BTCUSDT"), binance_symbol("ETHUSDT")],
    })


def page(body: bytes, path: str = "/api/v3/exchangeInfo", params: dict[str, str] | None = None,
         role: str = "listing", headers: dict[str, str] | None = None) -> PageIn:
    return PageIn(path, params or {}, 200, headers or {"content-type": "application/json"}, body,
                  datetime(2024, 1, 1, 10, 0, 1), role)


def poll(*pages: PageIn, poll_id: str = "binance-spot/20240101T100000Z", venue: str = "binance-spot",
         endpoint: str = "GET /api/v3/exchangeInfo", **extra: Any) -> PollIn:
    fields: dict[str, Any] = dict(
        poll_id=poll_id, venue=venue, endpoint=endpoint, request_params={}, observed_at=datetime(2024, 1, 1, 10),
        run_id="scheduled__2024-01-01T10:00:00+00:00", client_version="refdata/test", source="poll",
        pages=tuple(pages), instrument_count=2,
    )
    fields.update(extra)
    return PollIn(**fields)
