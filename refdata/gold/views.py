"""Analyst views in Trino (schema gold), created idempotently with CREATE OR REPLACE VIEW.

Views live in the Iceberg JDBC catalog (schema version V1 stores them), so they need Trino up:
`ensure_views(settings)` runs after Trino has started (`refdata up`), never inside a migration.
All views are SECURITY DEFINER (Trino's default): the read-only `analyst` user reads them
without rights on anything but SELECT.

| view | what |
|---|---|
| `symbology_current` | current belief, open valid interval: what each (venue, symbol) maps to now |
| `symbology_known` | current belief over all valid time (history as known now) |
| `symbology_timeline` | every gold row with `valid_until` / `known_until` (open ends as 9999-12-31) |
| `instruments_current` | current silver instruments (current belief, open valid interval) with their canonical ID |
| `instruments_bitemporal` | silver versions x gold mappings, intervals intersected: one predicate pair answers (v, s) |
| `usd_equivalents_current` | current mappings that belong to a USD-equivalence group |
| `assets_current` | the alias table as currently loaded |

See docs/sql/ for point-in-time examples and docs/adr/0009-gold-symbology.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refdata.domain import SPEC_FIELDS
from refdata.settings import Settings

if TYPE_CHECKING:
    from trino.dbapi import Connection

END = "TIMESTAMP '9999-12-31 00:00:00.000000'"

# Mapping columns shown next to silver's; silver keeps the exchange's codes in base_asset etc.
MAPPING_COLUMNS = (
    "canonical_id", "id_error", "usd_equivalent_group", "is_exact_usd", "usd_substituted",
    "unknown_assets",
)


def _least(a: str, b: str) -> str:
    """least() of two nullable 'open end' timestamps (null = infinity)."""
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} ELSE least({a}, {b}) END"


def view_definitions(catalog: str, gold: str = "gold",
                     silver_table: str = "silver.instrument_versions") -> dict[str, tuple[str, str]]:
    """name -> (comment, SELECT) for every view, table names fully qualified."""
    sym = f"{catalog}.{gold}.symbology"
    assets = f"{catalog}.{gold}.assets"
    silver = f"{catalog}.{silver_table}"
    spec = ", ".join(f"s.{name}" for name in SPEC_FIELDS if name not in ("base_asset", "quote_asset", "settle_asset"))
    codes = "s.base_asset AS base_code, s.quote_asset AS quote_code, s.settle_asset AS settle_code"
    canon = "g.base_asset, g.quote_asset, g.settle_asset, g.base_multiplier, g.quote_multiplier"
    mapping = ", ".join(f"g.{name}" for name in MAPPING_COLUMNS)
    sym_columns = (
        "venue, symbol, lifetime_id, canonical_id, id_error, basis, instrument_class, settlement, "
        "base_asset, quote_asset, settle_asset, base_code, quote_code, settle_code, base_multiplier, "
        "quote_multiplier, expiry, strike, option_right, usd_equivalent_group, is_exact_usd, "
        "usd_substituted, unknown_assets, asset_rules, valid_from, valid_to, recorded_at, "
        "superseded_at, mapping_id"
    )
    join_key = ("g.venue = s.venue AND g.symbol = s.symbol "
                "AND g.lifetime_id IS NOT DISTINCT FROM s.lifetime_id")
    return {
        "symbology_current": (
            "What each (venue, symbol) maps to now: current belief, open valid interval",
            f"SELECT {sym_columns} FROM {sym} WHERE superseded_at IS NULL AND valid_to IS NULL",
        ),
        "symbology_known": (
            "gold.symbology as currently believed, over all valid time",
            f"SELECT {sym_columns} FROM {sym} WHERE superseded_at IS NULL",
        ),
        "symbology_timeline": (
            "gold.symbology with open ends as 9999-12-31: v BETWEEN valid_from AND valid_until - ...",
            f"SELECT {sym_columns}, coalesce(valid_to, {END}) AS valid_until, "
            f"coalesce(superseded_at, {END}) AS known_until FROM {sym}",
        ),
        "instruments_current": (
            "Current instruments (silver published, current belief, open valid interval) with canonical IDs",
            f"SELECT s.venue, s.symbol, {mapping}, {canon}, {codes}, {spec}, s.basis, s.lifetime_id, "
            "s.valid_from, s.recorded_at, s.version_id, g.mapping_id, s.raw_payload "
            f"FROM {silver} s LEFT JOIN {sym} g ON {join_key} "
            "AND g.superseded_at IS NULL AND g.valid_to IS NULL "
            "WHERE s.layer = 'published' AND s.superseded_at IS NULL AND s.valid_to IS NULL",
        ),
        "instruments_bitemporal": (
            "Silver versions joined to gold mappings with both intervals intersected: filter "
            "valid_from <= v < valid_to and recorded_at <= s < superseded_at (nulls = open)",
            f"SELECT s.venue, s.symbol, {mapping}, {canon}, {codes}, {spec}, s.basis, s.lifetime_id, "
            "greatest(s.valid_from, g.valid_from) AS valid_from, "
            f"{_least('s.valid_to', 'g.valid_to')} AS valid_to, "
            "greatest(s.recorded_at, g.recorded_at) AS recorded_at, "
            f"{_least('s.superseded_at', 'g.superseded_at')} AS superseded_at, "
            "s.version_id, g.mapping_id "
            f"FROM {silver} s JOIN {sym} g ON {join_key} "
            f"AND s.valid_from < coalesce(g.valid_to, {END}) AND g.valid_from < coalesce(s.valid_to, {END}) "
            f"AND s.recorded_at < coalesce(g.superseded_at, {END}) "
            f"AND g.recorded_at < coalesce(s.superseded_at, {END}) "
            "WHERE s.layer = 'published'",
        ),
        "usd_equivalents_current": (
            "Current mappings in a USD-equivalence group (exact = USD itself, else a stablecoin)",
            f"SELECT usd_equivalent_group, canonical_id, venue, symbol, is_exact_usd, usd_substituted, basis "
            f"FROM {sym} WHERE superseded_at IS NULL AND valid_to IS NULL AND usd_equivalent_group IS NOT NULL",
        ),
        "assets_current": (
            "The asset alias table as currently loaded (ADR 0007)",
            "SELECT exchange, code, canonical, multiplier, kind, valid_from, valid_to, asserted_at, "
            f"recorded_at, note FROM {assets} WHERE superseded_at IS NULL",
        ),
    }


def ensure_views(settings: Settings, gold_namespace: str = "gold",
                 silver_table: str = "silver.instrument_versions",
                 connection: "Connection | None" = None) -> list[str]:
    """Create or replace every analyst view; returns their qualified names. Idempotent."""
    from refdata.catalog import trino_connection

    conn: Any = connection or trino_connection(settings)
    cursor = conn.cursor()
    created = []
    try:
        for name, (comment, select) in view_definitions(settings.catalog_name, gold_namespace, silver_table).items():
            qualified = f"{settings.catalog_name}.{gold_namespace}.{name}"
            escaped = comment.replace("'", "''")
            cursor.execute(f"CREATE OR REPLACE VIEW {qualified} COMMENT '{escaped}' AS {select}")
            cursor.fetchall()
            created.append(qualified)
    finally:
        if connection is None:
            conn.close()
    return created
