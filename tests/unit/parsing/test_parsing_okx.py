"""OKX v5 (spot, swap, futures, option) and the retired OKEx v3 futures endpoint."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal

import pytest

from parsing_support import OKX_V3, OKX_V5, by_symbol, capture_json
from refdata.domain import InstrumentClass, OptionRight, Settlement, Status
from refdata.errors import MalformedResponse
from refdata.parsing import parse_listing

D = "okx/api-v5-public-instruments/"
FUTURES = D + "2025-07-13-nautilus-FUTURES.json"
OPTION = D + "2025-07-13-nautilus-OPTION.json"
SPOT = D + "2025-07-13-nautilus-SPOT.json"
SWAP = D + "2025-10-02-eduDorus-arkin-SWAP.json"
V3 = "okx/api-futures-v3-instruments/2021-03-12to19-LeChinok-Crypto-Quoting-Engine.json"


def test_inverse_future_contract_value() -> None:
    fut = by_symbol("okx-futures", OKX_V5, FUTURES)["BTC-USD-241220"]
    assert fut.instrument_class is InstrumentClass.FUTURE
    assert (fut.contract_size, fut.contract_size_asset, fut.contract_multiplier) == (Decimal(100), "USD", Decimal(1))
    assert (fut.settlement, fut.settle_asset) == (Settlement.INVERSE, "BTC")
    assert (fut.base_asset, fut.quote_asset, fut.underlying) == ("BTC", "USD", "BTC-USD")
    assert fut.expiry == datetime(2024, 12, 20, 8, 0)
    assert fut.strike is None and fut.option_right is None  # stk "" / optType ""


def test_option_terms() -> None:
    opt = by_symbol("okx-option", OKX_V5, OPTION)["BTC-USD-241217-92000-C"]
    assert opt.instrument_class is InstrumentClass.OPTION
    assert (opt.strike, opt.option_right) == (Decimal(92000), OptionRight.CALL)
    assert opt.expiry == datetime(2024, 12, 17, 8, 0)
    assert (opt.settlement, opt.settle_asset) == (Settlement.INVERSE, "BTC")
    assert (opt.contract_size, opt.contract_multiplier) == (Decimal(1), Decimal("0.01"))
    assert (opt.tick_size, opt.price_precision) == (Decimal("0.0001"), 4)


def test_spot_blank_contract_fields_are_none() -> None:
    spot = by_symbol("okx-spot", OKX_V5, SPOT)["BTC-USD"]
    assert (spot.base_asset, spot.quote_asset) == ("BTC", "USD")
    assert spot.instrument_class is InstrumentClass.SPOT
    assert spot.settlement is None and spot.settle_asset is None
    assert spot.contract_size is None and spot.contract_size_asset is None and spot.expiry is None
    assert (spot.qty_step, spot.min_qty) == (Decimal("0.00000001"), Decimal("0.00001"))


def test_swaps_linear_inverse_and_preopen() -> None:
    specs = by_symbol("okx-swap", OKX_V5, SWAP)
    inv = specs["BTC-USD-SWAP"]
    assert inv.instrument_class is InstrumentClass.PERPETUAL and inv.expiry is None
    assert (inv.settlement, inv.contract_size, inv.contract_size_asset) == (Settlement.INVERSE, Decimal(100), "USD")
    lin = specs["BTC-USDT-SWAP"]
    assert (lin.settlement, lin.settle_asset, lin.contract_size) == (Settlement.LINEAR, "USDT", Decimal("0.01"))
    pre = specs["2Z-USDT-SWAP"]  # preopen: every spec field is ""
    assert (pre.status, pre.status_raw) == (Status.PRE_TRADING, "preopen")
    assert (pre.base_asset, pre.quote_asset) == ("2Z", "USDT")
    assert pre.tick_size is None and pre.settlement is None and pre.contract_size is None


def test_option_family_pages_are_concatenated() -> None:
    doc = capture_json(OPTION)
    first, second = copy.deepcopy(doc), copy.deepcopy(doc)
    first["data"], second["data"] = doc["data"][:2], doc["data"][2:]
    assert len(parse_listing("okx-option", OKX_V5, [first, second])) == 4


def test_legacy_v3_inverse_and_linear_futures() -> None:
    specs = by_symbol("okx-futures", OKX_V3, V3)
    inv = specs["BTC-USD-210625"]
    assert inv.instrument_class is InstrumentClass.FUTURE
    assert (inv.settlement, inv.settle_asset) == (Settlement.INVERSE, "BTC")
    assert (inv.contract_size, inv.contract_size_asset) == (Decimal(100), "USD")
    assert inv.expiry == datetime(2021, 6, 25)
    assert inv.listed_at == datetime(2020, 12, 11)
    assert (inv.status, inv.status_raw) == (Status.ACTIVE, None)
    lin = specs["BTC-USDT-210326"]
    assert (lin.settlement, lin.settle_asset) == (Settlement.LINEAR, "USDT")
    assert (lin.contract_size, lin.contract_size_asset) == (Decimal("0.01"), "BTC")


def test_instrument_type_must_match_the_venue() -> None:
    with pytest.raises(MalformedResponse) as err:
        parse_listing("okx-swap", OKX_V5, [capture_json(FUTURES)])
    assert "data[0].instType: expected 'SWAP' for okx-swap, got 'FUTURES'" in str(err.value)
