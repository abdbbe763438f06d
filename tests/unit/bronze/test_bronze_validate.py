"""Validation before writing: the whole listing must parse; the failing page is identified."""

from __future__ import annotations

import json

import pytest
from bronze_support import BINANCE_SPOT_FILE, binance_body, capture_bytes, dumps

from refdata.bronze.validate import failing_page, validate_listing
from refdata.errors import MalformedResponse


def test_a_good_listing_returns_its_instrument_count() -> None:
    assert validate_listing("binance-spot", "GET /api/v3/exchangeInfo", [binance_body()]) == 2
    assert validate_listing("binance-spot", "GET /api/v3/exchangeInfo", [capture_bytes(BINANCE_SPOT_FILE)]) == 2123


def test_truncated_json_names_venue_endpoint_and_problem() -> None:
    body = binance_body()
    with pytest.raises(MalformedResponse) as caught:
        validate_listing("binance-spot", "GET /api/v3/exchangeInfo", [body[: len(body) // 2]])
    assert str(caught.value).startswith("binance-spot GET /api/v3/exchangeInfo: ")
    assert "JSON" in caught.value.problem


def test_a_renamed_field_is_schema_drift() -> None:
    payload = json.loads(binance_body())
    filters = payload["symbols"][1]["filters"][0]
    filters["tick_size"] = filters.pop("tickSize")
    with pytest.raises(MalformedResponse, match=r"symbols\[1\]\.filters.*tickSize"):
        validate_listing("binance-spot", "GET /api/v3/exchangeInfo", [dumps(payload)])


def test_html_page() -> None:
    with pytest.raises(MalformedResponse):
        validate_listing("coinbase-spot", "GET /products", [b"<!DOCTYPE html><html><body>502</body></html>"])


def test_kraken_assets_are_validated_with_the_assets_parser() -> None:
    body = dumps({"error": [], "result": {"XXBT": {"aclass": "currency", "altname": "XBT", "decimals": 10,
                                                    "display_decimals": 5}}})
    assert validate_listing("kraken-spot", "GET /0/public/Assets", [body]) == 1
    with pytest.raises(MalformedResponse):
        validate_listing("kraken-spot", "GET /0/public/Assets", [dumps({"error": [], "result": []})])


def test_failing_page_is_the_only_page_or_the_one_named() -> None:
    error = MalformedResponse("deribit-future", "GET /api/v2/public/get_instruments", "pages[3].result[0].kind missing")
    assert failing_page(error, 5) == 3
    assert failing_page(error, 1) == 0
    assert failing_page(MalformedResponse("v", "GET /x", "no instruments in 5 page(s)"), 5) is None
    assert failing_page(error, 2) is None  # names a page that does not exist
