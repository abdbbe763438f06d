"""gold.symbology in memory, one index per table version: the point lookup's symbology join
without a second table in its Trino query (ADR 0014).

`gold.symbology` is a small dimension (one row per mapping version; thousands, not millions),
read whole through Trino once per table version and cached like any other read (keyed by
the table's metadata location, so a publish builds a new index). A point lookup then asks
Trino for the one silver version and takes the mapping from here: the same answer as the
SQL `LEFT JOIN gold.symbology g ON venue, symbol AND <g at (as_of, as_known_at)>`, which a
test checks for every instrument of the real data.

The index holds plain tuples of strings, datetimes and None only, never lists: the garbage
collector stops tracking such tuples after the first collection they survive, so an index of
tens of thousands of versions adds nothing to a full collection's pause (the list per key it
used to hold added ~15 ms to each, ADR 0015).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

# gold columns the instrument documents carry, as the SQL join aliases them (g_<column>)
JOINED_COLUMNS: tuple[str, ...] = ("canonical_id", "usd_equivalent_group", "base_asset", "quote_asset")
TIME_COLUMNS: tuple[str, ...] = ("valid_from", "valid_to", "recorded_at", "superseded_at")
INDEX_VERSION_COLUMNS: tuple[str, ...] = (*TIME_COLUMNS, *JOINED_COLUMNS)  # one version's tuple, in this order
INDEX_COLUMNS: tuple[str, ...] = ("venue", "symbol", *INDEX_VERSION_COLUMNS)
NO_MAPPING: dict[str, Any] = {f"g_{c}": None for c in JOINED_COLUMNS}
_RECORDED_AT = TIME_COLUMNS.index("recorded_at")
_JOINED = slice(len(TIME_COLUMNS), len(INDEX_VERSION_COLUMNS))


def visible_at(times: Sequence[Any], as_of: datetime, as_known_at: datetime) -> bool:
    """A version with these TIME_COLUMNS (valid_from, valid_to, recorded_at, superseded_at)
    is in force at valid time `as_of` as known at system time `as_known_at`: repository.PIT
    in Python (half-open intervals, NULL end = open)."""
    valid_from, valid_to, recorded_at, superseded_at = times[:4]
    return (valid_from <= as_of and (valid_to is None or as_of < valid_to)
            and recorded_at <= as_known_at and (superseded_at is None or as_known_at < superseded_at))


class SymbologyIndex:
    """Every version of every (venue, symbol) mapping; `joined_at` answers one key at one
    time point."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        by_key: defaultdict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            by_key[(row["venue"], row["symbol"])].append(tuple(row[c] for c in INDEX_VERSION_COLUMNS))
        # Newest assertion first: were two versions ever visible at once (the gold job's
        # gates forbid it), the answer is still deterministic: the later-recorded one.
        self._by_key: dict[tuple[str, str], tuple[tuple[Any, ...], ...]] = {
            key: tuple(sorted(versions, key=lambda v: v[_RECORDED_AT], reverse=True))
            for key, versions in by_key.items()}

    def __len__(self) -> int:
        """The number of mapping versions held."""
        return sum(len(versions) for versions in self._by_key.values())

    def joined_at(self, venue: str, symbol: str, as_of: datetime, as_known_at: datetime) -> dict[str, Any]:
        """{g_canonical_id, g_usd_equivalent_group, g_base_asset, g_quote_asset}: the mapping
        in force, or all None (no mapping: the LEFT JOIN's NULLs)."""
        for version in self._by_key.get((venue, symbol), ()):
            if visible_at(version, as_of, as_known_at):
                return {f"g_{c}": value for c, value in zip(JOINED_COLUMNS, version[_JOINED])}
        return dict(NO_MAPPING)
