"""Kraken AssetPairs (2013 .. 2025 schemas) and Assets."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest

from parsing_support import KRAKEN, by_symbol, capture_bytes, parsed
from refdata.domain import InstrumentClass, Status
from refdata.errors import MalformedResponse
from refdata.parsing import KrakenAsset, parse_kraken_assets

PAIRS_2013 = "kraken/0-public-AssetPairs/2013-11-22-knowm-XChange.json"
PAIRS_2014 = "kraken/0-public-AssetPairs/2014-02-07-knowm-XChange.json"
PAIRS_2017 = "kraken/0-public-AssetPairs/2017-08-07-knowm-XChange.json"
PAIRS_2019 = "kraken/0-public-AssetPairs/2019-08-10-knowm-XChange.json"
PAIRS_2506 = "kraken/0-public-AssetPairs/2025-06-11-Richierichman15-finance.json"
PAIRS_2509 = "kraken/0-public-AssetPairs/2025-09-11-Richierichman15-finance.json"
ASSETS = {
    "kraken/0-public-Assets/2014-02-07-knowm-XChange.json": 9,
    "kraken/0-public-Assets/2017-08-07-knowm-XChange.json": 27,
    "kraken/0-public-Assets/2023-03-11-maurobaraldi.json": 271,
}


def test_xxbtzusd_keeps_kraken_codes_and_2025_fields() -> None:
    btc = by_symbol(*KRAKEN, PAIRS_2509)["XXBTZUSD"]
    assert (btc.base_asset, btc.quote_asset) == ("XXBT", "ZUSD")  # not normalized: symbology's job
    assert btc.instrument_class is InstrumentClass.SPOT and btc.settlement is None
    assert (btc.tick_size, btc.price_precision) == (Decimal("0.1"), 1)  # tick_size field
    assert (btc.qty_step, btc.qty_precision) == (Decimal("0.00000001"), 8)  # lot_decimals 8
    assert btc.min_qty == Decimal("0.00005")  # ordermin
    assert btc.min_notional == Decimal("0.5")  # costmin
    assert (btc.status, btc.status_raw) == (Status.ACTIVE, "online")
    raw = json.loads(btc.raw)
    assert (raw["altname"], raw["wsname"]) == ("XBTUSD", "XBT/USD")


@pytest.mark.parametrize("rel", [PAIRS_2013, PAIRS_2014])
def test_pre_2020_pairs_without_status_are_active(rel: str) -> None:
    specs = parsed(*KRAKEN, rel)
    assert specs and all(s.status is Status.ACTIVE and s.status_raw is None for s in specs)
    assert all(s.min_qty is None and s.min_notional is None for s in specs)


def test_tick_falls_back_to_pair_decimals() -> None:
    btc = by_symbol(*KRAKEN, PAIRS_2014)["XXBTZUSD"]  # pair_decimals 5, no tick_size in 2014
    assert (btc.tick_size, btc.price_precision) == (Decimal("0.00001"), 5)
    assert (btc.base_asset, btc.quote_asset) == ("XXBT", "ZUSD")


@pytest.mark.parametrize("rel", [PAIRS_2017, PAIRS_2019])
def test_dark_pool_pairs_are_kept_under_their_key(rel: str) -> None:
    dark = sorted(s.symbol for s in parsed(*KRAKEN, rel) if s.symbol.endswith(".d"))
    assert len(dark) == 11
    assert "XXBTZUSD.d" in dark and "XETHXXBT.d" in dark
    spec = by_symbol(*KRAKEN, rel)["XXBTZUSD.d"]
    assert (spec.base_asset, spec.quote_asset) == ("XXBT", "ZUSD")


def test_unprefixed_new_listing() -> None:
    spec = by_symbol(*KRAKEN, PAIRS_2509)["1INCHEUR"]
    assert (spec.base_asset, spec.quote_asset) == ("1INCH", "ZEUR")
    assert (spec.tick_size, spec.min_qty, spec.min_notional) == (Decimal("0.0001"), Decimal("11"), Decimal("0.45"))


def test_2025_statuses_map() -> None:
    statuses = Counter((s.status_raw, s.status) for s in parsed(*KRAKEN, PAIRS_2506))
    assert statuses == {
        ("online", Status.ACTIVE): 1036,
        ("reduce_only", Status.REDUCE_ONLY): 3,
        ("post_only", Status.POST_ONLY): 2,
        ("cancel_only", Status.CANCEL_ONLY): 1,
    }


@pytest.mark.parametrize(("rel", "count"), ASSETS.items(), ids=list(ASSETS))
def test_assets_counts(rel: str, count: int) -> None:
    assert len(parse_kraken_assets(capture_bytes(rel))) == count


def test_assets_values() -> None:
    old = parse_kraken_assets(capture_bytes("kraken/0-public-Assets/2014-02-07-knowm-XChange.json"))
    assert old["XXBT"] == KrakenAsset("XXBT", "XBT", 10, 5, None, "currency")
    new = parse_kraken_assets(capture_bytes("kraken/0-public-Assets/2023-03-11-maurobaraldi.json"))
    assert new["1INCH"].status == "enabled"
    assert new["XXBT"].altname == "XBT"
    assert new["XXDG"].altname == "XDG"


def test_assets_error_envelope() -> None:
    with pytest.raises(MalformedResponse) as err:
        parse_kraken_assets(b'{"error":["EGeneral:Internal error"]}')
    assert str(err.value) == "kraken-spot GET /0/public/Assets: error: ['EGeneral:Internal error']"
