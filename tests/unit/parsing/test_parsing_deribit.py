"""Deribit get_instruments: one mixed response split into the future and option venues."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from decimal import Decimal

from parsing_support import DERIBIT, DERIBIT_FILE, by_symbol, capture_bytes, parsed
from refdata.domain import InstrumentClass, OptionRight, Settlement, Status
from refdata.parsing import parse_listing


def test_btc_inverse_option() -> None:
    opt = by_symbol("deribit-option", DERIBIT, DERIBIT_FILE)["BTC-7NOV25-100000-C"]
    assert opt.instrument_class is InstrumentClass.OPTION
    assert (opt.strike, opt.option_right) == (Decimal(100000), OptionRight.CALL)
    assert opt.expiry == datetime(2025, 11, 7, 8, 0)
    assert (opt.settlement, opt.settle_asset) == (Settlement.INVERSE, "BTC")  # instrument_type reversed
    assert (opt.base_asset, opt.quote_asset) == ("BTC", "USD")  # counter_currency, not premium currency
    assert (opt.tick_size, opt.price_precision) == (Decimal("0.0001"), 4)  # float 0.0001, exactly
    assert (opt.qty_step, opt.min_qty) == (Decimal("0.1"), Decimal("0.1"))  # min_trade_amount
    assert (opt.contract_size, opt.contract_size_asset) == (Decimal(1), "BTC")
    assert opt.listed_at == datetime(2025, 10, 16, 8, 0, 12)  # creation_timestamp, naive UTC
    assert opt.underlying == "btc_usd"


def test_perpetual_year_3000_is_no_expiry() -> None:
    perp = by_symbol("deribit-future", DERIBIT, DERIBIT_FILE)["BTC-PERPETUAL"]
    assert perp.instrument_class is InstrumentClass.PERPETUAL
    assert perp.expiry is None and perp.delivery_at is None
    assert (perp.contract_size, perp.contract_size_asset) == (Decimal(10), "USD")
    assert (perp.tick_size, perp.price_precision) == (Decimal("0.5"), 1)


def test_future_classes_and_settlements() -> None:
    futures = parsed("deribit-future", DERIBIT, DERIBIT_FILE)
    classes = Counter((s.instrument_class, s.settlement) for s in futures)
    assert classes == {
        (InstrumentClass.PERPETUAL, Settlement.LINEAR): 18,
        (InstrumentClass.PERPETUAL, Settlement.INVERSE): 2,
        (InstrumentClass.FUTURE, Settlement.INVERSE): 14,
        (InstrumentClass.FUTURE, Settlement.LINEAR): 4,
    }
    usdc = by_symbol("deribit-future", DERIBIT, DERIBIT_FILE)["BTC_USDC-28NOV25"]
    assert (usdc.settle_asset, usdc.contract_size, usdc.contract_size_asset) == ("USDC", Decimal("0.0001"), "BTC")


def test_inactive_options_are_halted() -> None:
    statuses = Counter((s.status_raw, s.status) for s in parsed("deribit-option", DERIBIT, DERIBIT_FILE))
    assert statuses == {("is_active=true", Status.ACTIVE): 4186, ("is_active=false", Status.HALTED): 604}


def test_per_currency_pages_are_concatenated() -> None:
    doc = json.loads(capture_bytes(DERIBIT_FILE))
    btc = dict(doc, result=[i for i in doc["result"] if i["base_currency"] == "BTC"])
    rest = dict(doc, result=[i for i in doc["result"] if i["base_currency"] != "BTC"])
    assert len(parse_listing("deribit-option", DERIBIT, [btc, rest])) == 4790
