"""The gold job (Spark) on a silver history whose venues progress at different paces.

The failure seen in the full suite, on scratch tables: gold ran while silver held Binance
rows only (a transform for some venues); silver then processed, in one run, a Kraken poll
ingested live *before* those Binance rows and a backfill of older Kraken captures recorded
after them. The Kraken rows are new to gold although recorded below its previous global
watermark; gold must take them in as a rebuild would (tests/unit/gold/test_gold_incremental.py
has the same sequences without Spark).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.integration.gold_support import Scratch, gold_scratch  # noqa: F401  (fixture)
from tests.unit.gold.silver_fixtures import BINANCE_COINM, BINANCE_SPOT, KRAKEN_JUN, KRAKEN_SEP, Poll, raw_payloads, silver_rows

pytestmark = pytest.mark.integration

S1 = datetime(2026, 11, 25, 13, 18, 40, 462911)  # the live Kraken poll
W = datetime(2026, 11, 25, 13, 24, 16, 877560)  # the Binance backfill silver (Binance only) and gold ran on
S2 = datetime(2026, 11, 25, 13, 35, 54, 815027)  # the backfill of older Kraken captures
S_COINM = datetime(2026, 11, 25, 13, 20)  # a COIN-M poll that reaches silver after all that

KRAKEN = frozenset({"1INCHEUR", "XXBTZUSD", "EOSUSD", "ABUSD"})
BINANCE = Poll(BINANCE_SPOT, "binance-spot", W, frozenset({"BTCUSDT", "ETHUSDT"}))
LIVE_KRAKEN = Poll(KRAKEN_SEP, "kraken-spot", S1, KRAKEN)
OLD_KRAKEN = Poll(KRAKEN_JUN, "kraken-spot", S2, KRAKEN)
COINM = Poll(BINANCE_COINM, "binance-coinm", S_COINM, frozenset({"BTCUSD_PERP", "ETHUSD_PERP"}))


def _write_silver(scratch: Scratch, polls: list[Poll]) -> list:
    rows = silver_rows(polls)
    scratch.overwrite_silver(scratch.silver_records(rows, raw_payloads(polls)))
    return rows


def _run(spark, settings, scratch: Scratch, run_id: str):  # type: ignore[no-untyped-def]
    from refdata.gold.job import run

    return run(spark, settings, scratch.config(run_id=run_id))


def _gold_equals_a_rebuild(scratch: Scratch, silver: list) -> None:
    from refdata.gold.symbology import Mapper, from_record
    from refdata.symbology import load_asset_aliases
    from tests.unit.gold.silver_fixtures import by_key

    stored = {row.mapping_id: row for row in map(from_record, scratch.catalog.load_table(
        f"{scratch.namespace}.symbology").scan().to_arrow().to_pylist())}
    mapper = Mapper(load_asset_aliases())
    derived = {row.mapping_id: row for rows in by_key(silver).values() for row in mapper.derive_key(rows)}
    assert stored == derived


def test_venues_reaching_silver_late_reach_gold(gold_scratch, spark, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    scratch = gold_scratch
    first = _write_silver(scratch, [BINANCE])
    result = _run(spark, settings, scratch, "binance-only")
    assert result.wrote_symbology and result.watermark == W
    _gold_equals_a_rebuild(scratch, first)

    # Kraken's live poll (recorded at S1 < W) and the older captures (S2 > W) in one silver run:
    # silver holds a row recorded at S1 and superseded at S2 that gold has never seen.
    late = _write_silver(scratch, [LIVE_KRAKEN, BINANCE, OLD_KRAKEN])
    assert any(r.symbol == "1INCHEUR" and r.recorded_at == S1 and r.superseded_at == S2 for r in late)
    result = _run(spark, settings, scratch, "kraken-late")
    assert (result.previous_watermark, result.watermark) == (W, S2)
    assert result.keys_recomputed == len(KRAKEN)  # the Binance keys did not change
    _gold_equals_a_rebuild(scratch, late)

    # A COIN-M poll recorded below every watermark gold has seen, with nothing after it.
    later = _write_silver(scratch, [LIVE_KRAKEN, BINANCE, OLD_KRAKEN, COINM])
    assert max(max(r.recorded_at, r.superseded_at or r.recorded_at) for r in later if r.venue == "binance-coinm") < W
    result = _run(spark, settings, scratch, "coinm-late")
    assert result.wrote_symbology and result.keys_recomputed == 2
    _gold_equals_a_rebuild(scratch, later)

    # Nothing new: nothing recomputed, nothing written.
    result = _run(spark, settings, scratch, "nothing-new")
    assert (result.wrote_symbology, result.keys_recomputed, result.rows_inserted) == (False, 0, 0)


def test_an_expired_silver_snapshot_means_recomputing_every_key(gold_scratch, spark, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The per-venue watermarks of the last run are read from the silver snapshot it read; once
    maintenance has expired that snapshot, the run recomputes every key, still like a rebuild."""
    scratch = gold_scratch
    polls = [LIVE_KRAKEN, BINANCE, OLD_KRAKEN, COINM]
    _write_silver(scratch, polls)
    _run(spark, settings, scratch, "before-expiry")
    later = Poll(BINANCE_SPOT, "binance-spot", datetime(2026, 11, 25, 14), frozenset({"BTCUSDT"}))
    silver = _write_silver(scratch, [*polls, later])
    spark.sql(f"CALL {settings.catalog_name}.system.expire_snapshots(table => '{scratch.silver_table}', "
              "older_than => TIMESTAMP '2100-01-01 00:00:00', retain_last => 1)").collect()
    result = _run(spark, settings, scratch, "after-expiry")
    assert result.full_recompute and result.previous_watermarks is None
    assert result.keys_recomputed == len({r.key for r in silver})
    # A later response for the same exchange time replaces the earlier one (ADR 0005): ETHUSDT
    # was never listed, as known from 14:00.
    assert (result.rows_superseded, result.rows_inserted) == (1, 0)
    _gold_equals_a_rebuild(scratch, silver)
    result = _run(spark, settings, scratch, "after-expiry-again")
    assert (result.full_recompute, result.keys_recomputed, result.wrote_symbology) == (False, 0, False)
