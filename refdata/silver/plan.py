"""Which keys a batch of events touches, and what each touched key must be advanced with.

Pure: the job loads the inputs (index entries, current rows, corrections) and hands them
here; the bitemporal engine does the rest per key.

Partial listings (a capture known to be trimmed, `complete_listing = false`) say nothing
about the instruments they do not list, so they may not delist anything: such an
observation enters only the index of the keys it lists. Those keys are always advanced
(rare: partial listings come from recorded captures, never from a live poll).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from refdata.bitemporal.events import Correction, KeyEvent, Observation, Revocation
from refdata.bitemporal.index import IndexEntry, VenueIndex, keys_to_advance
from refdata.bitemporal.rows import VersionRow


@dataclass(frozen=True)
class IndexRecord:
    """One row of silver.observation_index (applied) or a new observation's entry."""

    event_id: str
    observed_at: datetime
    recorded_at: datetime
    complete_listing: bool
    listed_symbols: tuple[str, ...] | None = None  # partial listings only

    def entry(self, applied: bool) -> IndexEntry:
        return IndexEntry(self.observed_at, self.recorded_at, self.event_id, applied)


@dataclass(frozen=True)
class NewObservation:
    observation: Observation
    complete_listing: bool
    raw_payloads: Mapping[str, str] = field(default_factory=dict)  # symbol -> raw JSON

    def index_record(self) -> IndexRecord:
        o = self.observation
        listed = None if self.complete_listing else tuple(sorted(o.listed))
        return IndexRecord(o.event_id, o.observed_at, o.recorded_at, self.complete_listing, listed)


@dataclass(frozen=True)
class VenuePlan:
    venue: str
    keys: frozenset[str]
    indexes: Mapping[str, VenueIndex]  # per touched key
    events: Mapping[str, tuple[KeyEvent, ...]]  # per touched key, in system-time order


class VenueIndexes:
    """The applied index of a venue plus a batch, giving each key the index it must use."""

    def __init__(self, venue: str, applied: Iterable[IndexRecord], batch: Sequence[NewObservation]) -> None:
        self.venue = venue
        records = [(r, True) for r in applied] + [(n.index_record(), False) for n in batch]
        complete = [r.entry(done) for r, done in records if r.complete_listing]
        self._partial: dict[str, list[IndexEntry]] = {}
        for record, done in records:
            if not record.complete_listing:
                for symbol in record.listed_symbols or ():
                    self._partial.setdefault(symbol, []).append(record.entry(done))
        self._complete = complete
        self.base = VenueIndex(venue, complete)
        self._cache: dict[str, VenueIndex] = {}

    @property
    def symbols_with_partial_listings(self) -> frozenset[str]:
        return frozenset(self._partial)

    def for_key(self, symbol: str) -> VenueIndex:
        if symbol not in self._partial:
            return self.base
        if symbol not in self._cache:
            self._cache[symbol] = VenueIndex(self.venue, self._complete + self._partial[symbol])
        return self._cache[symbol]


def _system_time(event: KeyEvent) -> tuple[datetime, str]:
    time = event.system_time
    assert time is not None  # only approved corrections reach the plan
    return (time, event.event_id)


def plan_venue(
    venue: str,
    applied_index: Iterable[IndexRecord],
    batch: Sequence[NewObservation],
    current_observed_rows: Iterable[VersionRow],
    corrections: Iterable[Correction],
    revocations: Iterable[Revocation],
) -> VenuePlan:
    """Keys of `venue` that the batch and the new corrections change, with their events."""
    batch = sorted(batch, key=lambda n: (n.observation.recorded_at, n.observation.event_id))
    indexes = VenueIndexes(venue, applied_index, batch)
    complete_batch = [n.observation for n in batch if n.complete_listing]
    partial_batch = [n.observation for n in batch if not n.complete_listing]
    corrections = [c for c in corrections if c.venue == venue]
    revocations = [r for r in revocations if r.venue == venue]

    keys = set(keys_to_advance(indexes.base, complete_batch, list(current_observed_rows)))
    keys |= {symbol for o in partial_batch for symbol in o.listed}
    if batch:
        # Keys with partial entries have their own index; the venue-wide pre-filter cannot
        # speak for them, so advance them whenever the venue has new observations.
        keys |= indexes.symbols_with_partial_listings
    keys |= {c.symbol for c in corrections} | {r.symbol for r in revocations}

    events: dict[str, tuple[KeyEvent, ...]] = {}
    for symbol in keys:
        key_events: list[KeyEvent] = [o.for_symbol(symbol) for o in complete_batch]
        key_events += [o.for_symbol(symbol) for o in partial_batch if symbol in o.listed]
        key_events += [c for c in corrections if c.symbol == symbol]
        key_events += [r for r in revocations if r.symbol == symbol]
        events[symbol] = tuple(sorted(key_events, key=_system_time))
    return VenuePlan(venue, frozenset(keys), {s: indexes.for_key(s) for s in keys}, events)
