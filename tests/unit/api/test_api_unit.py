"""API behaviour that needs no stack: time parameters, cursors, problem+json, canonical IDs,
auth and roles (FastAPI TestClient over a fake repository)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import cursor as cursors
from api.app import create_app
from api.errors import ApiProblem, TrinoUnavailable
from api.timeparams import parse_instant, resolve
from refdata.settings import Settings

ROW = {
    "version_id": "v1", "layer": "published", "venue": "binance-spot", "symbol": "BTCUSDT", "lifetime_id": "l1",
    "valid_from": datetime(2024, 10, 19), "valid_to": None, "recorded_at": datetime(2024, 10, 19, 0, 5),
    "superseded_at": None, "basis": "listed", "spec_hash": "h", "corrected_fields": [], "asserted_by": ["poll1"],
    "instrument_class": "spot", "base_asset": "BTC", "quote_asset": "USDT", "status": "active",
    "tick_size": Decimal("0.010000000000000000"), "g_canonical_id": "BTC-USDT-SPOT",
}

GOLD = {"venue": "binance-spot", "symbol": "BTCUSDT", "canonical_id": "BTC-USDT-SPOT", "usd_equivalent_group": "BTC-USD-SPOT",
        "base_asset": "BTC", "quote_asset": "USDT", "strike": None, "valid_from": datetime(2024, 10, 19)}


class FakeRepo:
    def __init__(self, rows: list[dict[str, Any]] | None = None, down: bool = False) -> None:
        self.rows, self.down, self.calls = rows if rows is not None else [ROW], down, []

    def _maybe_down(self) -> None:
        if self.down:
            raise TrinoUnavailable("Trino is unavailable: ConnectionError")

    def instruments(self, f, as_of, as_known_at, after, limit):  # type: ignore[no-untyped-def]
        self._maybe_down()
        self.calls.append((f, as_of, as_known_at, after, limit))
        rows = [r for r in self.rows if (f.venue is None or r["venue"] == f.venue) and (f.symbol is None or r["symbol"] == f.symbol)]
        if after:
            rows = [r for r in rows if (r["venue"], r["symbol"]) > after]
        return rows[:limit]

    def instrument_at(self, venue, symbol, as_of, as_known_at):  # type: ignore[no-untyped-def]
        self._maybe_down()
        self.calls.append(("instrument_at", venue, symbol, as_of, as_known_at))
        return [{k: v for k, v in r.items() if not k.startswith("g_")}  # silver alone: no gold columns
                for r in self.rows if (r["venue"], r["symbol"]) == (venue, symbol)][:2]

    def symbology_versions(self):  # type: ignore[no-untyped-def]
        """The gold mapping of each fake row, over the row's own intervals."""
        self._maybe_down()
        return [{**{c: r[c] for c in ("venue", "symbol", "valid_from", "valid_to", "recorded_at", "superseded_at")},
                 **{c: r.get(f"g_{c}") for c in ("canonical_id", "usd_equivalent_group", "base_asset", "quote_asset")}}
                for r in self.rows if r.get("g_canonical_id")]

    def instrument_known(self, venue, symbol):  # type: ignore[no-untyped-def]
        return any(r["venue"] == venue and r["symbol"] == symbol for r in self.rows)

    def history(self, venue, symbol, as_known_at, include_superseded):  # type: ignore[no-untyped-def]
        self._maybe_down()
        return [r for r in self.rows if r["venue"] == venue and r["symbol"] == symbol]

    def symbology(self, clauses, args, as_of, as_known_at, limit=1000):  # type: ignore[no-untyped-def]
        self._maybe_down()
        self.calls.append((clauses, args))
        return []

    def symbology_batch(self, canonical, pairs, as_of, as_known_at, limit=1000):  # type: ignore[no-untyped-def]
        self._maybe_down()
        self.calls.append(("batch", canonical, pairs, limit))
        return [dict(GOLD, job_kind="venue_symbol", job_a=venue, job_b=symbol, job_rank=1)
                for venue, symbol in pairs if (venue, symbol) == (GOLD["venue"], GOLD["symbol"])]

    def export(self, as_of, as_known_at, venue):  # type: ignore[no-untyped-def]
        self._maybe_down()
        from api.repository import EXPORT_COLUMNS

        names = [name for name, _, _ in EXPORT_COLUMNS]
        rows = [{n: r.get(n, ROW.get("g_canonical_id") if n == "canonical_id" else None) for n in names}
                for r in self.rows if venue is None or r["venue"] == venue]
        yield from ([rows[i:i + 2] for i in range(0, len(rows), 2)] if rows else [])


def client(repo: FakeRepo | None = None) -> TestClient:
    return TestClient(create_app(Settings(), repository=repo or FakeRepo(), cache=False))


# ---- time parameters -------------------------------------------------------------------

def test_parse_instant_converts_offsets_to_naive_utc() -> None:
    assert parse_instant("as_of", "2024-10-20T14:00:00+02:00") == datetime(2024, 10, 20, 12)
    assert parse_instant("as_of", "2024-10-20T12:00:00Z") == datetime(2024, 10, 20, 12)
    assert parse_instant("as_of", "2024-10-20") == datetime(2024, 10, 20)


def test_bad_timestamp_and_future_as_known_at_are_rejected_precisely() -> None:
    with pytest.raises(ApiProblem) as bad:
        parse_instant("as_of", "20 Oct 2024")
    assert bad.value.status == 400 and "as_of='20 Oct 2024'" in bad.value.detail
    with pytest.raises(ApiProblem) as future:
        resolve(None, "2030-01-01T00:00:00Z", now=datetime(2025, 1, 1))
    assert future.value.status == 422 and "in the future" in future.value.detail
    tp = resolve(None, None, now=datetime(2025, 1, 1))
    assert tp.as_of == tp.as_known_at == datetime(2025, 1, 1) and tp.cache_token()[1] == "latest"


# ---- cursors ---------------------------------------------------------------------------

def test_cursor_roundtrip_and_tampering() -> None:
    token = cursors.encode(["binance-spot", "BTCUSDT"], {"filters": {"venue": "x"}, "as_of": "2024-10-20T00:00:00"})
    position, query = cursors.decode(token)
    assert position == ["binance-spot", "BTCUSDT"] and query["filters"] == {"venue": "x"}
    with pytest.raises(ApiProblem) as wrong:
        cursors.decode(token, {"filters": {"venue": "y"}})
    assert wrong.value.status == 400 and "different filters" in wrong.value.detail
    tampered = cursors.encode(["a", "b"], {"q": 1})[:-3] + "AAA"
    for junk in ("not-a-cursor", tampered, ""):
        with pytest.raises(ApiProblem) as bad:
            cursors.decode(junk)
        assert bad.value.status == 400 and bad.value.kind == "bad-cursor"


def test_pagination_over_the_api_pins_times_and_continues_after_the_last_key() -> None:
    rows = [dict(ROW, symbol=s, version_id=s) for s in ("AAA", "BBB", "CCC")]
    repo = FakeRepo(rows)
    c = client(repo)
    first = c.get("/v1/instruments", params={"venue": "binance-spot", "limit": 2}).json()
    assert [r["symbol"] for r in first["data"]] == ["AAA", "BBB"] and first["next_cursor"]
    second = c.get("/v1/instruments", params={"venue": "binance-spot", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert [r["symbol"] for r in second["data"]] == ["CCC"] and second["next_cursor"] is None
    assert second["time"] == first["time"]  # defaulted times are pinned by the cursor
    other = c.get("/v1/instruments", params={"venue": "kraken-spot", "cursor": first["next_cursor"]})
    assert other.status_code == 400 and "different filters" in other.json()["detail"]


# ---- problem+json and routes -----------------------------------------------------------

def test_problem_json_shape_for_bad_input() -> None:
    c = client()
    for path, status, kind in (
        ("/v1/instruments?as_of=yesterday", 400, "bad-timestamp"),
        ("/v1/instruments?as_known_at=2999-01-01T00:00:00Z", 422, "as-known-at-in-future"),
        ("/v1/instruments?class=swap", 422, "bad-enum"),
        ("/v1/instruments?venue=nasdaq", 422, "unknown-venue"),
        ("/v1/instruments?limit=0", 422, "validation-error"),
        ("/v1/instruments?cursor=zzz", 400, "bad-cursor"),
        ("/v1/symbology/BTC-USDT-SPT", 400, "bad-canonical-id"),
        ("/v1/nowhere", 404, "http-error"),
    ):
        response = c.get(path)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"].endswith(kind) and body["status"] == status and body["detail"] and body["title"]


def test_seed_exchange_alias_means_the_spot_venue_unless_venue_says_otherwise() -> None:
    repo = FakeRepo()
    c = client(repo)
    data = c.get("/v1/instruments", params={"exchange": "binance", "symbol": "BTCUSDT"}).json()["data"]
    assert repo.calls[-1][0].venue == "binance-spot"
    assert data[0]["canonical_id"] == "BTC-USDT-SPOT" and data[0]["spec"]["tick_size"] == "0.01"  # decimal as string
    c.get("/v1/instruments", params={"exchange": "binance", "venue": "binance-usdm", "symbol": "BTCUSDT"})
    assert repo.calls[-1][0].venue == "binance-usdm"
    assert c.get("/v1/instruments", params={"exchange": "kraken", "venue": "binance-usdm"}).status_code == 400


def test_unknown_instrument_is_a_404_naming_it() -> None:
    c = client()
    response = c.get("/v1/instruments/binance-spot/NOPEUSDT")
    assert response.status_code == 404
    assert response.json()["detail"] == "unknown instrument binance-spot/NOPEUSDT: never listed on binance-spot"
    history = c.get("/v1/instruments/binance-spot/NOPEUSDT/history")
    assert history.status_code == 404 and "binance-spot/NOPEUSDT" in history.json()["detail"]


def test_canonical_id_route_queries_the_usd_group_and_404s_naming_the_id() -> None:
    repo = FakeRepo()
    response = client(repo).get("/v1/symbology/BTC-USDT-SPOT")
    assert response.status_code == 404 and "BTC-USDT-SPOT" in response.json()["detail"]
    assert repo.calls[-1][1] == ["BTC-USDT-SPOT", "BTC-USD-SPOT"]


def test_batch_resolve_answers_every_job_in_order_with_one_query() -> None:
    repo = FakeRepo()
    c = client(repo)
    jobs = [{"canonical_id": "BTC-USDT-SPOT"}, {"canonical_id": "nope"}, {"symbol": "X"}, {"exchange": "binance", "symbol": "BTCUSDT"},
            {"exchange": "nasdaq", "symbol": "AAPL"}, {"venue": "kraken-spot", "symbol": "XXBTZUSD"}, {"exchange": "binance", "symbol": "BTCUSDT"},
            {"canonical_id": "BTC-USDT-SPOT"}, {}]
    results = c.post("/v1/symbology/resolve", json=jobs).json()
    assert len(results) == len(jobs)
    assert results[0]["warning"] == "no match for BTC-USDT-SPOT"
    assert "invalid canonical ID 'nope'" in results[1]["error"]
    assert "needs exchange or venue" in results[2]["error"]
    assert [m["symbol"] for m in results[3]["data"]] == ["BTCUSDT"] and results[3]["data"][0]["match"] == "venue_symbol"
    assert results[3]["data"][0]["fields"]["valid_from"] == "2024-10-19T00:00:00Z"
    assert "exchange 'nasdaq' is not one of" in results[4]["error"]
    assert results[5]["warning"] == "no match for kraken-spot/XXBTZUSD"
    assert results[6] == results[3] and results[7] == results[0]
    assert "a job needs canonical_id" in results[8]["error"]
    for result in results:
        assert sum(result[k] is not None for k in ("data", "error", "warning")) == 1
    # One query for the whole batch, with the distinct lookups as (sorted) bound values.
    batch = [call for call in repo.calls if call[0] == "batch"]
    assert len(repo.calls) == len(batch) == 1
    assert batch[0][1:] == ([("BTC-USDT-SPOT", "BTC-USD-SPOT")],
                            [("binance-spot", "BTCUSDT"), ("kraken-spot", "XXBTZUSD")], 1000)
    # Nothing to look up: no query at all.
    assert c.post("/v1/symbology/resolve", json=[{"canonical_id": "nope"}]).json()[0]["error"]
    assert len(repo.calls) == 1
    too_many = c.post("/v1/symbology/resolve", json=[{"symbol": "X"}] * 1001)
    assert too_many.status_code == 422 and "at most 1000" in too_many.json()["detail"]
    assert too_many.headers["content-type"] == "application/problem+json"
    down = client(FakeRepo(down=True)).post("/v1/symbology/resolve", json=jobs)
    assert down.status_code == 503 and down.headers["retry-after"] == "5"


def test_batch_resolve_sql_binds_the_lookups_as_arrays() -> None:
    from api.repository import TrinoRepository

    seen: list = []

    class Capturing(TrinoRepository):
        def query(self, sql, params=None):  # type: ignore[no-untyped-def]
            seen.append((sql, params))
            return []

    repo = Capturing(Settings(), "silver", "gold")
    hostile = "x'); DROP TABLE gold.symbology; --"
    repo.symbology_batch([("BTC-USD-SPOT", "BTC-USD-SPOT")], [("binance-spot", hostile)],
                         datetime(2025, 1, 1), datetime(2025, 1, 2), 1000)
    (sql, params), = seen
    assert hostile not in sql and "UNNEST" in sql and sql.count("?") == len(params) == 9
    assert params[4:] == [["BTC-USD-SPOT"], ["BTC-USD-SPOT"], ["binance-spot"], [hostile], 1000]


def test_parquet_export_has_one_typed_schema_even_when_empty() -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from api.routers.export import parquet_schema

    rows = [dict(ROW, symbol=s, version_id=s, price_precision=2) for s in ("AAA", "BBB", "CCC")]  # two batches
    response = client(FakeRepo(rows)).get("/v1/export", params={"format": "parquet"})
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(response.content))
    assert table.schema == parquet_schema() and table.num_rows == 3
    assert table.schema.field("tick_size").type == pa.decimal128(38, 18)
    assert table.schema.field("valid_from").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("price_precision").type == pa.int32()
    first = table.to_pylist()[0]
    assert first["tick_size"] == Decimal("0.01") and first["price_precision"] == 2
    assert first["valid_from"].isoformat() == "2024-10-19T00:00:00+00:00" and first["canonical_id"] == "BTC-USDT-SPOT"
    empty = client(FakeRepo([])).get("/v1/export", params={"format": "parquet"})
    assert empty.status_code == 200
    nothing = pq.read_table(io.BytesIO(empty.content))
    assert nothing.num_rows == 0 and nothing.schema == parquet_schema()


def test_trino_down_is_503_with_retry_after() -> None:
    response = client(FakeRepo(down=True)).get("/v1/instruments")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["detail"] == "Trino is unavailable: ConnectionError"


# ---- auth and roles ----------------------------------------------------------------------

def test_corrections_need_a_key_and_the_right_role() -> None:
    c = client()
    body = {"venue": "binance-spot", "symbol": "BTCUSDT", "valid_from": "2024-10-01T00:00:00Z", "fields": {"tick_size": "0.5"}, "reason": "r"}
    assert c.post("/v1/corrections", json=body).status_code == 401
    wrong = c.post("/v1/corrections", json=body, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "unknown API key"
    reader = c.post("/v1/corrections", json=body, headers={"X-API-Key": "demo-reader-key"})
    assert reader.status_code == 403 and reader.json()["detail"] == "user reader lacks the role 'propose'"
    revoke = c.post("/v1/corrections/corr_x/revoke", headers={"Authorization": "Bearer demo-alice-key"})
    assert revoke.status_code == 403 and "lacks the role 'revoke'" in revoke.json()["detail"]
    bad_action = c.post("/v1/corrections/corr_x/delete", headers={"X-API-Key": "demo-bob-key"})
    assert bad_action.status_code == 422


def test_startup_freezes_the_imported_heap_out_of_the_collectors_generations() -> None:
    """ADR 0015: a full collection must not walk the ~66,000 objects of the imported libraries."""
    import gc
    import sys

    app = create_app(Settings(), repository=FakeRepo(), cache=False)
    try:
        with TestClient(app):
            assert gc.get_freeze_count() > 10_000
            assert "trino.dbapi" in sys.modules and "psycopg" in sys.modules  # imported before the freeze
            # Frozen means out of every generation a collection walks: the objects the
            # collector lists no longer include a serving module's namespace or the app.
            walked = {id(obj) for obj in gc.get_objects()}
            assert id(sys.modules["trino.dbapi"].__dict__) not in walked
            assert id(app.router) not in walked
        assert gc.get_freeze_count() == 0  # shut down: collectable again
        assert id(sys.modules["trino.dbapi"].__dict__) in {id(obj) for obj in gc.get_objects()}
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual


def test_the_heap_stays_frozen_until_the_last_of_two_apps_shuts_down() -> None:
    import gc

    first = create_app(Settings(), repository=FakeRepo(), cache=False)
    second = create_app(Settings(), repository=FakeRepo(), cache=False)
    try:
        with TestClient(first):
            with TestClient(second):
                assert gc.get_freeze_count() > 10_000
            assert gc.get_freeze_count() > 10_000  # the first app is still served
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
