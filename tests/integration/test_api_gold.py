"""The API's symbology, export, change feed and metrics against the test stack, on real captures
with gold built from silver (scratch namespaces):

silver = the real captures through the parser and the bitemporal engine (Kraken spot June 2025,
a Binance spot slice, Binance COIN-M, a Deribit options slice), written into a scratch silver
table; gold = the gold job (Spark, write-audit-publish) run on it into a scratch gold namespace;
the API = `create_app` on those namespaces. The SSE test then runs the real silver job on a
further capture (Bybit linear, through a scratch bronze namespace) while a client reads the stream.
test_api_core.py covers instruments, history, corrections and Trino-down; this module does not
repeat them.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

T1 = datetime(2026, 11, 20, 12)  # system time of the captures in the scratch silver (a backfill)
SINCE = "2026-11-20T11:59:59Z"
OPTIONS_AT = "2025-11-06T12:00:00Z"  # the Deribit capture's day: its options were live
KRAKEN = re.compile(r"^(X|Z|EOS|BNB|ETH|USDT|USDC|SOL|DOGE)")  # the legacy X/Z pairs and a few families
STREAM_VENUE = "bybit-linear"  # the further capture the SSE test publishes (2 instruments: quick)


@pytest.fixture(scope="module")
def env(settings, spark):  # type: ignore[no-untyped-def]
    from refdata.bronze.store import BronzeStore
    from refdata.catalog import pyiceberg_catalog
    from refdata.gold.job import GoldConfig
    from refdata.gold.job import run as gold_run
    from refdata.migrations.m0008_bronze_tables import create_tables as create_bronze
    from refdata.migrations.m0020_gold_tables import create_tables as create_gold
    from refdata.silver.job import SilverTables
    from refdata.silver.job import run as silver_run
    from refdata.silver.tables import create_tables as create_silver
    from tests.integration.gold_support import Scratch
    from tests.unit.gold.silver_fixtures import (
        BINANCE_COINM,
        BINANCE_SPOT,
        DERIBIT,
        KRAKEN_JUN,
        Poll,
        raw_payloads,
        silver_rows,
        specs,
    )

    from api.app import create_app

    def only(rel: str, venue: str, keep: Any) -> frozenset[str]:
        return frozenset(s.symbol for s in specs(rel, venue) if keep(s.symbol))

    suffix = uuid.uuid4().hex[:8]
    bronze_ns, silver_ns, gold_ns = f"bronze_apig{suffix}", f"silver_apig{suffix}", f"gold_apig{suffix}"
    catalog = pyiceberg_catalog(settings)
    create_bronze(catalog, bronze_ns, f"{settings.warehouse_uri}{bronze_ns}")
    create_silver(catalog, silver_ns, settings.warehouse_uri)
    create_gold(catalog, gold_ns, f"{settings.warehouse_uri}{gold_ns}")
    try:
        polls = [
            Poll(KRAKEN_JUN, "kraken-spot", T1, only(KRAKEN_JUN, "kraken-spot", KRAKEN.match)),
            Poll(BINANCE_SPOT, "binance-spot", T1, only(BINANCE_SPOT, "binance-spot", lambda s: s.startswith(("BTC", "ETH")))),
            Poll(BINANCE_COINM, "binance-coinm", T1),
            Poll(DERIBIT, "deribit-option", T1,
                 only(DERIBIT, "deribit-option", lambda s: s.startswith(("BTC-7NOV25-", "BTC-8NOV25-")))),
        ]
        scratch = Scratch(settings, catalog, silver_ns)
        records = scratch.silver_records(silver_rows(polls), raw_payloads(polls))
        scratch.append_silver(records)
        gold = gold_run(spark, settings, GoldConfig(
            silver_table=f"{silver_ns}.instrument_versions", gold_namespace=gold_ns, run_id=f"api-gold-{suffix}",
            report_dir=settings.var_dir / "reports" / "gates-tests"))
        assert gold.wrote_symbology and gold.rows_inserted > 0
        app = create_app(settings, silver_namespace=silver_ns, gold_namespace=gold_ns, bronze_namespace=bronze_ns)
        tables = SilverTables(settings.catalog_name, silver=silver_ns, bronze=bronze_ns)
        yield {
            "client": TestClient(app), "records": records, "settings": settings,
            "bronze_store": BronzeStore(settings, namespace=bronze_ns, catalog=catalog),
            "silver_run": lambda name, venues: silver_run(spark, settings, f"{name}-{suffix}", tables=tables, venues=venues),
        }
    finally:
        for namespace in (gold_ns, silver_ns, bronze_ns):
            for identifier in catalog.list_tables(namespace):
                catalog.purge_table(identifier)
            catalog.drop_namespace(namespace)


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _pairs(mappings: list[dict[str, Any]]) -> list[tuple[str, str, str | None, str]]:
    return [(m["venue"], m["symbol"], m["canonical_id"], m["match"]) for m in mappings]


def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].endswith(kind) and body["title"] and body["detail"]
    return body  # type: ignore[no-any-return]


# ---- symbology --------------------------------------------------------------------------------


def test_canonical_id_lists_kraken_exactly_and_binance_usdt_as_usd_equivalent(env) -> None:  # type: ignore[no-untyped-def]
    body = _ok(env["client"].get("/v1/symbology/BTC-USD-SPOT"))
    data = _pairs(body["data"])
    assert body["query"] == {"canonical_id": "BTC-USD-SPOT"}
    assert [d for d in data if d[3] == "exact"] == [("kraken-spot", "XXBTZUSD", "BTC-USD-SPOT", "exact")]
    assert data[0] == ("kraken-spot", "XXBTZUSD", "BTC-USD-SPOT", "exact")  # exact first
    equivalents = data[1:]
    assert ("binance-spot", "BTCUSDT", "BTC-USDT-SPOT", "usd_equivalent") in equivalents
    assert ("kraken-spot", "XBTUSDT", "BTC-USDT-SPOT", "usd_equivalent") in equivalents
    assert ("binance-spot", "BTCUSDC", "BTC-USDC-SPOT", "usd_equivalent") in equivalents
    assert all(match == "usd_equivalent" and cid != "BTC-USD-SPOT" for _, _, cid, match in equivalents)
    kraken = body["data"][0]["fields"]
    assert (kraken["base_code"], kraken["quote_code"], kraken["is_exact_usd"]) == ("XXBT", "ZUSD", True)
    binance = next(m["fields"] for m in body["data"] if m["symbol"] == "BTCUSDT")
    assert (binance["usd_equivalent_group"], binance["usd_substituted"], binance["is_exact_usd"]) == ("BTC-USD-SPOT", ["USDT"], False)
    # The stablecoin-quoted instrument keeps its own exact ID.
    own = _ok(env["client"].get("/v1/symbology/BTC-USDT-SPOT"))["data"]
    assert [(v, s) for v, s, _, m in _pairs(own) if m == "exact"] == [("binance-spot", "BTCUSDT"), ("kraken-spot", "XBTUSDT")]


def test_resolve_one_venue_symbol(env) -> None:  # type: ignore[no-untyped-def]
    c = env["client"]
    body = _ok(c.get("/v1/symbology/resolve", params={"exchange": "kraken", "symbol": "XXBTZUSD"}))
    assert body["query"] == {"venue": "kraken-spot", "symbol": "XXBTZUSD"}
    assert _pairs(body["data"]) == [("kraken-spot", "XXBTZUSD", "BTC-USD-SPOT", "venue_symbol")]
    fields = body["data"][0]["fields"]
    assert fields["asset_rules"] == ["base:XXBT->BTC (legacy, kraken)", "quote:ZUSD->USD (legacy, kraken)"]
    assert fields["valid_from"] == "2025-06-11T00:00:00Z" and fields["superseded_at"] is None
    coinm = _ok(c.get("/v1/symbology/resolve", params={"venue": "binance-coinm", "symbol": "BTCUSD_PERP"}))["data"]
    assert _pairs(coinm) == [("binance-coinm", "BTCUSD_PERP", "BTC-USD-PERP.BTC", "venue_symbol")]
    # Known to the platform only since the captures were recorded (T1).
    before = c.get("/v1/symbology/resolve", params={"exchange": "kraken", "symbol": "XXBTZUSD",
                                                    "as_known_at": "2026-11-19T00:00:00Z"})
    body = _problem(before, 404, "unknown-symbol")
    assert (body["venue"], body["symbol"]) == ("kraken-spot", "XXBTZUSD")


def test_search_by_assets_class_expiry_and_strike(env) -> None:  # type: ignore[no-untyped-def]
    c = env["client"]

    def ids(**params: Any) -> list[str]:
        return [m["canonical_id"] for m in _ok(c.get("/v1/symbology/search", params=params))["data"]]

    assert ids(base_asset="BTC", quote_asset="USD", instrument_class="future") == [
        "BTC-USD-FUT-20251226.BTC", "BTC-USD-FUT-20260327.BTC"]
    assert ids(base_asset="BTC", quote_asset="USD", instrument_class="perpetual") == ["BTC-USD-PERP.BTC"]
    assert ids(base_asset="ETH", quote_asset="USDT") == ["ETH-USDT-SPOT", "ETH-USDT-SPOT"]  # Binance and Kraken
    assert ids(base_asset="BTC", quote_asset="USD", instrument_class="spot") == ["BTC-USD-SPOT"]
    options = dict(instrument_class="option", as_of=OPTIONS_AT)
    assert ids(**options, expiry_from="2025-11-07T00:00:00Z", expiry_to="2025-11-08T00:00:00Z",
               strike_min=85000, strike_max=90000) == [
        "BTC-USD-OPT-20251107-85000-C.BTC", "BTC-USD-OPT-20251107-85000-P.BTC",
        "BTC-USD-OPT-20251107-90000-C.BTC", "BTC-USD-OPT-20251107-90000-P.BTC"]
    next_day = ids(**options, expiry_from="2025-11-08T00:00:00Z", expiry_to="2025-11-09T00:00:00Z", strike_min=100000,
                   strike_max=100000)
    assert next_day == ["BTC-USD-OPT-20251108-100000-C.BTC", "BTC-USD-OPT-20251108-100000-P.BTC"]
    both_days = ids(**options, expiry_from="2025-11-07T00:00:00Z", expiry_to="2025-11-09T00:00:00Z", limit=1000)
    assert len(both_days) > 50 and all(re.fullmatch(r"BTC-USD-OPT-2025110[78]-[0-9.]+-[CP]\.BTC", i) for i in both_days)
    assert ids(**options, strike_min=10_000_000) == []
    assert ids(base_asset="BTC", quote_asset="USD", instrument_class="spot", as_known_at="2026-11-19T00:00:00Z") == []
    _problem(c.get("/v1/symbology/search", params={"instrument_class": "swap"}), 422, "bad-enum")
    _problem(c.get("/v1/symbology/search", params={"expiry_from": "next week"}), 400, "bad-timestamp")


def test_unknown_and_malformed_canonical_ids(env) -> None:  # type: ignore[no-untyped-def]
    c = env["client"]
    body = _problem(c.get("/v1/symbology/BTC-USD-FUT-20991231.BTC"), 404, "unknown-canonical-id")
    assert body["canonical_id"] == "BTC-USD-FUT-20991231.BTC"
    assert body["detail"].startswith("unknown canonical ID BTC-USD-FUT-20991231.BTC: no venue lists it at ")
    bad = _problem(c.get("/v1/symbology/btc-usd-spot"), 400, "bad-canonical-id")
    assert bad["parameter"] == "canonical_id" and "btc-usd-spot" in bad["detail"]


def test_batch_resolve_in_one_request_in_order(env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    c = env["client"]
    repo = c.app.state.services.repo
    queries: list[str] = []
    query = repo.query
    monkeypatch.setattr(repo, "query", lambda sql, params=None: queries.append(sql) or query(sql, params))
    jobs = [
        {"canonical_id": "BTC-USD-SPOT"},
        {"exchange": "kraken", "symbol": "XXBTZUSD"},
        {"canonical_id": "BTC-USD-FUT-20241399"},  # malformed
        {"venue": "binance-coinm", "symbol": "BTCUSD_PERP"},
        {"canonical_id": "ZZZ-USD-SPOT"},  # well formed, unknown
        {"exchange": "binance", "symbol": "NOPEUSDT"},  # unknown symbol
        {"symbol": "BTCUSDT"},  # no venue
        {"exchange": "nasdaq", "symbol": "AAPL"},  # unknown exchange
        {},
        {"canonical_id": "BTC-USD-SPOT"},  # a repeated job gets the same answer
        {"venue": "deribit-option", "symbol": "BTC-7NOV25-85000-C"},
    ]
    results = _ok(c.post("/v1/symbology/resolve", json=jobs))
    assert len(results) == len(jobs)
    for result in results:
        assert sum(result[k] is not None for k in ("data", "error", "warning")) == 1, result
    single = _ok(c.get("/v1/symbology/BTC-USD-SPOT"))["data"]
    assert results[0]["data"] == single == results[9]["data"]
    assert _pairs(results[1]["data"]) == [("kraken-spot", "XXBTZUSD", "BTC-USD-SPOT", "venue_symbol")]
    assert results[1]["data"] == _ok(c.get("/v1/symbology/resolve", params={"exchange": "kraken", "symbol": "XXBTZUSD"}))["data"]
    assert results[2]["error"] == "invalid canonical ID 'BTC-USD-FUT-20241399': expiry 20241399 is not a calendar date"
    assert _pairs(results[3]["data"]) == [("binance-coinm", "BTCUSD_PERP", "BTC-USD-PERP.BTC", "venue_symbol")]
    assert results[4]["warning"] == "no match for ZZZ-USD-SPOT"
    assert results[5]["warning"] == "no match for binance-spot/NOPEUSDT"
    assert results[6]["error"] == "a symbol job needs exchange or venue"
    assert results[7]["error"].startswith("exchange 'nasdaq' is not one of")
    assert results[8]["error"] == "a job needs canonical_id, or symbol with exchange/venue"
    option = results[10]["data"]
    assert _pairs(option) == [("deribit-option", "BTC-7NOV25-85000-C", "BTC-USD-OPT-20251107-85000-C.BTC", "venue_symbol")]
    assert option[0]["fields"]["strike"] == "85000" and option[0]["fields"]["expiry"] == "2025-11-07T08:00:00Z"

    # A full batch (1000 jobs) is one request and one answer per job, in order.
    strikes = [f"BTC-7NOV25-{k}-{right}" for k in range(60000, 160000, 200) for right in "CP"]
    assert len(strikes) == 1000
    batch = [{"venue": "deribit-option", "symbol": s} for s in strikes]
    queries.clear()
    full = _ok(c.post("/v1/symbology/resolve", json=batch, params={"as_of": OPTIONS_AT}))
    assert len(full) == 1000 and len(queries) == 1  # ONE Trino query for the whole batch
    assert _ok(c.post("/v1/symbology/resolve", json=batch, params={"as_of": OPTIONS_AT})) == full
    assert len(queries) == 1  # the same gold snapshot and times: served from the cache
    for symbol, result in zip(strikes, full):
        if result["data"] is not None:
            assert [m["symbol"] for m in result["data"]] == [symbol]
            assert result["data"][0]["canonical_id"].endswith(f"-{symbol.split('-', 2)[2]}.BTC")
        else:
            assert result["warning"] == f"no match for deribit-option/{symbol}"
    assert sum(r["data"] is not None for r in full) > 20 and sum(r["warning"] is not None for r in full) > 500

    too_many = _problem(c.post("/v1/symbology/resolve", json=[{"canonical_id": "BTC-USD-SPOT"}] * 1001), 422, "too-many-jobs")
    assert too_many["detail"] == "1001 jobs; at most 1000 per request"


# ---- export -----------------------------------------------------------------------------------


def test_export_csv_and_typed_parquet_equal_the_json_api(env) -> None:  # type: ignore[no-untyped-def]
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    from api.routers.export import parquet_schema

    c = env["client"]
    params = {"venue": "binance-spot", "as_of": "2025-11-01T00:00:00Z"}
    instrument = _ok(c.get("/v1/instruments/binance-spot/BTCUSDT", params=params))["data"]
    listed = _ok(c.get("/v1/instruments", params={**params, "limit": 1000}))["data"]

    response = c.get("/v1/export", params={**params, "format": "parquet"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.apache.parquet"
    assert 'filename="instruments-20251101T000000.parquet"' in response.headers["content-disposition"]
    table = pq.read_table(io.BytesIO(response.content))
    assert table.schema == parquet_schema()
    types = {f.name: f.type for f in table.schema}
    assert types["tick_size"] == types["strike"] == types["min_notional"] == pa.decimal128(38, 18)
    assert types["valid_from"] == types["recorded_at"] == types["expiry"] == pa.timestamp("us", tz="UTC")
    assert types["price_precision"] == pa.int32() and types["symbol"] == types["canonical_id"] == pa.string()
    assert table.num_rows == len(listed)
    rows = {r["symbol"]: r for r in table.to_pylist()}
    assert sorted(rows) == sorted(r["symbol"] for r in listed)
    btc = rows["BTCUSDT"]
    assert btc["canonical_id"] == instrument["canonical_id"] == "BTC-USDT-SPOT"
    assert btc["version_id"] == instrument["version_id"] and btc["basis"] == instrument["basis"]
    for name in ("valid_from", "recorded_at"):
        assert btc[name] == datetime.fromisoformat(instrument[name].replace("Z", "+00:00"))
        assert btc[name].tzinfo is not None and btc[name].utcoffset().total_seconds() == 0
    assert btc["valid_to"] is None and instrument["valid_to"] is None
    for name, value in instrument["spec"].items():
        if value is None:
            assert btc[name] is None, name
        elif isinstance(types[name], pa.Decimal128Type):
            assert btc[name] == Decimal(value), name
        elif isinstance(types[name], pa.TimestampType):
            assert btc[name] == datetime.fromisoformat(value.replace("Z", "+00:00")), name
        else:
            assert btc[name] == value, name  # strings and ints as such
    assert btc["tick_size"] == Decimal("0.01") and btc["price_precision"] == 2

    empty = c.get("/v1/export", params={"venue": "binance-spot", "as_of": "2001-01-01T00:00:00Z", "format": "parquet"})
    assert empty.status_code == 200
    nothing = pq.read_table(io.BytesIO(empty.content))
    assert nothing.num_rows == 0 and nothing.schema == parquet_schema()

    text = c.get("/v1/export", params={**params, "format": "csv"})
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(text.text)))
    assert len(lines) == len(listed) and list(lines[0]) == [f.name for f in table.schema]
    line = next(r for r in lines if r["symbol"] == "BTCUSDT")
    assert (line["tick_size"], line["valid_from"], line["canonical_id"]) == (
        instrument["spec"]["tick_size"], instrument["valid_from"], "BTC-USDT-SPOT")
    assert line["valid_to"] == "" and line["price_precision"] == "2"


# ---- change feed ------------------------------------------------------------------------------


def test_changes_page_with_a_cursor(env) -> None:  # type: ignore[no-untyped-def]
    c = env["client"]
    expected = sorted(r["version_id"] for r in env["records"] if r["venue"] == "kraken-spot")
    assert len(expected) > 60
    params: dict[str, Any] = {"since": SINCE, "venue": "kraken-spot", "limit": 25}
    seen: list[dict[str, Any]] = []
    pages, cursor, until = 0, None, None
    while True:
        page = _ok(c.get("/v1/changes", params={**params, **({"cursor": cursor} if cursor else {})}))
        pages += 1
        assert len(page["data"]) <= 25 and page["since"] == "2026-11-20T11:59:59Z"
        until = until or page["until"]
        assert page["until"] == until  # the cursor pins the end of the feed
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == -(-len(expected) // 25)
    ids = [v["version_id"] for v in seen]
    assert ids == expected  # every version once, oldest first (all recorded at T1: by version id)
    assert {v["recorded_at"] for v in seen} == {"2026-11-20T12:00:00Z"} and {v["venue"] for v in seen} == {"kraken-spot"}
    assert _ok(c.get("/v1/changes", params={"since": "2026-11-20T12:00:00Z", "venue": "kraken-spot"}))["data"] == []
    first = _ok(c.get("/v1/changes", params=params))
    other = c.get("/v1/changes", params={**params, "venue": "binance-spot", "cursor": first["next_cursor"]})
    _problem(other, 400, "bad-cursor")


def test_sse_stream_delivers_a_version_published_after_connecting(env) -> None:  # type: ignore[no-untyped-def]
    from refdata.bronze.backfill import load, plan_backfill

    c, settings = env["client"], env["settings"]
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def publish() -> None:  # bronze ingest, then the silver job: after the client connected
        try:
            store = env["bronze_store"]
            load(store, plan_backfill(settings.captures_dir, venues=[STREAM_VENUE], store=store), run_id="test-api-sse")
            outcome["report"] = env["silver_run"]("api-sse", [STREAM_VENUE])
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            outcome["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=publish, daemon=True)
    deadline = time.monotonic() + 120
    events: list[dict[str, Any]] = []
    connected = datetime.now(timezone.utc).replace(tzinfo=None)
    with c.stream("GET", "/v1/changes/stream", params={"venue": STREAM_VENUE, "poll_s": 0.5, "max_seconds": 150}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines).startswith(": streaming versions recorded after ")
        worker.start()
        event: dict[str, str] = {}
        for line in lines:
            if line.startswith(("id: ", "event: ", "data: ")):
                name, _, value = line.partition(": ")
                event[name] = value
            elif line == "" and event:
                events.append(event)
                event = {}
            if events or time.monotonic() > deadline or "error" in outcome:
                break
    finished.wait(max(1.0, deadline - time.monotonic()))
    assert "error" not in outcome, outcome["error"]
    assert events, f"no event within the time limit (silver job finished: {finished.is_set()})"
    assert outcome["report"].published
    first = events[0]
    assert first["event"] == "version"
    version = json.loads(first["data"])
    assert version["venue"] == STREAM_VENUE and version["version_id"] == first["id"]
    recorded = datetime.fromisoformat(version["recorded_at"].rstrip("Z"))
    assert recorded > connected  # a version recorded (and published) after the client connected
    history = _ok(c.get(f"/v1/instruments/{STREAM_VENUE}/{version['symbol']}/history"))["versions"]
    assert version["version_id"] in [v["version_id"] for v in history]


# ---- metrics ----------------------------------------------------------------------------------


def test_metrics_count_requests(env) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client.parser import text_string_to_metric_families

    c = env["client"]

    def counts() -> dict[tuple[str, str, str], float]:
        response = c.get("/metrics")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(response.text)}
        assert "refdata_api_request_seconds" in families
        return {(s.labels["method"], s.labels["route"], s.labels["status"]): s.value
                for s in families["refdata_api_requests"].samples if s.name == "refdata_api_requests_total"}

    before = counts()
    _ok(c.get("/v1/symbology/BTC-USD-SPOT"))
    _ok(c.get("/v1/symbology/BTC-USD-SPOT"))
    c.get("/v1/symbology/ZZZ-USD-SPOT")
    _ok(c.post("/v1/symbology/resolve", json=[{"canonical_id": "BTC-USD-SPOT"}]))
    after = counts()
    route = "/v1/symbology/{canonical_id}"
    assert after[("GET", route, "200")] == before.get(("GET", route, "200"), 0) + 2
    assert after[("GET", route, "404")] == before.get(("GET", route, "404"), 0) + 1
    assert after[("POST", "/v1/symbology/resolve", "200")] == before.get(("POST", "/v1/symbology/resolve", "200"), 0) + 1
    assert after[("GET", "/metrics", "200")] == before.get(("GET", "/metrics", "200"), 0) + 1


def test_point_lookup_joins_symbology_in_memory_exactly_as_the_sql_join(env) -> None:  # type: ignore[no-untyped-def]
    """ADR 0014: the point lookup reads silver alone and takes gold's mapping from an in-memory
    index; for every instrument at several time points that equals the SQL LEFT JOIN."""
    from api.repository import InstrumentFilter
    from api.symbology_index import JOINED_COLUMNS, SymbologyIndex

    repo = env["client"].app.state.services.repo
    index = SymbologyIndex(repo.symbology_versions())
    known = datetime.now(timezone.utc).replace(tzinfo=None)
    mapped = 0
    for as_of in (datetime(2025, 6, 15), datetime(2025, 11, 6, 12), known):
        joined = repo.instruments(InstrumentFilter(), as_of, known, None, 100_000)
        assert joined, as_of
        for row in joined:
            sql = {f"g_{c}": row[f"g_{c}"] for c in JOINED_COLUMNS}
            assert index.joined_at(row["venue"], row["symbol"], as_of, known) == sql, (row["venue"], row["symbol"], as_of)
            mapped += sql["g_canonical_id"] is not None
        for row in joined[:: max(1, len(joined) // 15)]:  # and through the endpoint (a cache miss each)
            point = _ok(env["client"].get(f"/v1/instruments/{row['venue']}/{row['symbol']}",
                                          params={"as_of": as_of.isoformat() + "Z", "as_known_at": known.isoformat() + "Z"}))
            assert (point["data"]["canonical_id"], point["data"]["usd_equivalent_group"]) == (
                row["g_canonical_id"], row["g_usd_equivalent_group"])
            assert point["data"]["version_id"] == row["version_id"]
    assert mapped > 100
    # Before gold recorded anything, silver still answers, without a canonical ID.
    before_gold = min(r["recorded_at"] for r in repo.symbology_versions()) - timedelta(microseconds=1)
    assert all(index.joined_at(r["venue"], r["symbol"], datetime(2025, 6, 15), before_gold)["g_canonical_id"] is None
               for r in repo.instruments(InstrumentFilter(), datetime(2025, 6, 15), known, None, 50))
