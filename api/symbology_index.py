"""gold.symbology in memory, one index per table version: the point lookup's symbology join
without a second table in its Trino query (ADR 0014).

`gold.symbology` is a small dimension (one row per mapping version; thousands, not millions),
read whole through Trino once per table version and cached like any other read (keyed by
the table's metadata location, so a publish builds a new index). A point lookup then asks
Trino for the one silver version and takes the mapping from here: the same answer as the
SQL `LEFT JOIN gold.symbology g ON venue, symbol AND <g at (as_of, as_known_at)>`, which a
test checks for every instrument of the real data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

# gold columns the instrument documents carry, as the SQL join aliases them (g_<column>)
JOINED_COLUMNS: tuple[str, ...] = ("canonical_id", "usd_equivalent_group", "base_asset", "quote_asset")
TIME_COLUMNS: tuple[str, ...] = ("valid_from", "valid_to", "recorded_at", "superseded_at")
INDEX_COLUMNS: tuple[str, ...] = ("venue", "symbol", *TIME_COLUMNS, *JOINED_COLUMNS)
NO_MAPPING: dict[str, Any] = {f"g_{c}": None for c in JOINED_COLUMNS}


def visible_at(row: Mapping[str, Any], as_of: datetime, as_known_at: datetime) -> bool:
    """The row is in force at valid time `as_of` as known at system time `as_known_at`:
    repository.PIT in Python (half-open intervals, NULL end = open)."""
    return (row["valid_from"] <= as_of and (row["valid_to"] is None or as_of < row["valid_to"])
            and row["recorded_at"] <= as_known_at
            and (row["superseded_at"] is None or as_known_at < row["superseded_at"]))


class SymbologyIndex:
    """Every version of every (venue, symbol) mapping; `joined_at` answers one key at one
    time point."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        by_key: defaultdict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_key[(row["venue"], row["symbol"])].append({c: row[c] for c in INDEX_COLUMNS})
        # Newest assertion first: were two versions ever visible at once (the gold job's
        # gates forbid it), the answer is still deterministic: the later-recorded one.
        self._by_key = {key: sorted(versions, key=lambda r: r["recorded_at"], reverse=True)
                        for key, versions in by_key.items()}
        self.rows = sum(len(v) for v in self._by_key.values())

    def joined_at(self, venue: str, symbol: str, as_of: datetime, as_known_at: datetime) -> dict[str, Any]:
        """{g_canonical_id, g_usd_equivalent_group, g_base_asset, g_quote_asset}: the mapping
        in force, or all None (no mapping: the LEFT JOIN's NULLs)."""
        for row in self._by_key.get((venue, symbol), ()):
            if visible_at(row, as_of, as_known_at):
                return {f"g_{c}": row[c] for c in JOINED_COLUMNS}
        return dict(NO_MAPPING)
