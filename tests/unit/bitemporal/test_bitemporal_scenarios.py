"""Hand-written scenarios of DESIGN.md "Time, precisely", asserted on values and rows."""

from __future__ import annotations

import pytest
from bitemporal_support import SYMBOL, VENUE, Harness, intervals, obs, s, spec, t

from refdata.bitemporal import (NO_INSTRUMENT, Correction, KeyEvent, KeyObservation, KeyState,
                                OutOfOrderEvent, Revocation, VenueIndex, advance, lifetime_id,
                                rebuild)

def LT(hours: float) -> str:  # noqa: N802 - reads like the constant it stands for
    return lifetime_id(VENUE, SYMBOL, t(hours))


def corr(cid: str, lo: float, hi: float | None, approved: float | None,
         **fields: object) -> Correction:
    return Correction(cid, VENUE, SYMBOL, t(lo), None if hi is None else t(hi), fields,
                      None if approved is None else s(approved), "alice", "bob", "test")


def revoke(rid: str, cid: str, at: float) -> Revocation:
    return Revocation(rid, VENUE, SYMBOL, cid, s(at), "bob", "test")


def test_new_listing() -> None:
    h = Harness()
    changes = h.feed(obs("o1", 1, 1, spec()))
    assert changes.to_supersede == ()
    [pub] = h.current()
    assert (pub.valid_from, pub.valid_to, pub.recorded_at) == (t(1), None, s(1))
    assert (pub.basis, pub.lifetime_id, pub.asserted_by) == ("listed", LT(1), ("o1",))
    assert pub.values["tick_size"] == "0.01" and pub.values["status"] == "active"
    assert len(h.current("observed")) == 1
    assert h.at(t(0.5), s(1)) is None  # before its first listing
    assert h.at(t(5), s(0.5)) is None  # before we knew
    assert h.at(t(5), s(1))["min_notional"] == "5"  # type: ignore[index]


def test_unchanged_repoll_changes_nothing() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    assert h.feed(obs("o2", 2, 2, spec())).is_empty
    assert h.feed(obs("o3", 3, 3, spec(tick_size="0.0100"))).is_empty  # same decimal
    assert h.state.high_water == s(3)


def test_volatile_only_change_makes_no_version() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    assert h.feed(obs("o2", 2, 2, spec(max_notional="123", max_market_qty="7"))).is_empty
    assert h.current()[0].values["max_notional"] == "9000000"  # first seen, kept


def test_field_change_cuts_the_version() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    old = h.current()[0]
    changes = h.feed(obs("o2", 2, 2, spec(tick_size="0.1")))
    assert (old.version_id, s(2)) in changes.to_supersede
    assert len(changes.to_supersede) == 2  # the published and the observed row
    cur = h.current()
    assert intervals(cur) == [(t(1), t(2)), (t(2), None)]
    assert [r.values["tick_size"] for r in cur] == ["0.01", "0.1"]
    assert {r.lifetime_id for r in cur} == {LT(1)}
    assert h.at(t(2.5), s(1.5))["tick_size"] == "0.01"  # type: ignore[index]  # belief then
    assert h.at(t(2.5), s(2))["tick_size"] == "0.1"  # type: ignore[index]
    assert h.at(t(1.5), s(2))["tick_size"] == "0.01"  # type: ignore[index]


def test_several_snapshots_in_one_batch_equal_one_by_one() -> None:
    events = [obs("o1", 1, 1, spec()), obs("o2", 2, 2, spec(tick_size="0.1")),
              obs("o3", 3, 3, spec(tick_size="0.5"))]
    batch, single = Harness(), Harness()
    changes = batch.feed(*reversed(events))  # arrival order inside a batch is irrelevant
    for e in events:
        single.feed(e)
    assert batch.rows() == single.rows()
    # The row believed only between s1 and s2 is inserted already superseded.
    assert any(r.recorded_at == s(1) and r.superseded_at == s(2) for r in changes.to_insert)
    assert [r.values["tick_size"] for r in batch.current()] == ["0.01", "0.1", "0.5"]


def test_delisting_then_relisting_starts_a_new_lifetime() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    h.feed(obs("o2", 2, 2, None))
    h.feed(obs("o3", 3, 3, spec(tick_size="0.1")))
    listed, gap, relisted = h.current()
    assert (listed.basis, gap.basis, relisted.basis) == ("listed", "delisted", "listed")
    assert intervals([listed, gap, relisted]) == [(t(1), t(2)), (t(2), t(3)), (t(3), None)]
    assert gap.values["status"] == "delisted" and gap.values["tick_size"] == "0.01"
    assert gap.values["status_raw"] == "TRADING"  # last listed fields are kept
    assert gap.lifetime_id == listed.lifetime_id == LT(1)
    assert relisted.lifetime_id == LT(3) != LT(1)
    assert h.at(t(2.5), s(2.5))["status"] == "delisted"  # type: ignore[index]
    assert h.at(t(9), s(2.5))["status"] == "delisted"  # type: ignore[index]  # open-ended gap


def test_late_observation_asserts_only_up_to_the_next_known_one() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    h.feed(obs("o3", 3, 2, spec()))
    h.feed(obs("o2", 2, 3, spec(tick_size="0.1")))  # observed between, recorded last
    assert [(r.valid_from, r.valid_to, r.values["tick_size"]) for r in h.current()] == [
        (t(1), t(2), "0.01"), (t(2), t(3), "0.1"), (t(3), None, "0.01")]
    assert h.at(t(2.5), s(2.5))["tick_size"] == "0.01"  # type: ignore[index]
    assert h.at(t(2.5), s(3))["tick_size"] == "0.1"  # type: ignore[index]


def test_late_absence_splits_a_lifetime() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()), obs("o3", 3, 2, spec()))
    h.feed(obs("o2", 2, 3, None))
    assert [(r.basis, r.lifetime_id) for r in h.current()] == [
        ("listed", LT(1)), ("delisted", LT(1)), ("listed", LT(3))]


def test_late_earlier_listing_renames_the_lifetime() -> None:
    h = Harness()
    h.feed(obs("o2", 2, 1, spec()))
    assert h.current()[0].lifetime_id == LT(2)
    h.feed(obs("o1", 1, 2, spec()))
    [row] = h.current()
    assert (row.valid_from, row.lifetime_id) == (t(1), LT(1))


def test_replay_is_a_noop_and_a_late_new_event_is_refused() -> None:
    h = Harness()
    events = (obs("o1", 1, 1, spec()), obs("o2", 2, 2, spec(tick_size="0.1")),
              corr("c1", 1, None, 3, min_qty="1"), revoke("r1", "c1", 4))
    h.feed(*events)
    before = h.rows()
    assert h.feed(*events).is_empty
    assert h.feed(events[0]).is_empty
    assert h.rows() == before
    with pytest.raises(OutOfOrderEvent, match="high-water"):
        h.feed(obs("late", 5, 3.5, spec()))
    with pytest.raises(OutOfOrderEvent):  # same system time as applied events, not applied
        h.feed(corr("c2", 1, None, 4, min_qty="2"))


def test_equal_observed_at_later_recorded_wins() -> None:
    h = Harness()
    h.feed(obs("a", 1, 1, spec()))
    h.feed(obs("b", 1, 2, spec(tick_size="0.1")))
    [row] = h.current()
    assert (row.valid_from, row.values["tick_size"], row.asserted_by) == (t(1), "0.1", ("b",))
    assert h.at(t(1), s(1.5))["tick_size"] == "0.01"  # type: ignore[index]
    # Recorded together: the id breaks the tie, whatever the order they are given in.
    for order in ((obs("x", 1, 1, spec()), obs("y", 1, 1, None)),
                  (obs("y", 1, 1, None), obs("x", 1, 1, spec()))):
        g = Harness()
        g.feed(*order)
        assert g.current() == []


def test_tie_loser_listing_does_not_count_as_earlier_listing() -> None:
    h = Harness()
    h.feed(obs("a", 1, 1, spec()))
    h.feed(obs("b", 1, 2, None))  # same exchange time, recorded later: replaces "a" entirely
    assert h.current() == [] and h.at(t(5), s(2)) is None


def test_backdated_correction() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    h.feed(corr("c1", 1.5, 2.5, 5, tick_size="0.5"))
    assert h.at(t(2), s(5))["tick_size"] == "0.5"  # type: ignore[index]
    assert h.at(t(2), s(4))["tick_size"] == "0.01"  # type: ignore[index]  # not yet approved
    assert h.at(t(3), s(5))["tick_size"] == "0.01"  # type: ignore[index]
    mid = [r for r in h.current() if r.valid_from == t(1.5)][0]
    assert (mid.valid_to, mid.corrected_fields, mid.asserted_by) == (t(2.5), ("tick_size",),
                                                                      ("c1", "o1"))
    assert {r.lifetime_id for r in h.current()} == {LT(1)}


def test_future_dated_open_correction_outlives_new_observations() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    h.feed(corr("c1", 10, None, 2, tick_size="0.5"))  # t2 = infinity
    assert h.at(t(5), s(2))["tick_size"] == "0.01"  # type: ignore[index]
    assert h.at(t(11), s(2))["tick_size"] == "0.5"  # type: ignore[index]
    h.feed(obs("o2", 12, 3, spec(tick_size="0.2", min_notional="10")))
    assert h.at(t(13), s(3))["tick_size"] == "0.5"  # type: ignore[index]
    assert h.at(t(13), s(3))["min_notional"] == "10"  # type: ignore[index]
    assert h.current()[-1].valid_to is None


def test_correction_of_a_correction() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    h.feed(corr("c1", 1, 4, 2, tick_size="0.5", min_qty="1"))
    h.feed(corr("c2", 2, 3, 3, tick_size="0.7"))
    ticks = [h.at(t(v), s(3))["tick_size"] for v in (1.5, 2.5, 3.5, 5)]  # type: ignore[index]
    assert ticks == ["0.5", "0.7", "0.5", "0.01"]
    assert h.at(t(2.5), s(3))["min_qty"] == "1"  # type: ignore[index]  # c1 still applies
    assert h.at(t(2.5), s(2.5))["tick_size"] == "0.5"  # type: ignore[index]


def test_revocation_restores_observed_values() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    plain = [r.values for r in h.current()]
    h.feed(corr("c1", 0, None, 2, tick_size="0.5"))
    h.feed(revoke("r1", "c1", 3))
    assert h.at(t(2), s(2.5))["tick_size"] == "0.5"  # type: ignore[index]
    assert h.at(t(2), s(3))["tick_size"] == "0.01"  # type: ignore[index]
    assert h.at(t(0.5), s(2.5))["tick_size"] == "0.5"  # type: ignore[index]
    assert h.at(t(0.5), s(3)) is None
    assert [r.values for r in h.current()] == plain


def test_revoking_the_newer_correction_restores_the_older() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()), corr("c1", 1, None, 2, tick_size="0.5"),
           corr("c2", 1, None, 3, tick_size="0.7"), revoke("r2", "c2", 4))
    assert [h.at(t(2), s(x))["tick_size"] for x in (1, 2, 3, 4)] == [  # type: ignore[index]
        "0.01", "0.5", "0.7", "0.5"]


def test_correction_of_one_field_keeps_the_feed_for_the_others() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    h.feed(corr("c1", 1, None, 2, tick_size="0.5"))
    h.feed(obs("o2", 2, 3, spec(min_notional="10")))
    late = h.at(t(2.5), s(3))
    assert late is not None and (late["tick_size"], late["min_notional"]) == ("0.5", "10")
    assert all(r.corrected_fields == ("tick_size",) for r in h.current())


def test_correction_where_no_instrument_is_known() -> None:
    h = Harness()
    h.feed(obs("o1", 5, 1, spec()))
    h.feed(corr("c1", 2, None, 2, tick_size="0.5"))  # announced before its listing
    early = h.at(t(3), s(2))
    assert early is not None and early["tick_size"] == "0.5"
    assert early["base_asset"] is NO_INSTRUMENT and early["status"] is NO_INSTRUMENT
    first = h.current()[0]
    assert (first.basis, first.lifetime_id, first.valid_to) == ("none", None, t(5))
    assert h.at(t(6), s(2))["base_asset"] == "BTC"  # type: ignore[index]


def test_unapproved_correction_asserts_nothing() -> None:
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()))
    assert h.feed(corr("c1", 1, None, None, tick_size="0.5")).is_empty


def test_rebuild_equals_incremental() -> None:
    events: list[KeyEvent] = [
        obs("o1", 1, 1, spec()), obs("o3", 3, 2, None), corr("c1", 2, 5, 3, min_qty="1"),
        obs("o2", 2, 4, spec(tick_size="0.1")), revoke("r1", "c1", 5), obs("o4", 4, 6, spec()),
    ]
    h = Harness()
    for e in events:
        h.feed(e)
    index = VenueIndex.of(VENUE, [e for e in events if isinstance(e, KeyObservation)])
    assert sorted(rebuild(events, index), key=lambda r: r.version_id) == h.rows()
    assert sorted(rebuild(events, h.index()), key=lambda r: r.version_id) == h.rows()
    assert all(entry.applied for entry in h.index().entries)  # the ledger does not stop a rebuild


def test_state_and_index_are_validated() -> None:
    index = VenueIndex.of(VENUE, [])
    with pytest.raises(ValueError, match="missing from"):
        advance(KeyState(VENUE, SYMBOL), index, [obs("o1", 1, 1, spec())])
    with pytest.raises(ValueError, match="index of"):
        advance(KeyState("okx-spot", SYMBOL), index, [])
    with pytest.raises(ValueError, match="empty valid interval"):
        corr("c", 2, 2, 1, tick_size="1")
    with pytest.raises(ValueError, match="not spec fields"):
        corr("c", 1, 2, 1, colour="red")
    h = Harness()
    h.feed(obs("o1", 1, 1, spec()), corr("c1", 1, None, 2, tick_size="1"))
    with pytest.raises(ValueError, match="other content"):
        h.feed(corr("c1", 1, None, 2, tick_size="2"))
    with pytest.raises(ValueError, match="share the id"):
        h.feed(corr("c2", 1, None, 3, tick_size="2"), corr("c2", 1, None, 3, tick_size="3"))
    with pytest.raises(ValueError, match="is for"):
        h.feed(Revocation("r", VENUE, "ETHUSDT", "c1", s(3)))


def test_adjacent_corrections_without_an_instrument_keep_their_own_fields() -> None:
    h = Harness()
    h.feed(corr("c1", 1, 2, 1, tick_size="0.5"), corr("c2", 2, 3, 1, tick_size="0.5", min_qty=None))
    assert [r.corrected_fields for r in h.current()] == [("tick_size",), ("min_qty", "tick_size")]
    assert h.at(t(1.5), s(1))["min_qty"] is NO_INSTRUMENT  # type: ignore[index]
    assert h.at(t(2.5), s(1))["min_qty"] is None  # type: ignore[index]
    assert h.at(t(3), s(1)) is None
