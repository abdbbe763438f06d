"""Planning a batch: which keys a venue's new observations touch; partial listings delist nothing."""

from __future__ import annotations

from datetime import datetime

from refdata.bitemporal.events import Observation
from refdata.bitemporal.materialize import KeyState, advance
from refdata.domain import SPEC_FIELDS
from refdata.silver.plan import NewObservation, plan_venue

VENUE = "binance-spot"


def _spec(tick: str) -> dict:  # type: ignore[type-arg]
    values = {name: None for name in SPEC_FIELDS}
    values.update(instrument_class="spot", base_asset="BTC", quote_asset="USDT", status="active",
                  status_raw="TRADING", tick_size=tick)
    return values


def _obs(event: str, day: int, listed: dict, complete: bool = True) -> NewObservation:  # type: ignore[type-arg]
    return NewObservation(Observation(event, VENUE, datetime(2024, 1, day), datetime(2024, 2, day), listed), complete)


def _apply(plan, states=None):  # type: ignore[no-untyped-def]
    rows = {}
    for symbol in plan.keys:
        state = (states or {}).get(symbol) or KeyState(VENUE, symbol)
        change = advance(state, plan.indexes[symbol], plan.events[symbol])
        rows[symbol] = change
    return rows


def test_first_observation_touches_every_listed_key() -> None:
    plan = plan_venue(VENUE, [], [_obs("o1", 1, {"BTCUSDT": _spec("0.01"), "ETHUSDT": _spec("0.01")})], [], [], [])
    assert plan.keys == {"BTCUSDT", "ETHUSDT"}
    assert [e.event_id for e in plan.events["BTCUSDT"]] == ["o1"]


def test_unchanged_observation_touches_nothing() -> None:
    first = [_obs("o1", 1, {"BTCUSDT": _spec("0.01")})]
    plan = plan_venue(VENUE, [], first, [], [], [])
    change = _apply(plan)["BTCUSDT"]
    observed = [r for r in change.to_insert if r.layer == "observed"]
    applied = [n.index_record() for n in first]
    again = plan_venue(VENUE, applied, [_obs("o2", 2, {"BTCUSDT": _spec("0.0100")})], observed, [], [])
    assert again.keys == frozenset()


def test_absence_from_a_complete_listing_touches_the_key_but_not_from_a_partial_one() -> None:
    first = [_obs("o1", 1, {"BTCUSDT": _spec("0.01"), "ETHUSDT": _spec("0.01")})]
    change = _apply(plan_venue(VENUE, [], first, [], [], []))
    observed = [r for c in change.values() for r in c.to_insert if r.layer == "observed"]
    applied = [n.index_record() for n in first]

    partial = plan_venue(VENUE, applied, [_obs("p2", 2, {"BTCUSDT": _spec("0.01")}, complete=False)], observed, [], [])
    assert "ETHUSDT" not in partial.keys  # a trimmed listing says nothing about ETHUSDT
    assert [e.event_id for e in partial.events["BTCUSDT"]] == ["p2"]
    assert partial.indexes["BTCUSDT"].entry("p2") is not None

    complete = plan_venue(VENUE, applied, [_obs("o2", 2, {"BTCUSDT": _spec("0.01")})], observed, [], [])
    assert complete.keys == {"ETHUSDT"}
    eth_rows = tuple(r for r in change["ETHUSDT"].to_insert if r.superseded_at is None)
    eth_state = KeyState(VENUE, "ETHUSDT", rows=eth_rows, high_water=datetime(2024, 2, 1))
    published = [r for r in _apply(complete, {"ETHUSDT": eth_state})["ETHUSDT"].to_insert if r.layer == "published"]
    delisted = [r for r in published if r.values["status"] == "delisted"]
    assert len(delisted) == 1 and delisted[0].valid_from == datetime(2024, 1, 2)
    assert delisted[0].values["tick_size"] == "0.01"  # keeps its last listed fields
