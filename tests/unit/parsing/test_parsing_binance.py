"""Binance spot / USDⓈ-M / COIN-M: real values from the captures."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from parsing_support import BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM, by_symbol, capture_json
from refdata.domain import InstrumentClass, Settlement, Status
from refdata.parsing import parse_listing

SM2A_1103 = "binance/api-v3-exchangeInfo/2022-11-03T1928Z-SM2A.json"
SM2A_1108 = "binance/api-v3-exchangeInfo/2022-11-08T0117Z-SM2A.json"
SM2A_1116 = "binance/api-v3-exchangeInfo/2022-11-16T0114Z-SM2A.json"
SM2A_2304 = "binance/api-v3-exchangeInfo/2023-04-14T0911Z-SM2A.json"
SPOT_2018 = "binance/api-v3-exchangeInfo/2018-02-10-oiovoyo-go-binance.json"
FAPI_1028 = "binance/fapi-v1-exchangeInfo/2025-10-28-AlphaDogsResearch.json"
FAPI_1029 = "binance/fapi-v1-exchangeInfo/2025-10-29-AlphaDogsResearch.json"
FAPI_0306 = "binance/fapi-v1-exchangeInfo/2025-03-06-baouih-binance.json"
DAPI = "binance/dapi-v1-exchangeInfo/2025-10-10-eduDorus-arkin.json"


def test_spot_ethbtc_exact_decimals_and_precisions() -> None:
    eth = by_symbol(*BINANCE_SPOT, SM2A_1103)["ETHBTC"]
    assert (eth.base_asset, eth.quote_asset) == ("ETH", "BTC")
    assert eth.instrument_class is InstrumentClass.SPOT
    assert eth.settlement is None and eth.settle_asset is None and eth.contract_size is None
    assert isinstance(eth.tick_size, Decimal)
    assert eth.tick_size == Decimal("0.000001")  # "0.00000100" on the wire
    assert eth.price_precision == 6
    assert (eth.qty_step, eth.qty_precision) == (Decimal("0.0001"), 4)
    assert (eth.min_qty, eth.max_qty) == (Decimal("0.0001"), Decimal("100000"))
    assert eth.min_notional == Decimal("0.0001")
    assert (eth.min_market_qty, eth.max_market_qty) == (Decimal(0), Decimal("1602.44644201"))
    assert eth.max_notional is None  # MIN_NOTIONAL era: no maximum
    assert (eth.status, eth.status_raw) == (Status.ACTIVE, "TRADING")
    assert eth.expiry is None and eth.listed_at is None


def test_spot_precision_comes_from_the_step_not_the_string() -> None:
    btc = by_symbol(*BINANCE_SPOT, SM2A_1103)["BTCUSDT"]
    assert btc.tick_size == Decimal("0.01")  # wire: "0.01000000"
    assert btc.price_precision == 2


def test_spot_raw_is_the_symbol_object_canonically_serialized() -> None:
    original = next(s for s in capture_json(SM2A_1103)["symbols"] if s["symbol"] == "ETHBTC")
    raw = by_symbol(*BINANCE_SPOT, SM2A_1103)["ETHBTC"].raw
    assert raw == json.dumps(original, sort_keys=True, separators=(",", ":"))


def test_ftt_pairs_halted_in_ftx_week() -> None:
    before = {s: v for s, v in by_symbol(*BINANCE_SPOT, SM2A_1108).items() if s.startswith("FTT")}
    after = {s: v for s, v in by_symbol(*BINANCE_SPOT, SM2A_1116).items() if s.startswith("FTT")}
    assert sorted(after) == sorted(before) == ["FTTBNB", "FTTBTC", "FTTBUSD", "FTTETH", "FTTUSDT"]
    assert all(spec.status is Status.ACTIVE for spec in before.values())
    for symbol in ("FTTBNB", "FTTBTC", "FTTETH", "FTTUSDT"):
        assert (after[symbol].status, after[symbol].status_raw) == (Status.HALTED, "BREAK"), symbol
    # Not every FTT pair: FTTBUSD was still TRADING in that snapshot.
    assert (after["FTTBUSD"].status, after["FTTBUSD"].status_raw) == (Status.ACTIVE, "TRADING")


def test_spot_2018_has_no_market_lot_size() -> None:
    eth = by_symbol(*BINANCE_SPOT, SPOT_2018)["ETHBTC"]
    assert eth.min_market_qty is None and eth.max_market_qty is None
    assert eth.min_notional == Decimal("0.001")
    assert eth.tick_size == Decimal("0.000001")


def test_spot_notional_filter_gives_min_and_max_notional() -> None:
    xrp = by_symbol(*BINANCE_SPOT, SM2A_2304)["XRPBTC"]
    assert (xrp.min_notional, xrp.max_notional) == (Decimal("0.0001"), Decimal("9000000"))


def test_usdm_perpetual_has_no_expiry_even_with_shifted_sentinel() -> None:
    specs = by_symbol(*BINANCE_USDM, FAPI_1028)
    btc = specs["BTCUSDT"]  # deliveryDate 4133404802000: the 2100 sentinel, 2 s off
    assert btc.instrument_class is InstrumentClass.PERPETUAL
    assert btc.expiry is None and btc.delivery_at is None
    assert (btc.settlement, btc.settle_asset) == (Settlement.LINEAR, "USDT")
    assert (btc.contract_size, btc.contract_size_asset) == (Decimal(1), "BTC")
    assert btc.min_notional == Decimal("100")  # fapi MIN_NOTIONAL.notional
    assert (btc.tick_size, btc.price_precision) == (Decimal("0.1"), 1)
    assert btc.listed_at == datetime(2019, 9, 25, 8, 0)
    assert btc.underlying == "BTCUSDT"
    assert specs["FETUSDT"].delivery_at is None  # 4133408400000, an hour past the sentinel


def test_usdm_quarterly_has_the_delivery_date_as_expiry() -> None:
    q = by_symbol(*BINANCE_USDM, FAPI_1028)["BTCUSDT_250926"]  # contractType "CURRENT_QUARTER DELIVERING"
    assert q.instrument_class is InstrumentClass.FUTURE
    assert q.expiry == datetime(2025, 9, 26, 8, 0) == q.delivery_at
    assert (q.status, q.status_raw) == (Status.DELIVERING, "DELIVERING")


def test_expired_quarterly_still_listed_stays_a_future() -> None:
    # Expired 2025-06-27, still in the 2025-10-29 response four months later.
    q = by_symbol(*BINANCE_USDM, FAPI_1029)["ETHUSDT_250627"]
    assert q.instrument_class is InstrumentClass.FUTURE
    assert q.expiry == datetime(2025, 6, 27, 8, 0)
    # Same contract in SETTLING (the status Binance uses for months after expiry).
    doc = capture_json(FAPI_1029)
    doc["symbols"] = [s for s in doc["symbols"] if s["symbol"] == "ETHUSDT_250627"]
    doc["symbols"][0].update(status="SETTLING", contractType="CURRENT_QUARTER")
    (spec,) = parse_listing(*BINANCE_USDM, [doc])
    assert spec.instrument_class is InstrumentClass.FUTURE
    assert (spec.status, spec.status_raw) == (Status.SETTLING, "SETTLING")


def test_delisting_perpetual_keeps_no_expiry_but_a_delivery_time() -> None:
    eos = by_symbol(*BINANCE_USDM, FAPI_1029)["EOSUSDT"]  # SETTLING, real deliveryDate
    assert eos.instrument_class is InstrumentClass.PERPETUAL
    assert eos.expiry is None
    assert eos.delivery_at == datetime(2025, 5, 21, 8, 0)
    assert eos.status is Status.SETTLING


def test_empty_contract_type_and_pending_trading() -> None:
    specs = by_symbol(*BINANCE_USDM, FAPI_0306)
    btcst = specs["BTCSTUSDT"]  # contractType "" with the 2100 sentinel
    assert btcst.instrument_class is InstrumentClass.PERPETUAL
    assert (btcst.status, btcst.status_raw) == (Status.PRE_TRADING, "PENDING_TRADING")


def test_zero_tick_means_no_tick() -> None:
    open_ = by_symbol(*BINANCE_USDM, FAPI_1028)["OPENUSDT"]  # PRICE_FILTER.tickSize "0"
    assert open_.tick_size is None and open_.price_precision is None
    assert (open_.qty_step, open_.qty_precision) == (Decimal("0.0000001"), 7)


def test_coinm_perpetual_is_inverse_with_coin_settlement() -> None:
    specs = by_symbol(*BINANCE_COINM, DAPI)
    perp = specs["BTCUSD_PERP"]
    assert perp.instrument_class is InstrumentClass.PERPETUAL
    assert (perp.settlement, perp.settle_asset) == (Settlement.INVERSE, "BTC")
    assert (perp.contract_size, perp.contract_size_asset) == (Decimal(100), "USD")
    assert perp.expiry is None
    assert perp.min_notional is None  # dapi has no notional filter
    assert (perp.status, perp.status_raw) == (Status.ACTIVE, "TRADING")  # from contractStatus
    gala = specs["GALAUSD_PERP"]  # "PERPETUAL DELIVERING"
    assert gala.instrument_class is InstrumentClass.PERPETUAL
    assert (gala.status, gala.contract_size) == (Status.DELIVERING, Decimal(10))
    q = specs["BTCUSD_251226"]
    assert q.instrument_class is InstrumentClass.FUTURE
    assert q.expiry == datetime(2025, 12, 26, 8, 0)
