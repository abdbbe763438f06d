"""The 15 venues: where each one's instrument listing lives and how to read it completely.

A venue is an exchange plus a market segment; its listing is one endpoint with fixed query
parameters, sometimes split over several requests (a cursor, or one request per instrument
family / currency / base coin). This module is data only; `refdata.ingest.fetch` follows it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from refdata.errors import ConfigurationError


class Pagination(str, enum.Enum):
    NONE = "none"  # one response holds the whole (fan-out) slice
    BYBIT_CURSOR = "bybit-cursor"  # limit + cursor until result.nextPageCursor is empty


class FanOut(str, enum.Enum):
    """A listing split by the exchange into independent slices, one request each."""

    NONE = "none"
    OKX_INST_FAMILY = "okx-inst-family"  # OPTION needs instFamily; families from /public/underlying
    DERIBIT_CURRENCY = "deribit-currency"  # currency=<c> for each settings.fetch.deribit_currencies
    BYBIT_BASE_COIN = "bybit-base-coin"  # option answers BTC only unless baseCoin is given


@dataclass(frozen=True)
class RateLimit:
    """Token bucket: `per_second` sustained, `burst` at once. Conservative public limits."""

    per_second: float
    burst: int = 1


@dataclass(frozen=True)
class Venue:
    id: str
    family: str  # exchange as named in exchange-captures/ (binance, bybit, ...)
    exchange: str  # settings key of the base URL: Settings.exchange_base_url(exchange)
    path: str
    params: Mapping[str, str]
    pagination: Pagination
    fan_out: FanOut
    rate_limit: RateLimit
    capture_slugs: tuple[str, ...]  # <family>/<endpoint-slug> under exchange-captures/
    # Captures of an older, retired endpoint for the same market (different schema).
    legacy_capture_slugs: tuple[str, ...] = field(default=())

    @property
    def endpoint(self) -> str:
        """`GET /path` as error messages and bronze name it."""
        return f"GET {self.path}"


# Production hosts, for a `.env` that points the clients at the real exchanges
# (REFDATA_<EXCHANGE>_URL); the local default is the replay server.
EXCHANGE_HOSTS: Mapping[str, str] = MappingProxyType(
    {
        "binance_spot": "https://api.binance.com",
        "binance_usdm": "https://fapi.binance.com",
        "binance_coinm": "https://dapi.binance.com",
        "kraken": "https://api.kraken.com",
        "bybit": "https://api.bybit.com",
        "coinbase": "https://api.exchange.coinbase.com",
        "okx": "https://www.okx.com",
        "deribit": "https://www.deribit.com",
    }
)

# Per exchange host, because exchanges meter public calls per IP and host, not per segment:
# venues of one exchange share one bucket (see refdata.ingest.http.RateLimiter).
# Binance: exchangeInfo weighs 20 (spot) of 6000/min; Kraken public ~1/s; Bybit 600/5 s per
# IP; Coinbase 10/s public; OKX instruments 20/2 s; Deribit get_instruments is singled out
# by Deribit as 1/s sustained (historically 1 per 10 s with a burst of 5): the strictest is kept.
_LIMITS: Mapping[str, RateLimit] = {
    "binance_spot": RateLimit(1.0, 2),
    "binance_usdm": RateLimit(1.0, 2),
    "binance_coinm": RateLimit(1.0, 2),
    "kraken": RateLimit(0.5, 2),
    "bybit": RateLimit(5.0, 5),
    "coinbase": RateLimit(3.0, 3),
    "okx": RateLimit(5.0, 5),
    "deribit": RateLimit(0.1, 5),
}

def _v(
    id: str,
    family: str,
    exchange: str,
    path: str,
    params: dict[str, str] | None = None,
    *,
    pagination: Pagination = Pagination.NONE,
    fan_out: FanOut = FanOut.NONE,
    slugs: tuple[str, ...],
    legacy: tuple[str, ...] = (),
) -> Venue:
    return Venue(
        id=id,
        family=family,
        exchange=exchange,
        path=path,
        params=MappingProxyType(dict(params or {})),
        pagination=pagination,
        fan_out=fan_out,
        rate_limit=_LIMITS[exchange],
        capture_slugs=slugs,
        legacy_capture_slugs=legacy,
    )


_BYBIT = "/v5/market/instruments-info"
_OKX = "/api/v5/public/instruments"
_DERIBIT = "/api/v2/public/get_instruments"

VENUES: Mapping[str, Venue] = MappingProxyType(
    {
        v.id: v
        for v in (
            _v("binance-spot", "binance", "binance_spot", "/api/v3/exchangeInfo",
               slugs=("binance/api-v3-exchangeInfo",)),
            _v("binance-usdm", "binance", "binance_usdm", "/fapi/v1/exchangeInfo",
               slugs=("binance/fapi-v1-exchangeInfo",)),
            _v("binance-coinm", "binance", "binance_coinm", "/dapi/v1/exchangeInfo",
               slugs=("binance/dapi-v1-exchangeInfo",)),
            _v("kraken-spot", "kraken", "kraken", "/0/public/AssetPairs",
               slugs=("kraken/0-public-AssetPairs",)),
            *(
                _v(f"bybit-{category}", "bybit", "bybit", _BYBIT, {"category": category},
                   pagination=Pagination.BYBIT_CURSOR,
                   fan_out=FanOut.BYBIT_BASE_COIN if category == "option" else FanOut.NONE,
                   slugs=("bybit/v5-market-instruments-info",))
                for category in ("spot", "linear", "inverse", "option")
            ),
            _v("coinbase-spot", "coinbase", "coinbase", "/products", slugs=("coinbase/products",)),
            _v("okx-spot", "okx", "okx", _OKX, {"instType": "SPOT"},
               slugs=("okx/api-v5-public-instruments",)),
            _v("okx-swap", "okx", "okx", _OKX, {"instType": "SWAP"},
               slugs=("okx/api-v5-public-instruments",)),
            _v("okx-futures", "okx", "okx", _OKX, {"instType": "FUTURES"},
               slugs=("okx/api-v5-public-instruments",),
               legacy=("okx/api-futures-v3-instruments",)),
            _v("okx-option", "okx", "okx", _OKX, {"instType": "OPTION"},
               fan_out=FanOut.OKX_INST_FAMILY, slugs=("okx/api-v5-public-instruments",)),
            _v("deribit-future", "deribit", "deribit", _DERIBIT,
               {"kind": "future", "expired": "false"}, fan_out=FanOut.DERIBIT_CURRENCY,
               slugs=("deribit/api-v2-public-get_instruments",)),
            _v("deribit-option", "deribit", "deribit", _DERIBIT,
               {"kind": "option", "expired": "false"}, fan_out=FanOut.DERIBIT_CURRENCY,
               slugs=("deribit/api-v2-public-get_instruments",)),
        )
    }
)

# Kraken's asset list is not a venue listing but is needed to read its pair codes (XXBT...).
KRAKEN_ASSETS_PATH = "/0/public/Assets"
KRAKEN_ASSETS_SLUG = "kraken/0-public-Assets"
# OKX: the option families (underlyings) to ask /public/instruments about one by one.
OKX_UNDERLYING_PATH = "/api/v5/public/underlying"


def get_venue(venue_id: str) -> Venue:
    try:
        return VENUES[venue_id]
    except KeyError:
        raise ConfigurationError(
            f"unknown venue {venue_id!r}; known: {', '.join(VENUES)}"
        ) from None


def venues_for_slug(slug: str) -> tuple[str, ...]:
    """Venues whose listing (current or legacy endpoint) a capture directory holds."""
    return tuple(
        v.id for v in VENUES.values() if slug in v.capture_slugs or slug in v.legacy_capture_slugs
    )
