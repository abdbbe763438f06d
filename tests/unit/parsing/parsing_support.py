"""Shared helpers for the parsing tests: where the captures are, and cached parses
(each capture is parsed once per test session, keeping the suite fast)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from refdata.domain import InstrumentSpec
from refdata.parsing import parse_listing
from refdata.settings import Settings

CAPTURES = Settings().captures_dir

BINANCE_SPOT = ("binance-spot", "/api/v3/exchangeInfo")
BINANCE_USDM = ("binance-usdm", "/fapi/v1/exchangeInfo")
BINANCE_COINM = ("binance-coinm", "/dapi/v1/exchangeInfo")
KRAKEN = ("kraken-spot", "/0/public/AssetPairs")
COINBASE = ("coinbase-spot", "/products")
BYBIT = "/v5/market/instruments-info"
OKX_V5 = "/api/v5/public/instruments"
OKX_V3 = "/api/futures/v3/instruments"
DERIBIT = "/api/v2/public/get_instruments"
DERIBIT_FILE = "deribit/api-v2-public-get_instruments/2025-11-06-farshadnassiri-Quant-Project.json"


@lru_cache(maxsize=None)
def capture_bytes(rel: str) -> bytes:
    return (CAPTURES / rel).read_bytes()


def capture_json(rel: str) -> Any:
    """A fresh decoded copy (tests mutate it)."""
    return json.loads(capture_bytes(rel))


@lru_cache(maxsize=None)
def parsed(venue: str, endpoint: str, rel: str) -> tuple[InstrumentSpec, ...]:
    return parse_listing(venue, endpoint, [capture_bytes(rel)])


def by_symbol(venue: str, endpoint: str, rel: str) -> dict[str, InstrumentSpec]:
    return {spec.symbol: spec for spec in parsed(venue, endpoint, rel)}
