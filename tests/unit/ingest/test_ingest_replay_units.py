"""Replay server pieces without a server: pagination/filter emulation, clock, fault queue."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from refdata.captures import CaptureFile
from refdata.replay import emulation
from refdata.replay.faults import Fault, FaultBook, FaultKind
from refdata.replay.state import ReplayState

NOW = datetime(2024, 1, 1)


def bybit_payload(n: int, coins: tuple[str, ...] = ("BTC",)) -> dict:
    items = [{"symbol": f"S{i}", "baseCoin": coins[i % len(coins)]} for i in range(n)]
    return {"retCode": 0, "retMsg": "OK", "result": {"category": "linear", "list": items}, "time": 1}


def pages(payload: dict, query: dict[str, str]) -> list[list[str]]:
    raw, out, cursor = json.dumps(payload).encode(), [], ""
    while True:
        q = {**query, **({"cursor": cursor} if cursor else {})}
        body = json.loads(emulation.bybit(raw, payload, q, NOW).body)
        out.append([i["symbol"] for i in body["result"]["list"]])
        cursor = body["result"].get("nextPageCursor", "")
        if not cursor:
            return out


def test_bybit_pages_of_limit_items_until_the_cursor_is_empty() -> None:
    assert pages(bybit_payload(5), {"category": "linear", "limit": "2"}) == [
        ["S0", "S1"], ["S2", "S3"], ["S4"]]


def test_bybit_serves_capture_bytes_when_one_page_holds_everything() -> None:
    payload = bybit_payload(3)
    raw = b'{"recorded": "bytes"}'
    assert emulation.bybit(raw, payload, {"category": "linear", "limit": "1000"}, NOW).body == raw
    assert emulation.bybit(raw, payload, {"category": "linear"}, NOW).body == raw  # default 500


def test_bybit_options_answer_btc_unless_a_base_coin_is_given() -> None:
    payload = bybit_payload(4, coins=("BTC", "ETH"))
    assert pages(payload, {"category": "option"}) == [["S0", "S2"]]
    assert pages(payload, {"category": "option", "baseCoin": "ETH"}) == [["S1", "S3"]]
    assert pages(payload, {"category": "option", "baseCoin": "SOL"}) == [[]]


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "1001"}, {"cursor": "garbage!"}])
def test_bybit_bad_params_get_a_bybit_error(query: dict[str, str]) -> None:
    body = json.loads(emulation.bybit(b"{}", bybit_payload(2), {"category": "linear", **query}, NOW).body)
    assert body["retCode"] == 10001 and body["retMsg"].startswith("params error")


def test_cursor_round_trip() -> None:
    assert emulation.decode_cursor(emulation.encode_cursor(1234)) == 1234
    assert emulation.decode_cursor("") == 0


def test_stuck_cursor_points_back() -> None:
    body = emulation.dumps(bybit_payload(1))
    first = json.loads(emulation.stick_cursor(body, {}))["result"]["nextPageCursor"]
    assert emulation.decode_cursor(first) == 0
    assert json.loads(emulation.stick_cursor(body, {"cursor": first}))["result"]["nextPageCursor"] == first


def deribit_payload() -> dict:
    return {"jsonrpc": "2.0", "usIn": 7, "result": [
        {"kind": "future", "settlement_currency": "BTC", "base_currency": "BTC"},
        {"kind": "future", "settlement_currency": "USDC", "base_currency": "SOL"},
        {"kind": "option", "settlement_currency": "BTC", "base_currency": "BTC"},
        {"kind": "spot", "base_currency": "BTC"},
    ]}


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ({"currency": "BTC", "kind": "future"}, 1),
        ({"currency": "usdc", "kind": "future"}, 1),
        ({"currency": "BTC"}, 3),
        ({"currency": "any", "kind": "option"}, 1),
        ({"currency": "ETH", "kind": "future"}, 0),
        ({"currency": "BTC", "kind": "future", "expired": "true"}, 0),
    ],
)
def test_deribit_filters_like_the_api(query: dict[str, str], count: int) -> None:
    body = json.loads(emulation.deribit(b"{}", deribit_payload(), query, NOW).body)
    assert len(body["result"]) == count
    assert body["usIn"] == 7  # the envelope (and its server time) is kept


def test_deribit_any_serves_the_recorded_bytes() -> None:
    assert emulation.deribit(b"RAW", deribit_payload(), {"currency": "any"}, NOW).body == b"RAW"


def okx_payload() -> dict:
    return {"code": "0", "msg": "", "data": [
        {"instId": "BTC-USD-1-C", "instFamily": "BTC-USD", "uly": "BTC-USD"},
        {"instId": "ETH-USD-1-C", "instFamily": "ETH-USD", "uly": "ETH-USD"},
    ]}


def test_okx_option_needs_a_family_and_filters_by_it() -> None:
    refused = emulation.okx(b"{}", okx_payload(), {"instType": "OPTION"}, NOW)
    assert refused.status == 400 and json.loads(refused.body)["code"] == "51000"
    one = emulation.okx(b"{}", okx_payload(), {"instType": "OPTION", "instFamily": "ETH-USD"}, NOW)
    assert [i["instId"] for i in json.loads(one.body)["data"]] == ["ETH-USD-1-C"]
    assert emulation.okx(b"RAW", okx_payload(), {"instType": "SWAP"}, NOW).body == b"RAW"


def test_okx_underlying_is_derived_from_the_option_listing() -> None:
    body = json.loads(emulation.okx_underlying(okx_payload()).body)
    assert body == {"code": "0", "data": [["BTC-USD", "ETH-USD"]], "msg": ""}


def test_rename_key_everywhere() -> None:
    payload = {"a": [{"tickSize": 1, "x": {"tickSize": 2}}], "tickSize": 3}
    assert emulation.rename_key(payload, "tickSize", "tick_size") == {
        "a": [{"tick_size": 1, "x": {"tick_size": 2}}], "tick_size": 3}


@pytest.mark.parametrize("family", ["binance", "kraken", "bybit", "coinbase", "okx", "deribit", None])
def test_errors_use_the_exchange_envelope(family: str | None) -> None:
    body = json.loads(emulation.error_body(family, 429, "slow down", NOW))
    assert body  # parseable JSON in every style
    if family == "binance":
        assert body == {"code": -1003, "msg": "slow down"}


def capture(name: str, when: datetime, params: dict[str, str] | None = None) -> CaptureFile:
    return CaptureFile(Path(f"/c/bybit/x/{name}"), "bybit", "x", "/p", MappingProxyType(params or {}),
                       (), when, "file name", None)


def test_state_serves_latest_capture_at_or_before_the_clock() -> None:
    a = capture("a-spot", datetime(2020, 1, 1), {"category": "spot"})
    b = capture("b-spot", datetime(2021, 1, 1), {"category": "spot"})
    c = capture("c-linear", datetime(2020, 6, 1), {"category": "linear"})
    state = ReplayState([b, c, a])
    assert state.clock == datetime(2021, 1, 1)  # starts at the newest capture
    assert state.select("/p", {"category": "spot", "limit": "5"}) is b
    state.set_clock(datetime(2020, 12, 31))
    assert state.select("/p", {"category": "spot"}) is a
    assert state.select("/p", {"category": "inverse"}) is None
    state.set_clock(datetime(2019, 1, 1))
    assert state.select("/p", {"category": "spot"}) is None
    assert state.advance() == datetime(2020, 1, 1)
    assert state.advance("/p", {"category": "spot"}) == datetime(2021, 1, 1)
    assert state.advance() is None
    assert [r["file"] for r in state.serving()] == ["bybit/x/c-linear", "bybit/x/b-spot"]


def test_fault_book_counts_and_matches_params() -> None:
    book = FaultBook()
    book.add(Fault(path="/p", kind=FaultKind.SERVER_ERROR, count=2, params={"cursor": "*"}))
    book.add(Fault(path="/p", kind=FaultKind.RATE_LIMIT))
    assert book.take("/q", {}) is None
    assert book.take("/p", {}).kind is FaultKind.RATE_LIMIT  # first page: no cursor
    assert book.take("/p", {}) is None
    assert book.take("/p", {"cursor": "abc"}).kind is FaultKind.SERVER_ERROR
    assert book.pending()[0]["remaining"] == 1
    assert book.take("/p", {"cursor": "abc"}).kind is FaultKind.SERVER_ERROR
    assert book.take("/p", {"cursor": "abc"}) is None
    book.add(Fault(path="/p", kind=FaultKind.HTML))
    book.add(Fault(path="/q", kind=FaultKind.HTML))
    assert book.clear("/p") == 1 and book.clear() == 1


def test_rename_fault_needs_both_names() -> None:
    with pytest.raises(ValueError):
        FaultBook().add(Fault(path="/p", kind=FaultKind.RENAME_FIELD, rename_from="a"))
