"""Symbology core: asset normalization as data, canonical instrument IDs, USD equivalence.

Pure Python, no Spark and no I/O beyond the package's own data file (ADR 0006, ADR 0007).
"""

from refdata.symbology.assets import (
    ALIAS_COLUMNS,
    ALIAS_KINDS,
    AssetAlias,
    AssetResolver,
    AssetResolverFn,
    NormalizedAsset,
    default_asset_resolver,
    load_asset_aliases,
    normalize_asset,
    parse_asset_aliases,
)
from refdata.symbology.build import CanonicalId, build_canonical_id
from refdata.symbology.canonical_id import (
    CANONICAL_ID_RE,
    CANONICAL_ID_REGEX,
    CanonicalIdParts,
    format_canonical_id,
    format_strike,
    parse_canonical_id,
)
from refdata.symbology.equivalence import (
    DEFAULT_USD_EQUIVALENTS,
    UsdEquivalence,
    usd_equivalence_group,
)

__all__ = [
    "ALIAS_COLUMNS",
    "ALIAS_KINDS",
    "CANONICAL_ID_RE",
    "CANONICAL_ID_REGEX",
    "DEFAULT_USD_EQUIVALENTS",
    "AssetAlias",
    "AssetResolver",
    "AssetResolverFn",
    "CanonicalId",
    "CanonicalIdParts",
    "NormalizedAsset",
    "UsdEquivalence",
    "build_canonical_id",
    "default_asset_resolver",
    "format_canonical_id",
    "format_strike",
    "load_asset_aliases",
    "normalize_asset",
    "parse_asset_aliases",
    "parse_canonical_id",
    "usd_equivalence_group",
]
