"""The cache-hit path in front of FastAPI answers exactly what the endpoint would, and only
what it can answer from the cache."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.cache import CatalogWatcher, ReadCache
from api.fastpath import point_request
from refdata.settings import Settings
from tests.unit.api.test_api_unit import FakeRepo

URL = "/v1/instruments/binance-spot/BTCUSDT"
TIMES = {"as_of": "2024-10-20T00:00:00Z", "as_known_at": "2024-10-21T00:00:00Z"}


def test_only_plain_point_lookups_are_taken() -> None:
    assert point_request(URL, b"as_of=2024-10-20T00:00:00Z") == ("binance-spot", "BTCUSDT", {"as_of": "2024-10-20T00:00:00Z"})
    assert point_request(URL, b"") == ("binance-spot", "BTCUSDT", {})
    assert point_request(URL + "/history", b"") is None
    assert point_request("/v1/instruments/binance-spot/", b"") is None
    assert point_request("/v1/symbology/X", b"") is None
    assert point_request(URL, b"as_of=a&as_of=b") is None  # repeated
    assert point_request(URL, b"limit=3") is None  # not a time parameter


def _app(repo: FakeRepo, location: list[str]) -> TestClient:
    app = create_app(Settings(), repository=repo, cache=False)
    watcher = CatalogWatcher(None, ["silver", "gold"], min_interval_s=0,
                             lookup=lambda ns: {("silver", "instrument_versions"): location[0],
                                                ("gold", "symbology"): "g1"})
    app.state.services.cache = ReadCache(watcher)
    return TestClient(app)


def test_a_hit_is_the_endpoints_answer_and_a_publish_goes_back_to_the_endpoint() -> None:
    repo, location = FakeRepo(), ["m1"]
    client = _app(repo, location)
    first = client.get(URL, params=TIMES)
    second = client.get(URL, params=TIMES)
    fast = client.app.state.point_lookup  # type: ignore[attr-defined]
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second.headers["content-type"] == "application/json"
    assert len(repo.calls) == 1 and fast.hits == 1

    location[0] = "m2"  # a publish: the cached answer is not for the current table version
    assert client.get(URL, params=TIMES).status_code == 200
    assert len(repo.calls) == 2 and fast.hits == 1
    metrics = client.get("/metrics").text
    assert 'refdata_api_requests_total{method="GET",route="/v1/instruments/{venue}/{symbol}",status="200"} 3.0' in metrics


def test_errors_and_misses_are_the_endpoints_own() -> None:
    client = _app(FakeRepo(), ["m1"])
    client.get(URL, params=TIMES)
    bad = client.get(URL, params={"as_of": "yesterday"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    missing = client.get("/v1/instruments/binance-spot/NOPE", params=TIMES)
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]
    again = client.get("/v1/instruments/binance-spot/NOPE", params=TIMES)  # cached None: not served here
    assert again.status_code == 404
    assert client.app.state.point_lookup.hits == 0  # type: ignore[attr-defined]
