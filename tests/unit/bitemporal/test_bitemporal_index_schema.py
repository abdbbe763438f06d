"""The venue index, the job's pre-filter, hashing and the silver record layout."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from bitemporal_support import SYMBOL, VENUE, Harness, obs, s, spec, t

from refdata.bitemporal import (Correction, IndexEntry, KeyObservation, Observation, VenueIndex,
                                contract_hash, keys_to_advance, observation_changes_key)
from refdata.bitemporal.schema import COLUMNS, from_record, to_record
from refdata.domain import InstrumentClass, InstrumentSpec, Status, spec_hash, spec_values


def test_contract_hash_is_domain_spec_hash() -> None:
    one = InstrumentSpec(venue=VENUE, symbol=SYMBOL, instrument_class=InstrumentClass.SPOT,
                         settlement=None, base_asset="BTC", quote_asset="USDT", settle_asset=None,
                         status_raw="TRADING", status=Status.ACTIVE, tick_size=Decimal("0.0100"),
                         expiry=datetime(2024, 3, 29, 8))
    assert contract_hash(spec_values(one)) == spec_hash(one)
    retyped = {**spec_values(one), "tick_size": "0.01000", "expiry": "2024-03-29T08:00:00"}
    assert contract_hash(KeyObservation("o", VENUE, SYMBOL, t(1), s(1), retyped).values
                         or {}) == spec_hash(one)
    assert contract_hash({**spec_values(one), "max_notional": "1"}) == spec_hash(one)


def test_values_are_checked() -> None:
    with pytest.raises(ValueError, match="missing spec fields"):
        obs("o", 1, 1, {"tick_size": "0.1"})
    with pytest.raises(TypeError, match="not an exact decimal"):
        obs("o", 1, 1, spec(tick_size=0.1))


def test_governed_interval_sees_only_what_was_known() -> None:
    index = VenueIndex(VENUE, [IndexEntry(t(1), s(1), "a"), IndexEntry(t(3), s(5), "c"),
                               IndexEntry(t(2), s(9), "b"), IndexEntry(t(1), s(4), "a2")])
    assert index.governed_interval(t(1), s(1), "a") == (t(1), datetime.max)
    assert index.governed_interval(t(1), s(4), "a2") == (t(1), datetime.max)
    assert index.governed_interval(t(3), s(5), "c") == (t(3), datetime.max)
    assert index.governed_interval(t(2), s(9), "b") == (t(2), t(3))
    # Same observed_at and system time: the greater id wins, the other governs nothing.
    tied = VenueIndex(VENUE, [IndexEntry(t(1), s(1), "x"), IndexEntry(t(1), s(1), "y")])
    assert tied.governed_interval(t(1), s(1), "x") is None
    assert tied.governed_interval(t(1), s(1), "y") == (t(1), datetime.max)


def _venue_rows(*listings: Observation) -> tuple[VenueIndex, dict[str, Harness]]:
    harnesses: dict[str, Harness] = {}
    for o in listings:
        for sym in {"A", "B", "C"}:
            h = harnesses.setdefault(sym, Harness(VENUE, sym))
            h.feed(o.for_symbol(sym))
    return VenueIndex.of(VENUE, listings), harnesses


def _observed(harnesses: dict[str, Harness]) -> list:  # type: ignore[type-arg]
    return [r for h in harnesses.values() for r in h.current("observed")]


def test_keys_to_advance_finds_exactly_the_changed_keys() -> None:
    first = Observation("o1", VENUE, t(1), s(1), {"A": spec(), "B": spec()})
    index, harnesses = _venue_rows(first)
    rows = _observed(harnesses)

    def touched(o: Observation) -> set[str]:
        return keys_to_advance(VenueIndex.of(VENUE, [first, o]), [o], rows)

    assert touched(Observation("p", VENUE, t(2), s(2), {"A": spec(), "B": spec()})) == set()
    volatile = spec(max_notional="1", max_market_qty="2")
    assert touched(Observation("p", VENUE, t(2), s(2), {"A": volatile, "B": spec()})) == set()
    assert touched(Observation("p", VENUE, t(2), s(2), {"A": spec()})) == {"B"}
    assert touched(Observation("p", VENUE, t(2), s(2),
                               {"A": spec(), "B": spec(), "C": spec()})) == {"C"}
    assert touched(Observation("p", VENUE, t(2), s(2),
                               {"A": spec(tick_size="1"), "B": spec()})) == {"A"}
    # Observed before everything known: governs only up to t1, where nothing was listed.
    assert touched(Observation("p", VENUE, t(0), s(2), {})) == set()
    assert touched(Observation("p", VENUE, t(0), s(2), {"A": spec()})) == {"A"}


def test_a_batch_touches_a_key_if_any_of_its_observations_does() -> None:
    first = Observation("o1", VENUE, t(1), s(1), {"A": spec()})
    _, harnesses = _venue_rows(first)
    batch = [Observation("o2", VENUE, t(10), s(2), {"A": spec(tick_size="1")}),
             Observation("o3", VENUE, t(11), s(3), {"A": spec()})]
    index = VenueIndex.of(VENUE, [first, *batch], applied=["o1"])
    rows = _observed(harnesses)
    # Alone, o3 looks like a no-op against the state before the batch; after o2 it is not.
    assert not observation_changes_key(index, batch[1].for_symbol("A"), rows)
    assert keys_to_advance(index, batch, rows) == {"A"}
    h = harnesses["A"]
    h.feed(*(o.for_symbol("A") for o in batch))
    assert [(r.valid_from, r.values["tick_size"]) for r in h.current()] == [
        (t(1), "0.01"), (t(10), "1"), (t(11), "0.01")]


def test_correction_equal_to_the_feed_is_still_recorded_as_a_correction() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    h.feed(Correction("c1", VENUE, SYMBOL, t(2), None, {"tick_size": "0.010"}, s(2)))
    assert [(r.valid_from, r.corrected_fields) for r in h.current()] == [
        (t(1), ()), (t(2), ("tick_size",))]


def test_records_round_trip_with_typed_columns() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec(expiry="2024-03-29T08:00:00")), obs("o2", 2, 2, None))
    h.feed(Correction("c1", VENUE, SYMBOL, t(0), t(3), {"min_qty": Decimal("1.50")}, s(3)))
    names = [name for name, _, _ in COLUMNS]
    assert len(names) == len(set(names))
    for row in h.rows():
        record = to_record(row)
        assert list(record) == names
        if row.basis != "none":
            assert isinstance(record["tick_size"], Decimal)
            assert isinstance(record["expiry"], datetime)
        assert from_record(record) == row
    # An Iceberg decimal(38,18) comes back padded; it must read as the same value.
    row = h.rows()[0]
    padded = {**to_record(row), "tick_size": Decimal("0.010000000000000000")}
    assert from_record(padded) == row
