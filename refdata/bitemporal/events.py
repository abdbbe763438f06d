"""The events the bitemporal model is made of, as plain immutable data.

Spec values are the JSON-ready scalars of `refdata.domain.spec_values` (decimals as normalized
strings, datetimes as ISO text, enums as their values), so that equal specs compare and hash
equal whatever the exchange's formatting was.
"""

from __future__ import annotations

import enum
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from refdata.domain import CONTRACT_FIELDS, SPEC_FIELDS, InstrumentSpec, Status

Key = tuple[str, str]  # (venue, symbol)
Values = Mapping[str, Any]

DELISTED = Status.DELISTED.value
_SPEC_FIELD_SET = frozenset(SPEC_FIELDS)


class Absent(enum.Enum):
    """Answer for a field when nothing is known about the instrument at (v, s)."""

    NO_INSTRUMENT = "no_instrument"


NO_INSTRUMENT = Absent.NO_INSTRUMENT


def _scalar_type(annotation: Any) -> type:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    base = args[0] if isinstance(annotation, types.UnionType) else annotation
    return str if issubclass(base, enum.Enum) else base


# Python type of each spec field's value (enums count as str): Decimal, int, datetime or str.
FIELD_TYPES: dict[str, type] = {
    name: _scalar_type(hint) for name, hint in typing.get_type_hints(InstrumentSpec).items()
    if name in _SPEC_FIELD_SET
}


def _canonical(name: str, value: Any) -> Any:
    """The form `domain.spec_values` gives (so hashes match `domain.spec_hash`), also reached
    from text: a correction typed as "0.0100" must equal the feed's Decimal("0.01")."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    kind = FIELD_TYPES[name]
    if kind is Decimal:
        if isinstance(value, float | bool):
            raise TypeError(f"{name}: {value!r} is not an exact decimal")
        try:
            return format(Decimal(value).normalize(), "f")
        except ArithmeticError:  # decimal.InvalidOperation for text such as "abc"
            raise ValueError(f"{name}: {value!r} is not a decimal") from None
    if kind is datetime:
        return (value if isinstance(value, datetime) else datetime.fromisoformat(value)).isoformat()
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}: {value!r} is not an int")
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name}: {value!r} is not text")
    return value


def normalize(values: Mapping[str, Any], *, complete: bool) -> dict[str, Any]:
    """Spec values in canonical form; `complete` demands every spec field (a full listing)."""
    unknown = set(values) - _SPEC_FIELD_SET
    if unknown:
        raise ValueError(f"not spec fields: {sorted(unknown)}")
    if complete and len(values) != len(SPEC_FIELDS):
        raise ValueError(f"missing spec fields: {sorted(_SPEC_FIELD_SET - set(values))}")
    return {name: _canonical(name, values[name]) for name in SPEC_FIELDS if name in values}


def contract_hash(values: Mapping[str, Any]) -> str:
    """`domain.spec_hash` computed from normalized values rather than an `InstrumentSpec`."""
    payload = json.dumps(
        {name: values.get(name) for name in CONTRACT_FIELDS}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Observation:
    """One full listing of a venue: the unit the oracle (and the job's bronze parse) sees."""

    event_id: str
    venue: str
    observed_at: datetime
    recorded_at: datetime
    listed: Mapping[str, Values]  # symbol -> spec values

    def for_symbol(self, symbol: str) -> KeyObservation:
        """The projection the per-key materializer consumes (absence included)."""
        values = self.listed.get(symbol)
        return KeyObservation(
            self.event_id, self.venue, symbol, self.observed_at, self.recorded_at, values
        )


@dataclass(frozen=True)
class KeyObservation:
    """What one observation says about one key: its spec, or `values=None` when absent."""

    event_id: str
    venue: str
    symbol: str
    observed_at: datetime
    recorded_at: datetime
    values: Values | None

    def __post_init__(self) -> None:
        if self.values is not None:
            object.__setattr__(self, "values", normalize(self.values, complete=True))

    @property
    def key(self) -> Key:
        return (self.venue, self.symbol)

    @property
    def system_time(self) -> datetime:
        return self.recorded_at


@dataclass(frozen=True)
class Correction:
    """An override of some fields over valid time [valid_from, valid_to); None = forever.

    Only an approved correction is an event; its system time is the approval time.
    """

    correction_id: str
    venue: str
    symbol: str
    valid_from: datetime
    valid_to: datetime | None
    fields: Values
    approved_at: datetime | None
    author: str = ""
    approver: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError(f"correction {self.correction_id}: empty valid interval")
        object.__setattr__(self, "fields", normalize(self.fields, complete=False))

    @property
    def event_id(self) -> str:
        return self.correction_id

    @property
    def key(self) -> Key:
        return (self.venue, self.symbol)

    @property
    def system_time(self) -> datetime | None:
        return self.approved_at


@dataclass(frozen=True)
class Revocation:
    """Correction `correction_id` stops counting for system times >= `revoked_at`."""

    revocation_id: str
    venue: str
    symbol: str
    correction_id: str
    revoked_at: datetime
    author: str = ""
    reason: str = field(default="")

    @property
    def event_id(self) -> str:
        return self.revocation_id

    @property
    def key(self) -> Key:
        return (self.venue, self.symbol)

    @property
    def system_time(self) -> datetime:
        return self.revoked_at


KeyEvent = KeyObservation | Correction | Revocation
AnyEvent = Observation | Correction | Revocation


def active_corrections(
    corrections: list[Correction] | tuple[Correction, ...],
    revocations: list[Revocation] | tuple[Revocation, ...],
    s: datetime,
) -> list[Correction]:
    """Corrections that count at system time s, by (approval time, id) ascending."""
    revoked = {r.correction_id for r in revocations if r.revoked_at <= s}
    live = [
        c
        for c in corrections
        if c.approved_at is not None and c.approved_at <= s and c.correction_id not in revoked
    ]
    return sorted(live, key=precedence)


def precedence(correction: Correction) -> tuple[datetime, str]:
    """Greatest wins; the id breaks ties of equal approval times deterministically."""
    assert correction.approved_at is not None
    return (correction.approved_at, correction.correction_id)
