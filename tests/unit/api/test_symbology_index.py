"""The in-memory symbology join answers what the SQL LEFT JOIN at (as_of, as_known_at) answers."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from api.app import create_app
from api.cache import CatalogWatcher, ReadCache
from api.symbology_index import TIME_COLUMNS, SymbologyIndex, visible_at
from refdata.settings import Settings
from tests.unit.api.test_api_unit import ROW, FakeRepo

D = datetime


def mapping(canonical: str, valid: tuple[datetime, datetime | None], known: tuple[datetime, datetime | None],
            symbol: str = "XBTUSD") -> dict[str, object]:
    return {"venue": "kraken-spot", "symbol": symbol, "valid_from": valid[0], "valid_to": valid[1],
            "recorded_at": known[0], "superseded_at": known[1], "canonical_id": canonical,
            "usd_equivalent_group": "BTC-USD-SPOT", "base_asset": "BTC", "quote_asset": "USD"}


# Mapped BTC-USD-SPOT from 2024-01-01 as first recorded on 01-02; a correction recorded on
# 03-01 says it was really BTC-USD-OLD before 2024-02-01 (the first row superseded, two new).
HISTORY = [
    mapping("BTC-USD-SPOT", (D(2024, 1, 1), None), (D(2024, 1, 2), D(2024, 3, 1))),
    mapping("BTC-USD-OLD", (D(2024, 1, 1), D(2024, 2, 1)), (D(2024, 3, 1), None)),
    mapping("BTC-USD-SPOT", (D(2024, 2, 1), None), (D(2024, 3, 1), None)),
]


def times(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(row[c] for c in TIME_COLUMNS)


def test_visibility_is_half_open_on_both_axes() -> None:
    row = times(HISTORY[1])
    assert visible_at(row, D(2024, 1, 1), D(2024, 3, 1))  # both starts inclusive
    assert not visible_at(row, D(2024, 2, 1), D(2024, 3, 1))  # valid_to exclusive
    assert not visible_at(row, D(2024, 1, 15), D(2024, 2, 28))  # not yet recorded
    assert not visible_at(times(HISTORY[0]), D(2024, 1, 15), D(2024, 3, 1))  # superseded_at exclusive
    assert visible_at(times(HISTORY[0]), D(2030, 1, 1), D(2024, 2, 29))  # open ends


def test_each_time_point_gets_the_mapping_then_in_force_as_then_known() -> None:
    index = SymbologyIndex(HISTORY)
    assert len(index) == 3
    before_fix, after_fix = D(2024, 2, 15), D(2024, 3, 15)
    assert index.joined_at("kraken-spot", "XBTUSD", D(2024, 1, 15), before_fix)["g_canonical_id"] == "BTC-USD-SPOT"
    assert index.joined_at("kraken-spot", "XBTUSD", D(2024, 1, 15), after_fix)["g_canonical_id"] == "BTC-USD-OLD"
    assert index.joined_at("kraken-spot", "XBTUSD", D(2024, 2, 15), after_fix) == {
        "g_canonical_id": "BTC-USD-SPOT", "g_usd_equivalent_group": "BTC-USD-SPOT",
        "g_base_asset": "BTC", "g_quote_asset": "USD"}


def test_no_mapping_is_the_left_joins_nulls() -> None:
    index = SymbologyIndex(HISTORY)
    nulls = {"g_canonical_id": None, "g_usd_equivalent_group": None, "g_base_asset": None, "g_quote_asset": None}
    assert index.joined_at("kraken-spot", "XBTUSD", D(2023, 12, 31), D(2024, 3, 15)) == nulls  # before valid_from
    assert index.joined_at("kraken-spot", "XBTUSD", D(2024, 1, 15), D(2024, 1, 1)) == nulls  # before recorded
    assert index.joined_at("kraken-spot", "ETHUSD", D(2024, 1, 15), D(2024, 3, 15)) == nulls  # unknown key
    assert index.joined_at("binance-spot", "XBTUSD", D(2024, 1, 15), D(2024, 3, 15)) == nulls  # other venue


def test_overlapping_versions_answer_the_later_recorded_deterministically() -> None:
    overlap = [mapping("A-USD-SPOT", (D(2024, 1, 1), None), (D(2024, 1, 1), None)),
               mapping("B-USD-SPOT", (D(2024, 1, 1), None), (D(2024, 1, 5), None))]
    for rows in (overlap, overlap[::-1]):
        assert SymbologyIndex(rows).joined_at("kraken-spot", "XBTUSD", D(2024, 2, 1), D(2024, 2, 1))[
            "g_canonical_id"] == "B-USD-SPOT"


def test_the_point_lookup_builds_the_index_once_per_gold_version() -> None:
    class CountingRepo(FakeRepo):
        loads = 0

        def symbology_versions(self):  # type: ignore[no-untyped-def]
            CountingRepo.loads += 1
            return super().symbology_versions()

    locations = {("silver", "instrument_versions"): "s1", ("gold", "symbology"): "g1"}
    app = create_app(Settings(), repository=CountingRepo(), cache=False)
    app.state.services.cache = ReadCache(CatalogWatcher(None, ["silver", "gold"], min_interval_s=0,
                                                        lookup=lambda ns: dict(locations)))
    client = TestClient(app)
    url = "/v1/instruments/binance-spot/BTCUSDT"
    for as_of in ("2024-10-20T00:00:00Z", "2024-10-21T00:00:00Z"):  # two misses, one index
        assert client.get(url, params={"as_of": as_of}).json()["data"]["canonical_id"] == ROW["g_canonical_id"]
    assert CountingRepo.loads == 1
    locations[("gold", "symbology")] = "g2"  # a gold publish: a new index
    assert client.get(url, params={"as_of": "2024-10-20T00:00:00Z"}).json()["data"]["canonical_id"] == "BTC-USDT-SPOT"
    assert CountingRepo.loads == 2
    # before the mapping's valid_from: the instrument without a canonical ID (silver still answers)
    early = client.get(url, params={"as_of": "2024-10-18T00:00:00Z"})
    assert early.status_code == 200 and early.json()["data"]["canonical_id"] is None


def test_a_built_index_is_invisible_to_the_garbage_collector() -> None:
    """ADR 0015: tens of thousands of versions must not lengthen every full collection."""
    import gc
    from datetime import timedelta

    rows = [mapping(f"C{i}-USD-SPOT", (D(2024, 1, 1), None), (D(2024, 1, 2) + timedelta(seconds=i), None),
                    symbol=f"S{i % 5000}")
            for i in range(10_000)]
    index = SymbologyIndex(rows)
    gc.collect()
    gc.collect()
    assert len(index) == 10_000
    # Everything the index holds, walked from it: no per-key or per-version object is still
    # tracked (the index itself and its attribute dict may be).
    seen: set[int] = set()
    tracked = 0
    pending: list[object] = [index]
    while pending:
        obj = pending.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        tracked += gc.is_tracked(obj)
        pending.extend(gc.get_referents(obj))
    assert len(seen) > 10_000  # the walk did reach the versions
    assert tracked <= 2
    assert index.joined_at("kraken-spot", "S7", D(2024, 6, 1), D(2024, 6, 1))["g_canonical_id"] == "C5007-USD-SPOT"
