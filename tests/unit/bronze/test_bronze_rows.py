"""Poll ids, recorded_at monotonicity, the dedup decision and the rows it builds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from bronze_support import BINANCE_SPOT_FILE, binance_body, binance_symbol, capture_bytes, capture_json, dumps, page, poll
from hypothesis import given
from hypothesis import strategies as st

from refdata.bronze.hashing import body_sha256
from refdata.bronze.rows import (
    TICK,
    backfill_poll_id,
    contents_of,
    next_recorded_at,
    plan_poll,
    quarantine_row,
    scheduled_poll_id,
)

# ---- poll ids -------------------------------------------------------------------------------


def test_scheduled_poll_id_is_venue_and_interval_start_in_utc() -> None:
    assert scheduled_poll_id("binance-spot", datetime(2024, 3, 1, 10)) == "binance-spot/20240301T100000Z"
    paris = timezone(timedelta(hours=2))
    assert scheduled_poll_id("okx-spot", datetime(2024, 3, 1, 12, 0, 5, tzinfo=paris)) == "okx-spot/20240301T100005Z"


def test_second_endpoint_of_a_venue_gets_a_suffix() -> None:
    assert scheduled_poll_id("kraken-spot", datetime(2024, 3, 1, 10), "assets") == "kraken-spot/20240301T100000Z/assets"


def test_backfill_poll_id_is_venue_and_capture_hash_prefix() -> None:
    sha = "0123456789abcdef" + "f" * 48
    assert backfill_poll_id("deribit-option", sha) == "backfill/deribit-option/0123456789abcdef"
    with pytest.raises(ValueError):
        backfill_poll_id("deribit-option", "abc")


# ---- recorded_at ---------------------------------------------------------------------------


def test_recorded_at_is_the_wall_clock_when_it_moves_forward() -> None:
    assert next_recorded_at(datetime(2024, 1, 1, 10), datetime(2024, 1, 1, 9)) == datetime(2024, 1, 1, 10)
    assert next_recorded_at(datetime(2024, 1, 1, 10), None) == datetime(2024, 1, 1, 10)


def test_recorded_at_never_goes_back_nor_repeats() -> None:
    previous = datetime(2024, 1, 1, 10, 0, 0, 500)
    assert next_recorded_at(datetime(2024, 1, 1, 9, 59), previous) == previous + timedelta(microseconds=1)
    assert next_recorded_at(previous, previous) == datetime(2024, 1, 1, 10, 0, 0, 501)


def test_recorded_at_of_an_aware_clock_is_naive_utc() -> None:
    now = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert next_recorded_at(now, None) == datetime(2024, 1, 1, 10)


@given(st.lists(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)), min_size=1, max_size=30))
def test_recorded_at_is_strictly_increasing_whatever_the_clock_does(clock: list[datetime]) -> None:
    previous = None
    for now in clock:
        recorded = next_recorded_at(now, previous)
        assert recorded >= now
        if previous is not None:
            assert recorded > previous and (recorded == now or recorded == previous + TICK)
        previous = recorded


# ---- the dedup decision --------------------------------------------------------------------


def test_a_first_poll_stores_every_body() -> None:
    p = poll(page(binance_body()))
    plan = plan_poll(p, contents_of(p), {}, "w1")
    (only,) = plan.pages
    assert only.store_body and only.stored_body_sha256 == only.body_sha256 == body_sha256(p.pages[0].body)
    assert plan.new_body_bytes == len(p.pages[0].body)


def test_an_unchanged_poll_with_a_new_server_time_stores_no_body() -> None:
    first = poll(page(binance_body(server_time=1)))
    first_plan = plan_poll(first, contents_of(first), {}, "w1")
    stored = {pp.content_sha256: pp.body_sha256 for pp in first_plan.new_bodies}

    later = poll(page(binance_body(server_time=3_600_001)), poll_id="binance-spot/20240101T110000Z")
    plan = plan_poll(later, contents_of(later), stored, "w2")
    (only,) = plan.pages
    assert only.body_sha256 != first_plan.pages[0].body_sha256
    assert not only.store_body
    assert only.stored_body_sha256 == first_plan.pages[0].body_sha256
    assert plan.new_body_bytes == 0 and plan.bodies_rows(datetime(2024, 1, 1)) == []


def test_a_changed_tick_size_stores_a_new_body() -> None:
    first = poll(page(binance_body()))
    stored = {pp.content_sha256: pp.body_sha256 for pp in plan_poll(first, contents_of(first), {}, "w1").pages}
    changed = poll(page(binance_body(symbols=[binance_symbol("BTCUSDT", "0.1"), binance_symbol("ETHUSDT")])))
    plan = plan_poll(changed, contents_of(changed), stored, "w2")
    assert [pp.store_body for pp in plan.pages] == [True]


def test_identical_pages_within_one_poll_store_one_body() -> None:
    empty = dumps({"jsonrpc": "2.0", "result": [], "usIn": 1})
    empty_later = dumps({"jsonrpc": "2.0", "result": [], "usIn": 2})
    future = dumps({"jsonrpc": "2.0", "result": [{"instrument_name": "BTC-PERPETUAL"}], "usIn": 3})
    path = "/api/v2/public/get_instruments"
    p = poll(page(future, path, {"currency": "BTC"}), page(empty, path, {"currency": "USDC"}),
             page(empty_later, path, {"currency": "EURR"}),
             venue="deribit-future", poll_id="deribit-future/20240101T100000Z", endpoint=f"GET {path}")
    plan = plan_poll(p, contents_of(p), {}, "w1")
    assert [pp.store_body for pp in plan.pages] == [True, True, False]
    assert plan.pages[2].stored_body_sha256 == plan.pages[1].body_sha256
    assert len(plan.bodies_rows(datetime(2024, 1, 1))) == 2


def test_real_capture_unchanged_poll_keeps_no_body_bytes() -> None:
    raw = capture_bytes(BINANCE_SPOT_FILE)
    noisy_payload = capture_json(BINANCE_SPOT_FILE)
    noisy_payload["serverTime"] += 3_600_000
    first, later = poll(page(raw)), poll(page(dumps(noisy_payload)), poll_id="binance-spot/20240101T110000Z")
    stored = {pp.content_sha256: pp.body_sha256 for pp in plan_poll(first, contents_of(first), {}, "a").pages}
    plan = plan_poll(later, contents_of(later), stored, "b")
    assert plan.new_body_bytes == 0
    assert later.raw_bytes > 2_700_000


# ---- rows ----------------------------------------------------------------------------------


def test_rows_of_a_poll_with_a_discovery_page() -> None:
    path = "/api/v5/public/instruments"
    families = dumps({"code": "0", "data": [["BTC-USD"]], "msg": ""})
    options = dumps({"code": "0", "data": [{"instId": "BTC-USD-240329-60000-C", "instType": "OPTION"}], "msg": ""})
    p = poll(
        page(families, "/api/v5/public/underlying", {"instType": "OPTION"}, role="discovery"),
        page(options, path, {"instType": "OPTION", "instFamily": "BTC-USD"}, headers={"date": "Mon, 01 Jan 2024 10:00:00 GMT"}),
        venue="okx-option", poll_id="okx-option/20240101T100000Z", endpoint=f"GET {path}",
        request_params={"instType": "OPTION"}, instrument_count=1,
    )
    recorded = datetime(2024, 1, 1, 10, 0, 3)
    plan = plan_poll(p, contents_of(p), {}, "write-1")
    responses = plan.responses_rows(recorded)
    assert [(r["page_no"], r["role"], r["path"]) for r in responses] == [
        (0, "discovery", "/api/v5/public/underlying"), (1, "listing", path)]
    assert json.loads(responses[1]["params"]) == {"instFamily": "BTC-USD", "instType": "OPTION"}
    assert json.loads(responses[1]["headers"]) == {"date": "Mon, 01 Jan 2024 10:00:00 GMT"}
    assert all(r["write_id"] == "write-1" and r["recorded_at"] == recorded for r in responses)
    assert responses[1]["size_bytes"] == len(options)

    bodies = plan.bodies_rows(recorded)
    assert [b["body"] for b in bodies] == [families, options]
    assert all(b["venue"] == "okx-option" and b["first_poll_id"] == "okx-option/20240101T100000Z" for b in bodies)

    row = plan.poll_row(recorded, stored_bytes=1234)
    assert row == {
        "poll_id": "okx-option/20240101T100000Z", "write_id": "write-1", "venue": "okx-option",
        "endpoint": f"GET {path}", "request_params": '{"instType":"OPTION"}', "status": "complete",
        "observed_at": datetime(2024, 1, 1, 10), "recorded_at": recorded,
        "run_id": "scheduled__2024-01-01T10:00:00+00:00", "client_version": "refdata/test",
        "page_count": 1, "raw_bytes": len(families) + len(options), "stored_bytes": 1234,
        "instrument_count": 1, "content_sha256": contents_of(p).poll, "source": "poll",
        "capture_file": None, "complete_listing": True,
    }
    # The poll's content is its listing pages only.
    without_discovery = poll(p.pages[1], venue="okx-option", endpoint=f"GET {path}")
    assert contents_of(without_discovery).poll == row["content_sha256"]


def test_quarantine_row() -> None:
    row = quarantine_row(
        poll_id="binance-spot/20240101T100000Z", venue="binance-spot", endpoint="/api/v3/exchangeInfo",
        request_params={}, error="binance-spot GET /api/v3/exchangeInfo: truncated JSON", body=b'{"sym',
        request="GET /api/v3/exchangeInfo", recorded_at=datetime(2024, 1, 1), run_id="r", source="poll",
    )
    assert row["endpoint"] == "GET /api/v3/exchangeInfo" and row["body"] == b'{"sym'
    assert row["request_params"] == "{}" and row["capture_file"] is None
