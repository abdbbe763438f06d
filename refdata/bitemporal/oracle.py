"""The bitemporal rule of DESIGN.md "Time, precisely", transcribed literally.

Deliberately naive (it rescans every event for every question) and independent of the
materializer's code, so that property tests can hold silver up against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from refdata.domain import SPEC_FIELDS

from .events import (DELISTED, NO_INSTRUMENT, Absent, AnyEvent, Correction, Key, Observation,
                     Revocation, normalize)


def _known(events: Iterable[AnyEvent], s: datetime) -> list[AnyEvent]:
    """Events recorded at or before s; an unapproved correction is no event at all."""
    out: list[AnyEvent] = []
    for e in events:
        t = e.approved_at if isinstance(e, Correction) else (
            e.revoked_at if isinstance(e, Revocation) else e.recorded_at)
        if t is not None and t <= s:
            out.append(e)
    return out


def _effective(known: list[AnyEvent], venue: str) -> list[Observation]:
    """One observation per observed_at (the later recorded wins a tie), in valid-time order."""
    winners: dict[datetime, Observation] = {}
    for o in known:
        if isinstance(o, Observation) and o.venue == venue:
            held = winners.get(o.observed_at)
            if held is None or (o.recorded_at, o.event_id) > (held.recorded_at, held.event_id):
                winners[o.observed_at] = o
    return [winners[t] for t in sorted(winners)]


def _governing(known: list[AnyEvent], key: Key, v: datetime) -> tuple[list[Observation], int]:
    effective = _effective(known, key[0])
    return effective, sum(1 for o in effective if o.observed_at <= v) - 1


def observed_values(events: Iterable[AnyEvent], key: Key, v: datetime,
                    s: datetime) -> dict[str, Any] | None:
    """What the feed says about the key at (v, s): listed spec, DELISTED, or None."""
    effective, g = _governing(_known(events, s), key, v)
    if g < 0:
        return None
    symbol = key[1]
    if symbol in effective[g].listed:
        return normalize(effective[g].listed[symbol], complete=True)
    earlier = [o for o in effective[:g] if symbol in o.listed]
    if not earlier:
        return None
    return {**normalize(earlier[-1].listed[symbol], complete=True), "status": DELISTED}


def winning_correction(events: Iterable[AnyEvent], key: Key, field: str, v: datetime,
                       s: datetime) -> Correction | None:
    known = _known(events, s)
    revoked = {r.correction_id for r in known if isinstance(r, Revocation)}
    candidates = [
        c for c in known
        if isinstance(c, Correction) and c.key == key and c.correction_id not in revoked
        and c.valid_from <= v and (c.valid_to is None or v < c.valid_to) and field in c.fields
    ]
    return max(candidates, key=lambda c: (c.approved_at, c.correction_id), default=None)


def answers(events: Iterable[AnyEvent], key: Key, v: datetime,
            s: datetime) -> dict[str, Any | Absent]:
    """Every spec field of instrument `key` at valid time v as known at system time s:
    the winning correction's value, else the feed's, else NO_INSTRUMENT."""
    events = list(events)
    base = observed_values(events, key, v, s)
    out: dict[str, Any | Absent] = {}
    for name in SPEC_FIELDS:
        correction = winning_correction(events, key, name, v, s)
        if correction is not None:
            out[name] = correction.fields[name]
        else:
            out[name] = NO_INSTRUMENT if base is None else base[name]
    return out


def answer(events: Iterable[AnyEvent], key: Key, field: str, v: datetime,
           s: datetime) -> Any | Absent:
    """Field `field` of instrument `key` at valid time v as known at system time s."""
    return answers(events, key, v, s)[field]


def instrument_exists(events: Iterable[AnyEvent], key: Key, v: datetime, s: datetime) -> bool:
    return any(value is not NO_INSTRUMENT for value in answers(events, key, v, s).values())


def lifetime_start(events: Iterable[AnyEvent], key: Key, v: datetime,
                   s: datetime) -> datetime | None:
    """Start of the listed run that v falls in (or, in a DELISTED gap, the run before it)."""
    effective, g = _governing(_known(events, s), key, v)
    listing = [i for i in range(g + 1) if key[1] in effective[i].listed]
    if not listing:
        return None
    i = listing[-1]
    while i > 0 and key[1] in effective[i - 1].listed:
        i -= 1
    return effective[i].observed_at
