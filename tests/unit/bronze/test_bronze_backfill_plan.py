"""Which captures a backfill loads, in which order, and the polls it makes of them."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from bronze_support import CAPTURES

from refdata.bronze.backfill import (
    BACKFILL_CLIENT_VERSION,
    BackfillItem,
    parse_when,
    plan_backfill,
    poll_from_capture,
    render_plan,
    select_captures,
)
from refdata.captures import load_catalog
from refdata.errors import ConfigurationError

pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason="exchange captures not present")


def test_every_capture_of_a_venue_once_in_capture_time_order() -> None:
    catalog = load_catalog(CAPTURES)
    pairs = select_captures(catalog)
    # Every (file, venue) pair of the catalog, each once: OKX MARGIN serves no venue, Deribit two.
    expected = sorted((c.rel, v) for c in catalog for v in c.venues)
    assert sorted((c.rel, v) for c, v in pairs) == expected
    assert len(pairs) == 47
    times = [c.captured_at for c, _ in pairs]
    assert times == sorted(times)
    deribit = [v for c, v in pairs if c.family == "deribit"]
    assert deribit == ["deribit-future", "deribit-option"]


def test_venue_filter_and_half_open_window() -> None:
    catalog = load_catalog(CAPTURES)
    pairs = select_captures(catalog, ["binance-spot"], datetime(2022, 11, 3), datetime(2022, 11, 8, 1, 17, 23, 446000))
    assert [c.name for c, _ in pairs] == ["2022-11-03T1928Z-SM2A.json", "2022-11-04T1843Z-SM2A.json"]
    assert {v for _, v in pairs} == {"binance-spot"}


def test_unknown_venue_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown venue"):
        select_captures(load_catalog(CAPTURES), ["binance-margin"])


def test_parse_when() -> None:
    assert parse_when("2022-11-03T19:28:00Z") == datetime(2022, 11, 3, 19, 28)
    assert parse_when("2022-11-03T21:28:00+02:00") == datetime(2022, 11, 3, 19, 28)
    assert parse_when("2022-11-03") == datetime(2022, 11, 3)
    assert parse_when(None) is None and parse_when("") is None
    with pytest.raises(ConfigurationError, match="ISO 8601"):
        parse_when("yesterday")


def test_plan_and_polls_of_captures() -> None:
    items = plan_backfill(CAPTURES, venues=["coinbase-spot", "okx-futures"])
    assert [(i.venue, i.capture.name) for i in items] == [
        ("coinbase-spot", "2018-08-10-knowm-XChange.json"),
        ("okx-futures", "2021-03-12to19-LeChinok-Crypto-Quoting-Engine.json"),
        ("coinbase-spot", "2021-07-est-ukd1-crypto-prices.json"),
        ("okx-futures", "2025-07-13-nautilus-FUTURES.json"),
    ]
    partial = items[3]
    sha = hashlib.sha256(partial.capture.path.read_bytes()).hexdigest()
    assert partial.poll_id == f"backfill/okx-futures/{sha[:16]}"

    p = poll_from_capture(partial, run_id="cli:test")
    assert p.poll_id == partial.poll_id and p.source == "backfill"
    assert p.observed_at == datetime(2025, 7, 13) == p.pages[0].fetched_at
    assert p.endpoint == "GET /api/v5/public/instruments" and dict(p.request_params) == {"instType": "FUTURES"}
    assert p.capture_file == "okx/api-v5-public-instruments/2025-07-13-nautilus-FUTURES.json"
    assert p.complete_listing is False  # PROVENANCE.md: partial
    assert p.client_version == BACKFILL_CLIENT_VERSION
    assert p.pages[0].body == partial.capture.path.read_bytes()
    assert poll_from_capture(items[1], "r").endpoint == "GET /api/futures/v3/instruments"  # legacy OKEx v3

    text = render_plan([items[0], BackfillItem(items[1].capture, items[1].venue, items[1].sha256, loaded=True)])
    lines = text.splitlines()
    assert "to load" in lines[2] and "coinbase/products/2018-08-10-knowm-XChange.json" in lines[2]
    assert "already loaded" in lines[3]
    assert lines[-1] == "2 poll(s) planned: 1 to load, 1 already in bronze"
