"""Hourly ingest into bronze from the test stack's replay server: one complete poll per venue,
idempotent re-runs, content dedup of unchanged polls, and bronze read back through Trino."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from tests.integration.bronze_support import CLOCK, bronze_store, counts, replay, rows, snapshot_counts  # noqa: F401

from refdata.bronze.rows import PageIn, PollIn, scheduled_poll_id
from refdata.bronze.writer import ingest_venue, write_poll
from refdata.captures import load_catalog
from refdata.ingest import ExchangeClient, FetchError
from refdata.parsing import parse_listing
from refdata.settings import Fetch
from refdata.venues import KRAKEN_ASSETS_PATH, VENUES

pytestmark = pytest.mark.integration

HOUR = datetime(2031, 1, 1, 10)


def fast(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"fetch": Fetch(max_attempts=2, backoff_initial_s=0.05, timeout_s=10)})


def latest_capture(settings, venue: str, path: str):  # type: ignore[no-untyped-def]
    found = [c for c in load_catalog(settings.captures_dir)
             if venue in c.venues and c.http_path == path and c.captured_at <= CLOCK]
    return found[-1] if found else None


def test_ingest_every_venue_rerun_and_unchanged_poll(settings, replay, bronze_store, trino_cursor) -> None:  # noqa: F811
    store, config = bronze_store, fast(settings)
    expected = {v: latest_capture(settings, v, VENUES[v].path) for v in settings.venues}
    expected = {v: c for v, c in expected.items() if c is not None}
    assert "bybit-inverse" not in expected and len(expected) == 14  # no bybit inverse capture exists

    # 1. first run: every venue with a capture at the clock gets one complete poll
    failures = {}
    for venue in settings.venues:
        try:
            ingest_venue(venue, config, interval_start=HOUR, run_id="test-run-1", store=store)
        except FetchError as error:
            failures[venue] = str(error)
    assert set(failures) == {"bybit-inverse"} and "HTTP 404" in failures["bybit-inverse"]
    polls = {r["poll_id"]: r for r in rows(store, "polls")}
    assets_id = scheduled_poll_id("kraken-spot", HOUR, "assets")
    assert set(polls) == {scheduled_poll_id(v, HOUR) for v in expected} | {assets_id}
    for venue, capture in expected.items():
        row = polls[scheduled_poll_id(venue, HOUR)]
        assert (row["venue"], row["status"], row["source"], row["run_id"]) == (venue, "complete", "poll", "test-run-1")
        assert row["endpoint"] == VENUES[venue].endpoint
        assert row["observed_at"] == capture.captured_at, venue  # exchange clock (payload or Date)
        assert row["complete_listing"] is True and row["capture_file"] is None
        assert row["instrument_count"] == len(parse_listing(venue, capture.endpoint, [capture.read_bytes()]))
    assert polls[scheduled_poll_id("binance-spot", HOUR)]["instrument_count"] == 1248
    assert polls[scheduled_poll_id("deribit-option", HOUR)]["page_count"] == len(config.fetch.deribit_currencies)
    assets = polls[assets_id]
    assert (assets["endpoint"], assets["instrument_count"]) == (f"GET {KRAKEN_ASSETS_PATH}", 271)
    responses = rows(store, "responses")
    for poll_id, row in polls.items():
        mine = [r for r in responses if r["poll_id"] == poll_id]
        assert {r["write_id"] for r in mine} == {row["write_id"]}
        assert sum(r["role"] == "listing" for r in mine) == row["page_count"]
        assert sum(r["size_bytes"] for r in mine) == row["raw_bytes"]
    bodies = {r["body_sha256"] for r in rows(store, "bodies")}
    assert {r["stored_body_sha256"] for r in responses} <= bodies
    assert counts(store)["quarantine"] == 0

    # 2. the same interval again: nothing fetched, nothing written, no snapshot
    before, snaps = counts(store), snapshot_counts(store)

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"fetched {request.url} for an interval already in bronze")

    with ExchangeClient(config, transport=httpx.MockTransport(no_network)) as offline:
        for venue in expected:
            outcomes = ingest_venue(venue, config, interval_start=HOUR, run_id="test-run-2", store=store, client=offline)
            assert [o.written for o in outcomes] == [False] * len(outcomes)
    assert counts(store) == before and snapshot_counts(store) == snaps

    # 3. the next hour, nothing changed at the exchanges: new polls, no new body
    later = HOUR + timedelta(hours=1)
    for venue in expected:
        for outcome in ingest_venue(venue, config, interval_start=later, run_id="test-run-3", store=store):
            assert outcome.written and outcome.new_bodies == 0, outcome
    after = counts(store)
    assert after["bodies"] == before["bodies"]
    assert after["polls"] == before["polls"] + len(expected) + 1
    spot = next(r for r in rows(store, "polls") if r["poll_id"] == scheduled_poll_id("binance-spot", later))
    assert spot["raw_bytes"] > 4_000_000
    assert 0 < spot["stored_bytes"] <= 0.05 * spot["raw_bytes"]
    first = polls[scheduled_poll_id("binance-spot", HOUR)]
    assert spot["content_sha256"] == first["content_sha256"]
    assert spot["recorded_at"] > first["recorded_at"]

    # 4. read back through Trino, the way silver will: trusted responses → stored bodies
    ns = store.namespace
    trino_cursor.execute(
        f"SELECT venue, count(*), min(status), max(status) FROM {ns}.polls GROUP BY venue ORDER BY venue")
    by_venue = {r[0]: r[1:] for r in trino_cursor.fetchall()}
    assert by_venue == {v: [4 if v == "kraken-spot" else 2, "complete", "complete"] for v in expected}
    trino_cursor.execute(
        f"""SELECT b.body FROM {ns}.polls p
            JOIN {ns}.responses r ON r.poll_id = p.poll_id AND r.write_id = p.write_id
            JOIN {ns}.bodies b ON b.body_sha256 = r.stored_body_sha256
            WHERE p.poll_id = ? AND r.role = 'listing' ORDER BY r.page_no""",
        [scheduled_poll_id("binance-spot", later)],
    )
    bodies_read = [bytes(r[0]) for r in trino_cursor.fetchall()]
    assert len(parse_listing("binance-spot", "GET /api/v3/exchangeInfo", bodies_read)) == 1248


def test_unchanged_content_with_new_server_time_stores_no_body(settings, bronze_store) -> None:  # noqa: F811
    """Binance bodies differ every poll (serverTime); content dedup still stores one body."""
    import json

    store = bronze_store
    capture = next(c for c in load_catalog(settings.captures_dir) if c.name == "2022-11-03T1928Z-SM2A.json")
    raw = capture.read_bytes()
    payload = json.loads(raw)

    def make(poll_id: str, body: bytes, observed: datetime) -> PollIn:
        page = PageIn("/api/v3/exchangeInfo", {}, 200, {}, body, observed)
        return PollIn(poll_id, "binance-spot", "GET /api/v3/exchangeInfo", {}, observed, "test-noise",
                      "refdata/test", "poll", (page,), 0)

    first = write_poll(store, make("binance-spot/20320101T000000Z", raw, capture.captured_at))
    bodies_before = counts(store)["bodies"]
    payload["serverTime"] += 3_600_000
    payload["rateLimits"][0]["limit"] = 1200
    noisy = json.dumps(payload, separators=(",", ":")).encode()
    # A wall clock that went back an hour: recorded_at still moves forward.
    clock_back = lambda: first.recorded_at - timedelta(hours=1)  # noqa: E731
    second = write_poll(store, make("binance-spot/20320101T010000Z", noisy, capture.captured_at + timedelta(hours=1)),
                        now=clock_back)
    assert first.new_bodies == 1 and second.new_bodies == 0
    assert counts(store)["bodies"] == bodies_before
    assert second.recorded_at > first.recorded_at
    assert second.stored_bytes <= 0.05 * second.raw_bytes
    (response,) = rows(store, "responses", _eq("poll_id", "binance-spot/20320101T010000Z"))
    assert response["body_sha256"] != response["stored_body_sha256"]
    (kept,) = rows(store, "bodies", _eq("body_sha256", response["stored_body_sha256"]))
    assert kept["body"] == raw and kept["first_poll_id"] == "binance-spot/20320101T000000Z"


def _eq(column: str, value: str):  # type: ignore[no-untyped-def]
    from pyiceberg.expressions import EqualTo

    return EqualTo(column, value)
