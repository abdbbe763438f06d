"""Silver-like rows (real captures through the parsers and the bitemporal engine) -> gold rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from refdata.bitemporal import Correction, KeyObservation, VenueIndex, rebuild
from refdata.bitemporal.rows import closed_end, rows_at as silver_rows_at
from refdata.domain import spec_values
from refdata.gold.symbology import (
    GoldHistoryConflict,
    Mapper,
    apply_plan,
    from_record,
    plan_key,
    plan_run,
    rows_at,
    to_record,
)
from refdata.symbology import AssetAlias, load_asset_aliases
from refdata.symbology.assets import FOREVER_END, FOREVER_START

from .silver_fixtures import (
    BINANCE_COINM,
    BINANCE_SPOT,
    BINANCE_USDM,
    DERIBIT,
    KRAKEN_JUN,
    KRAKEN_SEP,
    OKX_SWAP,
    Poll,
    by_key,
    silver_rows,
    specs,
)

# Bronze ingestion times of the polls: after the alias table's rows were recorded (2026-11-25).
T1 = datetime(2026, 11, 25, 1, 0)
T2 = datetime(2026, 11, 25, 2, 0)
T3 = datetime(2026, 11, 25, 3, 0)


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(load_asset_aliases())


def _gold(mapper: Mapper, polls: list[Poll]) -> dict[tuple[str, str], list]:
    return {key: mapper.derive_key(rows) for key, rows in by_key(silver_rows(polls)).items()}


def _only(rows: list) -> object:
    assert len(rows) == 1, rows
    return rows[0]


# ---- the seed's examples, from the captures --------------------------------------------------


def test_kraken_xxbtzusd_is_exactly_btc_usd_spot(mapper: Mapper) -> None:
    gold = _gold(mapper, [Poll(KRAKEN_SEP, "kraken-spot", T1, frozenset({"XXBTZUSD", "XBTUSDT"}))])
    row = _only(gold[("kraken-spot", "XXBTZUSD")])
    m = row.mapped
    assert (m.canonical_id, m.base_asset, m.quote_asset, m.base_code, m.quote_code) == (
        "BTC-USD-SPOT", "BTC", "USD", "XXBT", "ZUSD")
    assert (m.usd_equivalent_group, m.is_exact_usd, m.usd_substituted) == ("BTC-USD-SPOT", True, ())
    assert m.unknown_assets == ()
    assert m.asset_rules == ("base:XXBT->BTC (legacy, kraken)", "quote:ZUSD->USD (legacy, kraken)")
    assert (row.valid_from, row.valid_to, row.recorded_at, row.superseded_at) == (
        datetime(2025, 9, 11), None, T1, None)
    usdt = _only(gold[("kraken-spot", "XBTUSDT")]).mapped
    assert (usdt.canonical_id, usdt.usd_equivalent_group, usdt.is_exact_usd) == ("BTC-USDT-SPOT", "BTC-USD-SPOT", False)


def test_binance_btcusdt_is_a_usd_equivalent_not_usd(mapper: Mapper) -> None:
    gold = _gold(mapper, [Poll(BINANCE_SPOT, "binance-spot", T1, frozenset({"BTCUSDT"}))])
    m = _only(gold[("binance-spot", "BTCUSDT")]).mapped
    assert (m.canonical_id, m.usd_equivalent_group, m.is_exact_usd, m.usd_substituted) == (
        "BTC-USDT-SPOT", "BTC-USD-SPOT", False, ("USDT",))
    # Plain tickers have no alias row: passed through as themselves and flagged (ADR 0007).
    assert m.unknown_assets == ("BTC", "USDT")


def test_usd_equivalents_are_configurable() -> None:
    without_usdt = Mapper(load_asset_aliases(), usd_equivalents={"USDC"})
    gold = _gold(without_usdt, [Poll(BINANCE_SPOT, "binance-spot", T1, frozenset({"BTCUSDT", "BTCUSDC"}))])
    assert _only(gold[("binance-spot", "BTCUSDT")]).mapped.usd_equivalent_group is None
    assert _only(gold[("binance-spot", "BTCUSDT")]).mapped.is_exact_usd is False
    assert _only(gold[("binance-spot", "BTCUSDC")]).mapped.usd_equivalent_group == "BTC-USD-SPOT"


def test_coinm_quarterly_is_inverse_dated_future(mapper: Mapper) -> None:
    gold = _gold(mapper, [Poll(BINANCE_COINM, "binance-coinm", T1, frozenset({"BTCUSD_251226", "BTCUSD_PERP"}))])
    m = _only(gold[("binance-coinm", "BTCUSD_251226")]).mapped
    assert (m.canonical_id, m.instrument_class, m.settlement, m.settle_asset) == (
        "BTC-USD-FUT-20251226.BTC", "future", "inverse", "BTC")
    assert m.expiry == datetime(2025, 12, 26, 8, 0)
    assert (m.usd_equivalent_group, m.is_exact_usd) == ("BTC-USD-FUT-20251226.BTC", True)
    assert _only(gold[("binance-coinm", "BTCUSD_PERP")]).mapped.canonical_id == "BTC-USD-PERP.BTC"


def test_deribit_options_carry_strike_and_right(mapper: Mapper) -> None:
    wanted = frozenset({"BTC-7NOV25-85000-C", "BTC-7NOV25-85000-P"})
    gold = _gold(mapper, [Poll(DERIBIT, "deribit-option", T1, wanted)])
    call = _only(gold[("deribit-option", "BTC-7NOV25-85000-C")]).mapped
    put = _only(gold[("deribit-option", "BTC-7NOV25-85000-P")]).mapped
    assert (call.canonical_id, call.strike, call.option_right, call.settlement) == (
        "BTC-USD-OPT-20251107-85000-C.BTC", "85000", "C", "inverse")
    assert (put.canonical_id, put.option_right) == ("BTC-USD-OPT-20251107-85000-P.BTC", "P")
    assert to_record(_only(gold[("deribit-option", "BTC-7NOV25-85000-C")]))["strike"] == Decimal("85000")


def test_multiplied_units_keep_their_multiplier(mapper: Mapper) -> None:
    gold = _gold(mapper, [Poll(BINANCE_USDM, "binance-usdm", T1, frozenset({"1000PEPEUSDT"}))])
    m = _only(gold[("binance-usdm", "1000PEPEUSDT")]).mapped
    assert (m.canonical_id, m.base_asset, m.base_multiplier, m.quote_multiplier) == (
        "1000_PEPE-USDT-PERP", "PEPE", 1000, 1)
    assert m.usd_equivalent_group == "1000_PEPE-USD-PERP"


def test_ids_that_cannot_be_built_get_a_row_with_the_error(mapper: Mapper) -> None:
    gold = _gold(mapper, [Poll(OKX_SWAP, "okx-swap", T1, frozenset({"2Z-USDT-SWAP", "BTC-USDT-SWAP"})),
                          Poll(BINANCE_USDM, "binance-usdm", T1, frozenset({"币安人生USDT"}))])
    okx = _only(gold[("okx-swap", "2Z-USDT-SWAP")]).mapped
    assert okx.canonical_id is None
    assert okx.id_error == "okx-swap 2Z-USDT-SWAP: perpetual has no settlement type (linear/inverse)"
    assert (okx.base_asset, okx.quote_asset, okx.usd_equivalent_group, okx.is_exact_usd) == ("2Z", "USDT", None, False)
    assert _only(gold[("okx-swap", "BTC-USDT-SWAP")]).mapped.canonical_id == "BTC-USDT-PERP"
    chinese = _only(gold[("binance-usdm", "币安人生USDT")]).mapped
    assert chinese.canonical_id is None and "cannot appear in a canonical ID" in chinese.id_error
    assert chinese.unknown_assets == ("币安人生", "USDT")


# ---- versions, lifetimes, system time -------------------------------------------------------


def _kraken(symbol: str, source: str = KRAKEN_JUN, **changes: object) -> dict:
    spec = next(s for s in specs(source, "kraken-spot") if s.symbol == symbol)
    return {**spec_values(spec), **changes}


def _obs(event: str, observed: datetime, recorded: datetime, values: dict | None,
         symbol: str = "XXBTZUSD") -> KeyObservation:
    return KeyObservation(event, "kraken-spot", symbol, observed, recorded, values)


def _silver(events: list[KeyObservation]) -> list:
    index = VenueIndex.of("kraken-spot", events)
    return [r for r in rebuild(events, index) if r.layer == "published"]


def test_adjacent_versions_with_one_id_are_one_mapping(mapper: Mapper) -> None:
    t1, t2 = datetime(2025, 6, 11), datetime(2025, 7, 1)
    silver = _silver([_obs("a", t1, T1, _kraken("XXBTZUSD")),
                      _obs("b", t2, T2, _kraken("XXBTZUSD", tick_size="0.5"))])
    assert [(r.valid_from, r.valid_to, r.superseded_at) for r in silver if r.superseded_at is None] == [
        (t1, t2, None), (t2, None, None)]  # two silver versions (tick size changed)
    gold = mapper.derive_key(silver)
    # The tick size does not change the mapping: one row, recorded when silver first knew it.
    assert [(g.valid_from, g.valid_to, g.recorded_at, g.superseded_at, g.canonical_id) for g in gold] == [
        (t1, None, T1, None, "BTC-USD-SPOT")]


def test_delisting_and_relisting_are_lifetimes(mapper: Mapper) -> None:
    t1, t2, t3 = datetime(2025, 6, 1), datetime(2025, 6, 2), datetime(2025, 6, 3)
    silver = _silver([_obs("a", t1, T1, _kraken("XXBTZUSD")), _obs("b", t2, T2, None),
                      _obs("c", t3, T3, _kraken("XXBTZUSD"))])
    current = sorted((g for g in mapper.derive_key(silver) if g.superseded_at is None), key=lambda g: g.valid_from)
    assert [(g.valid_from, g.valid_to, g.mapped.basis, g.canonical_id, g.recorded_at) for g in current] == [
        (t1, t2, "listed", "BTC-USD-SPOT", T2),
        (t2, t3, "delisted", "BTC-USD-SPOT", T3),
        (t3, None, "listed", "BTC-USD-SPOT", T3),
    ]
    lifetimes = [g.mapped.lifetime_id for g in current]
    assert lifetimes[0] == lifetimes[1] != lifetimes[2]
    assert lifetimes == [r.lifetime_id for r in sorted(
        (r for r in silver if r.superseded_at is None), key=lambda r: r.valid_from)]


def test_system_time_follows_silver(mapper: Mapper) -> None:
    t1, t2 = datetime(2025, 6, 1), datetime(2025, 6, 5)
    silver = _silver([_obs("a", t1, T1, _kraken("XXBTZUSD")), _obs("b", t2, T2, None)])
    gold = mapper.derive_key(silver)
    assert [(g.valid_from, g.valid_to, g.mapped.basis, g.recorded_at, g.superseded_at)
            for g in sorted(gold, key=lambda g: (g.recorded_at, g.valid_from))] == [
        (t1, None, "listed", T1, T2),  # believed until the delisting was recorded
        (t1, t2, "listed", T2, None),
        (t2, None, "delisted", T2, None),
    ]
    # As of 2025-07-01: listed as known at T1, delisted as known at T2.
    v = datetime(2025, 7, 1)
    assert [g.mapped.basis for g in rows_at(gold, v, T1)] == ["listed"]
    assert [g.mapped.basis for g in rows_at(gold, v, T2)] == ["delisted"]
    assert rows_at(gold, v, T1 - timedelta(seconds=1)) == []


def test_a_change_of_meaning_inside_a_version_cuts_the_mapping(mapper: Mapper) -> None:
    """Binance LUNA is Terra Classic (LUNC) before 2022-05-28 and Terra 2.0 from then (ADR 0007)."""
    spec = next(s for s in specs(BINANCE_SPOT, "binance-spot") if s.symbol == "LUNAUSDT")
    values = spec_values(spec)
    key = ("binance-spot", "LUNAUSDT")
    before, boundary, later = datetime(2022, 5, 1), datetime(2022, 5, 28), datetime(2022, 6, 1)

    def events(*listed: tuple[str, datetime, datetime, bool]) -> list:
        return [KeyObservation(e, *key, t, s, values if on else None) for e, t, s, on in listed]

    listed = events(("a", before, T1, True))
    index = VenueIndex.of("binance-spot", listed)
    gold = mapper.derive_key([r for r in rebuild(listed, index) if r.layer == "published"])
    assert [(g.valid_from, g.valid_to, g.canonical_id) for g in sorted(gold, key=lambda g: g.valid_from)] == [
        (before, boundary, "LUNC-USDT-SPOT"), (boundary, None, "LUNA-USDT-SPOT")]
    # A DELISTED gap keeps the meaning of its last listed instant, even past the boundary.
    gone = events(("a", before, T1, True), ("b", boundary, T2, False))  # delisted as LUNA changed meaning
    index = VenueIndex.of("binance-spot", gone)
    current = [g for g in mapper.derive_key([r for r in rebuild(gone, index) if r.layer == "published"])
               if g.superseded_at is None]
    assert [(g.valid_from, g.valid_to, g.mapped.basis, g.canonical_id)
            for g in sorted(current, key=lambda g: g.valid_from)] == [
        (before, boundary, "listed", "LUNC-USDT-SPOT"),
        (boundary, None, "delisted", "LUNC-USDT-SPOT"),
    ]
    assert rows_at(current, later, T2)[0].canonical_id == "LUNC-USDT-SPOT"


def _alias(exchange: str, code: str, canonical: str, recorded: datetime, kind: str = "legacy") -> AssetAlias:
    return AssetAlias(exchange, code, canonical, Decimal(1), kind, FOREVER_START, FOREVER_END, recorded, "test")


def test_alias_rows_count_from_their_own_system_time() -> None:
    mid = datetime(2026, 11, 25, 1, 30)
    mapper = Mapper([_alias("kraken", "ZUSD", "USD", T1 - timedelta(days=1)), _alias("kraken", "XXBT", "BTC", mid)])
    silver = _silver([_obs("a", datetime(2025, 6, 11), T1, _kraken("XXBTZUSD"))])
    gold = sorted(mapper.derive_key(silver), key=lambda g: g.recorded_at)
    assert [(g.canonical_id, g.mapped.unknown_assets, g.recorded_at, g.superseded_at) for g in gold] == [
        ("XXBT-USD-SPOT", ("XXBT",), T1, mid),  # XXBT unknown (flagged) until the row was recorded
        ("BTC-USD-SPOT", (), mid, None),
    ]


def test_a_correction_without_listing_gets_an_id_error(mapper: Mapper) -> None:
    correction = Correction("c1", "kraken-spot", "NEWUSD", datetime(2025, 7, 1), None,
                            {"tick_size": "0.1"}, approved_at=T1)
    rows = [r for r in rebuild([correction], VenueIndex("kraken-spot", [])) if r.layer == "published"]
    assert [r.basis for r in rows] == ["none"]
    row = _only(mapper.derive_key(rows))
    assert row.canonical_id is None and row.mapped.lifetime_id is None
    assert row.mapped.id_error == ("kraken-spot NEWUSD: no instrument_class, base_asset, quote_asset "
                                   "(basis none: the version does not know the instrument)")


def test_overlapping_silver_versions_are_not_merged_away(mapper: Mapper) -> None:
    """A silver inconsistency must reach the gate as two overlapping mappings."""
    silver = _silver([_obs("a", datetime(2025, 6, 11), T1, _kraken("XXBTZUSD"))])
    bogus = replace(silver[0], version_id="v_bogus", values={**silver[0].values, "base_asset": "XETH"},
                    recorded_at=T2)
    gold = mapper.derive_key([*silver, bogus])
    assert sorted(g.canonical_id for g in rows_at(gold, datetime(2025, 7, 1), T2)) == ["BTC-USD-SPOT", "ETH-USD-SPOT"]


# ---- determinism, incremental runs ----------------------------------------------------------


def _state_at(rows: list, s: datetime) -> list:
    """What silver held at system time s (rows are never deleted; superseded_at set once)."""
    return [replace(r, superseded_at=r.superseded_at if r.superseded_at and r.superseded_at <= s else None)
            for r in rows if r.recorded_at <= s]


def test_incremental_runs_equal_a_rebuild_ids_included(mapper: Mapper) -> None:
    polls = [Poll(KRAKEN_JUN, "kraken-spot", T1, frozenset({"XXBTZUSD", "BNBUSD", "EOSUSD", "KEUR"})),
             Poll(KRAKEN_SEP, "kraken-spot", T2, frozenset({"XXBTZUSD", "BNBUSD", "ABUSD"}))]
    silver = by_key(silver_rows(polls))
    table: dict = {}
    watermarks = None
    for s in (T1, T2):
        state = {key: _state_at(rows, s) for key, rows in silver.items()}
        held = by_key_gold(table.values())
        plan = plan_run({k: v for k, v in state.items() if v}, held, mapper, watermarks)
        for row in plan.inserts:
            table[row.mapping_id] = row
        for mapping_id, at in plan.supersedes:
            table[mapping_id] = replace(table[mapping_id], superseded_at=at)
        watermarks = {"kraken-spot": s}
    rebuilt = {row.mapping_id: row for rows in silver.values() for row in mapper.derive_key(rows)}
    assert table == rebuilt
    # EOSUSD and KEUR left the listing at T2: their open rows were superseded, a gap recorded.
    eos = sorted((g for g in table.values() if g.symbol == "EOSUSD"), key=lambda g: (g.recorded_at, g.valid_from))
    assert [(g.mapped.basis, g.recorded_at, g.superseded_at) for g in eos] == [
        ("listed", T1, T2), ("listed", T2, None), ("delisted", T2, None)]
    # A second pass with nothing new plans nothing.
    again = plan_run(silver, by_key_gold(table.values()), mapper, {"kraken-spot": T2})
    assert again.is_empty and again.keys == len(silver)
    # And the ids are a function of the data only.
    assert {r.mapping_id for r in Mapper(load_asset_aliases()).derive_key(silver[("kraken-spot", "EOSUSD")])} \
        == {g.mapping_id for g in eos}


def by_key_gold(rows) -> dict:  # type: ignore[no-untyped-def]
    out: dict = {}
    for row in rows:
        out.setdefault(row.key, []).append(row)
    return out


def test_rewriting_published_history_is_refused(mapper: Mapper) -> None:
    silver = _silver([_obs("a", datetime(2025, 6, 11), T1, _kraken("XXBTZUSD"))])
    held = mapper.derive_key(silver)
    # An alias row recorded (late) at or below the watermark changes a belief already published.
    late = Mapper([*load_asset_aliases(), _alias("kraken", "XXBT", "WBTC", T1, kind="alias")])
    with pytest.raises(GoldHistoryConflict, match="kraken-spot XXBTZUSD.*no longer derivable"):
        plan_key(held, late.derive_key(silver), watermark=T2)
    # Rows that gold should hold for published system times but does not are not made up later.
    with pytest.raises(GoldHistoryConflict, match="missing row recorded at or before the watermark"):
        plan_key([], held, watermark=T2)
    assert plan_key([], held, watermark=None).to_insert == tuple(held)
    # Recorded after the watermark it is a new belief, not a rewrite.
    later = Mapper([*load_asset_aliases(), _alias("kraken", "XXBT", "WBTC", T3, kind="alias")])
    plan = plan_key(held, later.derive_key(silver), watermark=T2)
    assert [(r.canonical_id, r.recorded_at) for r in plan.to_insert] == [("WBTC-USD-SPOT", T3)]
    assert plan.to_supersede == ((held[0].mapping_id, T3),)
    assert apply_plan({r.mapping_id: r for r in held}, plan)[held[0].mapping_id].superseded_at == T3


def test_records_round_trip(mapper: Mapper) -> None:
    gold = _gold(mapper, [Poll(DERIBIT, "deribit-option", T1, frozenset({"BTC-7NOV25-85000-C"})),
                          Poll(KRAKEN_SEP, "kraken-spot", T1, frozenset({"XXBTZUSD"}))])
    for rows in gold.values():
        for row in rows:
            record = to_record(row)
            # Iceberg hands decimals back padded to the column's scale.
            if record["strike"] is not None:
                record["strike"] = record["strike"].quantize(Decimal("1e-18"))
            assert from_record(record) == row


# ---- the rule, checked on random histories --------------------------------------------------

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

SYMBOLS = ("XXBTZUSD", "BNBUSD", "EOSUSD")


@st.composite
def histories(draw):  # type: ignore[no-untyped-def]
    """Kraken observations of three real symbols, observed and recorded in random orders."""
    n = draw(st.integers(1, 5))
    observed = [datetime(2025, 6, 1) + timedelta(days=draw(st.integers(0, 6))) for _ in range(n)]
    recorded = [T1 + timedelta(hours=i) for i in draw(st.permutations(range(n)))]
    polls = []
    for i in range(n):
        listed = {}
        for symbol in SYMBOLS:
            choice = draw(st.sampled_from(["absent", "jun", "sep"]))
            if choice != "absent" and not (symbol == "EOSUSD" and choice == "sep"):
                listed[symbol] = _kraken(symbol, KRAKEN_JUN if choice == "jun" else KRAKEN_SEP)
        polls.append((f"o{i}", observed[i], recorded[i], listed))
    return polls


@hsettings(max_examples=40, deadline=None)
@given(histories())
def test_gold_answers_what_silver_answers_at_every_v_and_s(history) -> None:  # type: ignore[no-untyped-def]
    mapper = Mapper(load_asset_aliases())
    for symbol in SYMBOLS:
        events = [_obs(e, t, s, listed.get(symbol), symbol) for e, t, s, listed in history]
        silver = _silver(events)
        gold = mapper.derive_key(silver)
        system_times = sorted({r.recorded_at for r in silver} | {r.superseded_at for r in silver if r.superseded_at})
        valid_times = sorted({r.valid_from for r in silver} | {r.valid_to for r in silver if r.valid_to})
        probes_v = valid_times + [v + timedelta(hours=1) for v in valid_times] + [datetime(2025, 5, 1)]
        probes_s = system_times + [s + timedelta(minutes=1) for s in system_times] + [T1 - timedelta(hours=1)]
        for s in probes_s:
            for v in probes_v:
                held = silver_rows_at(silver, v, s)
                mapped = rows_at(gold, v, s)
                if not held:
                    assert mapped == [], (symbol, v, s)
                    continue
                (row,) = held
                (g,) = mapped
                at = v if row.basis != "delisted" else row.valid_from - timedelta(microseconds=1)
                assert g.mapped == mapper.mapped(row, at, s)
                assert g.valid_from <= v < closed_end(g.valid_to)
        # Adjacent current rows never carry the same mapping (they would have been merged).
        for s in system_times:
            believed = sorted((g for g in gold if g.recorded_at <= s and (g.superseded_at is None or s < g.superseded_at)),
                              key=lambda g: g.valid_from)
            for a, b in zip(believed, believed[1:]):
                assert a.valid_to is not None and a.valid_to <= b.valid_from
                assert not (a.valid_to == b.valid_from and a.mapped == b.mapped)
        # Rebuilding gives the same rows, ids included.
        assert mapper.derive_key(list(reversed(silver))) == gold
