"""Silver rows: versions of one key with a valid-time and a system-time interval each."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from refdata.domain import SPEC_FIELDS

from .events import NO_INSTRUMENT, Absent

# Internally an open end is `FOREVER` so intervals compare without special cases; rows and the
# public API use None, which is what the Iceberg column holds.
FOREVER = datetime.max

Layer = Literal["observed", "published"]
# What the feed says underneath the published values: listed, DELISTED gap, or nothing (a
# correction asserting fields where no observation knows the instrument).
Basis = Literal["listed", "delisted", "none"]


def open_end(end: datetime) -> datetime | None:
    return None if end == FOREVER else end


def closed_end(end: datetime | None) -> datetime:
    return FOREVER if end is None else end


def stable_id(prefix: str, *parts: object) -> str:
    """Deterministic id: the same inputs in a rebuild and an incremental run give the same id."""
    text = "\x1f".join("" if p is None else p.isoformat() if isinstance(p, datetime) else str(p)
                       for p in parts)
    return f"{prefix}_{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def lifetime_id(venue: str, symbol: str, start: datetime) -> str:
    """A lifetime is named by where its first listing starts in valid time (at that belief)."""
    return stable_id("lt", venue, symbol, start)


@dataclass(frozen=True)
class VersionRow:
    """One silver row. Immutable except `superseded_at`, which is set once."""

    version_id: str
    layer: Layer
    venue: str
    symbol: str
    lifetime_id: str | None  # None in the observed layer and where basis == "none"
    valid_from: datetime
    valid_to: datetime | None
    recorded_at: datetime
    superseded_at: datetime | None
    basis: Basis
    values: Mapping[str, Any]  # every spec field, normalized; None where unknown
    spec_hash: str  # contract hash of `values`
    corrected_fields: tuple[str, ...]  # fields whose value comes from a correction (sorted)
    asserted_by: tuple[str, ...]  # observation and correction ids behind the values (sorted)

    @property
    def key(self) -> tuple[str, str]:
        return (self.venue, self.symbol)

    def content(self) -> tuple[Any, ...]:
        """Everything but identity and system time: equal content means nothing changed."""
        return (
            self.layer, self.lifetime_id, self.valid_from, self.valid_to, self.basis,
            tuple(sorted(self.values.items())), self.spec_hash, self.corrected_fields,
            self.asserted_by,
        )

    def superseded(self, at: datetime) -> VersionRow:
        if self.superseded_at is not None:
            raise ValueError(f"row {self.version_id} is already superseded")
        if at <= self.recorded_at:
            raise ValueError(f"row {self.version_id}: superseded_at must follow recorded_at")
        return replace(self, superseded_at=at)


def make_row(
    layer: Layer, venue: str, symbol: str, lifetime: str | None, start: datetime, end: datetime,
    recorded_at: datetime, basis: Basis, values: Mapping[str, Any], spec_hash: str,
    corrected_fields: tuple[str, ...], asserted_by: tuple[str, ...],
) -> VersionRow:
    # (layer, key, valid_from, recorded_at) is already unique: within one belief a layer has no
    # two rows starting at the same instant. The hash is there so a collision cannot hide.
    version_id = stable_id("v", layer, venue, symbol, start, recorded_at, spec_hash)
    return VersionRow(
        version_id, layer, venue, symbol, lifetime, start, open_end(end), recorded_at, None,
        basis, dict(values), spec_hash, corrected_fields, asserted_by,
    )


def rows_at(rows: Iterable[VersionRow], v: datetime, s: datetime,
            layer: Layer = "published") -> list[VersionRow]:
    """Rows of `layer` believed at system time s whose valid interval contains v."""
    return [
        r for r in rows
        if r.layer == layer
        and r.recorded_at <= s and (r.superseded_at is None or s < r.superseded_at)
        and r.valid_from <= v < closed_end(r.valid_to)
    ]


def evaluate(rows: Iterable[VersionRow], v: datetime, s: datetime) -> dict[str, Any] | None:
    """Every spec field of the key at valid time v as known at system time s.

    None when no row holds (no instrument); a field the row cannot vouch for (basis "none"
    and not corrected) is `NO_INSTRUMENT`, exactly as the oracle answers it.
    """
    found = rows_at(rows, v, s)
    if not found:
        return None
    if len(found) > 1:
        raise ValueError(f"{len(found)} published versions hold at ({v}, {s})")
    row = found[0]
    if row.basis != "none":
        return dict(row.values)
    corrected = set(row.corrected_fields)
    return {f: row.values[f] if f in corrected else NO_INSTRUMENT for f in SPEC_FIELDS}


def evaluate_field(rows: Iterable[VersionRow], field: str, v: datetime,
                   s: datetime) -> Any | Absent:
    values = evaluate(rows, v, s)
    return NO_INSTRUMENT if values is None else values[field]
