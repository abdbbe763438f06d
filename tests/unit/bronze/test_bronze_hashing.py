"""Content hashing ignores envelope noise and order, and sees every instrument change."""

from __future__ import annotations

import hashlib
import json

import pytest
from bronze_support import (
    BINANCE_SPOT_FILE,
    CAPTURES,
    BINANCE_SPOT_NEXT_DAY,
    KRAKEN_FILE,
    binance_body,
    binance_symbol,
    capture_bytes,
    capture_json,
    dumps,
)

from refdata.bronze.hashing import (
    ContentError,
    body_sha256,
    canonical_json,
    content_sha256,
    instrument_entries,
    page_entries,
    poll_content_sha256,
)
from refdata.captures import load_catalog
from refdata.parsing import parse_kraken_assets, parse_listing

SPOT = "/api/v3/exchangeInfo"


def content(body: bytes, venue: str = "binance-spot", path: str = SPOT) -> str:
    return content_sha256(venue, path, page_entries(path, body))


def test_binance_server_time_rate_limits_and_timezone_do_not_change_content() -> None:
    a = binance_body(server_time=1_700_000_000_000, weight=6000)
    payload = json.loads(binance_body(server_time=1_700_003_600_123, weight=1200))
    payload["timezone"] = "Asia/Shanghai"
    b = dumps(payload)
    assert body_sha256(a) != body_sha256(b)
    assert content(a) == content(b)


def test_a_tick_size_change_changes_content() -> None:
    before = binance_body(symbols=[binance_symbol("BTCUSDT", "0.01000000"), binance_symbol("ETHUSDT")])
    after = binance_body(symbols=[binance_symbol("BTCUSDT", "0.10000000"), binance_symbol("ETHUSDT")])
    assert content(before) != content(after)


def test_symbol_order_and_key_order_do_not_change_content() -> None:
    btc, eth = binance_symbol("BTCUSDT"), binance_symbol("ETHUSDT")
    reordered_keys = dict(reversed(list(btc.items())))
    assert content(binance_body(symbols=[btc, eth])) == content(binance_body(symbols=[eth, reordered_keys]))


def test_a_delisted_symbol_changes_content() -> None:
    btc, eth = binance_symbol("BTCUSDT"), binance_symbol("ETHUSDT")
    assert content(binance_body(symbols=[btc, eth])) != content(binance_body(symbols=[btc]))


def test_real_binance_capture_with_new_server_time_has_the_same_content() -> None:
    raw = capture_bytes(BINANCE_SPOT_FILE)
    payload = capture_json(BINANCE_SPOT_FILE)
    payload["serverTime"] += 3_600_000
    payload["rateLimits"][0]["limit"] = 1200
    noisy = dumps(payload)
    assert body_sha256(raw) != body_sha256(noisy)
    assert content(raw) == content(noisy)


def test_real_binance_next_day_differs_in_content() -> None:
    # ~1,400 MARKET_LOT_SIZE.maxQty values move every day: real content, a new body.
    assert content(capture_bytes(BINANCE_SPOT_FILE)) != content(capture_bytes(BINANCE_SPOT_NEXT_DAY))


def test_content_hash_is_the_canonical_json_of_the_sorted_instruments() -> None:
    body = binance_body()
    objects = json.loads(body)["symbols"]
    document = {
        "endpoint": f"GET {SPOT}",
        "instruments": sorted(objects, key=canonical_json),
        "venue": "binance-spot",
    }
    expected = hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert content(body) == expected


def test_same_instruments_on_two_venues_are_different_contents() -> None:
    empty_bybit = dumps({"retCode": 0, "result": {"category": "option", "list": [], "nextPageCursor": ""}})
    empty_deribit = dumps({"jsonrpc": "2.0", "result": [], "usIn": 1})
    bybit = content(empty_bybit, "bybit-option", "/v5/market/instruments-info")
    deribit = content(empty_deribit, "deribit-option", "/api/v2/public/get_instruments")
    assert bybit != deribit
    assert content(empty_deribit, "deribit-future", "/api/v2/public/get_instruments") != deribit


def test_bybit_time_and_cursor_are_envelope_noise() -> None:
    path = "/v5/market/instruments-info"
    item = {"symbol": "BTCUSDT", "status": "Trading", "priceFilter": {"tickSize": "0.01"}}
    a = dumps({"retCode": 0, "retMsg": "OK", "result": {"category": "spot", "list": [item], "nextPageCursor": "abc"},
               "retExtInfo": {}, "time": 1})
    b = dumps({"retCode": 0, "retMsg": "OK", "result": {"category": "spot", "list": [item], "nextPageCursor": "xyz"},
               "retExtInfo": {}, "time": 2})
    changed = dumps({"retCode": 0, "result": {"list": [{**item, "priceFilter": {"tickSize": "0.1"}}]}, "time": 2})
    assert content(a, "bybit-spot", path) == content(b, "bybit-spot", path) != content(changed, "bybit-spot", path)


def test_deribit_request_times_are_envelope_noise() -> None:
    path = "/api/v2/public/get_instruments"
    item = {"instrument_name": "BTC-PERPETUAL", "tick_size": 0.5, "kind": "future"}
    a = dumps({"jsonrpc": "2.0", "result": [item], "usIn": 1, "usOut": 2, "usDiff": 1, "testnet": False})
    b = dumps({"jsonrpc": "2.0", "result": [item], "usIn": 5, "usOut": 9, "usDiff": 4, "testnet": False})
    assert content(a, "deribit-future", path) == content(b, "deribit-future", path)


def test_kraken_result_object_entries_keep_the_pair_key() -> None:
    path = "/0/public/AssetPairs"
    payload = capture_json(KRAKEN_FILE)
    entries = instrument_entries(path, payload)
    assert len(entries) == len(payload["result"])
    first_key = next(iter(payload["result"]))
    assert entries[0].startswith(canonical_json([first_key])[:-1])
    # Renaming a pair key (same object) is a content change; reordering the object is not.
    renamed = dict(payload["result"])
    renamed["RENAMED"] = renamed.pop(first_key)
    reordered = dict(reversed(list(payload["result"].items())))
    base = content(dumps(payload), "kraken-spot", path)
    assert content(dumps({"error": ["WGeneral:note"], "result": reordered}), "kraken-spot", path) == base
    assert content(dumps({"error": [], "result": renamed}), "kraken-spot", path) != base


def test_missing_container_and_unknown_endpoint_raise() -> None:
    with pytest.raises(ContentError, match="no symbols"):
        instrument_entries(SPOT, {"serverTime": 1})
    with pytest.raises(ContentError, match="no instrument-list location"):
        instrument_entries("/api/v9/unknown", {})
    with pytest.raises(ContentError, match="not JSON"):
        page_entries(SPOT, b'{"symbols": [')


def test_poll_content_does_not_depend_on_how_instruments_are_paged() -> None:
    path = "/v5/market/instruments-info"
    items = [{"symbol": f"S{n}"} for n in range(5)]
    one_page = [instrument_entries(path, {"result": {"list": items}})]
    two_pages = [instrument_entries(path, {"result": {"list": items[:2]}}),
                 instrument_entries(path, {"result": {"list": items[2:]}})]
    assert poll_content_sha256("bybit-spot", path, one_page) == poll_content_sha256("bybit-spot", path, two_pages)


@pytest.mark.skipif(not CAPTURES.is_dir(), reason="exchange captures not present")
def test_every_capture_has_its_instrument_list_where_the_table_says() -> None:
    for capture in load_catalog(CAPTURES):
        entries = page_entries(capture.http_path, capture.read_bytes())
        for venue in capture.venues:
            if capture.http_path == "/0/public/Assets":
                assert len(entries) == len(parse_kraken_assets(capture.read_bytes())), capture.rel
            elif capture.family != "deribit":  # Deribit's file mixes kinds: the parser keeps one
                assert len(entries) == len(parse_listing(venue, capture.endpoint, [capture.read_bytes()])), capture.rel
            else:
                assert len(entries) >= len(parse_listing(venue, capture.endpoint, [capture.read_bytes()]))


SAMPLES = {
    "binance": ("binance-usdm", "/fapi/v1/exchangeInfo",
                {"timezone": "UTC", "serverTime": 1, "futuresType": "U_MARGINED", "rateLimits": [], "exchangeFilters": [],
                 "assets": [{"asset": "USDT"}], "symbols": [{"symbol": "BTCUSDT"}]}),
    "bybit": ("bybit-linear", "/v5/market/instruments-info",
              {"retCode": 0, "retMsg": "OK", "result": {"category": "linear", "list": [{"symbol": "BTCUSDT"}],
                                                         "nextPageCursor": ""}, "retExtInfo": {}, "time": 1}),
    "deribit": ("deribit-future", "/api/v2/public/get_instruments",
                {"jsonrpc": "2.0", "result": [{"instrument_name": "BTC-PERPETUAL"}], "usIn": 1, "usOut": 2,
                 "usDiff": 1, "testnet": False}),
    "okx": ("okx-spot", "/api/v5/public/instruments", {"code": "0", "msg": "", "data": [{"instId": "BTC-USDT"}]}),
    "kraken": ("kraken-spot", "/0/public/AssetPairs", {"error": [], "result": {"XXBTZUSD": {"altname": "XBTUSD"}}}),
}


@pytest.mark.parametrize("family", sorted(SAMPLES))
def test_every_documented_envelope_noise_key_is_ignored(family: str) -> None:
    from refdata.bronze.hashing import ENVELOPE_NOISE

    venue, path, payload = SAMPLES[family]
    base = content(dumps(payload), venue, path)
    for key in ENVELOPE_NOISE[family]:
        changed = json.loads(dumps(payload))
        *parents, leaf = key.split(".")
        target = changed
        for parent in parents:
            target = target[parent]
        assert leaf in target, key
        target[leaf] = ["changed", key]
        assert content(dumps(changed), venue, path) == base, key
