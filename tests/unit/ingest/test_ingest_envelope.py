"""Light envelope validation: JSON, success code, the expected list; nothing more."""

from __future__ import annotations

import json

import pytest

from refdata.errors import MalformedResponse
from refdata.ingest import envelope

EP = "GET /x"


def check(family: str, body: object) -> list:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return envelope.check(family, "v", EP, raw)[1]


@pytest.mark.parametrize(
    ("family", "body", "count"),
    [
        ("binance", {"serverTime": 1, "symbols": [{}, {}]}, 2),
        ("kraken", {"error": [], "result": {"XXBTZUSD": {}, "XETHZUSD": {}}}, 2),
        ("kraken", {"error": ["WGeneral:Deprecated"], "result": {"XXBTZUSD": {}}}, 1),
        ("bybit", {"retCode": 0, "retMsg": "success", "result": {"list": [{}]}}, 1),
        ("coinbase", [{}, {}, {}], 3),
        ("okx", {"code": "0", "msg": "", "data": []}, 0),
        ("deribit", {"jsonrpc": "2.0", "result": [{}], "usIn": 1}, 1),
    ],
)
def test_good_envelopes(family: str, body: object, count: int) -> None:
    assert len(check(family, body)) == count


@pytest.mark.parametrize(
    ("family", "body", "problem"),
    [
        ("binance", {"code": -1121, "msg": "Invalid symbol."}, "exchange error code -1121: Invalid symbol."),
        ("binance", {"serverTime": 1}, "symbols: expected a list, found missing"),
        ("kraken", {"error": ["EService:Unavailable"], "result": {}}, "exchange error ['EService:Unavailable']"),
        ("kraken", {"result": {}}, "error: expected a list"),
        ("bybit", {"retCode": 10001, "retMsg": "params error", "result": {}}, "exchange error retCode 10001: params error"),
        ("bybit", {"retCode": 0, "result": {"list": {}}}, "result.list: expected a list, found dict"),
        ("coinbase", {"message": "NotFound"}, "exchange error: NotFound"),
        ("okx", {"code": "51000", "msg": "Parameter instFamily error", "data": []},
         "exchange error code '51000': Parameter instFamily error"),
        ("deribit", {"error": {"code": 10028}}, "exchange error {'code': 10028}"),
        ("binance", b'{"symbols": [{"symbol": "BTCUSDT", "filt', "truncated JSON"),
        ("okx", b"<!DOCTYPE html><html>502</html>", "an HTML/XML page, not JSON"),
        ("okx", b"", "truncated JSON"),
        ("okx", b'{"a": 1} trailing', "invalid JSON"),
    ],
)
def test_bad_envelopes_name_venue_endpoint_and_problem(family: str, body: object, problem: str) -> None:
    with pytest.raises(MalformedResponse) as info:
        check(family, body)
    assert (info.value.venue, info.value.endpoint) == ("v", EP)
    assert problem in info.value.problem
    assert str(info.value).startswith("v GET /x: ")


def test_okx_families_accepts_nested_and_flat_lists() -> None:
    nested = json.dumps({"code": "0", "msg": "", "data": [["ETH-USD", "BTC-USD"]]}).encode()
    flat = json.dumps({"code": "0", "msg": "", "data": ["BTC-USD"]}).encode()
    assert envelope.okx_families("okx-option", EP, nested) == ["BTC-USD", "ETH-USD"]
    assert envelope.okx_families("okx-option", EP, flat) == ["BTC-USD"]
    with pytest.raises(MalformedResponse, match="instrument family names"):
        envelope.okx_families("okx-option", EP, b'{"code": "0", "data": [[1]]}')
