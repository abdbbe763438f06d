"""Gold's incremental runs on a silver history that other venues' runs have moved past.

The failure seen in the full suite (GoldHistoryConflict for kraken-spot 1INCHEUR): a Kraken
poll was ingested live into bronze at s1; a silver run for *other venues* then published
rows up to W > s1 and gold ran, taking W as its watermark; later a silver run over every
venue processed the Kraken poll and, in the same run, a backfill of older Kraken captures
recorded at s2 > W. Silver then held a Kraken row recorded at s1 <= W and superseded at s2,
which gold had never seen: its single, global watermark treated it as a rewrite of a
published belief. Had the backfill not come, gold would have skipped the Kraken keys
altogether (no Kraken row was recorded or superseded after W).

Silver's belief of a venue is final only up to that venue's own watermark, so gold's must be
per venue too. The invariant checked here: however silver's runs are interleaved, gold's
incremental runs give exactly what a rebuild of gold from the final silver gives.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from refdata.gold.symbology import (
    KeyPlan,
    Mapper,
    SymbologyRow,
    apply_plan,
    changed_keys,
    plan_run,
    silver_watermarks,
)
from refdata.symbology import load_asset_aliases

from .silver_fixtures import BINANCE_SPOT, KRAKEN_JUN, KRAKEN_SEP, Poll, by_key, silver_rows

S1 = datetime(2026, 11, 25, 13, 18, 40, 462911)  # the live Kraken poll
W = datetime(2026, 11, 25, 13, 24, 16, 877560)  # the Binance backfill silver and gold ran on
S2 = datetime(2026, 11, 25, 13, 35, 54, 815027)  # the backfill of older Kraken captures

KRAKEN = frozenset({"1INCHEUR", "XXBTZUSD", "EOSUSD", "ABUSD"})  # listed in both / in June only / in Sept only
LIVE_KRAKEN = Poll(KRAKEN_SEP, "kraken-spot", S1, KRAKEN)
BINANCE = Poll(BINANCE_SPOT, "binance-spot", W, frozenset({"BTCUSDT", "ETHUSDT"}))
OLD_KRAKEN = Poll(KRAKEN_JUN, "kraken-spot", S2, KRAKEN)


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(load_asset_aliases())


def run_incrementally(mapper: Mapper, silver_states: list[list]) -> dict[str, SymbologyRow]:
    """Gold's job, step by step, over successive states of silver (each a full table)."""
    table: dict[str, SymbologyRow] = {}
    reflected: list | None = None  # the silver gold's last run read (its pinned snapshot)
    for state in silver_states:
        watermarks = None if reflected is None else silver_watermarks(reflected)
        keys = changed_keys(state, watermarks)
        silver = {key: rows for key, rows in by_key(state).items() if key in keys}
        gold: dict = {}
        for row in table.values():
            if row.key in keys:
                gold.setdefault(row.key, []).append(row)
        plan = plan_run(silver, gold, mapper, watermarks)
        table = apply_plan(table, KeyPlan(tuple(plan.inserts), tuple(plan.supersedes)))
        reflected = state
    return table


def rebuilt(mapper: Mapper, silver: list) -> dict[str, SymbologyRow]:
    return {row.mapping_id: row for rows in by_key(silver).values() for row in mapper.derive_key(rows)}


def test_a_late_venue_run_with_a_backfill_above_the_watermark(mapper: Mapper) -> None:
    """The sequence of the failure: Kraken's silver run comes after gold ran on Binance's."""
    binance_only = silver_rows([BINANCE])
    final = silver_rows([LIVE_KRAKEN, BINANCE, OLD_KRAKEN])
    inch = [r for r in final if r.symbol == "1INCHEUR"]
    # Silver holds the live poll's row, recorded below gold's watermark and superseded above it.
    assert (datetime(2025, 9, 11), None, S1, S2) in {(r.valid_from, r.valid_to, r.recorded_at, r.superseded_at)
                                                     for r in inch}
    assert run_incrementally(mapper, [binance_only, final]) == rebuilt(mapper, final)


def test_a_late_venue_run_without_anything_above_the_watermark(mapper: Mapper) -> None:
    """Without the backfill, no Kraken row is recorded or superseded after gold's watermark:
    the Kraken keys must still reach gold."""
    binance_only = silver_rows([BINANCE])
    final = silver_rows([LIVE_KRAKEN, BINANCE])
    gold = run_incrementally(mapper, [binance_only, final])
    assert {r.key for r in gold.values()} == {r.key for r in final}
    assert gold == rebuilt(mapper, final)


def test_a_supersession_above_the_watermark_of_a_published_row(mapper: Mapper) -> None:
    """Kraken's live poll reached silver and gold before the backfill superseded it."""
    published = silver_rows([LIVE_KRAKEN, BINANCE])
    final = silver_rows([LIVE_KRAKEN, BINANCE, OLD_KRAKEN])
    assert run_incrementally(mapper, [published, final]) == rebuilt(mapper, final)


def test_every_interleaving_of_venue_runs_equals_a_rebuild(mapper: Mapper) -> None:
    """Silver runs per venue, so gold may read any mix of venues' progress; each prefix of each
    venue's history is a state silver can be in."""
    kraken = [LIVE_KRAKEN, OLD_KRAKEN]
    binance = [BINANCE, replace(BINANCE, recorded_at=S2, symbols=frozenset({"BTCUSDT"}))]
    final = silver_rows(kraken + binance)
    states = [
        silver_rows(kraken[:k] + binance[:b])
        for k, b in [(0, 1), (0, 2), (1, 2), (2, 2)]
    ]
    assert run_incrementally(mapper, states) == rebuilt(mapper, final)
    assert run_incrementally(mapper, [states[0], states[3]]) == rebuilt(mapper, final)
    assert run_incrementally(mapper, [states[1], states[3]]) == rebuilt(mapper, final)
