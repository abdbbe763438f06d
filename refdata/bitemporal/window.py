"""A key's tail: the few current rows an ordinary batch needs, instead of its whole history.

An instrument that changed a hundred times has a hundred current versions, but an hourly
observation only ever touches the valid time after the key's last observed run began. The
*tail* of a key is what `advance` needs to apply such events exactly:

- `s0`, the start of the key's last observed row (its latest listed run in valid time);
- the current observed rows starting at or after `s0` (that last row);
- the current published rows reaching past `s0` (`valid_to` null or after `s0`).

A key without any current observed row (only corrections ever asserted it) keeps every
current published row in its tail, which is then its whole current state.

Why it is enough (ADR 0013): every observed segment boundary is an observation time, so an
event affecting only valid time after `s0` can change nothing before `s0`; the published
layer on `[s0, ∞)` depends only on the segments from `s0` on (the last run, or the DELISTED
gap after it, whose fields are the last run's), the corrections (all of them are in the
state), and the lifetime of the run at `s0`, which the published row starting at `s0`
carries. `tail_suffices` checks those conditions for a batch; when they fail (a late
observation, a backdated correction, a revocation reaching before `s0`, a published row
merged across `s0`), the job loads the key's whole current state instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .events import Correction, KeyEvent, KeyObservation, Revocation
from .index import VenueIndex
from .rows import VersionRow, closed_end


def tail_start(rows: Iterable[VersionRow]) -> datetime | None:
    """`s0`: where the key's last current observed row starts; None without one."""
    starts = [r.valid_from for r in rows
              if r.layer == "observed" and r.superseded_at is None]
    return max(starts, default=None)


def in_tail(row: VersionRow, start: datetime | None) -> bool:
    """Whether a current row belongs to a tail starting at `start` (None: every row)."""
    if start is None:
        return True
    if row.layer == "observed":
        return row.valid_from >= start
    return closed_end(row.valid_to) > start


def tail_rows(rows: Iterable[VersionRow]) -> tuple[VersionRow, ...]:
    """The tail of a key, from any set of its current rows that contains the tail."""
    current = [r for r in rows if r.superseded_at is None]
    start = tail_start(current)
    return tuple(sorted((r for r in current if in_tail(r, start)),
                        key=lambda r: (r.layer, r.valid_from)))


def carried_lifetime(tail: Sequence[VersionRow], start: datetime) -> str | None:
    """Lifetime of the run at `s0`, from the published row that starts there."""
    for row in tail:
        if row.layer == "published" and row.valid_from == start and row.basis != "none":
            return row.lifetime_id
    return None


def tail_suffices(tail: Sequence[VersionRow], events: Iterable[KeyEvent], index: VenueIndex,
                  corrections: Iterable[Correction] = ()) -> bool:
    """Whether `advance` on the tail alone gives exactly what it gives on the whole state.

    `events` are the batch's events of the key; `corrections` are the key's corrections
    already applied (a revocation needs the interval of the correction it revokes).
    """
    start = tail_start(tail)
    if start is None:
        return True  # the tail is the key's whole current state
    published = [r for r in tail if r.layer == "published"]
    if any(r.valid_from < start for r in published):
        return False  # a version merged across s0: its beginning lies outside the tail
    if carried_lifetime(published, start) is None:
        return False
    events = list(events)
    known = {c.correction_id: c for c in corrections}
    known.update({e.correction_id: e for e in events if isinstance(e, Correction)})
    for event in events:
        if isinstance(event, KeyObservation):
            interval = index.interval_of(event)
            if interval is not None and interval[0] <= start:
                return False
        elif isinstance(event, Correction):
            if event.approved_at is not None and event.valid_from < start:
                return False
        elif isinstance(event, Revocation):
            revoked = known.get(event.correction_id)
            if revoked is None or revoked.valid_from < start:
                return False
    return True
