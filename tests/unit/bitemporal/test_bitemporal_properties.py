"""Property tests: silver, however it was batched, answers exactly what the oracle answers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime

from bitemporal_support import s, spec, t
from hypothesis import given, settings
from hypothesis import strategies as st

from refdata.bitemporal import (NO_INSTRUMENT, Correction, KeyEvent, KeyObservation, KeyState,
                                Observation, Revocation, VenueIndex, VersionRow, advance,
                                apply_changes, evaluate, keys_to_advance, lifetime_id, normalize,
                                rebuild)
from refdata.bitemporal import oracle
from refdata.bitemporal.rows import closed_end, rows_at
from refdata.bitemporal.window import tail_rows, tail_start, tail_suffices
from refdata.domain import CONTRACT_FIELDS, VOLATILE_FIELDS
from refdata.silver.plan import IndexRecord, NewObservation, plan_venue

PROFILE = settings.get_profile(os.environ.get("BITEMPORAL_HYPOTHESIS_PROFILE", "bitemporal-ci"))

VENUES = ("v1", "v2")
SYMBOLS = ("A", "B")
KEYS = [(v, sym) for v in VENUES for sym in SYMBOLS]
CORRECTABLE = {"tick_size": ["0.5", "0.01", "0.1"], "status": ["halted", "delisted", "active"],
               "min_qty": ["1", "3"], "max_notional": ["100", "300"], "base_asset": ["XBT", "BTC"]}
PROBE_V = [t(h / 2) for h in range(-2, 14)]
PROBE_S = [s(m) for m in range(0, 11)]

listing = st.builds(
    lambda tick, status, min_qty, vol: spec(tick_size=tick, status=status, min_qty=min_qty,
                                            status_raw=status.upper(), max_notional=vol),
    st.sampled_from(["0.01", "0.1"]), st.sampled_from(["active", "halted"]),
    st.sampled_from(["1", "2"]), st.sampled_from(["100", "200"]),
)


@st.composite
def event_logs(draw: st.DrawFn, hourly: bool = False) -> list[Observation | Correction | Revocation]:
    """Random event logs; `hourly`: observations mostly arrive in exchange-time order, one
    poll after the other, as a live feed does (with the odd late or tied one)."""
    events: list[Observation | Correction | Revocation] = []
    for i in range(draw(st.integers(1, 8))):
        listed = {sym: draw(listing) for sym in SYMBOLS if draw(st.integers(0, 3))}
        if hourly and draw(st.integers(0, 5)):
            observed, recorded = i * 0.75, i + 1
        else:
            observed, recorded = draw(st.integers(0, 5)), draw(st.integers(1, 9))
        events.append(Observation(f"o{i}", draw(st.sampled_from(VENUES)),
                                  t(observed), s(recorded), listed))
    corrections = []
    for i in range(draw(st.integers(0, 4))):
        venue, symbol = draw(st.sampled_from(KEYS))
        lo = draw(st.integers(-1, 6))
        hi = draw(st.none() | st.integers(lo + 1, lo + 3))
        names = draw(st.sets(st.sampled_from(sorted(CORRECTABLE)), max_size=3))
        fields = {n: draw(st.sampled_from(CORRECTABLE[n])) for n in sorted(names)}
        approved = draw(st.none() | st.integers(1, 9)) if draw(st.integers(0, 9)) == 0 else \
            draw(st.integers(1, 9))
        corrections.append(Correction(f"c{i}", venue, symbol, t(lo), None if hi is None else t(hi),
                                      fields, None if approved is None else s(approved)))
    events += corrections
    if corrections:
        for i in range(draw(st.integers(0, 2))):
            c = draw(st.sampled_from(corrections))
            events.append(Revocation(f"r{i}", c.venue, c.symbol, c.correction_id,
                                     s(draw(st.integers(1, 9)))))
    return events


def system_time(e: Observation | Correction | Revocation | KeyEvent) -> datetime | None:
    if isinstance(e, Correction):
        return e.approved_at
    return e.revoked_at if isinstance(e, Revocation) else e.recorded_at


def for_key(events: Iterable[Observation | Correction | Revocation],
            key: tuple[str, str]) -> list[KeyEvent]:
    out: list[KeyEvent] = []
    for e in events:
        if isinstance(e, Observation):
            if e.venue == key[0]:
                out.append(e.for_symbol(key[1]))
        elif e.key == key:
            out.append(e)
    return out


def run(events: Sequence[Observation | Correction | Revocation], cuts: Sequence[bool],
        prefilter: bool, replays: Sequence[bool]) -> dict[tuple[str, str], list[VersionRow]]:
    """Drive every key the way the job does, batch by batch; return each key's silver rows."""
    times = sorted({st for e in events if (st := system_time(e)) is not None})
    batches: list[list[datetime]] = [[]]
    for i, when in enumerate(times):
        batches[-1].append(when)
        if cuts[i % len(cuts)]:
            batches.append([])
    observations = [e for e in events if isinstance(e, Observation)]
    states = {k: KeyState(*k) for k in KEYS}
    tables: dict[tuple[str, str], dict[str, VersionRow]] = {k: {} for k in KEYS}
    applied: set[str] = set()
    for n, batch_times in enumerate(b for b in batches if b):
        batch = [e for e in events if system_time(e) in batch_times]
        index = {v: VenueIndex.of(v, observations, applied) for v in VENUES}
        touched = {v: keys_to_advance(
            index[v], [o for o in batch if isinstance(o, Observation)],
            [r for k in KEYS if k[0] == v for r in states[k].rows]) for v in VENUES}
        for key in KEYS:
            mine = for_key(batch, key)
            if prefilter and key[1] not in touched[key[0]]:
                mine = [e for e in mine if not isinstance(e, KeyObservation)]
            changes = advance(states[key], index[key[0]], mine)
            tables[key] = apply_changes(tables[key], changes)
            states[key] = changes.state
        applied |= {o.event_id for o in batch if isinstance(o, Observation)}
        if replays[n % len(replays)]:
            index = {v: VenueIndex.of(v, observations, applied) for v in VENUES}
            for key in KEYS:
                changes = advance(states[key], index[key[0]], for_key(batch, key))
                assert changes.is_empty, "a replayed batch changed silver"
                states[key] = changes.state
    return {k: sorted(tables[k].values(), key=lambda r: r.version_id) for k in KEYS}


def run_from_tails(events: Sequence[Observation | Correction | Revocation], cuts: Sequence[bool],
                   replays: Sequence[bool]) -> tuple[dict[tuple[str, str], list[VersionRow]], int]:
    """Drive every key as the job does at scale: plan against the keys' tails, advance the
    tail alone when it suffices and the whole current state otherwise, keep the new tail.

    Returns each key's silver rows and how many advances ran on a (windowed) tail alone."""
    times = sorted({st for e in events if (st := system_time(e)) is not None})
    batches: list[list[datetime]] = [[]]
    for i, when in enumerate(times):
        batches[-1].append(when)
        if cuts[i % len(cuts)]:
            batches.append([])
    observations = [e for e in events if isinstance(e, Observation)]
    tables: dict[tuple[str, str], dict[str, VersionRow]] = {k: {} for k in KEYS}
    tails: dict[tuple[str, str], tuple[VersionRow, ...]] = {k: () for k in KEYS}
    ledgers = {k: KeyState(*k) for k in KEYS}  # corrections, revocations, high-water mark
    applied: dict[str, list[IndexRecord]] = {v: [] for v in VENUES}
    windowed = 0

    def state_for(key: tuple[str, str], index: VenueIndex, key_events: Sequence[KeyEvent]) -> KeyState:
        ledger, tail = ledgers[key], tails[key]
        if tail_suffices(tail, key_events, index, ledger.corrections):
            return KeyState(*key, tail, ledger.corrections, ledger.revocations,
                            ledger.high_water, tail_start(tail))
        current = tuple(r for r in tables[key].values() if r.superseded_at is None)
        return KeyState(*key, current, ledger.corrections, ledger.revocations, ledger.high_water)

    for n, batch_times in enumerate(b for b in batches if b):
        batch = [e for e in events if system_time(e) in batch_times]
        for venue in VENUES:
            new = [NewObservation(o, True) for o in batch if isinstance(o, Observation) and o.venue == venue]
            plan = plan_venue(venue, applied[venue], new,
                              [r for k in KEYS if k[0] == venue for r in tails[k]],
                              [c for c in batch if isinstance(c, Correction) and c.approved_at is not None],
                              [r for r in batch if isinstance(r, Revocation)])
            for symbol in sorted(plan.keys):
                key = (venue, symbol)
                state = state_for(key, plan.indexes[symbol], plan.events[symbol])
                windowed += state.window_from is not None
                changes = advance(state, plan.indexes[symbol], plan.events[symbol])
                tables[key] = apply_changes(tables[key], changes)
                tails[key] = tail_rows(changes.state.rows)
                assert tails[key] == tail_rows(tables[key].values()), "the kept tail is not the table's"
                ledgers[key] = KeyState(*key, (), changes.state.corrections, changes.state.revocations,
                                        changes.state.high_water)
            applied[venue] += [n.index_record() for n in new]
            if replays[n % len(replays)]:
                replay_index = VenueIndex(venue, [e.entry(True) for e in applied[venue]])
                for symbol in sorted(plan.keys):
                    key = (venue, symbol)
                    state = state_for(key, replay_index, plan.events[symbol])
                    assert advance(state, replay_index, plan.events[symbol]).is_empty, \
                        "a replayed batch changed silver"
    return {k: sorted(tables[k].values(), key=lambda r: r.version_id) for k in KEYS}, windowed


def check_invariants(rows: list[VersionRow]) -> None:
    for r in rows:
        assert r.valid_to is None or r.valid_from < r.valid_to
        assert r.superseded_at is None or r.superseded_at > r.recorded_at
    moments = {r.recorded_at for r in rows} | {r.superseded_at for r in rows if r.superseded_at}
    for at in moments:
        for layer in ("observed", "published"):
            live = sorted((r for r in rows if r.layer == layer and r.recorded_at <= at
                           and (r.superseded_at is None or at < r.superseded_at)),
                          key=lambda r: r.valid_from)
            for a, b in zip(live, live[1:]):
                assert closed_end(a.valid_to) <= b.valid_from, f"overlap at system time {at}"
                if closed_end(a.valid_to) == b.valid_from:  # touching: must differ
                    same = (a.spec_hash == b.spec_hash and a.lifetime_id == b.lifetime_id
                            and a.basis == b.basis and a.corrected_fields == b.corrected_fields
                            and all(a.values[f] == b.values[f] for f in a.corrected_fields))
                    assert not same, f"unmerged adjacent versions at system time {at}"


def check_against_oracle(events: list[Observation | Correction | Revocation],
                         key: tuple[str, str], rows: list[VersionRow]) -> None:
    relevant = [e for e in events if (e.venue if isinstance(e, Observation) else e.key[0])
                == key[0] and (isinstance(e, Observation) or e.key == key)]
    for at in PROBE_S:
        for v in PROBE_V:
            got = evaluate(rows, v, at)
            expected = oracle.answers(relevant, key, v, at)
            assert (got is not None) == any(x is not NO_INSTRUMENT for x in expected.values())
            if got is None:
                continue
            for f in CONTRACT_FIELDS:
                assert got[f] == expected[f], (f, v, at)
            [row] = rows_at(rows, v, at)
            base = oracle.observed_values(relevant, key, v, at)
            assert row.basis == ("none" if base is None else
                                 "delisted" if base["status"] == "delisted" else "listed")
            start = oracle.lifetime_start(relevant, key, v, at)
            assert row.lifetime_id == (None if start is None else lifetime_id(*key, start))
            winners = {f for f in CORRECTABLE
                       if oracle.winning_correction(relevant, key, f, v, at) is not None}
            assert set(row.corrected_fields) == winners
            for f in VOLATILE_FIELDS:
                if f in winners or base is None:
                    assert got[f] == expected[f]
                else:  # stored with the version, not versioned: some value seen for the key
                    seen = {normalize(o.listed[key[1]], complete=True)[f] for o in relevant
                            if isinstance(o, Observation) and o.recorded_at <= at
                            and key[1] in o.listed}
                    assert got[f] in seen


@PROFILE
@given(events=event_logs(), cuts=st.lists(st.booleans(), min_size=1, max_size=6))
def test_silver_answers_like_the_oracle(events: list[Observation | Correction | Revocation],
                                        cuts: list[bool]) -> None:
    silver = run(events, cuts, prefilter=False, replays=[False])
    for key, rows in silver.items():
        check_invariants(rows)
        check_against_oracle(events, key, rows)


@settings(PROFILE, max_examples=2 * PROFILE.max_examples)
@given(events=event_logs(), cuts=st.lists(st.booleans(), min_size=1, max_size=6),
       replays=st.lists(st.booleans(), min_size=1, max_size=4))
def test_batching_prefiltering_and_replays_do_not_matter(
        events: list[Observation | Correction | Revocation], cuts: list[bool],
        replays: list[bool]) -> None:
    incremental = run(events, cuts, prefilter=True, replays=replays)
    for key in KEYS:
        mine = for_key(events, key)
        index = VenueIndex.of(key[0], [e for e in events if isinstance(e, Observation)])
        rebuilt = sorted(rebuild(mine, index), key=lambda r: r.version_id) if mine else []
        assert incremental[key] == rebuilt, key
        assert all(r.values["status"] != NO_INSTRUMENT for r in rebuilt)


@settings(PROFILE, max_examples=2 * PROFILE.max_examples)
@given(events=event_logs() | event_logs(hourly=True),
       cuts=st.lists(st.booleans(), min_size=1, max_size=6),
       replays=st.lists(st.booleans(), min_size=1, max_size=4))
def test_advancing_tails_alone_gives_the_rebuild(
        events: list[Observation | Correction | Revocation], cuts: list[bool],
        replays: list[bool]) -> None:
    from_tails, _ = run_from_tails(events, cuts, replays)
    for key in KEYS:
        mine = for_key(events, key)
        index = VenueIndex.of(key[0], [e for e in events if isinstance(e, Observation)])
        rebuilt = sorted(rebuild(mine, index), key=lambda r: r.version_id) if mine else []
        assert from_tails[key] == rebuilt, key


def test_tails_alone_serve_most_advances() -> None:
    """The windowed path is really taken (the property above would also hold without it)."""
    hourly = [Observation(f"o{h}", "v1", t(h / 2), s(h), {"A": spec(tick_size=tick)})
              for h, tick in enumerate(["0.01", "0.1", "0.01", "0.1", "0.01", "0.1", "0.01", "0.1"])]
    silver, windowed = run_from_tails(hourly, [True], [False])
    assert windowed == 7  # every observation after the first
    index = VenueIndex.of("v1", hourly)
    assert silver[("v1", "A")] == sorted(rebuild(for_key(hourly, ("v1", "A")), index), key=lambda r: r.version_id)
