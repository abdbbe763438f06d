"""The alias table: loader validation and bitemporal, scoped resolution (ADR 0007)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from refdata.symbology import (
    ALIAS_COLUMNS,
    DEFAULT_USD_EQUIVALENTS,
    AssetResolver,
    load_asset_aliases,
    normalize_asset,
    parse_asset_aliases,
    usd_equivalence_group,
)

HEADER = ",".join(ALIAS_COLUMNS) + "\n"


def table(*rows: str) -> AssetResolver:
    return AssetResolver(parse_asset_aliases(HEADER + "\n".join(rows) + "\n"))


# ---- the shipped table ---------------------------------------------------------------------


def test_shipped_table_loads_typed_rows() -> None:
    rows = load_asset_aliases()
    assert len(rows) > 100
    xxbt = next(r for r in rows if (r.exchange, r.code) == ("kraken", "XXBT"))
    assert (xxbt.canonical, xxbt.multiplier, xxbt.kind) == ("BTC", Decimal(1), "legacy")
    assert (xxbt.valid_from, xxbt.valid_to) == (datetime.min, datetime.max)
    assert xxbt.recorded_at == datetime(2026, 11, 25)
    assert all(r.note for r in rows), "every row says where it comes from"


def test_load_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(HEADER + "*,XBT,BTC,1,alias,,,2026-01-01T00:00:00Z,n\n", encoding="utf-8")
    (row,) = load_asset_aliases(path)
    assert (row.exchange, row.code, row.canonical, row.line) == ("*", "XBT", "BTC", 2)


@pytest.mark.parametrize(
    ("exchange", "code", "canonical", "multiplier", "kind"),
    [
        ("kraken", "XXBT", "BTC", 1, "legacy"),
        ("kraken-spot", "XXBT", "BTC", 1, "legacy"),  # a venue inherits its exchange's rows
        ("kraken", "XBT", "BTC", 1, "alias"),  # '*' row
        ("kraken", "XXDG", "DOGE", 1, "legacy"),
        ("kraken", "XDG", "DOGE", 1, "alias"),
        ("kraken", "ZUSD", "USD", 1, "legacy"),
        ("kraken", "ZEUR", "EUR", 1, "legacy"),
        ("kraken", "XETH", "ETH", 1, "legacy"),
        ("kraken", "XTZ", "XTZ", 1, "identity"),  # not X+TZ
        ("kraken", "XAUT", "XAUT", 1, "identity"),  # 4 letters, still not legacy
        ("kraken", "ADA.S", "ADA", 1, "staked"),
        ("kraken", "ATOM21.S", "ATOM", 1, "staked"),
        ("kraken", "XBT.M", "BTC", 1, "rewards"),
        ("kraken", "USDT.F", "USDT", 1, "rewards"),
        ("kraken", "USD.HOLD", "USD", 1, "hold"),
        ("kraken", "DOT.P", "DOT", 1, "parachain"),
        ("kraken", "LUNA", "LUNC", 1, "rename"),
        ("binance-usdm", "1000PEPE", "PEPE", 1000, "multiplier"),
        ("binance-usdm", "1000SHIB", "SHIB", 1000, "multiplier"),
        ("binance-usdm", "1MBABYDOGE", "BABYDOGE", 1_000_000, "multiplier"),
        ("binance-usdm", "1000000MOG", "MOG", 1_000_000, "multiplier"),
        ("binance-spot", "1000SATS", "SATS", 1000, "multiplier"),
        ("bybit-linear", "10000LADYS", "LADYS", 10_000, "multiplier"),
        ("bybit-linear", "SHIB1000", "SHIB", 1000, "multiplier"),
        ("binance-spot", "BCC", "BCH", 1, "rename"),
        ("binance-spot", "BCHABC", "BCH", 1, "rename"),
        ("binance-spot", "BCHSV", "BSV", 1, "rename"),
        ("binance-spot", "PAX", "USDP", 1, "rename"),
        ("binance-spot", "USDS", "USDSTABLY", 1, "disambiguation"),
        ("coinbase-spot", "CGLD", "CELO", 1, "rename"),
    ],
)
def test_shipped_rules(
    exchange: str, code: str, canonical: str, multiplier: int, kind: str
) -> None:
    result = normalize_asset(exchange, code)
    assert (result.canonical, result.multiplier, result.kind, result.known) == (
        canonical, Decimal(multiplier), kind, True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("exchange", "code"),
    [
        ("binance-spot", "BTC"), ("binance-spot", "USDT"),
        ("binance-usdm", "1INCH"),  # a digit prefix is not a multiplier
        ("binance-usdm", "1000X"),  # unverified: stays unknown instead of guessed
        ("okx-swap", "1000PEPE"),  # a Binance rule does not leak to OKX
        ("kraken", "BCC"),  # BCC means Bitcoin Cash on Binance only
        ("binance-spot", "ADA.S"),
        ("binance-usdm", "币安人生"),
    ],
)  # fmt: skip
def test_codes_without_a_row_pass_through_unknown(exchange: str, code: str) -> None:
    result = normalize_asset(exchange, code)
    assert (result.canonical, result.multiplier, result.known, result.rule) == (
        code, Decimal(1), False, None,
    )  # fmt: skip
    assert result.kind == "unknown"


def test_stablecoins_are_not_usd() -> None:
    for code in ("USDT", "USDC", "BUSD", "DAI", "FDUSD"):
        assert normalize_asset("binance-spot", code).canonical == code
    assert "USD" not in DEFAULT_USD_EQUIVALENTS and "USDT" in DEFAULT_USD_EQUIVALENTS
    custom = usd_equivalence_group("BTC-USDT-SPOT", usd_equivalents={"USDC"})
    assert custom is None
    eur = usd_equivalence_group("BTC-EUR-SPOT")
    assert eur is None
    with pytest.raises(ValueError, match="usd_equivalents entry 'usdt'"):
        usd_equivalence_group("BTC-USDT-SPOT", usd_equivalents={"usdt"})


def test_equivalence_groups_for_settlement_variants() -> None:
    cases = {
        "BTC-USDC-PERP": ("BTC-USD-PERP", False, ("USDC",)),
        "BTC-USD-PERP.USDC": ("BTC-USD-PERP", False, ("USDC",)),
        "BTC-USDT-PERP.USDC": ("BTC-USD-PERP", False, ("USDT", "USDC")),
        "BTC-USDT-PERP.BTC": ("BTC-USD-PERP.BTC", False, ("USDT",)),
        "BTC-USD-PERP.BTC": ("BTC-USD-PERP.BTC", True, ()),
        "USDC-USDT-SPOT": ("USDC-USD-SPOT", False, ("USDT",)),
        "BTC-USDT-OPT-20241227-0.5-P": ("BTC-USD-OPT-20241227-0.5-P", False, ("USDT",)),
    }
    for text, expected in cases.items():
        group = usd_equivalence_group(text)
        assert group is not None and (group.group_id, group.exact, group.substituted) == expected
    assert usd_equivalence_group("USD-USDT-SPOT") is None
    assert usd_equivalence_group("BTC-1000_USDT-SPOT") is None


# ---- bitemporal resolution -----------------------------------------------------------------


def test_valid_time_selects_the_meaning_of_a_reused_code() -> None:
    before, after = datetime(2022, 5, 4, 20), datetime(2022, 11, 3, 19)
    assert normalize_asset("binance-usdm", "LUNA", before).canonical == "LUNC"
    assert normalize_asset("binance-spot", "LUNA", after).canonical == "LUNA"
    boundary = datetime(2022, 5, 28)
    assert normalize_asset("binance", "LUNA", boundary).canonical == "LUNA"  # half-open
    aware = datetime(2022, 5, 28, 1, 0, tzinfo=timezone.utc).astimezone()
    assert normalize_asset("binance", "LUNA", aware).canonical == "LUNA"


def test_system_time_replays_what_we_knew() -> None:
    resolver = table(
        "x,ABC,OLD,1,alias,,,2025-01-01T00:00:00Z,first belief",
        "x,ABC,NEW,1,alias,2024-06-01,,2025-03-01T00:00:00Z,correction from 2024-06",
        "x,GONE,THING,1,alias,,,2025-01-01T00:00:00Z,mapped",
        "x,GONE,GONE,1,retract,,,2025-02-01T00:00:00Z,mapping withdrawn",
    )
    now, june = datetime(2025, 6, 1), datetime(2024, 7, 1)
    assert resolver("x", "ABC", june, known_at=datetime(2025, 2, 1)).canonical == "OLD"
    assert resolver("x", "ABC", june, known_at=now).canonical == "NEW"
    assert resolver("x", "ABC", datetime(2024, 1, 1), known_at=now).canonical == "OLD"
    assert resolver("x", "ABC", june, known_at=datetime(2024, 1, 1)).known is False
    assert resolver("x", "GONE", known_at=datetime(2025, 1, 15)).canonical == "THING"
    withdrawn = resolver("x", "GONE")
    assert (withdrawn.canonical, withdrawn.known, withdrawn.kind) == ("GONE", False, "retract")


def test_scope_precedence_venue_over_exchange_over_any() -> None:
    resolver = table(
        "*,ABC,ANY,1,alias,,,2025-01-01,n",
        "x,ABC,EXCHANGE,1,alias,,,2025-01-01,n",
        "x-perp,ABC,VENUE,1,alias,,,2025-01-01,n",
    )
    assert resolver("x-perp", "ABC").canonical == "VENUE"
    assert resolver("x-spot", "ABC").canonical == "EXCHANGE"
    assert resolver("x", "ABC").canonical == "EXCHANGE"
    assert resolver("y-spot", "ABC").canonical == "ANY"
    assert resolver("xy-spot", "ABC").canonical == "ANY"  # prefix match is by whole name


def test_latest_meaning_when_no_time_is_given() -> None:
    resolver = table(
        "x,ABC,FIRST,1,rename,,2020-01-01,2025-01-01,n",
        "x,ABC,SECOND,1,rename,2020-01-01,2021-01-01,2025-01-01,n",
        "*,ABC,GLOBAL,1,alias,,2019-01-01,2025-01-01,n",
    )
    assert resolver("x", "ABC").canonical == "SECOND"  # retired code: its last meaning
    assert resolver("x", "ABC", datetime(2022, 1, 1)).known is False
    assert resolver("x", "ABC", datetime(2018, 1, 1)).canonical == "FIRST"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X,XBT,BTC,1,alias,,,2026-01-01,n", "exchange 'X'"),
        ("x,,BTC,1,alias,,,2026-01-01,n", "code is empty"),
        ("x,XBT,btc,1,alias,,,2026-01-01,n", "canonical 'btc'"),
        ("x,XBT,BTC.S,1,alias,,,2026-01-01,n", "canonical 'BTC.S'"),
        ("x,XBT,BTC,1,aliass,,,2026-01-01,n", "kind 'aliass'"),
        ("x,XBT,BTC,one,alias,,,2026-01-01,n", "multiplier 'one'"),
        ("x,XBT,BTC,0,multiplier,,,2026-01-01,n", "must be positive"),
        ("x,XBT,BTC,1000,alias,,,2026-01-01,n", "kind 'alias' with multiplier 1000"),
        ("x,XBT,BTC,1,multiplier,,,2026-01-01,n", "kind 'multiplier' with multiplier 1"),
        ("x,XBT,BTC,1,identity,,,2026-01-01,n", "canonical == code"),
        ("x,XBT,BTC,1,alias,2024-01-01,2023-01-01,2026-01-01,n", "valid_from must be before"),
        ("x,XBT,BTC,1,alias,,,,n", "recorded_at is required"),
        ("x,XBT,BTC,1,alias,yesterday,,2026-01-01,n", "valid_from 'yesterday'"),
        ("x, XBT,BTC,1,alias,,,2026-01-01,n", "surrounding whitespace"),
        ("x,XBT,BTC,1,alias,,,2026-01-01", "expected 9 fields"),
        ("x,XBT,BTC,1,alias,,,2026-01-01,n,extra", "expected 9 fields"),
    ],
)
def test_loader_rejects_bad_rows_with_line_numbers(row: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"line 2: .*" + re.escape(message)):
        parse_asset_aliases(HEADER + row + "\n")


def test_loader_rejects_bad_header_and_ambiguous_rows() -> None:
    with pytest.raises(ValueError, match="header must be"):
        parse_asset_aliases("exchange,code\nx,XBT\n")
    overlapping = (HEADER + "x,A,B,1,alias,,2025-01-01,2026-01-01,n\n"
                   "x,A,C,1,alias,2024-01-01,,2026-01-01,n\n")  # fmt: skip
    with pytest.raises(ValueError, match="line 3: x A overlaps line 2"):
        parse_asset_aliases(overlapping)
    # The same overlap recorded later is a correction, not an ambiguity.
    corrected = overlapping.replace(",2024-01-01,,2026-01-01,", ",2024-01-01,,2026-02-01,")
    assert len(parse_asset_aliases(corrected)) == 2


@pytest.mark.parametrize("code", ["", " XBT", "XBT "])
def test_resolver_rejects_empty_or_padded_codes(code: str) -> None:
    with pytest.raises(ValueError, match="empty or padded"):
        normalize_asset("kraken", code)
