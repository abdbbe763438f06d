"""build_canonical_id on hand-built InstrumentSpecs (the venue parsers are not ready yet)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from refdata.domain import InstrumentClass, InstrumentSpec, OptionRight, Settlement, Status
from refdata.symbology import (
    AssetResolver,
    build_canonical_id,
    parse_asset_aliases,
    parse_canonical_id,
    usd_equivalence_group,
)

SPOT, PERP, FUT, OPT = (InstrumentClass.SPOT, InstrumentClass.PERPETUAL,
                        InstrumentClass.FUTURE, InstrumentClass.OPTION)  # fmt: skip


def spec(venue: str, symbol: str, cls: InstrumentClass, base: str, quote: str,
         settlement: Settlement | None = None, settle: str | None = None,
         **extra: object) -> InstrumentSpec:  # fmt: skip
    return InstrumentSpec(
        venue=venue, symbol=symbol, instrument_class=cls, settlement=settlement,
        base_asset=base, quote_asset=quote, settle_asset=settle,
        status_raw="TRADING", status=Status.ACTIVE, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


KRAKEN_XBTUSD = spec("kraken-spot", "XXBTZUSD", SPOT, "XXBT", "ZUSD")
BINANCE_BTCUSDT = spec("binance-spot", "BTCUSDT", SPOT, "BTC", "USDT")
COINM_QUARTERLY = spec(
    "binance-coinm", "BTCUSD_240329", FUT, "BTC", "USD", Settlement.INVERSE, "BTC",
    contract_size=Decimal("100"), expiry=datetime(2024, 3, 29, 8, 0),
)  # fmt: skip
USDM_1000PEPE = spec("binance-usdm", "1000PEPEUSDT", PERP, "1000PEPE", "USDT",
                     Settlement.LINEAR, "USDT")  # fmt: skip
DERIBIT_OPTION = spec(
    "deribit-option", "BTC-27DEC24-100000-C", OPT, "BTC", "USD", Settlement.INVERSE, "BTC",
    expiry=datetime(2024, 12, 27, 8, 0), strike=Decimal("100000.0"),
    option_right=OptionRight.CALL,
)  # fmt: skip


def test_kraken_legacy_codes_give_btc_usd_spot() -> None:
    cid = build_canonical_id(KRAKEN_XBTUSD)
    assert cid.text == str(cid) == "BTC-USD-SPOT"
    assert (cid.base.kind, cid.quote.kind) == ("legacy", "legacy")
    assert cid.unknown_assets == ()
    group = usd_equivalence_group(cid.parts)
    assert group is not None and (group.group_id, group.exact) == ("BTC-USD-SPOT", True)


def test_binance_btcusdt_is_exact_and_only_equivalent_to_usd() -> None:
    cid = build_canonical_id(BINANCE_BTCUSDT)
    assert cid.text == "BTC-USDT-SPOT"
    group = usd_equivalence_group(cid.parts)
    assert group is not None
    assert (group.group_id, group.exact, group.substituted) == ("BTC-USD-SPOT", False, ("USDT",))
    # Plain codes without a row pass through, flagged.
    assert (cid.base.known, cid.quote.known) == (False, False)
    assert cid.unknown_assets == ("BTC", "USDT")


def test_coinm_quarterly_is_inverse_and_settlement_is_visible() -> None:
    cid = build_canonical_id(COINM_QUARTERLY)
    assert cid.text == "BTC-USD-FUT-20240329.BTC"
    assert re.fullmatch(r"BTC-USD-FUT-[0-9]{8}\.BTC", cid.text)
    assert cid.parts.is_inverse and not cid.parts.is_linear
    assert parse_canonical_id(cid.text) == cid.parts
    # Settlement omitted in the spec: inverse defaults to the base.
    assert build_canonical_id(replace(COINM_QUARTERLY, settle_asset=None)).text == cid.text


def test_expiry_is_the_utc_calendar_date() -> None:
    late = replace(COINM_QUARTERLY, expiry=datetime(2024, 3, 29, 23, 30,
                                                    tzinfo=timezone(timedelta(hours=-5))))
    assert build_canonical_id(late).text == "BTC-USD-FUT-20240330.BTC"


def test_usdm_1000pepe_keeps_the_unit_multiplier() -> None:
    cid = build_canonical_id(USDM_1000PEPE)
    assert cid.text == "1000_PEPE-USDT-PERP"
    assert (cid.parts.base, cid.parts.base_multiplier) == ("PEPE", 1000)
    assert cid.base.kind == "multiplier" and cid.base.multiplier == Decimal(1000)
    plain = spec("okx-swap", "PEPE-USDT-SWAP", PERP, "PEPE", "USDT", Settlement.LINEAR, "USDT")
    assert build_canonical_id(plain).text == "PEPE-USDT-PERP"  # a different price unit
    group = usd_equivalence_group(cid.parts)
    assert group is not None and group.group_id == "1000_PEPE-USD-PERP"


def test_linear_and_inverse_btc_usd_perps_get_different_ids() -> None:
    inverse = spec("binance-coinm", "BTCUSD_PERP", PERP, "BTC", "USD", Settlement.INVERSE, "BTC")
    linear_usdc = spec("x-linear", "BTCUSD", PERP, "BTC", "USD", Settlement.LINEAR, "USDC")
    linear_usd = spec("x-linear", "BTCUSD", PERP, "BTC", "USD", Settlement.LINEAR, "USD")
    usdt = spec("binance-usdm", "BTCUSDT", PERP, "BTC", "USDT", Settlement.LINEAR, "USDT")
    texts = [build_canonical_id(s).text for s in (inverse, linear_usdc, linear_usd, usdt)]
    assert texts == ["BTC-USD-PERP.BTC", "BTC-USD-PERP.USDC", "BTC-USD-PERP", "BTC-USDT-PERP"]
    groups = [usd_equivalence_group(parse_canonical_id(t)) for t in texts]
    assert [(g.group_id, g.exact) for g in groups if g] == [
        ("BTC-USD-PERP.BTC", True), ("BTC-USD-PERP", False), ("BTC-USD-PERP", True),
        ("BTC-USD-PERP", False),
    ]  # fmt: skip


def test_deribit_inverse_option() -> None:
    cid = build_canonical_id(DERIBIT_OPTION)
    assert cid.text == "BTC-USD-OPT-20241227-100000-C.BTC"
    linear = replace(DERIBIT_OPTION, venue="deribit-option", symbol="BTC_USDC-27DEC24-100000-C",
                     quote_asset="USDC", settle_asset="USDC", settlement=Settlement.LINEAR)
    assert build_canonical_id(linear).text == "BTC-USDC-OPT-20241227-100000-C"


def test_asset_codes_resolve_at_the_given_valid_time() -> None:
    luna = spec("binance-spot", "LUNAUSDT", SPOT, "LUNA", "USDT")
    assert build_canonical_id(luna, at=datetime(2022, 5, 4)).text == "LUNC-USDT-SPOT"
    assert build_canonical_id(luna, at=datetime(2022, 11, 3)).text == "LUNA-USDT-SPOT"
    assert build_canonical_id(luna).text == "LUNA-USDT-SPOT"  # latest meaning


def test_a_custom_resolver_is_used() -> None:
    table = ("exchange,code,canonical,multiplier,kind,valid_from,valid_to,recorded_at,note\n"
             "x,FOO,BAR,1,alias,,,2026-01-01,test\n")  # fmt: skip
    resolver = AssetResolver(parse_asset_aliases(table))
    cid = build_canonical_id(spec("x-spot", "FOOUSD", SPOT, "FOO", "USD"), resolver)
    assert cid.text == "BAR-USD-SPOT" and cid.base.known and not cid.quote.known


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (replace(BINANCE_BTCUSDT, settlement=Settlement.LINEAR), "spot instrument has settlement"),
        (replace(BINANCE_BTCUSDT, settle_asset="BTC"), "settles in 'BTC', not its quote"),
        (replace(USDM_1000PEPE, settlement=None), "has no settlement type"),
        (replace(COINM_QUARTERLY, expiry=None), "future has no expiry"),
        (replace(COINM_QUARTERLY, settle_asset="USDT"), "inverse contract settles in USDT"),
        (replace(COINM_QUARTERLY, settlement=Settlement.LINEAR), "linear contract settles in"),
        (replace(DERIBIT_OPTION, strike=None), "positive finite Decimal"),
        (replace(DERIBIT_OPTION, option_right=None), "right C or P"),
        (replace(USDM_1000PEPE, strike=Decimal(1)), "carries a strike"),
        (replace(BINANCE_BTCUSDT, base_asset=""), "asset code '' on binance-spot"),
        (replace(BINANCE_BTCUSDT, base_asset="币安人生"), "add a row"),
        (replace(BINANCE_BTCUSDT, base_asset="ADA.S"), "cannot appear in a canonical ID"),
        (replace(KRAKEN_XBTUSD, quote_asset="XBT"), "same asset 'BTC'"),
        (replace(BINANCE_BTCUSDT, venue="Binance"), "lower-case"),
    ],
)  # fmt: skip
def test_invalid_specs_raise_value_error_naming_venue_symbol_and_problem(
    bad: InstrumentSpec, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        build_canonical_id(bad)
    assert str(info.value).startswith(f"{bad.venue} {bad.symbol}: ")
