"""Malformed, truncated, error and drifted responses raise MalformedResponse naming the venue,
the endpoint and the JSON path; nothing is ever returned half-parsed."""

from __future__ import annotations

import json

import pytest

from parsing_support import (
    BINANCE_SPOT,
    BINANCE_USDM,
    BYBIT,
    COINBASE,
    DERIBIT,
    DERIBIT_FILE,
    KRAKEN,
    OKX_V3,
    OKX_V5,
    capture_bytes,
    capture_json,
)
from refdata.errors import MalformedResponse
from refdata.parsing import parse_listing

SPOT = "binance/api-v3-exchangeInfo/2022-11-03T1928Z-SM2A.json"
FAPI = "binance/fapi-v1-exchangeInfo/2021-09-06-izzortsi-rezbot.json"
KRAKEN_2014 = "kraken/0-public-AssetPairs/2014-02-07-knowm-XChange.json"
BYBIT_LINEAR = "bybit/v5-market-instruments-info/2023-09-14-nautilus-linear.json"
OKX_SWAP = "okx/api-v5-public-instruments/2025-10-24-nautilus-SWAP.json"
COINBASE_2021 = "coinbase/products/2021-07-est-ukd1-crypto-prices.json"
OKX_V3_FILE = "okx/api-futures-v3-instruments/2021-03-12to19-LeChinok-Crypto-Quoting-Engine.json"

# One real capture per parser: (venue, endpoint, file)
ONE_PER_PARSER = [
    (*BINANCE_SPOT, SPOT),
    (*BINANCE_USDM, FAPI),
    ("binance-coinm", "/dapi/v1/exchangeInfo", "binance/dapi-v1-exchangeInfo/2025-10-10-eduDorus-arkin.json"),
    (*KRAKEN, KRAKEN_2014),
    ("bybit-linear", BYBIT, BYBIT_LINEAR),
    (*COINBASE, COINBASE_2021),
    ("okx-swap", OKX_V5, OKX_SWAP),
    ("okx-futures", OKX_V3, OKX_V3_FILE),
    ("deribit-option", DERIBIT, DERIBIT_FILE),
]
IDS = [row[0] + row[1] for row in ONE_PER_PARSER]


def _error(venue: str, endpoint: str, *pages: object) -> str:
    with pytest.raises(MalformedResponse) as err:
        parse_listing(venue, endpoint, list(pages))
    assert err.value.venue == venue
    assert err.value.endpoint == f"GET {endpoint}"
    return str(err.value)


@pytest.mark.parametrize(("venue", "endpoint", "rel"), ONE_PER_PARSER, ids=IDS)
def test_truncated_capture(venue: str, endpoint: str, rel: str) -> None:
    body = capture_bytes(rel)
    half = body[: len(body) // 2]
    message = _error(venue, endpoint, half)
    assert message.startswith(f"{venue} GET {endpoint}: invalid JSON at char ")
    position = int(message.split("invalid JSON at char ")[1].split(" ")[0])
    assert 0 < position <= len(half)


@pytest.mark.parametrize(("venue", "endpoint", "rel"), ONE_PER_PARSER, ids=IDS)
def test_html_error_page(venue: str, endpoint: str, rel: str) -> None:  # noqa: ARG001
    page = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    message = _error(venue, endpoint, page)
    assert message.startswith(f"{venue} GET {endpoint}: HTML/XML page instead of JSON: '<!DOCTYPE html> <html>")


@pytest.mark.parametrize(
    ("venue", "endpoint", "body", "problem"),
    [
        (*BINANCE_SPOT, {"code": -1121, "msg": "Invalid symbol."}, "error envelope code -1121: Invalid symbol."),
        (*BINANCE_USDM, '{"code":-1003,"msg":"Too many requests"}', "error envelope code -1003: Too many requests"),
        ("bybit-spot", BYBIT, {"retCode": 10001, "retMsg": "params error", "result": {}}, "retCode 10001: params error"),
        ("okx-swap", OKX_V5, {"code": "51001", "msg": "Instrument ID does not exist", "data": []},
         "code 51001: Instrument ID does not exist"),
        (*KRAKEN, {"error": ["EQuery:Unknown asset pair"]}, "error: ['EQuery:Unknown asset pair']"),
        ("deribit-future", DERIBIT, {"jsonrpc": "2.0", "error": {"code": 10009, "message": "invalid_currency"}},
         "error 10009: invalid_currency"),
        (*COINBASE, {"message": "NotFound"}, "error envelope: message 'NotFound'"),
        ("okx-futures", OKX_V3, {"code": 30032, "message": "pair suspended"}, "error envelope code 30032: pair suspended"),
    ],
)
def test_error_envelopes(venue: str, endpoint: str, body: object, problem: str) -> None:
    assert _error(venue, endpoint, body) == f"{venue} GET {endpoint}: {problem}"


def test_binance_renamed_filter_field() -> None:
    doc = capture_json(SPOT)
    price_filter = doc["symbols"][0]["filters"][0]
    assert price_filter["filterType"] == "PRICE_FILTER"
    price_filter["tick_size"] = price_filter.pop("tickSize")
    assert _error(*BINANCE_SPOT, doc) == "binance-spot GET /api/v3/exchangeInfo: symbols[0].filters[0].tickSize missing"


def test_binance_filters_of_wrong_type() -> None:
    doc = capture_json(SPOT)
    doc["symbols"][12]["filters"] = "PRICE_FILTER"
    assert _error(*BINANCE_SPOT, doc) == (
        "binance-spot GET /api/v3/exchangeInfo: symbols[12].filters: expected a list, got str"
    )


def test_binance_missing_lot_size_filter() -> None:
    doc = capture_json(SPOT)
    doc["symbols"][3]["filters"] = [f for f in doc["symbols"][3]["filters"] if f["filterType"] != "LOT_SIZE"]
    assert _error(*BINANCE_SPOT, doc).endswith(": symbols[3].filters: no LOT_SIZE filter")


def test_binance_bad_values() -> None:
    doc = capture_json(FAPI)
    doc["symbols"][1]["deliveryDate"] = "soon"
    assert _error(*BINANCE_USDM, doc).endswith(
        ": symbols[1].deliveryDate: expected a non-negative integer, got str 'soon'"
    )
    doc = capture_json(SPOT)
    doc["symbols"][2]["baseAsset"] = None
    assert _error(*BINANCE_SPOT, doc).endswith(": symbols[2].baseAsset: expected a value, got null")
    doc = capture_json(SPOT)
    doc["symbols"][0]["filters"][0]["tickSize"] = "0.0l"
    assert _error(*BINANCE_SPOT, doc).endswith(": symbols[0].filters[0].tickSize: not a decimal number: '0.0l'")
    doc = capture_json(SPOT)
    doc["symbols"][0]["filters"][2]["minQty"] = "-1"
    assert _error(*BINANCE_SPOT, doc).endswith(
        ": symbols[0].filters[2].minQty: expected a non-negative number, got '-1'"
    )


def test_unknown_status_is_drift_not_a_guess() -> None:
    doc = capture_json(SPOT)
    doc["symbols"][5]["status"] = "FROZEN"
    message = _error(*BINANCE_SPOT, doc)
    assert ": symbols[5].status: unknown status 'FROZEN' (known: AUCTION_MATCH, BREAK," in message
    assert "docs/status-mapping.md" in message


def test_unknown_contract_type() -> None:
    doc = capture_json(FAPI)
    doc["symbols"][0]["contractType"] = "WEEKLY"
    assert _error(*BINANCE_USDM, doc).endswith(": symbols[0].contractType: unknown contractType 'WEEKLY'")


def test_bybit_result_list_missing() -> None:
    doc = capture_json(BYBIT_LINEAR)
    doc["result"]["items"] = doc["result"].pop("list")
    assert _error("bybit-linear", BYBIT, doc) == "bybit-linear GET /v5/market/instruments-info: result.list missing"


def test_bybit_error_on_second_page_names_the_page() -> None:
    good = capture_json(BYBIT_LINEAR)
    bad = {"retCode": 10006, "retMsg": "Too many visits!", "result": {}}
    assert _error("bybit-linear", BYBIT, good, bad) == (
        "bybit-linear GET /v5/market/instruments-info: pages[1]: retCode 10006: Too many visits!"
    )


def test_okx_renamed_field() -> None:
    doc = capture_json(OKX_SWAP)
    doc["data"][2]["tickSize"] = doc["data"][2].pop("tickSz")
    assert _error("okx-swap", OKX_V5, doc) == "okx-swap GET /api/v5/public/instruments: data[2].tickSz missing"


def test_kraken_renamed_field() -> None:
    doc = capture_json(KRAKEN_2014)
    pair = doc["result"]["XXBTZUSD"]
    pair["price_decimals"] = pair.pop("pair_decimals")
    assert _error(*KRAKEN, doc) == "kraken-spot GET /0/public/AssetPairs: result.XXBTZUSD.pair_decimals missing"


def test_deribit_renamed_field() -> None:
    doc = json.loads(capture_bytes(DERIBIT_FILE))
    index = next(i for i, item in enumerate(doc["result"]) if item["kind"] == "option")
    doc["result"][index]["strike_price"] = doc["result"][index].pop("strike")
    message = _error("deribit-option", DERIBIT, doc)
    assert message == f"deribit-option GET /api/v2/public/get_instruments: result[{index}].strike missing"


def test_coinbase_renamed_field() -> None:
    doc = capture_json(COINBASE_2021)
    doc[7]["price_increment"] = doc[7].pop("quote_increment")
    assert _error(*COINBASE, doc) == "coinbase-spot GET /products: [7].quote_increment missing"


def test_okx_v3_bad_flag() -> None:
    doc = capture_json(OKX_V3_FILE)
    doc[4]["is_inverse"] = True
    assert _error("okx-futures", OKX_V3, doc).endswith(": [4].is_inverse: expected a str, got bool")


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        (b"", "empty response body"),
        (b"\xff\xfe{}", "response is not UTF-8 text (byte 0)"),
        (42, "page is a int, expected JSON text or decoded JSON"),
        ({"symbols": []}, "no binance-spot instruments in 1 page(s)"),
        ('{"serverTime": 1}', "symbols missing"),
        ("[]", "expected an object, got list"),
    ],
)
def test_degenerate_pages(page: object, problem: str) -> None:
    assert _error(*BINANCE_SPOT, page) == f"binance-spot GET /api/v3/exchangeInfo: {problem}"


def test_no_pages() -> None:
    assert _error(*BINANCE_SPOT) == "binance-spot GET /api/v3/exchangeInfo: no pages"


def test_unsupported_venue_or_endpoint() -> None:
    with pytest.raises(ValueError, match="no parser for venue 'binance-spot' endpoint '/fapi/v1/exchangeInfo'"):
        parse_listing("binance-spot", "/fapi/v1/exchangeInfo", [b"{}"])
    with pytest.raises(ValueError, match="no parser for venue 'okx-swap'"):
        parse_listing("okx-swap", OKX_V3, [b"[]"])
    with pytest.raises(TypeError):
        parse_listing(*BINANCE_SPOT, capture_bytes(SPOT))  # type: ignore[arg-type]  # a page, not a list


def test_endpoint_spellings_are_accepted() -> None:
    body = capture_bytes(SPOT)
    plain = parse_listing(*BINANCE_SPOT, [body])
    assert parse_listing("binance-spot", "GET /api/v3/exchangeInfo", [body]) == plain
    assert parse_listing("binance-spot", "https://api.binance.com/api/v3/exchangeInfo?x=1", [body.decode()]) == plain
