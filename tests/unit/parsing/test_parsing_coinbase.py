"""Coinbase Exchange /products: GDAX-era (2018) and 2021 schemas."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from parsing_support import COINBASE, by_symbol, capture_json, parsed
from refdata.domain import InstrumentClass, Status
from refdata.parsing import parse_listing

GDAX = "coinbase/products/2018-08-10-knowm-XChange.json"
PRO = "coinbase/products/2021-07-est-ukd1-crypto-prices.json"


def test_gdax_product_has_no_qty_step() -> None:
    btc = by_symbol(*COINBASE, GDAX)["BTC-USD"]
    assert (btc.base_asset, btc.quote_asset) == ("BTC", "USD")
    assert btc.instrument_class is InstrumentClass.SPOT
    assert btc.qty_step is None and btc.qty_precision is None  # no base_increment in 2018
    assert (btc.tick_size, btc.price_precision) == (Decimal("0.01"), 2)
    assert (btc.min_qty, btc.max_qty) == (Decimal("0.0001"), Decimal(250))
    assert btc.min_notional is None
    assert (btc.status, btc.status_raw) == (Status.ACTIVE, "online")


def test_2021_product_fields() -> None:
    skl = by_symbol(*COINBASE, PRO)["SKL-GBP"]
    assert (skl.qty_step, skl.qty_precision) == (Decimal("0.1"), 1)
    assert (skl.tick_size, skl.price_precision) == (Decimal("0.0001"), 4)
    assert (skl.min_notional, skl.max_notional) == (Decimal(5), Decimal(100000))


def test_trading_mode_flags_refine_online() -> None:
    statuses = Counter((s.status_raw, s.status) for s in parsed(*COINBASE, PRO))
    assert statuses == {("online", Status.ACTIVE): 214, ("online", Status.LIMIT_ONLY): 22}
    products = capture_json(PRO)[:4]
    products[0]["trading_disabled"] = True
    products[1]["cancel_only"] = True
    products[2]["post_only"] = True
    products[3]["status"] = "delisted"
    specs = parse_listing(*COINBASE, [products])
    assert [s.status for s in specs] == [Status.HALTED, Status.CANCEL_ONLY, Status.POST_ONLY, Status.DELISTED]
