"""The production clients against the real replay server (uvicorn on 127.0.0.1, in a thread).

No external network and no local stack: the replay serves the recorded captures at the
exchanges' own paths; faults are injected through its control API. Backoff sleeps are fake
(recorded, not slept); only the client timeout test spends real time (< 1 s).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from refdata.errors import IncompleteListing, MalformedResponse
from refdata.ingest import ExchangeClient, FetchError, fetch_kraken_assets, fetch_listing
from refdata.replay import ReplayServer, ReplayState, create_app
from refdata.settings import Fetch, Settings, get_settings
from refdata.venues import VENUES, FanOut, Pagination

CAPTURES = get_settings().captures_dir
pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason="exchange captures not present")


@dataclass
class Replay:
    url: str
    state: ReplayState
    newest: datetime

    http: httpx.Client

    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.http.request(method, f"{self.url}/_replay/{path}", json=body)

    def fault(self, **spec: Any) -> None:
        assert self.control("POST", "faults", spec).status_code == 200


@dataclass
class Sleeper:
    """Fake time for backoff and rate limiting: sleeping only moves this clock."""

    t: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.t += seconds

    def monotonic(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def replay() -> Iterator[Replay]:
    app = create_app(CAPTURES, hang_s=5.0)
    state: ReplayState = app.state.replay
    with ReplayServer(app) as url, httpx.Client(timeout=5) as http:
        yield Replay(url, state, state.clock, http)


@pytest.fixture(autouse=True)
def _reset(replay: Replay) -> Iterator[None]:
    yield
    replay.state.faults.clear()
    replay.state.set_clock(replay.newest)


def client(url: str, sleeper: Sleeper, **fetch: Any) -> tuple[Settings, ExchangeClient]:
    options = {"timeout_s": 5.0, "max_attempts": 3, "backoff_initial_s": 1.0, "bybit_page_limit": 1, **fetch}
    settings = Settings(replay_base_url=url, fetch=Fetch(**options))
    return settings, ExchangeClient(settings, sleep=sleeper.sleep, monotonic=sleeper.monotonic,
                                    rand=lambda: 0.5)


def fetch(replay: Replay, venue: str, **fetch_options: Any):
    sleeper = Sleeper()
    settings, c = client(replay.url, sleeper, **fetch_options)
    with c:
        return fetch_listing(venue, settings, c), sleeper


def items(venue: str, body: bytes) -> list[Any]:
    payload = json.loads(body)
    family = VENUES[venue].family
    return {
        "binance": lambda: payload["symbols"],
        "kraken": lambda: list(payload["result"].values()),
        "bybit": lambda: payload["result"]["list"],
        "coinbase": lambda: payload,
        "okx": lambda: payload["data"],
        "deribit": lambda: payload["result"],
    }[family]()


def expected_items(venue: str, capture_body: bytes) -> list[Any]:
    """What the venue's listing holds, computed from the capture file directly."""
    everything = items(venue, capture_body)
    if venue.startswith("deribit-"):
        return [i for i in everything if i["kind"] == VENUES[venue].params["kind"]]
    return everything


LISTED = sorted(set(VENUES) - {"bybit-inverse"})  # no Bybit inverse capture exists


@pytest.mark.parametrize("venue", LISTED)
def test_every_venue_lists_completely(replay: Replay, venue: str) -> None:
    v = VENUES[venue]
    listing, sleeper = fetch(replay, venue)
    capture = replay.state.select(v.path, dict(listing.pages[0].params))
    assert capture is not None
    raw = capture.read_bytes()

    assert (listing.venue, listing.endpoint, listing.complete) == (venue, f"GET {v.path}", True)
    assert listing.observed_at == capture.captured_at  # payload time, or Date = capture day
    # No retries; only rate-limit waits once the burst is spent (fan-out venues).
    requests = len(listing.pages) + len(listing.discovery)
    slot = round(1 / v.rate_limit.per_second, 6)
    assert sleeper.sleeps == [slot] * max(0, requests - v.rate_limit.burst)
    got = [i for p in listing.pages for i in items(venue, p.body)]
    want = expected_items(venue, raw)
    assert len(got) == len(want) > 0
    key = lambda item: json.dumps(item, sort_keys=True)
    assert sorted(got, key=key) == sorted(want, key=key)  # fan-out regroups, never loses
    for page in listing.pages:
        assert page.http_status == 200 and page.path == v.path
        assert page.headers["content-type"].startswith("application/json")
        assert "date" in page.headers
        assert page.sha256 == hashlib.sha256(page.body).hexdigest()
        assert page.fetched_at <= listing.fetched_at
    if v.fan_out is FanOut.NONE and v.pagination is Pagination.NONE:
        assert [p.body for p in listing.pages] == [raw]  # recorded bytes, untouched
    if v.pagination is Pagination.BYBIT_CURSOR:
        assert len([p for p in listing.pages if items(venue, p.body)]) >= 2  # limit=1
        assert all(p.params["limit"] == "1" for p in listing.pages)
        assert any("cursor" in p.params for p in listing.pages)


def test_okx_option_families_are_discovered_then_fetched(replay: Replay) -> None:
    listing, _ = fetch(replay, "okx-option")
    (discovery,) = listing.discovery
    assert (discovery.path, discovery.params) == ("/api/v5/public/underlying", {"instType": "OPTION"})
    assert json.loads(discovery.body)["data"] == [["BTC-USD"]]
    assert [p.params for p in listing.pages] == [{"instType": "OPTION", "instFamily": "BTC-USD"}]
    assert [i["instId"] for i in items("okx-option", listing.pages[0].body)][:2] == [
        "BTC-USD-241217-92000-C", "BTC-USD-241217-92000-P"]


def test_deribit_is_read_per_currency(replay: Replay) -> None:
    listing, _ = fetch(replay, "deribit-future")
    per_currency = {p.params["currency"]: len(items("deribit-future", p.body)) for p in listing.pages}
    assert per_currency == {"BTC": 8, "ETH": 8, "USDC": 22, "USDT": 0, "EURR": 0}
    assert listing.observed_at == datetime(2025, 11, 6, 10, 29, 29, 95477)  # usIn


def test_bybit_option_is_read_per_base_coin(replay: Replay) -> None:
    listing, _ = fetch(replay, "bybit-option", bybit_page_limit=1000)
    per_coin = {p.params["baseCoin"]: len(items("bybit-option", p.body)) for p in listing.pages}
    assert per_coin == {"BTC": 2, "ETH": 0, "SOL": 0, "XRP": 0, "DOGE": 0, "MNT": 0}


def test_bybit_inverse_without_capture_is_a_404(replay: Replay) -> None:
    with pytest.raises(FetchError) as info:
        fetch(replay, "bybit-inverse")
    assert (info.value.last_status, info.value.attempts) == (404, 1)
    assert '"retCode":10001' in (info.value.last_error or "")


def test_bybit_inverse_against_its_own_capture(tmp_path: Path) -> None:
    # Test-only capture: no real inverse response exists; the linear one stands in for the envelope.
    src = CAPTURES / "bybit/v5-market-instruments-info/2023-09-14-nautilus-linear.json"
    dst = tmp_path / "bybit/v5-market-instruments-info/2023-09-14-test-inverse.json"
    dst.parent.mkdir(parents=True)
    shutil.copy(src, dst)
    with ReplayServer(create_app(tmp_path)) as url:
        sleeper = Sleeper()
        settings, c = client(url, sleeper)
        listing = fetch_listing("bybit-inverse", settings, c)
    assert [p.params.get("cursor") is not None for p in listing.pages] == [False, True]
    assert listing.observed_at == datetime(2023, 9, 14, 5, 18, 38, 723000)


# ---- the replay clock ------------------------------------------------------------------------

def test_clock_selects_the_capture_and_advance_moves_to_the_next(replay: Replay) -> None:
    assert replay.control("PUT", "clock", {"clock": "2022-11-04T00:00:00Z"}).json() == {
        "clock": "2022-11-04T00:00:00"}
    before, _ = fetch(replay, "binance-spot")
    assert before.observed_at == datetime(2022, 11, 3, 19, 28, 6, 409000)

    moved = replay.control("POST", "advance", {"path": "/api/v3/exchangeInfo"}).json()
    assert moved["clock"] == "2022-11-04T18:43:58.884000"
    after, _ = fetch(replay, "binance-spot")
    assert after.observed_at == datetime(2022, 11, 4, 18, 43, 58, 884000)
    symbols = lambda listing: {s["symbol"] for s in items("binance-spot", listing.pages[0].body)}
    assert symbols(before) - symbols(after) == {"AXSBIDR", "NBTBIDR", "NBTUSDT"}


def test_date_header_carries_the_capture_day(replay: Replay) -> None:
    replay.control("POST", "clock", {"clock": "2019-08-10T12:00:00"})
    pairs, _ = fetch(replay, "kraken-spot")
    assert pairs.pages[0].headers["date"] == "Sat, 10 Aug 2019 00:00:00 GMT"
    assert pairs.observed_at == datetime(2019, 8, 10)
    settings, c = client(replay.url, Sleeper())
    assets = fetch_kraken_assets(settings, c)
    assert (assets.endpoint, assets.observed_at) == ("GET /0/public/Assets", datetime(2017, 8, 7))
    assert len(items("kraken-spot", assets.pages[0].body)) == 27


def test_before_any_capture_the_exchange_answers_404(replay: Replay) -> None:
    replay.control("PUT", "clock", {"clock": "2010-01-01T00:00:00Z"})
    with pytest.raises(FetchError) as info:
        fetch(replay, "binance-spot")
    assert (info.value.last_status, info.value.attempts) == (404, 1)
    assert info.value.last_error.startswith('{"code":-1000,"msg":"replay: no capture of GET /api/v3/exchangeInfo')


def test_state_reports_what_each_endpoint_serves(replay: Replay) -> None:
    replay.control("PUT", "clock", {"clock": "2023-09-14T05:20:00Z"})
    state = replay.control("GET", "state").json()
    serving = {(e["path"], tuple(e["params"].items())): e["file"] for e in state["endpoints"]}
    assert serving[("/v5/market/instruments-info", (("category", "spot"),))] == \
        "bybit/v5-market-instruments-info/2023-09-06-knowm-XChange-spot.json"
    assert serving[("/v5/market/instruments-info", (("category", "linear"),))] == \
        "bybit/v5-market-instruments-info/2023-09-14-nautilus-linear.json"
    assert serving[("/v5/market/instruments-info", (("category", "option"),))] is None
    assert state["next_capture_at"] == "2023-09-14T05:26:39.121000"
    replay.state.set_clock(replay.newest)
    assert replay.control("POST", "advance").status_code == 409


# ---- faults ----------------------------------------------------------------------------------

def test_429_with_retry_after_is_retried_and_honoured(replay: Replay) -> None:
    replay.fault(path="/api/v3/exchangeInfo", kind="429", count=2, retry_after="7")
    listing, sleeper = fetch(replay, "binance-spot")
    assert sleeper.sleeps == [7.0, 7.0]
    assert listing.pages[0].body == replay.state.select("/api/v3/exchangeInfo", {}).read_bytes()
    assert replay.control("GET", "faults").json() == []


def test_500_is_retried_with_backoff_then_succeeds(replay: Replay) -> None:
    replay.fault(path="/products", kind="500", count=2)
    listing, sleeper = fetch(replay, "coinbase-spot")
    assert sleeper.sleeps == [0.75, 1.5]  # 1 s then 2 s steps, equal jitter at rand=0.5
    assert len(items("coinbase-spot", listing.pages[0].body)) == 236


def test_html_5xx_page_is_retried(replay: Replay) -> None:
    replay.fault(path="/fapi/v1/exchangeInfo", kind="html", status=503)
    listing, sleeper = fetch(replay, "binance-usdm")
    assert len(sleeper.sleeps) == 1 and listing.complete


def test_timeout_is_retried(replay: Replay) -> None:
    replay.fault(path="/0/public/AssetPairs", kind="timeout", delay_s=2.0)
    listing, sleeper = fetch(replay, "kraken-spot", timeout_s=0.3)
    assert sleeper.sleeps == [0.75]
    assert len(items("kraken-spot", listing.pages[0].body)) == 1218


@pytest.mark.parametrize(
    ("venue", "path", "kind", "problem"),
    [
        ("okx-swap", "/api/v5/public/instruments", "truncated", "truncated JSON"),
        ("binance-coinm", "/dapi/v1/exchangeInfo", "truncated", "truncated JSON"),
        ("deribit-future", "/api/v2/public/get_instruments", "html", "HTML/XML page, not JSON"),
        ("coinbase-spot", "/products", "html", "HTML/XML page, not JSON"),
    ],
)
def test_malformed_bodies_name_venue_and_endpoint(replay: Replay, venue: str, path: str, kind: str,
                                                  problem: str) -> None:
    replay.fault(path=path, kind=kind)
    with pytest.raises(MalformedResponse) as info:
        fetch(replay, venue)
    assert (info.value.venue, info.value.endpoint) == (venue, f"GET {path}")
    assert problem in info.value.problem
    assert not isinstance(info.value, IncompleteListing)


def test_renamed_field_passes_envelope_checks_but_renamed_list_does_not(replay: Replay) -> None:
    replay.fault(path="/fapi/v1/exchangeInfo", kind="rename_field", rename_from="tickSize", rename_to="tick_size")
    listing, _ = fetch(replay, "binance-usdm")
    body = listing.pages[0].body
    assert b'"tick_size"' in body and b'"tickSize"' not in body  # left for the parser to report

    replay.fault(path="/fapi/v1/exchangeInfo", kind="rename_field", rename_from="symbols", rename_to="symbolz")
    with pytest.raises(MalformedResponse, match="symbols: expected a list, found missing"):
        fetch(replay, "binance-usdm")


def test_too_many_failures_raise_fetch_error(replay: Replay) -> None:
    replay.fault(path="/dapi/v1/exchangeInfo", kind="500", count=5)
    with pytest.raises(FetchError) as info:
        fetch(replay, "binance-coinm")
    err = info.value
    assert (err.venue, err.attempts, err.last_status) == ("binance-coinm", 3, 500)
    assert err.url == f"{replay.url}/dapi/v1/exchangeInfo"
    assert replay.control("GET", "faults").json()[0]["remaining"] == 2


def test_never_ending_cursor_is_an_incomplete_listing(replay: Replay) -> None:
    replay.fault(path="/v5/market/instruments-info", kind="stuck_cursor", count=10)
    with pytest.raises(IncompleteListing) as info:
        fetch(replay, "bybit-linear")
    assert (info.value.venue, info.value.endpoint) == ("bybit-linear", "GET /v5/market/instruments-info")
    assert "repeated" in info.value.problem


def test_page_cap_is_an_incomplete_listing(replay: Replay) -> None:
    with pytest.raises(IncompleteListing, match=r"cursor not exhausted after 1 pages \(page cap\)"):
        fetch(replay, "bybit-spot", max_pages=1)


def test_failing_next_page_is_an_incomplete_listing(replay: Replay) -> None:
    replay.fault(path="/v5/market/instruments-info", kind="500", count=10, params={"cursor": "*"})
    with pytest.raises(IncompleteListing) as info:
        fetch(replay, "bybit-spot")
    assert info.value.problem.startswith("category=spot failed after 1 good page(s): bybit-spot GET ")
    cause = info.value.__cause__
    assert isinstance(cause, FetchError) and (cause.attempts, cause.last_status) == (3, 500)
    assert "&cursor=" in cause.url


def test_failing_option_family_is_an_incomplete_listing(replay: Replay) -> None:
    replay.fault(path="/api/v5/public/instruments", kind="500", count=10, params={"instType": "OPTION"})
    with pytest.raises(IncompleteListing) as info:
        fetch(replay, "okx-option")
    assert info.value.venue == "okx-option"
    assert "instType=OPTION&instFamily=BTC-USD failed after 0 good page(s)" in info.value.problem


def test_envelope_without_success_code_is_malformed(replay: Replay) -> None:
    replay.fault(path="/api/v5/public/instruments", kind="rename_field", rename_from="code", rename_to="kode")
    with pytest.raises(MalformedResponse, match="okx-spot GET /api/v5/public/instruments: exchange error code None"):
        fetch(replay, "okx-spot")


def test_okx_option_without_family_is_refused_like_okx(replay: Replay) -> None:
    sleeper = Sleeper()
    settings, c = client(replay.url, sleeper)
    with pytest.raises(FetchError) as info:
        c.get(VENUES["okx-option"], "/api/v5/public/instruments", {"instType": "OPTION"})
    assert info.value.last_status == 400 and '"code":"51000"' in (info.value.last_error or "")


def test_faults_can_be_listed_and_cleared(replay: Replay) -> None:
    assert replay.control("POST", "faults", [
        {"path": "/products", "kind": "429", "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"},
        {"path": "/products", "kind": "timeout", "count": 3},
    ]).status_code == 200
    assert [f["kind"] for f in replay.control("GET", "faults").json()] == ["429", "timeout"]
    assert replay.control("DELETE", "faults", None).json() == {"cleared": 2}
    bad = replay.control("POST", "faults", {"path": "/products", "kind": "rename_field"})
    assert bad.status_code == 422
