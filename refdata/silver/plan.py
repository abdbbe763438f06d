"""Which keys a batch of events touches, and what each touched key must be advanced with.

Pure: the job loads the inputs (index entries, current rows, corrections) and hands them
here; the bitemporal engine does the rest per key.

Partial listings (a capture known to be trimmed, `complete_listing = false`) say nothing
about the instruments they do not list, so they may not delist anything: such an
observation enters only the index of the keys it lists, and later observations are
pre-filtered for those keys against that index (rare: partial listings come from recorded
captures, never from a live poll).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from refdata.bitemporal.events import Correction, KeyEvent, Observation, Revocation
from refdata.bitemporal.index import IndexEntry, VenueIndex, keys_to_advance, observation_changes_key
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
        # Keys listed by the same partial captures share one index (a trimmed capture lists
        # hundreds of keys; one index per key would repeat the venue's entries each time).
        self._cache: dict[frozenset[str], VenueIndex] = {}

    @property
    def symbols_with_partial_listings(self) -> frozenset[str]:
        return frozenset(self._partial)

    def for_key(self, symbol: str) -> VenueIndex:
        entries = self._partial.get(symbol)
        if entries is None:
            return self.base
        group = frozenset(e.event_id for e in entries)
        if group not in self._cache:
            self._cache[group] = VenueIndex(self.venue, self._complete + entries)
        return self._cache[group]


def _system_time(event: KeyEvent) -> tuple[datetime, str]:
    time = event.system_time
    assert time is not None  # only approved corrections reach the plan
    return (time, event.event_id)


def plan_venue(
    venue: str,
    applied_index: Iterable[IndexRecord],
    batch: Sequence[NewObservation],
    tail_observed_rows: Iterable[VersionRow],
    corrections: Iterable[Correction],
    revocations: Iterable[Revocation],
) -> VenuePlan:
    """Keys of `venue` that the batch and the new corrections change, with their events.

    `tail_observed_rows`: at least the last current observed row of every key of the venue
    (its tail, `refdata.bitemporal.window`). Against those rows the pre-filter is exact for
    an observation starting at or after the row: nothing earlier can overlap it. A key whose
    last row starts after the batch's earliest observation (a late observation) is advanced
    without pre-filtering.
    """
    batch = sorted(batch, key=lambda n: (n.observation.recorded_at, n.observation.event_id))
    indexes = VenueIndexes(venue, applied_index, batch)
    complete_batch = [n.observation for n in batch if n.complete_listing]
    partial_batch = [n.observation for n in batch if not n.complete_listing]
    corrections = [c for c in corrections if c.venue == venue]
    revocations = [r for r in revocations if r.venue == venue]

    rows_by_key: dict[str, list[VersionRow]] = {}
    for row in tail_observed_rows:
        if row.venue == venue and row.layer == "observed" and row.superseded_at is None:
            rows_by_key.setdefault(row.symbol, []).append(row)
    with_partial = indexes.symbols_with_partial_listings
    keys: set[str] = set()
    if complete_batch:
        earliest = min(o.observed_at for o in complete_batch)
        keys |= {symbol for symbol, rows in rows_by_key.items()
                 if max(r.valid_from for r in rows) > earliest}
        plain_rows = [r for symbol, rows in rows_by_key.items() if symbol not in with_partial for r in rows]
        keys |= keys_to_advance(indexes.base, complete_batch, plain_rows) - with_partial
        # Keys listed by partial captures answer to their own index.
        for symbol in with_partial:
            index, rows = indexes.for_key(symbol), rows_by_key.get(symbol, [])
            if any(observation_changes_key(index, o.for_symbol(symbol), rows) for o in complete_batch):
                keys.add(symbol)
    keys |= {symbol for o in partial_batch for symbol in o.listed}
    keys |= {c.symbol for c in corrections} | {r.symbol for r in revocations}

    events: dict[str, tuple[KeyEvent, ...]] = {}
    for symbol in keys:
        key_events: list[KeyEvent] = [o.for_symbol(symbol) for o in complete_batch]
        key_events += [o.for_symbol(symbol) for o in partial_batch if symbol in o.listed]
        key_events += [c for c in corrections if c.symbol == symbol]
        key_events += [r for r in revocations if r.symbol == symbol]
        events[symbol] = tuple(sorted(key_events, key=_system_time))
    return VenuePlan(venue, frozenset(keys), {s: indexes.for_key(s) for s in keys}, events)
