"""Asset-code normalization driven by a versioned, bitemporal mapping table (ADR 0007).

`data/asset_aliases.csv` says which canonical asset an exchange's asset code denotes, in
what unit (`multiplier`: one `1000PEPE` is 1000 `PEPE`), over which valid time, and since
when we know it (`recorded_at`). Nothing here strips prefixes or guesses: a code without a
row passes through unchanged with `known=False`, so the gap is visible instead of hidden.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

ALIAS_COLUMNS: tuple[str, ...] = (
    "exchange", "code", "canonical", "multiplier", "kind",
    "valid_from", "valid_to", "recorded_at", "note",
)  # fmt: skip
# Closed vocabulary, so a typo in the table fails the load instead of becoming a new kind.
ALIAS_KINDS: frozenset[str] = frozenset({
    "alias",           # another spelling of the same asset (XBT, XDG, LUNA2)
    "legacy",          # Kraken X/Z-prefixed legacy code (XXBT, ZUSD)
    "identity",        # the code is already canonical (declared, e.g. Kraken XTZ is no legacy code)
    "rename",          # the ticker of the same token changed (BCHABC, PAX, LUNA→LUNC)
    "disambiguation",  # one ticker, two different assets; canonical picks a distinct name
    "multiplier",      # one unit of the code is `multiplier` units of the canonical asset
    "staked", "rewards", "hold", "parachain",  # Kraken read-only balance variants
    "fee",             # exchange fee credits (Kraken KFEE)
    "retract",         # withdraws earlier rows: the code is unknown again
})  # fmt: skip
ANY_EXCHANGE = "*"
ASSET_CODE_RE = re.compile(r"[A-Z0-9]+", re.ASCII)  # a canonical asset (ADR 0006 grammar)
_EXCHANGE_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
FOREVER_START = datetime.min  # open valid_from
FOREVER_END = datetime.max  # open valid_to
DEFAULT_ALIAS_FILE = "asset_aliases.csv"


def to_naive_utc(value: datetime) -> datetime:
    """The warehouse convention: naive datetimes mean UTC; aware ones are converted."""
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class AssetAlias:
    """One row of the mapping table, typed."""

    exchange: str  # "*", an exchange ("kraken") or a venue ("binance-usdm")
    code: str  # the exchange's code, exact (case and suffixes matter)
    canonical: str
    multiplier: Decimal
    kind: str
    valid_from: datetime  # inclusive, naive UTC; FOREVER_START when open
    valid_to: datetime  # exclusive, naive UTC; FOREVER_END when open
    recorded_at: datetime  # system time: when the platform learned this row
    note: str
    line: int = field(default=0, compare=False)  # CSV line, for messages only

    def scope_rank(self, exchange: str) -> int | None:
        """How specifically this row applies to `exchange` (a venue or an exchange), or None."""
        if self.exchange == exchange:
            return 2
        if exchange.startswith(self.exchange + "-"):
            return 1  # an exchange-wide row applies to all its venues
        if self.exchange == ANY_EXCHANGE:
            return 0
        return None

    def valid_at(self, at: datetime) -> bool:
        return self.valid_from <= at < self.valid_to


@dataclass(frozen=True)
class NormalizedAsset:
    canonical: str
    multiplier: Decimal  # units of `canonical` in one unit of the exchange's code
    known: bool  # False: no row matched (or a retract row did); canonical is the code itself
    rule: AssetAlias | None  # the row that decided, for lineage

    @property
    def kind(self) -> str:
        return self.rule.kind if self.rule is not None else "unknown"


class AssetResolverFn(Protocol):
    def __call__(
        self, exchange: str, code: str, at: datetime | None = None
    ) -> NormalizedAsset: ...


# ---- loading ------------------------------------------------------------------------------


def _fail(source: str, line: int, problem: str) -> ValueError:
    return ValueError(f"{source} line {line}: {problem}")


def _parse_time(
    text: str, default: datetime | None, source: str, line: int, column: str
) -> datetime:
    if text == "":
        if default is None:
            raise _fail(source, line, f"{column} is required")
        return default
    try:
        return to_naive_utc(datetime.fromisoformat(text))
    except ValueError:
        raise _fail(source, line, f"{column} {text!r} is not an ISO-8601 timestamp") from None


def _parse_row(raw: dict[str, str], source: str, line: int) -> AssetAlias:
    for column in ALIAS_COLUMNS:
        value = raw[column]
        if value != value.strip():
            raise _fail(source, line, f"{column} {value!r} has surrounding whitespace")
    exchange, code, canonical, kind = raw["exchange"], raw["code"], raw["canonical"], raw["kind"]
    if exchange != ANY_EXCHANGE and not _EXCHANGE_RE.fullmatch(exchange):
        raise _fail(source, line, f"exchange {exchange!r} is neither '*' nor a lower-case name")
    if code == "":
        raise _fail(source, line, "code is empty")
    if not ASSET_CODE_RE.fullmatch(canonical):
        raise _fail(source, line, f"canonical {canonical!r} is not an asset code [A-Z0-9]+")
    if kind not in ALIAS_KINDS:
        raise _fail(source, line, f"kind {kind!r} is not one of {sorted(ALIAS_KINDS)}")
    try:
        multiplier = Decimal(raw["multiplier"])
    except InvalidOperation:
        raise _fail(source, line, f"multiplier {raw['multiplier']!r} is not a number") from None
    if not multiplier.is_finite() or multiplier <= 0:
        raise _fail(source, line, f"multiplier {raw['multiplier']!r} must be positive")
    # Only multiplier rows change the unit; redenominations are deliberately out (ADR 0007).
    if (kind == "multiplier") != (multiplier != 1):
        raise _fail(source, line, f"kind {kind!r} with multiplier {raw['multiplier']}")
    if kind in ("identity", "retract") and canonical != code:
        raise _fail(source, line, f"{kind} row must have canonical == code ({code!r})")
    valid_from = _parse_time(raw["valid_from"], FOREVER_START, source, line, "valid_from")
    valid_to = _parse_time(raw["valid_to"], FOREVER_END, source, line, "valid_to")
    if valid_from >= valid_to:
        raise _fail(source, line, "valid_from must be before valid_to")
    recorded_at = _parse_time(raw["recorded_at"], None, source, line, "recorded_at")
    return AssetAlias(
        exchange, code, canonical, multiplier, kind,
        valid_from, valid_to, recorded_at, raw["note"], line,
    )  # fmt: skip


def _check_overlaps(rows: Iterable[AssetAlias], source: str) -> None:
    """Rows recorded together must not disagree; a later recorded_at supersedes instead."""
    groups: dict[tuple[str, str, datetime], list[AssetAlias]] = defaultdict(list)
    for row in rows:
        groups[(row.exchange, row.code, row.recorded_at)].append(row)
    for group in groups.values():
        group.sort(key=lambda r: r.valid_from)
        for earlier, later in zip(group, group[1:]):
            if later.valid_from < earlier.valid_to:
                raise _fail(
                    source, later.line,
                    f"{later.exchange} {later.code} overlaps line {earlier.line} in valid time "
                    "with the same recorded_at",
                )  # fmt: skip


def parse_asset_aliases(text: str, source: str = DEFAULT_ALIAS_FILE) -> tuple[AssetAlias, ...]:
    reader = csv.DictReader(io.StringIO(text), strict=True)
    if tuple(reader.fieldnames or ()) != ALIAS_COLUMNS:
        raise ValueError(f"{source}: header must be {','.join(ALIAS_COLUMNS)}")
    rows = []
    for raw in reader:
        if None in raw or None in raw.values():
            raise _fail(source, reader.line_num, f"expected {len(ALIAS_COLUMNS)} fields")
        rows.append(_parse_row(raw, source, reader.line_num))
    _check_overlaps(rows, source)
    return tuple(rows)


def load_asset_aliases(path: Path | str | None = None) -> tuple[AssetAlias, ...]:
    """The table at `path`, or the one shipped in `refdata/symbology/data/`."""
    if path is None:
        resource = resources.files("refdata.symbology").joinpath("data", DEFAULT_ALIAS_FILE)
        return parse_asset_aliases(resource.read_text(encoding="utf-8"))
    path = Path(path)
    return parse_asset_aliases(path.read_text(encoding="utf-8"), source=str(path))


# ---- resolving ----------------------------------------------------------------------------


class AssetResolver:
    """Resolves (exchange, code, valid time[, system time]) to a canonical asset.

    Winner among the rows for the code: applicable scope, recorded at or before `known_at`
    (all rows if None), valid at `at`; then the most specific scope (venue > exchange > '*'),
    then the latest recorded_at (a later row corrects an earlier one). `at=None` means the
    code's most recent meaning: rows whose valid_to is the latest.
    """

    def __init__(self, aliases: Iterable[AssetAlias]) -> None:
        self.aliases = tuple(aliases)
        self._by_code: dict[str, list[AssetAlias]] = defaultdict(list)
        for row in self.aliases:
            self._by_code[row.code].append(row)

    def __call__(
        self,
        exchange: str,
        code: str,
        at: datetime | None = None,
        *,
        known_at: datetime | None = None,
    ) -> NormalizedAsset:
        if not isinstance(exchange, str) or not _EXCHANGE_RE.fullmatch(exchange):
            raise ValueError(f"exchange {exchange!r} must be a lower-case exchange or venue name")
        if not isinstance(code, str) or code == "" or code != code.strip():
            raise ValueError(f"asset code {code!r} on {exchange} is empty or padded")
        known = to_naive_utc(known_at) if known_at is not None else None
        ranked = [
            (rank, row)
            for row in self._by_code.get(code, ())
            if (rank := row.scope_rank(exchange)) is not None
            and (known is None or row.recorded_at <= known)
        ]
        if at is not None:
            when = to_naive_utc(at)
            ranked = [(rank, row) for rank, row in ranked if row.valid_at(when)]
        elif ranked:
            latest = max(row.valid_to for _, row in ranked)
            ranked = [(rank, row) for rank, row in ranked if row.valid_to == latest]
        if not ranked:
            return NormalizedAsset(code, Decimal(1), False, None)
        _, best = max(ranked, key=lambda item: (item[0], item[1].recorded_at, item[1].valid_from))
        if best.kind == "retract":
            return NormalizedAsset(code, Decimal(1), False, best)
        return NormalizedAsset(best.canonical, best.multiplier, True, best)


@lru_cache(maxsize=1)
def default_asset_resolver() -> AssetResolver:
    return AssetResolver(load_asset_aliases())


def normalize_asset(
    exchange: str, code: str, at: datetime | None = None, *, known_at: datetime | None = None
) -> NormalizedAsset:
    """Normalize with the shipped table (see `AssetResolver` for the rules)."""
    return default_asset_resolver()(exchange, code, at, known_at=known_at)
