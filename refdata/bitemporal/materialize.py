"""Incremental materialization of one key's silver rows (both layers).

Pure and per key so that the Spark job can run it inside groupBy(venue, symbol).applyInPandas:
the job hands over the key's current rows, its corrections and revocations, the venue's
observation index and the key's new events; it writes back `Changes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby

from refdata.errors import RefdataError

from .events import (Correction, KeyEvent, KeyObservation, Revocation, active_corrections,
                     contract_hash)
from .index import VenueIndex
from .layers import CarriedLifetime, Segment, overwrite, published, segments_of
from .rows import VersionRow, closed_end, make_row
from .window import carried_lifetime, in_tail


class OutOfOrderEvent(RefdataError, ValueError):
    """An event not yet applied has a system time at or below the key's high-water mark.

    Applying it would rewrite beliefs already published as known at earlier system times.
    """


@dataclass(frozen=True)
class KeyState:
    """What the job loads for one key: current rows (superseded_at is None) of both layers,
    every correction and revocation of the key applied so far, and the high-water mark (the
    system time through which events have been applied; the job's committed watermark).

    `window_from` set: `rows` is only the key's tail starting there (`refdata.bitemporal.
    window`), and the events must satisfy `tail_suffices`; rows are then compared and
    produced only where they reach past `window_from`."""

    venue: str
    symbol: str
    rows: tuple[VersionRow, ...] = ()
    corrections: tuple[Correction, ...] = ()
    revocations: tuple[Revocation, ...] = ()
    high_water: datetime | None = None
    window_from: datetime | None = None


@dataclass(frozen=True)
class Changes:
    to_supersede: tuple[tuple[str, datetime], ...]  # (version_id, superseded_at) of old rows
    to_insert: tuple[VersionRow, ...]  # new rows; superseded_at set if retired in this call
    state: KeyState = field(repr=False)

    @property
    def is_empty(self) -> bool:
        return not self.to_supersede and not self.to_insert


def _check_state(state: KeyState, index: VenueIndex) -> None:
    if index.venue != state.venue:
        raise ValueError(f"index of {index.venue} given for key of {state.venue}")
    for row in state.rows:
        if row.key != (state.venue, state.symbol) or row.superseded_at is not None:
            raise ValueError(f"state holds a row that is not current for the key: {row}")
        if not in_tail(row, state.window_from):
            raise ValueError(f"state holds a row outside its window from {state.window_from}: {row}")
    if state.window_from is not None and _carried(state) is None:
        raise ValueError(f"{state.venue} {state.symbol}: a windowed state needs the observed and "
                         f"published rows starting at {state.window_from}")
    hwm = state.high_water
    ledger: list[Correction | Revocation] = [*state.corrections, *state.revocations]
    for e in ledger:
        s = e.system_time
        if e.key != (state.venue, state.symbol) or (s is not None and (hwm is None or s > hwm)):
            raise ValueError(f"state holds {e.event_id}, not an applied event of the key")


def _applied_version(e: KeyEvent, state: KeyState, index: VenueIndex) -> KeyEvent | None:
    """The ledger's copy of an already applied event, if any.

    Corrections and revocations are in the state; observations leave no trace in the rows when
    they change nothing, so the venue index (entries flagged `applied`) is their ledger.
    """
    if isinstance(e, Correction):
        return next((c for c in state.corrections if c.correction_id == e.correction_id), None)
    if isinstance(e, Revocation):
        return next((r for r in state.revocations if r.revocation_id == e.revocation_id), None)
    entry = index.entry(e.event_id)
    return e if entry is not None and entry.applied else None


def _fresh(state: KeyState, index: VenueIndex, events: Iterable[KeyEvent]) -> list[KeyEvent]:
    """New events to apply; replays of applied ones are dropped, anything else late raises."""
    key, hwm = (state.venue, state.symbol), state.high_water
    seen: dict[str, KeyEvent] = {}
    fresh: dict[str, KeyEvent] = {}
    for e in events:
        if e.key != key:
            raise ValueError(f"event {e.event_id} is for {e.key}, not {key}")
        s = e.system_time
        if s is None:  # a correction proposal that was never approved asserts nothing
            continue
        if seen.setdefault(e.event_id, e) != e:
            raise ValueError(f"two different events share the id {e.event_id}")
        if isinstance(e, KeyObservation):
            entry = index.entry(e.event_id)
            if entry is None or entry.recorded_at != s:
                raise ValueError(f"observation {e.event_id} is missing from the {index.venue} "
                                 "index or has another system time there")
        applied = _applied_version(e, state, index)
        if applied is not None:
            if applied != e:
                raise ValueError(f"{key}: event {e.event_id} was applied with other content")
            continue  # a replay
        if hwm is not None and s <= hwm:
            raise OutOfOrderEvent(
                f"{key}: event {e.event_id} has system time {s.isoformat()}, not after the "
                f"high-water mark {hwm.isoformat()}; system time must be the bronze commit time"
            )
        fresh[e.event_id] = e
    return list(fresh.values())


def _system_time(e: KeyEvent) -> datetime:
    s = e.system_time
    assert s is not None, "unapproved corrections are dropped before sorting"
    return s


def _carried(state: KeyState) -> CarriedLifetime | None:
    start = state.window_from
    if start is None or not any(r.layer == "observed" and r.valid_from == start for r in state.rows):
        return None
    life = carried_lifetime(state.rows, start)
    return None if life is None else (start, life)


def _target_rows(state: KeyState, s: datetime, segments: list[Segment],
                 corrections: list[Correction]) -> list[VersionRow]:
    venue, symbol = state.venue, state.symbol
    carried = _carried(state)
    rows = [
        make_row("observed", venue, symbol, None, seg.start, seg.end, s, "listed", seg.values,
                 seg.spec_hash, (), seg.asserted_by)
        for seg in segments
    ]
    rows += [
        make_row("published", venue, symbol, p.lifetime, p.start, p.end, s, p.basis, p.values,
                 contract_hash(p.values), p.corrected, p.asserted_by)
        for p in published(venue, symbol, segments, corrections, carried)
    ]
    if state.window_from is None:
        return rows
    # Outside the window the loaded suffix cannot speak (and nothing there changes).
    return [r for r in rows if closed_end(r.valid_to) > state.window_from]


def advance(state: KeyState, index: VenueIndex, events: Iterable[KeyEvent]) -> Changes:
    """Apply the key's new events, one system time at a time, and say what changes in silver.

    Events sharing a system time are applied together (no zero-length system intervals). The
    result depends only on the set of events, not on how they were split into calls.
    """
    _check_state(state, index)
    fresh = sorted(_fresh(state, index, events), key=_system_time)
    live = {r.version_id: r for r in state.rows}
    inserted: dict[str, VersionRow] = {}
    retired: list[tuple[str, datetime]] = []
    segments = segments_of(state.rows)
    corrections, revocations = list(state.corrections), list(state.revocations)
    high_water = state.high_water
    for s, group in groupby(fresh, key=_system_time):
        for e in group:
            if isinstance(e, Correction):
                corrections.append(e)
            elif isinstance(e, Revocation):
                revocations.append(e)
            elif (interval := index.interval_of(e)) is not None:
                segments = overwrite(segments, *interval, e.event_id, e.values)
        wanted = {r.content(): r for r in _target_rows(
            state, s, segments, active_corrections(corrections, revocations, s))}
        have = {r.content(): r for r in live.values()}
        for content, row in have.items():
            if content not in wanted:
                del live[row.version_id]
                if row.version_id in inserted:
                    inserted[row.version_id] = row.superseded(s)
                else:
                    retired.append((row.version_id, s))
        for content, row in wanted.items():
            if content not in have:
                live[row.version_id] = inserted[row.version_id] = row
        high_water = s
    new_state = KeyState(
        state.venue, state.symbol,
        tuple(sorted(live.values(), key=lambda r: (r.layer, r.valid_from))),
        tuple(corrections), tuple(revocations), high_water, state.window_from,
    )
    return Changes(tuple(retired), tuple(inserted.values()), new_state)


def apply_changes(table: Mapping[str, VersionRow], changes: Changes) -> dict[str, VersionRow]:
    """What the job's MERGE does to the silver table, in memory: set superseded_at, insert."""
    out = dict(table)
    for version_id, at in changes.to_supersede:
        out[version_id] = out[version_id].superseded(at)
    for row in changes.to_insert:
        if row.version_id in out:
            raise ValueError(f"row {row.version_id} inserted twice")
        out[row.version_id] = row
    return out


def rebuild(events: Iterable[KeyEvent], index: VenueIndex) -> list[VersionRow]:
    """All rows of one key (history included) from its complete event log.

    The index's `applied` flags are ignored: from scratch, nothing has been applied yet.
    """
    events = list(events)
    if not events:
        return []
    venue, symbol = events[0].key
    fresh_index = VenueIndex(index.venue, (replace(e, applied=False) for e in index.entries))
    changes = advance(KeyState(venue, symbol), fresh_index, events)
    return sorted(changes.to_insert, key=lambda r: (r.layer, r.recorded_at, r.valid_from))
