"""Per-venue index of observation times: which valid interval an observation governs.

An observation of a venue governs [t, next known t), so applying it to one key needs the
observed_at of the venue's *other* observations known at that system time, including those in
which the key is absent. The job builds one index per venue from all recorded observations
(times and ids only) and hands it to every key of the venue.

The index is also the ledger of applied observations: an entry is `applied` once a committed
run of the job has processed it (for every key, pre-filtered or not). That is what tells a
replayed observation (skip) from one that arrived below the watermark (an error): neither
leaves a trace in the rows when it changes nothing.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .events import KeyObservation, Observation, contract_hash, normalize
from .rows import FOREVER, VersionRow, closed_end

Interval = tuple[datetime, datetime]  # [start, end), end FOREVER when open


@dataclass(frozen=True, order=True)
class IndexEntry:
    observed_at: datetime
    recorded_at: datetime
    event_id: str
    applied: bool = field(default=False, compare=False)


class VenueIndex:
    """Observation times of one venue, queryable as of any system time.

    Entries recorded after the system time being applied are ignored, so one index built from
    everything recorded so far serves every batch and a full rebuild alike.
    """

    def __init__(self, venue: str, entries: Iterable[IndexEntry]) -> None:
        self.venue = venue
        self._by_id: dict[str, IndexEntry] = {}
        for e in entries:
            held = self._by_id.setdefault(e.event_id, e)
            if held != e:
                raise ValueError(f"{venue}: observation {e.event_id} appears with two times")
            if e.applied:
                self._by_id[e.event_id] = e
        self.entries: tuple[IndexEntry, ...] = tuple(sorted(self._by_id.values()))
        self._times = [e.observed_at for e in self.entries]
        # Min-tree over recorded_at in observed_at order: "the next t known at s" in O(log n)
        # instead of a scan past every later-recorded entry (quadratic in a full rebuild).
        size = 1
        while size < max(1, len(self.entries)):
            size *= 2
        tree = [FOREVER] * (2 * size)
        for i, e in enumerate(self.entries):
            tree[size + i] = e.recorded_at
        for node in range(size - 1, 0, -1):
            tree[node] = min(tree[2 * node], tree[2 * node + 1])
        self._size, self._tree = size, tree

    @classmethod
    def of(cls, venue: str, observations: Iterable[Observation | KeyObservation],
           applied: Iterable[str] = ()) -> VenueIndex:
        done = set(applied)
        return cls(venue, (IndexEntry(o.observed_at, o.recorded_at, o.event_id,
                                      o.event_id in done)
                           for o in observations if o.venue == venue))

    def with_applied(self, event_ids: Iterable[str]) -> VenueIndex:
        """The index after a run that processed these observations has been committed."""
        done = set(event_ids)
        return VenueIndex(self.venue, (replace(e, applied=e.applied or e.event_id in done)
                                       for e in self.entries))

    def entry(self, event_id: str) -> IndexEntry | None:
        return self._by_id.get(event_id)

    def _first_known_from(self, lo: int, s: datetime) -> int | None:
        """Smallest index >= lo whose entry was recorded at or before s."""
        def descend(node: int, node_lo: int, node_hi: int) -> int | None:
            if node_hi <= lo or self._tree[node] > s:
                return None
            if node_hi - node_lo == 1:
                return node_lo
            mid = (node_lo + node_hi) // 2
            found = descend(2 * node, node_lo, mid)
            return found if found is not None else descend(2 * node + 1, mid, node_hi)

        return descend(1, 0, self._size) if lo < len(self.entries) else None

    def governed_interval(self, observed_at: datetime, recorded_at: datetime,
                          event_id: str) -> Interval | None:
        """Valid interval the observation governs as of its own system time.

        None when an observation with the same observed_at and a later (recorded_at, id) was
        already known: that one wins the tie and this one governs nothing.
        """
        mine = (recorded_at, event_id)
        i = bisect_left(self._times, observed_at)
        while i < len(self.entries) and self._times[i] == observed_at:
            e = self.entries[i]
            if e.recorded_at <= recorded_at and (e.recorded_at, e.event_id) > mine:
                return None
            i += 1
        nxt = self._first_known_from(i, recorded_at)
        return (observed_at, FOREVER if nxt is None else self._times[nxt])

    def interval_of(self, obs: KeyObservation | Observation) -> Interval | None:
        if obs.venue != self.venue:
            raise ValueError(f"observation {obs.event_id} is of {obs.venue}, not {self.venue}")
        return self.governed_interval(obs.observed_at, obs.recorded_at, obs.event_id)


def _same_contract(values: Mapping[str, Any], spec_hash: str) -> bool:
    # Listings parsed by the job are in canonical form already: hashing them as they are
    # saves normalizing tens of thousands of specs per poll. Equal hashes mean canonical
    # values; otherwise normalize (a listing typed as "0.0100") and compare again.
    return contract_hash(values) == spec_hash or contract_hash(normalize(values, complete=True)) == spec_hash


def _changes(interval: Interval | None, values: Mapping[str, Any] | None,
             observed_rows: Iterable[VersionRow]) -> bool:
    """Whether listing `values` (None: absent) over `interval` would change the key's rows."""
    if interval is None:
        return False
    start, end = interval
    overlapping = [
        r for r in observed_rows
        if r.layer == "observed" and r.superseded_at is None
        and r.valid_from < end and start < closed_end(r.valid_to)
    ]
    if values is None:
        return bool(overlapping)
    if len(overlapping) != 1:
        return True
    row = overlapping[0]
    covers = row.valid_from <= start and closed_end(row.valid_to) >= end
    return not (covers and _same_contract(values, row.spec_hash))


def observation_changes_key(index: VenueIndex, obs: KeyObservation,
                            observed_rows: Iterable[VersionRow]) -> bool:
    """Whether applying `obs` to the key's current observed layer would change anything.

    Exact for one observation against the state it is applied to. For a batch use
    `keys_to_advance`: a later observation of the batch may matter only after an earlier one.
    """
    return _changes(index.interval_of(obs), obs.values, [r for r in observed_rows if r.key == obs.key])


def keys_to_advance(index: VenueIndex, batch: Iterable[Observation],
                    observed_rows: Iterable[VersionRow]) -> set[str]:
    """Symbols of the venue that a batch of its observations really changes.

    A key not returned is left untouched by every observation of the batch (each is a no-op
    against the unchanged state, by induction). A returned key must be advanced with *all*
    the batch's observations of the venue projected onto it, absences included.
    """
    batch = [o for o in batch if o.venue == index.venue]
    intervals = [(o, index.interval_of(o)) for o in batch]  # one per observation, not per key
    current: dict[str, list[VersionRow]] = {}
    for row in observed_rows:
        if row.venue == index.venue and row.layer == "observed" and row.superseded_at is None:
            current.setdefault(row.symbol, []).append(row)
    candidates = set(current) | {sym for o in batch for sym in o.listed}
    return {
        sym for sym in candidates
        if any(_changes(interval, o.listed.get(sym), current.get(sym, ())) for o, interval in intervals)
    }
