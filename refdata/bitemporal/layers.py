"""The two layers of one key as pure functions of its belief.

Observed layer: where the venue's observations list the key, and with which spec (listed
runs only; everywhere else is a gap). Published layer: the observed runs, the DELISTED gaps
they imply, and the corrections that count, overlaid field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from refdata.domain import SPEC_FIELDS

from .events import DELISTED, Correction, contract_hash, precedence
from .rows import FOREVER, Basis, VersionRow, closed_end, lifetime_id


@dataclass(frozen=True)
class Segment:
    """A listed run of the observed layer: [start, end) with one contract spec."""

    start: datetime
    end: datetime
    values: Mapping[str, Any]
    spec_hash: str
    asserted_by: tuple[str, ...]


def segments_of(rows: Iterable[VersionRow]) -> list[Segment]:
    return sorted(
        (Segment(r.valid_from, closed_end(r.valid_to), r.values, r.spec_hash, r.asserted_by)
         for r in rows if r.layer == "observed"),
        key=lambda seg: seg.start,
    )


def _merge(segments: list[Segment]) -> list[Segment]:
    """One segment per run of equal contract specs. The earlier piece's volatile fields and
    provenance are kept, so a poll that only moves volatile fields changes nothing."""
    out: list[Segment] = []
    for seg in sorted(segments, key=lambda x: x.start):
        if out and out[-1].end == seg.start and out[-1].spec_hash == seg.spec_hash:
            out[-1] = replace(out[-1], end=seg.end)
        else:
            out.append(seg)
    return out


def overwrite(segments: Sequence[Segment], start: datetime, end: datetime, event_id: str,
              values: Mapping[str, Any] | None) -> list[Segment]:
    """The observed layer after an observation governing [start, end) lists `values` (None:
    the key is absent). Pieces already holding the same contract spec are left as they are."""
    spec = None if values is None else contract_hash(values)
    out: list[Segment] = []
    same: list[Segment] = []
    for seg in segments:
        if seg.end <= start or end <= seg.start:
            out.append(seg)
            continue
        if seg.start < start:
            out.append(replace(seg, end=start))
        if end < seg.end:
            out.append(replace(seg, start=end))
        if seg.spec_hash == spec:
            same.append(replace(seg, start=max(seg.start, start), end=min(seg.end, end)))
    if values is not None and spec is not None:
        cursor = start
        for seg in sorted(same, key=lambda x: x.start):
            if cursor < seg.start:
                out.append(Segment(cursor, seg.start, values, spec, (event_id,)))
            out.append(seg)
            cursor = seg.end
        if cursor < end:
            out.append(Segment(cursor, end, values, spec, (event_id,)))
    return _merge(out)


@dataclass(frozen=True)
class Piece:
    """A published version before it becomes a row."""

    start: datetime
    end: datetime
    basis: Basis
    lifetime: str | None
    values: Mapping[str, Any]
    corrected: tuple[str, ...]
    asserted_by: tuple[str, ...]

    def merge_key(self) -> tuple[Any, ...]:
        # Identical contract spec within one lifetime is one version; which fields are
        # corrected (and to what, volatile ones included) is part of what a reader gets.
        return (self.basis, self.lifetime, contract_hash(self.values), self.corrected,
                tuple(self.values[f] for f in self.corrected))


# (start of the first loaded segment, lifetime of its run): given when only a suffix of the
# key's segments is loaded, since that run may have begun before the first loaded segment.
CarriedLifetime = tuple[datetime, str]


def _base(venue: str, symbol: str, segments: Sequence[Segment],
          carried: CarriedLifetime | None = None) -> list[Piece]:
    """Listed runs plus DELISTED gaps; a gap belongs to the lifetime before it."""
    pieces: list[Piece] = []
    life: str | None = None
    for i, seg in enumerate(segments):
        if i == 0 and carried is not None and carried[0] == seg.start:
            life = carried[1]
        elif i == 0 or segments[i - 1].end != seg.start:
            life = lifetime_id(venue, symbol, seg.start)
        pieces.append(Piece(seg.start, seg.end, "listed", life, seg.values, (), seg.asserted_by))
        gap_end = segments[i + 1].start if i + 1 < len(segments) else FOREVER
        if seg.end < gap_end:
            delisted = {**seg.values, "status": DELISTED}
            pieces.append(Piece(seg.end, gap_end, "delisted", life, delisted, (), seg.asserted_by))
    return pieces


def published(venue: str, symbol: str, segments: Sequence[Segment],
              corrections: Sequence[Correction],
              carried: CarriedLifetime | None = None) -> list[Piece]:
    """The published layer for one belief; `corrections` are those that count at it."""
    base = _base(venue, symbol, segments, carried)
    windows = [(c.valid_from, closed_end(c.valid_to), c) for c in corrections if c.fields]
    cuts = sorted({p.start for p in base} | {p.end for p in base}
                  | {w[0] for w in windows} | {w[1] for w in windows})
    pieces: list[Piece] = []
    j = 0
    for lo, hi in zip(cuts, cuts[1:]):
        while j < len(base) and base[j].end <= lo:
            j += 1
        under = base[j] if j < len(base) and base[j].start <= lo else None
        winners: dict[str, Correction] = {}
        for c in sorted((w[2] for w in windows if w[0] <= lo and hi <= w[1]), key=precedence):
            for name in c.fields:
                winners[name] = c  # ascending precedence: the last writer is the winner
        if under is None and not winners:
            continue
        values = dict(under.values) if under else dict.fromkeys(SPEC_FIELDS)
        values.update({name: c.fields[name] for name, c in winners.items()})
        ids = set(under.asserted_by if under else ()) | {c.correction_id for c in winners.values()}
        pieces.append(Piece(
            lo, hi, under.basis if under else "none", under.lifetime if under else None,
            values, tuple(sorted(winners)), tuple(sorted(ids)),
        ))
    merged: list[Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if last and last.end == piece.start and last.merge_key() == piece.merge_key():
            union = tuple(sorted(set(last.asserted_by) | set(piece.asserted_by)))
            merged[-1] = replace(last, end=piece.end, asserted_by=union)
        else:
            merged.append(piece)
    return merged
