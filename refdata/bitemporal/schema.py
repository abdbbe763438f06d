"""Flat records for the silver Iceberg tables (one per layer, same columns).

`values` is spread into one typed column per spec field so that Trino can filter on them;
decimals round-trip exactly because `from_record` normalizes them back ("0.010…0" -> "0.01").
"""

from __future__ import annotations

import typing
from datetime import datetime
from decimal import Decimal
from typing import Any

from refdata.domain import SPEC_FIELDS

from .events import FIELD_TYPES, normalize
from .rows import VersionRow

DECIMAL = "decimal(38,18)"
# Iceberg types; "timestamp" is without zone (Spark TIMESTAMP_NTZ): naive UTC everywhere.
_ICEBERG: dict[type, str] = {Decimal: DECIMAL, int: "int", datetime: "timestamp", str: "string"}
SPEC_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (name, _ICEBERG[FIELD_TYPES[name]]) for name in SPEC_FIELDS
)

# (name, Iceberg type, nullable)
META_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("version_id", "string", False),
    ("layer", "string", False),  # 'observed' | 'published'
    ("venue", "string", False),
    ("symbol", "string", False),
    ("lifetime_id", "string", True),
    ("valid_from", "timestamp", False),
    ("valid_to", "timestamp", True),  # null = open-ended
    ("recorded_at", "timestamp", False),
    ("superseded_at", "timestamp", True),  # null = current belief
    ("basis", "string", False),  # 'listed' | 'delisted' | 'none'
    ("spec_hash", "string", False),
    ("corrected_fields", "list<string>", False),
    ("asserted_by", "list<string>", False),
)
COLUMNS: tuple[tuple[str, str, bool], ...] = META_COLUMNS + tuple(
    (name, kind, True) for name, kind in SPEC_COLUMNS
)
_SPEC_TYPES = dict(SPEC_COLUMNS)


def _typed(name: str, value: Any) -> Any:
    if value is None:
        return None
    kind = _SPEC_TYPES[name]
    if kind == DECIMAL:
        return Decimal(value)
    if kind == "timestamp":
        return datetime.fromisoformat(value)
    return value


def to_record(row: VersionRow) -> dict[str, Any]:
    record: dict[str, Any] = {name: getattr(row, name) for name, _, _ in META_COLUMNS}
    record["corrected_fields"] = list(row.corrected_fields)
    record["asserted_by"] = list(row.asserted_by)
    record.update({name: _typed(name, row.values[name]) for name in SPEC_FIELDS})
    return record


def from_record(record: typing.Mapping[str, Any]) -> VersionRow:
    meta = {name: record[name] for name, _, _ in META_COLUMNS}
    meta["corrected_fields"] = tuple(record["corrected_fields"])
    meta["asserted_by"] = tuple(record["asserted_by"])
    values = normalize({name: record[name] for name in SPEC_FIELDS}, complete=True)
    return VersionRow(values=values, **meta)
