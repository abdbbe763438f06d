"""Canonical ID grammar: fixed examples, canonical spelling, errors, round trips (ADR 0006)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refdata.domain import InstrumentClass, OptionRight
from refdata.symbology import (
    CANONICAL_ID_REGEX,
    CanonicalIdParts,
    format_canonical_id,
    format_strike,
    parse_canonical_id,
)

ADR = Path(__file__).resolve().parents[3] / "docs/adr/0006-canonical-instrument-id-grammar.md"
C, P = OptionRight.CALL, OptionRight.PUT
SPOT, PERP, FUT, OPT = (InstrumentClass.SPOT, InstrumentClass.PERPETUAL,
                        InstrumentClass.FUTURE, InstrumentClass.OPTION)  # fmt: skip

FIXED = [
    ("BTC-USDT-SPOT", CanonicalIdParts("BTC", "USDT", SPOT)),
    ("ETH-USDT-PERP", CanonicalIdParts("ETH", "USDT", PERP, settle="USDT")),
    # Binance COIN-M quarterly: inverse, settled in BTC.
    ("BTC-USD-FUT-20240329.BTC",
     CanonicalIdParts("BTC", "USD", FUT, settle="BTC", expiry=date(2024, 3, 29))),
    # Deribit BTC-27DEC24-100000-C: inverse option, premium and settlement in BTC.
    ("BTC-USD-OPT-20241227-100000-C.BTC",
     CanonicalIdParts("BTC", "USD", OPT, settle="BTC", expiry=date(2024, 12, 27),
                      strike=Decimal("100000"), right=C)),
    # Deribit BTC_USDC-...: linear option settled in its quote.
    ("BTC-USDC-OPT-20241227-0.5-P",
     CanonicalIdParts("BTC", "USDC", OPT, expiry=date(2024, 12, 27), strike=Decimal("0.5"),
                      right=P)),
    ("1000_PEPE-USDT-PERP", CanonicalIdParts("PEPE", "USDT", PERP, base_multiplier=1000)),
    ("BTC-USD-PERP.USDC", CanonicalIdParts("BTC", "USD", PERP, settle="USDC")),  # quanto-style
    ("1INCH-USDT-SPOT", CanonicalIdParts("1INCH", "USDT", SPOT)),
    ("0G-USDT-PERP", CanonicalIdParts("0G", "USDT", PERP)),
    ("4-USDT-PERP", CanonicalIdParts("4", "USDT", PERP)),
    ("1000_0G-USDT-FUT-20250926",
     CanonicalIdParts("0G", "USDT", FUT, expiry=date(2025, 9, 26), base_multiplier=1000)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "parts"), FIXED, ids=[t for t, _ in FIXED])
def test_fixed_examples_round_trip(text: str, parts: CanonicalIdParts) -> None:
    assert format_canonical_id(parts) == text
    assert parse_canonical_id(text) == parts
    assert parse_canonical_id(text).text == text


def test_settlement_facts_are_visible_in_parts() -> None:
    inverse = parse_canonical_id("BTC-USD-FUT-20240329.BTC")
    assert (inverse.settle, inverse.is_inverse, inverse.is_linear) == ("BTC", True, False)
    linear = parse_canonical_id("ETH-USDT-PERP")
    assert (linear.settle, linear.is_inverse, linear.is_linear) == ("USDT", False, True)
    quanto = parse_canonical_id("BTC-USD-PERP.USDC")
    assert (quanto.settle, quanto.is_inverse, quanto.is_linear) == ("USDC", False, False)
    assert parse_canonical_id("BTC-USDT-SPOT").settle is None


def test_linear_and_inverse_btc_usd_perps_differ() -> None:
    linear = CanonicalIdParts("BTC", "USD", PERP, settle="USDC")
    inverse = CanonicalIdParts("BTC", "USD", PERP, settle="BTC")
    fiat = CanonicalIdParts("BTC", "USD", PERP)
    texts = {format_canonical_id(p) for p in (linear, inverse, fiat)}
    assert texts == {"BTC-USD-PERP.USDC", "BTC-USD-PERP.BTC", "BTC-USD-PERP"}


@pytest.mark.parametrize(
    ("strike", "text"),
    [("26000", "26000"), ("26000.000", "26000"), ("2.6E+4", "26000"), ("0.50", "0.5"),
     ("1E-7", "0.0000001"), ("100000", "100000"), ("0.125", "0.125")],
)  # fmt: skip
def test_strike_format_is_plain_decimal(strike: str, text: str) -> None:
    assert format_strike(Decimal(strike)) == text
    parts = CanonicalIdParts("BTC", "USD", OPT, settle="BTC", expiry=date(2024, 12, 27),
                             strike=Decimal(strike), right=C)  # fmt: skip
    assert format_canonical_id(parts) == f"BTC-USD-OPT-20241227-{text}-C.BTC"
    assert parts.strike == Decimal(strike) and format_strike(parts.strike) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("btc-usdt-spot", "not allowed"),
        ("BTC/USDT-SPOT", "not allowed"),
        ("BTC-USDT", "BASE-QUOTE-CLASS"),
        ("BTC-USDT-SWAP", "'SWAP' is not"),
        ("BTC-USDT-SPOT.USDT", "nothing may follow SPOT"),
        ("BTC-USDT-PERP.USDT", "repeats the quote"),
        ("1_PEPE-USDT-PERP", "omit the base multiplier"),
        ("01000_PEPE-USDT-PERP", "grammar"),
        ("BTC-USD-FUT-240329", "expiry YYYYMMDD"),
        ("BTC-USD-FUT", "expiry YYYYMMDD"),
        ("BTC-USD-FUT-20240230", "not a calendar date"),
        ("BTC-USD-OPT-20241227-1.50-C", "trailing zeros"),
        ("BTC-USD-OPT-20241227-1E5-C", "trailing zeros"),
        ("BTC-USD-OPT-20241227-0-C", "positive"),
        ("BTC-USD-OPT-20241227-100000-X", "right C or P"),
        ("BTC-USD-OPT-20241227-100000", "right C or P"),
        ("BTC-BTC-SPOT", "same asset"),
        ("BTC-USDT-SPOT\n", "not allowed"),
        ("ＢTC-USDT-SPOT", "not allowed"),  # full-width letter: ASCII only
    ],
)
def test_invalid_ids_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_canonical_id(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(base="btc", quote="USDT", instrument_class=SPOT), "base 'btc'"),
        (dict(base="BTC", quote="", instrument_class=SPOT), "quote ''"),
        (dict(base="BTC", quote="USDT", instrument_class=SPOT, settle="USDT"), "spot has no"),
        (dict(base="BTC", quote="USDT", instrument_class=FUT), "needs an expiry"),
        (dict(base="BTC", quote="USDT", instrument_class=FUT,
              expiry=datetime(2024, 3, 29, 8)), "needs an expiry date"),
        (dict(base="BTC", quote="USDT", instrument_class=PERP, expiry=date(2024, 3, 29)),
         "has no expiry"),
        (dict(base="BTC", quote="USD", instrument_class=OPT, expiry=date(2024, 3, 29),
              strike=Decimal("-1"), right=C), "positive"),
        (dict(base="BTC", quote="USD", instrument_class=OPT, expiry=date(2024, 3, 29),
              strike=26000.0, right=C), "Decimal"),
        (dict(base="BTC", quote="USD", instrument_class=OPT, expiry=date(2024, 3, 29),
              strike=Decimal("26000"), right="C"), "right C or P"),
        (dict(base="BTC", quote="USD", instrument_class=FUT, expiry=date(2024, 3, 29),
              strike=Decimal("1")), "no strike"),
        (dict(base="PEPE", quote="USDT", instrument_class=PERP, base_multiplier=0), "multiplier"),
        (dict(base="PEPE", quote="USDT", instrument_class=PERP, base_multiplier=True),
         "multiplier"),
        (dict(base="BTC", quote="USDT", instrument_class=PERP, settle="usdc"), "settle"),
    ],
)  # fmt: skip
def test_invalid_parts_name_the_problem(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        CanonicalIdParts(**kwargs)


def test_adr_quotes_the_code_regex_verbatim() -> None:
    blocks = re.findall(r"```regex\n(.*?)\n```", ADR.read_text(encoding="utf-8"), re.S)
    assert blocks == [CANONICAL_ID_REGEX]


# ---- properties -----------------------------------------------------------------------------

assets = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=10)
multipliers = st.one_of(st.just(1), st.integers(min_value=2, max_value=10**12))
strikes = st.builds(
    lambda digits, exponent: Decimal(digits).scaleb(exponent),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=-12, max_value=6),
)
expiries = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))


@st.composite
def canonical_parts(draw: st.DrawFn) -> CanonicalIdParts:
    base = draw(assets)
    quote = draw(assets.filter(lambda q: q != base))
    cls = draw(st.sampled_from(list(InstrumentClass)))
    settle = None
    if cls is not SPOT:
        settle = draw(st.one_of(st.none(), st.just(quote), st.just(base), assets))
    dated = cls in (FUT, OPT)
    option = cls is OPT
    return CanonicalIdParts(
        base=base,
        quote=quote,
        instrument_class=cls,
        settle=settle,
        expiry=draw(expiries) if dated else None,
        strike=draw(strikes) if option else None,
        right=draw(st.sampled_from(list(OptionRight))) if option else None,
        base_multiplier=draw(multipliers),
        quote_multiplier=draw(multipliers),
    )


@settings(max_examples=300, deadline=None)
@given(canonical_parts())
def test_parts_to_id_to_parts(parts: CanonicalIdParts) -> None:
    text = format_canonical_id(parts)
    assert re.fullmatch(CANONICAL_ID_REGEX, text, re.ASCII)
    assert re.fullmatch(r"[A-Z0-9_.\-]+", text)  # URL-safe unreserved characters only
    assert parse_canonical_id(text) == parts


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(alphabet="ABCPUSDT0123456789_.-FOEXRN", max_size=40),
    canonical_parts().map(format_canonical_id).flatmap(
        lambda t: st.integers(0, len(t)).map(lambda i: t[:i] + t[i + 1:])),
))  # fmt: skip
def test_any_text_parses_to_its_own_spelling_or_raises_value_error(text: str) -> None:
    """Uniqueness: an accepted text is exactly the canonical spelling of what it parses to."""
    try:
        parts = parse_canonical_id(text)
    except ValueError:
        return
    assert format_canonical_id(parts) == text
