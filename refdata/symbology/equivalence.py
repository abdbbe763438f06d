"""USD-equivalence groups: stablecoin-quoted instruments next to USD ones, never merged.

`BTC-USDT-SPOT` keeps its exact ID; it merely belongs to the group `BTC-USD-SPOT` with
`exact=False`, so a lookup of `BTC-USD-SPOT` can offer it, marked as an equivalent. Which
stablecoins count is configuration (a stablecoin can lose its peg: UST is not in the set).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from refdata.domain import InstrumentClass
from refdata.symbology.assets import ASSET_CODE_RE
from refdata.symbology.canonical_id import (
    CanonicalIdParts,
    format_canonical_id,
    parse_canonical_id,
)

USD = "USD"
DEFAULT_USD_EQUIVALENTS: frozenset[str] = frozenset({
    "USDT", "USDC", "BUSD", "TUSD", "USDP", "DAI", "FDUSD", "PYUSD", "USDS", "USD1", "RLUSD",
    "USDG",
})  # fmt: skip


@dataclass(frozen=True)
class UsdEquivalence:
    group_id: str  # the ID with quote (and a stablecoin settlement) read as USD
    exact: bool  # True only when nothing was substituted: the instrument is the group itself
    substituted: tuple[str, ...]  # the stablecoins read as USD, e.g. ("USDT",)


def _checked(usd_equivalents: Iterable[str]) -> frozenset[str]:
    codes = frozenset(usd_equivalents)
    for code in codes:
        if not isinstance(code, str) or not ASSET_CODE_RE.fullmatch(code):
            raise ValueError(f"usd_equivalents entry {code!r} is not an asset code [A-Z0-9]+")
    return codes - {USD}


def usd_equivalence_group(
    parts: CanonicalIdParts | str,
    usd_equivalents: Iterable[str] = DEFAULT_USD_EQUIVALENTS,
) -> UsdEquivalence | None:
    """The USD group of an instrument, or None when its quote is neither USD nor equivalent."""
    if isinstance(parts, str):
        parts = parse_canonical_id(parts)
    equivalents = _checked(usd_equivalents)
    usd_like = equivalents | {USD}
    # A USD base would give USD-USD; a multiplied quote is not a dollar price.
    if parts.quote_multiplier != 1 or parts.quote not in usd_like or parts.base == USD:
        return None
    substituted = [parts.quote] if parts.quote != USD else []
    settle = parts.settle
    if parts.instrument_class is not InstrumentClass.SPOT:
        if settle == parts.quote:
            settle = USD  # linear stays linear in the group
        elif settle in equivalents:
            substituted.append(settle)  # type: ignore[arg-type]
            settle = USD
    group = replace(parts, quote=USD, settle=settle)
    return UsdEquivalence(
        group_id=format_canonical_id(group),
        exact=not substituted,
        substituted=tuple(dict.fromkeys(substituted)),
    )
