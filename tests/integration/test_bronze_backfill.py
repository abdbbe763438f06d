"""Backfill of the shared captures: every capture file once, in capture-time order, with its
capture time as observed_at; a second backfill adds nothing."""

from __future__ import annotations

import pytest

from refdata.bronze.backfill import load, plan_backfill
from tests.integration.bronze_support import bronze_store, counts, rows, snapshot_counts  # noqa: F401

pytestmark = pytest.mark.integration


def test_backfill_of_the_shared_captures_is_ordered_and_idempotent(settings, bronze_store, trino_cursor) -> None:  # noqa: F811
    store = bronze_store
    items = plan_backfill(settings.captures_dir, store=store)
    assert len(items) == 47 and not any(i.loaded for i in items)

    outcomes = load(store, items, run_id="test-backfill")
    assert [o.written for o in outcomes] == [True] * len(items)

    polls = {r["poll_id"]: r for r in rows(store, "polls")}
    assert set(polls) == {i.poll_id for i in items}
    for item in items:
        row = polls[item.poll_id]
        assert row["source"] == "backfill" and row["status"] == "complete"
        assert row["observed_at"] == item.capture.captured_at
        assert row["capture_file"] == item.capture.rel
        assert row["complete_listing"] == item.capture.full
        assert row["endpoint"] == item.capture.endpoint and row["venue"] == item.venue
        assert row["raw_bytes"] == item.capture.path.stat().st_size
    # System time follows capture time: loaded one by one, in order.
    by_recorded = sorted(polls.values(), key=lambda r: r["recorded_at"])
    assert [r["poll_id"] for r in by_recorded] == [i.poll_id for i in items]
    assert len({r["recorded_at"] for r in by_recorded}) == len(items)
    # Every capture file once (OKX MARGIN serves no venue; the Deribit file serves two).
    files = [r["capture_file"] for r in polls.values()]
    assert len(set(files)) == 46 and files.count(
        "deribit/api-v2-public-get_instruments/2025-11-06-farshadnassiri-Quant-Project.json") == 2
    # Partial captures are loaded and flagged.
    assert {r["venue"] for r in polls.values() if r["complete_listing"] is False} >= {"bybit-spot", "okx-option"}

    responses = rows(store, "responses")
    assert len(responses) == len(items)
    distinct_contents = {r["content_sha256"] for r in responses}
    assert counts(store)["bodies"] == len(distinct_contents)

    # A second backfill: everything planned as loaded, nothing written, no snapshot.
    before, snaps = counts(store), snapshot_counts(store)
    again = plan_backfill(settings.captures_dir, store=store)
    assert [i.poll_id for i in again] == [i.poll_id for i in items] and all(i.loaded for i in again)
    assert not any(o.written for o in load(store, again, run_id="test-backfill-2"))
    assert counts(store) == before and snapshot_counts(store) == snaps

    trino_cursor.execute(
        f"SELECT venue, count(*), min(observed_at), max(observed_at) FROM {store.namespace}.polls "
        "WHERE source = 'backfill' GROUP BY venue ORDER BY venue")
    result = {r[0]: (r[1], r[2], r[3]) for r in trino_cursor.fetchall()}
    spot = [i.capture.captured_at for i in items if i.venue == "binance-spot"]
    assert result["binance-spot"][0] == len(spot) == 12
    assert (result["binance-spot"][1], result["binance-spot"][2]) == (min(spot), max(spot))
    assert sum(n for n, _, _ in result.values()) == 47
