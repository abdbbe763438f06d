"""Canonical ID of an `InstrumentSpec`: normalize its asset codes, check its settlement.

The rules (ADR 0006): spot has no settlement; a derivative must say linear or inverse, and
"inverse" must mean "settles in the base", because that is how the ID shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refdata.domain import InstrumentClass, InstrumentSpec, Settlement
from refdata.symbology.assets import (
    ASSET_CODE_RE,
    AssetResolverFn,
    NormalizedAsset,
    normalize_asset,
    to_naive_utc,
)
from refdata.symbology.canonical_id import (
    DATED_CLASSES,
    CanonicalIdParts,
    format_canonical_id,
)


@dataclass(frozen=True)
class CanonicalId:
    text: str
    parts: CanonicalIdParts
    base: NormalizedAsset  # how each exchange code was normalized (lineage, unknown flags)
    quote: NormalizedAsset
    settle: NormalizedAsset | None

    def __str__(self) -> str:
        return self.text

    @property
    def unknown_assets(self) -> tuple[str, ...]:
        """Canonical codes that passed through without a table row (need review)."""
        found = (a for a in (self.base, self.quote, self.settle) if a is not None and not a.known)
        return tuple(dict.fromkeys(a.canonical for a in found))


def _resolve(
    resolver: AssetResolverFn, spec: InstrumentSpec, role: str, code: str, at: datetime | None
) -> NormalizedAsset:
    asset = resolver(spec.venue, code, at)
    if not ASSET_CODE_RE.fullmatch(asset.canonical):
        raise ValueError(
            f"{role} asset {code!r} normalizes to {asset.canonical!r}, which cannot appear in a "
            "canonical ID ([A-Z0-9]+); add a row to refdata/symbology/data/asset_aliases.csv"
        )
    return asset


def _unit_multiplier(role: str, asset: NormalizedAsset) -> int:
    value = asset.multiplier
    if value != value.to_integral_value() or value < 1:
        raise ValueError(f"{role} {asset.canonical} has multiplier {value}; IDs need an integer")
    return int(value)


def _settlement(
    spec: InstrumentSpec, resolver: AssetResolverFn, at: datetime | None,
    base: NormalizedAsset, quote: NormalizedAsset,
) -> NormalizedAsset | None:  # fmt: skip
    if spec.instrument_class is InstrumentClass.SPOT:
        if spec.settlement is not None:
            raise ValueError(f"spot instrument has settlement {spec.settlement.value!r}")
        if spec.settle_asset:
            settle = _resolve(resolver, spec, "settle", spec.settle_asset, at)
            if settle.canonical != quote.canonical:
                raise ValueError(f"spot instrument settles in {spec.settle_asset!r}, not its quote")
        return None
    if spec.settlement is None:
        raise ValueError(f"{spec.instrument_class.value} has no settlement type (linear/inverse)")
    if spec.settle_asset:
        settle = _resolve(resolver, spec, "settle", spec.settle_asset, at)
    else:
        settle = base if spec.settlement is Settlement.INVERSE else quote
    if settle.multiplier != 1:
        raise ValueError(f"settlement asset {spec.settle_asset!r} has a unit multiplier")
    # settle == base is how the ID shows "inverse"; the spec's label must agree with it.
    if spec.settlement is Settlement.INVERSE and settle.canonical != base.canonical:
        raise ValueError(
            f"inverse contract settles in {settle.canonical}, not its base {base.canonical}"
        )
    if spec.settlement is Settlement.LINEAR and settle.canonical == base.canonical:
        raise ValueError(f"linear contract settles in its base {base.canonical}; expected inverse")
    return settle


def build_canonical_id(
    spec: InstrumentSpec,
    asset_resolver: AssetResolverFn = normalize_asset,
    at: datetime | None = None,
) -> CanonicalId:
    """The canonical ID of `spec`, asset codes resolved at valid time `at` (None: latest)."""
    try:
        base = _resolve(asset_resolver, spec, "base", spec.base_asset, at)
        quote = _resolve(asset_resolver, spec, "quote", spec.quote_asset, at)
        settle = _settlement(spec, asset_resolver, at, base, quote)
        cls = spec.instrument_class
        expiry = None
        if cls in DATED_CLASSES:
            if spec.expiry is None:
                raise ValueError(f"{cls.value} has no expiry")
            expiry = to_naive_utc(spec.expiry).date()
        option = cls is InstrumentClass.OPTION
        if not option and (spec.strike is not None or spec.option_right is not None):
            raise ValueError(f"{cls.value} carries a strike or option right")
        parts = CanonicalIdParts(
            base=base.canonical,
            quote=quote.canonical,
            instrument_class=cls,
            settle=settle.canonical if settle is not None else None,
            expiry=expiry,
            strike=spec.strike if option else None,
            right=spec.option_right if option else None,
            base_multiplier=_unit_multiplier("base", base),
            quote_multiplier=_unit_multiplier("quote", quote),
        )
    except ValueError as exc:
        raise ValueError(f"{spec.venue} {spec.symbol}: {exc}") from None
    return CanonicalId(format_canonical_id(parts), parts, base, quote, settle)
