"""Bybit v5 instruments-info: spot, linear, option (real recordings), inverse and paging."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal

import pytest

from parsing_support import BYBIT, by_symbol, capture_json
from refdata.domain import InstrumentClass, OptionRight, Settlement, Status
from refdata.errors import MalformedResponse
from refdata.parsing import parse_listing

SPOT = "bybit/v5-market-instruments-info/2023-09-06-knowm-XChange-spot.json"
LINEAR = "bybit/v5-market-instruments-info/2023-09-14-nautilus-linear.json"
OPTION = "bybit/v5-market-instruments-info/2023-09-14-nautilus-option.json"


def test_option_strike_right_and_expiry() -> None:
    specs = by_symbol("bybit-option", BYBIT, OPTION)
    call = specs["BTC-29MAR24-100000-C"]
    assert call.instrument_class is InstrumentClass.OPTION
    assert (call.strike, call.option_right) == (Decimal(100000), OptionRight.CALL)
    assert call.expiry == datetime(2024, 3, 29, 8, 0) == call.delivery_at
    assert (call.base_asset, call.quote_asset, call.settle_asset) == ("BTC", "USD", "USDC")
    assert call.settlement is Settlement.LINEAR  # USDC-settled
    assert (call.tick_size, call.price_precision) == (Decimal(5), 0)
    assert call.listed_at == datetime(2023, 8, 30, 8, 0)
    assert specs["BTC-29MAR24-100000-P"].option_right is OptionRight.PUT


def test_linear_perpetual_delivery_zero_is_none() -> None:
    btc = by_symbol("bybit-linear", BYBIT, LINEAR)["BTCUSDT"]
    assert btc.instrument_class is InstrumentClass.PERPETUAL
    assert btc.expiry is None and btc.delivery_at is None  # deliveryTime "0"
    assert (btc.settlement, btc.settle_asset) == (Settlement.LINEAR, "USDT")
    assert (btc.tick_size, btc.price_precision) == (Decimal("0.1"), 1)
    assert (btc.qty_step, btc.min_qty, btc.max_qty) == (Decimal("0.001"), Decimal("0.001"), Decimal(100))
    assert (btc.status, btc.status_raw) == (Status.ACTIVE, "Trading")


def test_spot_lot_size_filter() -> None:
    btc = by_symbol("bybit-spot", BYBIT, SPOT)["BTCUSDT"]
    assert btc.instrument_class is InstrumentClass.SPOT and btc.settle_asset is None
    assert (btc.qty_step, btc.qty_precision) == (Decimal("0.000001"), 6)  # basePrecision
    assert (btc.min_qty, btc.max_qty) == (Decimal("0.000048"), Decimal("71.73956243"))
    assert (btc.min_notional, btc.max_notional) == (Decimal(1), Decimal(2000000))


def _as_inverse() -> dict:
    doc = capture_json(LINEAR)
    item = doc["result"]["list"][0]
    item.update(contractType="InversePerpetual", quoteCoin="USD", settleCoin="BTC", symbol="BTCUSD")
    doc["result"]["list"] = [item]
    return doc


def test_inverse_perpetual() -> None:
    (spec,) = parse_listing("bybit-inverse", BYBIT, [_as_inverse()])
    assert (spec.settlement, spec.settle_asset) == (Settlement.INVERSE, "BTC")
    assert spec.contract_size_asset == "USD"


def test_contract_type_must_match_category() -> None:
    with pytest.raises(MalformedResponse) as err:
        parse_listing("bybit-linear", BYBIT, [_as_inverse()])
    assert str(err.value).endswith(
        ": result.list[0].contractType: unexpected contractType 'InversePerpetual' for category 'linear'"
    )


def test_category_must_match_venue() -> None:
    with pytest.raises(MalformedResponse) as err:
        parse_listing("bybit-linear", BYBIT, [capture_json(SPOT)])
    assert str(err.value) == (
        "bybit-linear GET /v5/market/instruments-info: result.category: expected 'linear', got 'spot'"
    )


def test_cursor_pages_are_concatenated_and_conflicting_duplicates_rejected() -> None:
    doc = capture_json(LINEAR)
    page1, page2 = copy.deepcopy(doc), copy.deepcopy(doc)
    page1["result"]["list"] = doc["result"]["list"][:1]
    page2["result"]["list"] = doc["result"]["list"][1:]
    specs = parse_listing("bybit-linear", BYBIT, [page1, page2])
    assert [s.symbol for s in specs] == ["BTCUSDT", "ETHUSDT"]
    # The identical object twice (overlapping fan-out slices) is one instrument...
    assert parse_listing("bybit-linear", BYBIT, [page1, page2, page1]) == specs
    # ...but two different objects under one symbol cannot both be the listing.
    changed = copy.deepcopy(page1)
    changed["result"]["list"][0]["priceFilter"]["tickSize"] = "0.5"
    with pytest.raises(MalformedResponse) as err:
        parse_listing("bybit-linear", BYBIT, [page1, page2, changed])
    assert str(err.value) == (
        "bybit-linear GET /v5/market/instruments-info: pages[2]: symbol 'BTCUSDT' listed twice with different"
        " content (first in pages[0])"
    )


def test_option_symbol_must_carry_strike() -> None:
    doc = capture_json(OPTION)
    doc["result"]["list"][0]["symbol"] = "BTC-29MAR24"
    with pytest.raises(MalformedResponse) as err:
        parse_listing("bybit-option", BYBIT, [doc])
    assert "result.list[0].symbol: cannot read strike/right from 'BTC-29MAR24'" in str(err.value)
