"""Injected faults that are not retried away end in bronze.quarantine, fail with a message
naming venue, endpoint and problem, and leave nothing of the poll in the other tables."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pyiceberg.expressions import EqualTo

from refdata.bronze.rows import scheduled_poll_id
from refdata.bronze.writer import QuarantinedResponse, ingest_venue
from refdata.settings import Fetch
from tests.integration.bronze_support import bronze_store, counts, replay, rows  # noqa: F401

pytestmark = pytest.mark.integration

BASE = datetime(2033, 1, 1)


def _capture(rel: str) -> bytes:
    from refdata.settings import get_settings

    return (get_settings().captures_dir / rel).read_bytes()

FAULTS = [
    # (venue, fault, problem expected in the message, check of the quarantined body)
    ("binance-spot", {"path": "/api/v3/exchangeInfo", "kind": "truncated"}, "truncated JSON",
     lambda body: body == _capture("binance/api-v3-exchangeInfo/2024-09-08-davijr-robo-investimentos.json")[:4076849 // 2]),
    ("coinbase-spot", {"path": "/products", "kind": "html"}, "HTML",
     lambda body: body.startswith(b"<!DOCTYPE html>")),
    ("binance-usdm", {"path": "/fapi/v1/exchangeInfo", "kind": "rename_field", "rename_from": "tickSize",
                      "rename_to": "tick_size"}, "tickSize missing",
     lambda body: b'"tick_size"' in body and b'"tickSize"' not in body),
    ("deribit-future", {"path": "/api/v2/public/get_instruments", "kind": "truncated",
                        "params": {"currency": "ETH", "kind": "future"}}, "truncated JSON",
     lambda body: body.startswith(b'{"jsonrpc"') and b"ETH-" in body and b"BTC-" not in body),
    ("bybit-linear", {"path": "/v5/market/instruments-info", "kind": "stuck_cursor", "count": 20,
                      "params": {"category": "linear"}}, "repeated",
     lambda body: b'"nextPageCursor"' in body),
    ("okx-swap", {"path": "/api/v5/public/instruments", "kind": "rename_field", "rename_from": "tickSz",
                  "rename_to": "tick_sz", "params": {"instType": "SWAP"}}, "tickSz missing",
     lambda body: b'"tick_sz"' in body),
]


def fast(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"fetch": Fetch(max_attempts=2, backoff_initial_s=0.05, timeout_s=10,
                                                      bybit_page_limit=1)})


@pytest.mark.parametrize(("venue", "fault", "problem", "body_check"), FAULTS, ids=[f[0] + "-" + f[1]["kind"] for f in FAULTS])
def test_fault_is_quarantined_and_nothing_partial_is_written(
    settings, replay, bronze_store, venue, fault, problem, body_check  # noqa: F811
) -> None:
    store = bronze_store
    hour = BASE + timedelta(hours=[f[0] for f in FAULTS].index(venue))
    poll_id = scheduled_poll_id(venue, hour)
    before = counts(store)
    replay.fault(**fault)

    with pytest.raises(QuarantinedResponse) as caught:
        ingest_venue(venue, fast(settings), interval_start=hour, run_id="test-faults", store=store)
    replay.clear_faults()

    endpoint = f"GET {fault['path']}"
    message = str(caught.value)
    assert message.startswith(f"{venue} {endpoint}: ") and problem in message, message
    assert poll_id in message

    (row,) = rows(store, "quarantine", EqualTo("poll_id", poll_id))
    assert (row["venue"], row["endpoint"], row["run_id"], row["source"]) == (venue, endpoint, "test-faults", "poll")
    assert row["error"] == f"{venue} {endpoint}: {caught.value.problem}" and problem in row["error"]
    assert row["body"] is not None and body_check(row["body"]), row["body"][:200]
    assert row["request"].startswith(endpoint)
    if "params" in fault and "currency" in fault["params"]:
        assert "currency=ETH" in row["request"]  # the page that failed, not the first one

    for table in ("polls", "responses"):
        assert rows(store, table, EqualTo("poll_id", poll_id)) == []
    assert rows(store, "bodies", EqualTo("first_poll_id", poll_id)) == []
    after = counts(store)
    assert after == {**before, "quarantine": before["quarantine"] + 1}


def test_a_fault_retried_away_is_not_quarantined(settings, replay, bronze_store) -> None:  # noqa: F811
    store = bronze_store
    hour = BASE + timedelta(days=1)
    replay.fault(path="/dapi/v1/exchangeInfo", kind="500", count=1)
    replay.fault(path="/products", kind="429", count=1, retry_after="0")
    for venue in ("binance-coinm", "coinbase-spot"):
        (outcome,) = ingest_venue(venue, fast(settings), interval_start=hour, run_id="test-faults", store=store)
        assert outcome.written
        assert rows(store, "quarantine", EqualTo("poll_id", scheduled_poll_id(venue, hour))) == []


def test_a_quarantined_poll_succeeds_on_retry_once_the_fault_is_gone(settings, replay, bronze_store) -> None:  # noqa: F811
    store = bronze_store
    hour = BASE + timedelta(days=2)
    replay.fault(path="/0/public/Assets", kind="truncated")
    with pytest.raises(QuarantinedResponse, match=r"^kraken-spot GET /0/public/Assets: truncated JSON"):
        ingest_venue("kraken-spot", fast(settings), interval_start=hour, run_id="try-1", store=store)
    assert rows(store, "polls", EqualTo("venue", "kraken-spot")) == []  # the pairs were not polled either
    outcomes = ingest_venue("kraken-spot", fast(settings), interval_start=hour, run_id="try-2", store=store)
    assert [(o.poll_id, o.written) for o in outcomes] == [
        (scheduled_poll_id("kraken-spot", hour, "assets"), True), (scheduled_poll_id("kraken-spot", hour), True)]
    (q,) = rows(store, "quarantine", EqualTo("venue", "kraken-spot"))
    assert q["run_id"] == "try-1"
