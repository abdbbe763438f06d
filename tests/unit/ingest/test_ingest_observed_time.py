"""Exchange time of an observation: payload server time, else Date header, else poll time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from refdata.ingest.observed_time import from_epoch, http_date, observed_at, payload_server_time

POLL = datetime(2026, 1, 2, 3, 4, 5)
DATE = {"Date": "Tue, 11 Mar 2025 08:09:10 GMT"}


@pytest.mark.parametrize(
    ("venue", "payload", "expected"),
    [
        ("binance-spot", {"serverTime": 1518230425348, "symbols": []}, datetime(2018, 2, 10, 2, 40, 25, 348000)),
        ("binance-coinm", {"serverTime": 1760076014566}, datetime(2025, 10, 10, 6, 0, 14, 566000)),
        ("bybit-linear", {"retCode": 0, "time": 1694668718723}, datetime(2023, 9, 14, 5, 18, 38, 723000)),
        # µs exactly, no float rounding
        ("deribit-option", {"result": [], "usIn": 1762424969095477}, datetime(2025, 11, 6, 10, 29, 29, 95477)),
    ],
)
def test_payload_server_time_wins(venue: str, payload: dict, expected: datetime) -> None:
    assert observed_at(venue, [payload], DATE, POLL) == expected
    assert observed_at(venue, [json.dumps(payload).encode()], DATE, POLL) == expected


@pytest.mark.parametrize("venue", ["okx-swap", "kraken-spot", "coinbase-spot"])
def test_exchanges_without_server_time_use_the_date_header(venue: str) -> None:
    payload = {"code": "0", "data": [], "time": 1694668718723, "serverTime": 1}  # ignored keys
    assert observed_at(venue, [payload], DATE, POLL) == datetime(2025, 3, 11, 8, 9, 10)


def test_falls_back_to_poll_time_naive_utc() -> None:
    assert observed_at("okx-spot", [{}], {}, POLL) == POLL
    aware = datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert observed_at("okx-spot", [{}], None, aware) == POLL


def test_unparseable_body_or_missing_time_falls_back() -> None:
    assert observed_at("binance-spot", [b"<html>"], DATE, POLL) == datetime(2025, 3, 11, 8, 9, 10)
    assert observed_at("bybit-spot", [{"retCode": 0}], None, POLL) == POLL
    assert observed_at("bybit-spot", [], None, POLL) == POLL


def test_first_page_governs_a_paged_listing() -> None:
    pages = [{"time": 1694668718000}, {"time": 1694668719000}]
    assert observed_at("bybit-option", pages, None, POLL) == datetime(2023, 9, 14, 5, 18, 38)


def test_http_date_forms() -> None:
    assert http_date({"date": "Sun, 06 Nov 1994 08:49:37 GMT"}) == datetime(1994, 11, 6, 8, 49, 37)
    assert http_date({"Date": "Sun, 06 Nov 1994 10:49:37 +0200"}) == datetime(1994, 11, 6, 8, 49, 37)
    assert http_date({"Date": "yesterday"}) is None
    assert http_date({}) is None


def test_helpers() -> None:
    assert from_epoch(1, 1_000) == datetime(1970, 1, 1, 0, 0, 0, 1000)
    assert payload_server_time("binance", {"serverTime": "1518230425348"}) == datetime(2018, 2, 10, 2, 40, 25, 348000)
    assert payload_server_time("binance", {"serverTime": True}) is None
    assert payload_server_time("okx", {"serverTime": 1}) is None
