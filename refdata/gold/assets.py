"""gold.assets: the alias table (refdata/symbology/data/asset_aliases.csv) as a bitemporal table.

Pure planning, no I/O: the job hands over the table's current rows and the parsed CSV, and
writes back what `plan_asset_load` returns.

- A CSV row is identified by (exchange, code, valid_from, recorded_at): the loader of
  ADR 0007 refuses two rows with that key, and a correction is a new row with a later
  `recorded_at`. Its `recorded_at` is kept as `asserted_at` (when the platform learned the
  fact); the table's own `recorded_at` is the load time.
- Reloading an unchanged CSV plans nothing. A row whose content changed (canonical,
  multiplier, kind, valid_to or note) supersedes the held row at the load time and is inserted
  anew; a row that left the CSV is superseded.
- Rows asserted in the future are refused: symbology would otherwise record beliefs at a
  system time that has not happened yet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from refdata.bitemporal.rows import stable_id
from refdata.symbology.assets import FOREVER_END, FOREVER_START, AssetAlias

NaturalKey = tuple[str, str, datetime | None, datetime]


def _bound(value: datetime, unbounded: datetime) -> datetime | None:
    return None if value == unbounded else value


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def content_of(alias: AssetAlias) -> dict[str, Any]:
    """The columns of a CSV row that a reload compares (everything but line and source)."""
    return {
        "exchange": alias.exchange, "code": alias.code, "canonical": alias.canonical,
        "multiplier": _plain(alias.multiplier), "kind": alias.kind,
        "valid_from": _bound(alias.valid_from, FOREVER_START),
        "valid_to": _bound(alias.valid_to, FOREVER_END),
        "asserted_at": alias.recorded_at, "note": alias.note,
    }


def _hash(data: Mapping[str, Any]) -> str:
    payload = json.dumps({k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()},
                         sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def natural_key(record: Mapping[str, Any]) -> NaturalKey:
    return (record["exchange"], record["code"], record["valid_from"], record["asserted_at"])


def to_record(alias: AssetAlias, recorded_at: datetime, source: str) -> dict[str, Any]:
    content = content_of(alias)
    content_hash = _hash(content)
    return {
        "asset_row_id": stable_id("ga", alias.exchange, alias.code, content["valid_from"],
                                  alias.recorded_at, recorded_at, content_hash),
        **content,
        "multiplier": alias.multiplier,
        "recorded_at": recorded_at,
        "superseded_at": None,
        "source": source,
        "content_hash": content_hash,
    }


def record_content_hash(record: Mapping[str, Any]) -> str:
    """The content hash recomputed from a stored record (multiplier read back as decimal)."""
    content = {name: record[name] for name in ("exchange", "code", "canonical", "kind", "valid_from",
                                                "valid_to", "asserted_at", "note")}
    content["multiplier"] = _plain(Decimal(str(record["multiplier"])))
    return _hash(content)


@dataclass(frozen=True)
class AssetLoadPlan:
    to_insert: tuple[dict[str, Any], ...]
    to_supersede: tuple[tuple[str, datetime], ...]  # (asset_row_id, superseded_at)
    current_after: tuple[dict[str, Any], ...]  # the table's current rows once applied

    @property
    def is_empty(self) -> bool:
        return not self.to_insert and not self.to_supersede


class AliasInTheFuture(ValueError):
    pass


def plan_asset_load(current: Iterable[Mapping[str, Any]], aliases: Sequence[AssetAlias],
                    load_time: datetime, source: str) -> AssetLoadPlan:
    """Rows to insert and to supersede so the table's current rows equal the CSV.

    `current`: the table's rows with superseded_at null. `load_time` must be later than every
    recorded_at and superseded_at already in the table (the caller's clock, made monotonic).
    """
    future = [a for a in aliases if a.recorded_at > load_time]
    if future:
        lines = ", ".join(f"line {a.line} ({a.exchange} {a.code} recorded_at {a.recorded_at})" for a in future[:5])
        raise AliasInTheFuture(f"alias rows recorded after the load time {load_time}: {lines}; "
                               "recorded_at is when the platform learned the row, it cannot be in the future")
    held = {natural_key(r): dict(r) for r in current if r.get("superseded_at") is None}
    wanted: dict[NaturalKey, AssetAlias] = {}
    for alias in aliases:
        key = (alias.exchange, alias.code, _bound(alias.valid_from, FOREVER_START), alias.recorded_at)
        if key in wanted:
            raise ValueError(f"alias rows at lines {wanted[key].line} and {alias.line} share "
                             f"(exchange, code, valid_from, recorded_at) {key}")
        wanted[key] = alias
    inserts: list[dict[str, Any]] = []
    supersedes: list[tuple[str, datetime]] = []
    after: list[dict[str, Any]] = []
    for key, alias in wanted.items():
        row = held.get(key)
        fresh = to_record(alias, load_time, source)
        if row is not None and record_content_hash(row) == fresh["content_hash"]:
            after.append(row)
            continue
        if row is not None:
            supersedes.append((row["asset_row_id"], load_time))
        inserts.append(fresh)
        after.append(fresh)
    for key, row in held.items():
        if key not in wanted:
            supersedes.append((row["asset_row_id"], load_time))
    order = lambda r: (r["exchange"], r["code"], r["asserted_at"], r["valid_from"] or FOREVER_START)  # noqa: E731
    return AssetLoadPlan(tuple(sorted(inserts, key=order)), tuple(sorted(supersedes)),
                         tuple(sorted(after, key=order)))


def aliases_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[AssetAlias, ...]:
    """The resolver's rows from the table (the table, not the package file, drives gold)."""
    out = []
    for r in records:
        out.append(AssetAlias(
            exchange=r["exchange"], code=r["code"], canonical=r["canonical"],
            multiplier=Decimal(_plain(Decimal(str(r["multiplier"])))), kind=r["kind"],
            valid_from=r["valid_from"] or FOREVER_START, valid_to=r["valid_to"] or FOREVER_END,
            recorded_at=r["asserted_at"], note=r["note"],
        ))
    return tuple(sorted(out, key=lambda a: (a.exchange, a.code, a.recorded_at, a.valid_from)))


def aliases_hash(aliases: Iterable[AssetAlias]) -> str:
    """Hash of what resolution depends on (notes excluded): a change means recompute all keys."""
    rows = sorted(
        (a.exchange, a.code, a.canonical, _plain(a.multiplier), a.kind, a.valid_from.isoformat(),
         a.valid_to.isoformat(), a.recorded_at.isoformat())
        for a in aliases
    )
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()
