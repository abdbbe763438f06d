"""The API against the test stack on real captures (Binance USD-M, two captures, scratch
namespaces): point-in-time reads, history with the audit trail, four-eyes corrections whose
backdated approval changes `as_of` answers but not `as_known_at` before it, precise errors,
Trino down -> 503, and the snapshot cache never stale past a publish."""

from __future__ import annotations

import socket
import uuid
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

VENUE = "binance-usdm"
V = "2024-10-20T21:00:00Z"  # after the second capture, inside the correction below


@pytest.fixture(scope="module")
def scratch(settings, spark):  # type: ignore[no-untyped-def]
    from refdata.bronze.backfill import load, plan_backfill
    from refdata.bronze.store import BronzeStore
    from refdata.catalog import pyiceberg_catalog
    from refdata.migrations.m0008_bronze_tables import create_tables as create_bronze
    from refdata.silver.tables import create_tables as create_silver
    from refdata.migrations.m0020_gold_tables import create_tables as create_gold
    from refdata.silver.job import SilverTables, run

    from api.app import create_app

    suffix = uuid.uuid4().hex[:8]
    bronze_ns, silver_ns, gold_ns = f"bronze_api{suffix}", f"silver_api{suffix}", f"gold_api{suffix}"
    catalog = pyiceberg_catalog(settings)
    create_bronze(catalog, bronze_ns, f"{settings.warehouse_uri}{bronze_ns}")
    create_silver(catalog, silver_ns, settings.warehouse_uri)
    create_gold(catalog, gold_ns, f"{settings.warehouse_uri}{gold_ns}")
    store = BronzeStore(settings, namespace=bronze_ns, catalog=catalog)
    items = plan_backfill(settings.captures_dir, venues=[VENUE], start=datetime(2024, 10, 19), end=datetime(2024, 10, 21), store=store)
    load(store, items, run_id="test-api")
    tables = SilverTables(settings.catalog_name, silver=silver_ns, bronze=bronze_ns)
    run(spark, settings, f"api-base-{suffix}", tables=tables, venues=[VENUE])
    app = create_app(settings, silver_namespace=silver_ns, gold_namespace=gold_ns, bronze_namespace=bronze_ns)
    yield {"client": TestClient(app), "silver": silver_ns, "gold": gold_ns, "bronze": bronze_ns,
           "run": lambda name: run(spark, settings, f"{name}-{suffix}", tables=tables, venues=[VENUE])}
    for namespace in (silver_ns, bronze_ns, gold_ns):
        for identifier in catalog.list_tables(namespace):
            catalog.purge_table(identifier)
        catalog.drop_namespace(namespace)


def _tick(client: TestClient, as_of: str, as_known_at: str | None = None) -> str:
    params = {"as_of": as_of, **({"as_known_at": as_known_at} if as_known_at else {})}
    response = client.get(f"/v1/instruments/{VENUE}/BTCUSDT", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]["spec"]["tick_size"]  # type: ignore[no-any-return]


def test_point_in_time_reads_list_and_history(scratch) -> None:  # type: ignore[no-untyped-def]
    c = scratch["client"]
    one = c.get(f"/v1/instruments/{VENUE}/BTCUSDT", params={"as_of": V}).json()["data"]
    assert one["spec"]["tick_size"] == "0.1" and one["spec"]["instrument_class"] == "perpetual"
    assert one["spec"]["quote_asset"] == "USDT" and one["basis"] == "listed"
    # before the first capture nothing was listed yet
    early = c.get(f"/v1/instruments/{VENUE}/BTCUSDT", params={"as_of": "2020-01-01T00:00:00Z"})
    assert early.status_code == 404 and "has no version valid at 2020-01-01T00:00:00Z" in early.json()["detail"]
    # and before the first poll was recorded, the platform knew nothing
    unknown_then = c.get(f"/v1/instruments/{VENUE}/BTCUSDT", params={"as_of": V, "as_known_at": "2024-01-01T00:00:00Z"})
    assert unknown_then.status_code == 404

    page = c.get("/v1/instruments", params={"venue": VENUE, "as_of": V, "limit": 3}).json()
    symbols = [r["symbol"] for r in page["data"]]
    assert len(symbols) == 3 and symbols == sorted(symbols) and page["next_cursor"]
    more = c.get("/v1/instruments", params={"venue": VENUE, "as_of": V, "limit": 3, "cursor": page["next_cursor"]}).json()
    assert more["data"][0]["symbol"] > symbols[-1]
    perps = c.get("/v1/instruments", params={"venue": VENUE, "as_of": V, "symbol": "ETHUSDT", "class": "perpetual"}).json()
    assert [r["symbol"] for r in perps["data"]] == ["ETHUSDT"]

    history = c.get(f"/v1/instruments/{VENUE}/BTCUSDT/history").json()
    assert history["versions"] and all(v["superseded_at"] is None for v in history["versions"])
    starts = [v["valid_from"] for v in history["versions"]]
    assert starts == sorted(starts)


def test_corrections_four_eyes_backdated_approval_and_audit_trail(scratch) -> None:  # type: ignore[no-untyped-def]
    c = scratch["client"]
    alice, bob = {"X-API-Key": "demo-alice-key"}, {"X-API-Key": "demo-bob-key"}
    body = {"venue": VENUE, "symbol": "BTCUSDT", "valid_from": "2024-10-01T00:00:00Z",
            "valid_to": "2024-10-21T00:00:00Z", "fields": {"tick_size": "0.5"}, "reason": "exchange notice"}
    proposed = c.post("/v1/corrections", json=body, headers=alice)
    assert proposed.status_code == 201, proposed.text
    cid = proposed.json()["correction_id"]
    assert proposed.json()["state"] == "proposed" and proposed.json()["proposed_by"] == "alice"

    own = c.post(f"/v1/corrections/{cid}/approve", headers=alice)
    assert own.status_code == 403 and own.json()["detail"] == f"alice proposed correction {cid} and cannot approve it"
    unknown = c.post("/v1/corrections/corr_doesnotexist/approve", headers=bob)
    assert unknown.status_code == 404 and "corr_doesnotexist does not exist" in unknown.json()["detail"]
    ghost = c.post("/v1/corrections", json={**body, "symbol": "NOPEUSDT"}, headers=alice)
    assert ghost.status_code == 404 and ghost.json()["detail"] == f"unknown instrument {VENUE}/NOPEUSDT: never listed"
    bad_field = c.post("/v1/corrections", json={**body, "fields": {"tick_size": "abc"}}, headers=alice)
    assert bad_field.status_code == 422

    approved = c.post(f"/v1/corrections/{cid}/approve", json={"reason": "checked"}, headers=bob)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert c.post(f"/v1/corrections/{cid}/approve", headers=bob).status_code == 409
    approved_at = datetime.fromisoformat(approved.json()["events"][-1]["at"].rstrip("Z"))
    before = (approved_at - timedelta(microseconds=1)).isoformat() + "Z"

    assert _tick(c, V) == "0.1"  # cached and still right: nothing is published yet
    report = scratch["run"]("api-approved")
    assert report.published
    # no pause: a request arriving after the publish committed is never answered from before it
    assert _tick(c, V) == "0.5"
    assert _tick(c, V, before) == "0.1"  # as known before the approval: the old value
    assert _tick(c, "2024-10-21T01:00:00Z") == "0.1"  # after the correction's interval

    trail = c.get(f"/v1/instruments/{VENUE}/BTCUSDT/history", params={"include_superseded": "true"}).json()["versions"]
    corrected = [v for v in trail if v["corrected_fields"] == ["tick_size"]]
    assert corrected and any(f"{cid}" in " ".join(v["asserted_by"]) for v in corrected)
    assert any(v["superseded_at"] is not None for v in trail)
    current = c.get(f"/v1/instruments/{VENUE}/BTCUSDT/history").json()["versions"]
    assert len(trail) > len(current)


def test_precise_errors_and_trino_down(scratch, settings) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    c = scratch["client"]
    r = c.get(f"/v1/instruments/{VENUE}/NOPEUSDT")
    assert r.status_code == 404 and r.json()["detail"] == f"unknown instrument {VENUE}/NOPEUSDT: never listed on {VENUE}"
    r = c.get("/v1/symbology/BTC-USD-FUT-20241399")
    assert r.status_code == 400 and "not a calendar date" in r.json()["detail"]
    r = c.get("/v1/symbology/ZZZ-USD-SPOT")
    assert r.status_code == 404 and "unknown canonical ID ZZZ-USD-SPOT" in r.json()["detail"]
    assert c.get("/v1/instruments", params={"as_of": "2024-13-01"}).status_code == 400
    assert c.get("/v1/changes", params={"since": "2024-10-19T00:00:00Z", "venue": VENUE, "limit": 5}).json()["data"]

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    dead = settings.model_copy(update={"trino_url": f"http://127.0.0.1:{closed}"})
    down = TestClient(create_app(dead, silver_namespace=scratch["silver"], gold_namespace=scratch["gold"]))
    r = down.get(f"/v1/instruments/{VENUE}/BTCUSDT", params={"as_of": V})
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.headers["content-type"] == "application/problem+json" and "Trino is unavailable" in r.json()["detail"]
    health = down.get("/v1/health")
    assert health.status_code == 503 and health.json()["checks"]["trino"]["status"] == "down"
    assert health.json()["checks"]["catalog"]["status"] == "ok"

    ok = c.get("/v1/health").json()
    assert ok["status"] == "ok" and VENUE in ok["freshness"]
    assert ok["freshness"][VENUE]["last_observed_at"].startswith("2024-10-20")
