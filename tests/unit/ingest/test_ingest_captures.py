"""The capture catalog: every file of PROVENANCE.md, its endpoint, params, venues and time."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from refdata.captures import captures_for_venue, load_catalog, name_date, provenance
from refdata.errors import ConfigurationError
from refdata.settings import get_settings
from refdata.venues import VENUES

CAPTURES = get_settings().captures_dir
pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason="exchange captures not present")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CAPTURES)


def by_name(catalog, name: str):
    (found,) = [c for c in catalog if c.name == name]
    return found


def test_every_provenance_file_is_catalogued_and_nothing_else(catalog) -> None:
    listed = provenance(CAPTURES)
    assert len(listed) == 47
    assert {c.rel for c in catalog} == set(listed)
    for c in catalog:
        assert c.path.is_file()
        assert c.sha256().startswith(listed[c.rel]["sha256 (first 16)"].strip("`"))


def test_sorted_by_capture_time(catalog) -> None:
    times = [c.captured_at for c in catalog]
    assert times == sorted(times)
    assert catalog[0].rel == "kraken/0-public-AssetPairs/2013-11-22-knowm-XChange.json"
    assert catalog[-1].family == "deribit"


def test_payload_times_agree_with_provenance(catalog) -> None:
    listed = provenance(CAPTURES)
    payload_timed = [c for c in catalog if c.time_source.startswith("payload:")]
    assert {c.family for c in payload_timed} == {"binance", "bybit", "deribit"}
    assert len(payload_timed) == 28
    for c in payload_timed:
        stated = re.match(r"(\S+Z)", listed[c.rel]["capture date (how known)"]).group(1)
        assert c.captured_at.replace(microsecond=0) == datetime.fromisoformat(stated[:-1]), c.rel


@pytest.mark.parametrize(
    ("name", "expected", "source"),
    [
        ("2022-11-03T1928Z-SM2A.json", datetime(2022, 11, 3, 19, 28, 6, 409000), "payload:serverTime"),
        ("2023-09-14-nautilus-option.json", datetime(2023, 9, 14, 5, 30, 49, 37000), "payload:time"),
        ("2025-11-06-farshadnassiri-Quant-Project.json", datetime(2025, 11, 6, 10, 29, 29, 95477), "payload:usIn"),
        ("2018-08-10-knowm-XChange.json", datetime(2018, 8, 10), "file name"),
        ("2021-07-est-ukd1-crypto-prices.json", datetime(2021, 7, 1), "file name"),
        ("2021-03-12to19-LeChinok-Crypto-Quoting-Engine.json", datetime(2021, 3, 12), "file name"),
        ("2025-10-02-eduDorus-arkin-SWAP.json", datetime(2025, 10, 2), "file name"),
    ],
)
def test_capture_times(catalog, name: str, expected: datetime, source: str) -> None:
    c = by_name(catalog, name)
    assert (c.captured_at, c.time_source) == (expected, source)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2018-08-10-knowm-XChange.json", datetime(2018, 8, 10)),
        ("2021-07-est-ukd1-crypto-prices.json", datetime(2021, 7, 1)),
        ("2021-03-12to19-LeChinok.json", datetime(2021, 3, 12)),
        ("2022-11-03T1928Z-SM2A.json", datetime(2022, 11, 3, 19, 28)),
    ],
)
def test_name_date(name: str, expected: datetime) -> None:
    assert name_date(name) == expected


def test_name_without_date_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="does not start with"):
        name_date("exchangeInfo.json")


def test_endpoints_params_and_venues(catalog) -> None:
    linear = by_name(catalog, "2023-09-14-nautilus-linear.json")
    assert (linear.http_path, dict(linear.params), linear.venues) == (
        "/v5/market/instruments-info", {"category": "linear"}, ("bybit-linear",))
    swap = by_name(catalog, "2025-10-02-eduDorus-arkin-SWAP.json")
    assert (swap.http_path, dict(swap.params), swap.venues) == (
        "/api/v5/public/instruments", {"instType": "SWAP"}, ("okx-swap",))
    assert by_name(catalog, "2025-07-13-nautilus-MARGIN.json").venues == ()
    deribit = by_name(catalog, "2025-11-06-farshadnassiri-Quant-Project.json")
    assert (dict(deribit.params), deribit.venues) == ({}, ("deribit-future", "deribit-option"))
    legacy = by_name(catalog, "2021-03-12to19-LeChinok-Crypto-Quoting-Engine.json")
    assert (legacy.http_path, legacy.venues) == ("/api/futures/v3/instruments", ("okx-futures",))
    assets = [c for c in catalog if c.http_path == "/0/public/Assets"]
    assert len(assets) == 3 and all(c.venues == ("kraken-spot",) for c in assets)


def test_full_or_partial_from_provenance(catalog) -> None:
    assert by_name(catalog, "2024-09-08-davijr-robo-investimentos.json").full is False
    assert by_name(catalog, "2022-11-03T1928Z-SM2A.json").full is True
    assert all(c.full is False for c in catalog if c.family == "bybit")


def test_every_venue_but_bybit_inverse_has_captures(catalog) -> None:
    missing = {v for v in VENUES if not captures_for_venue(catalog, v)}
    assert missing == {"bybit-inverse"}
    assert len(captures_for_venue(catalog, "binance-spot")) == 12
    assert len(captures_for_venue(catalog, "binance-usdm")) == 10
