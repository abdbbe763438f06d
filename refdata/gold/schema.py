"""Columns of the gold tables, as plain data (the migration builds the Iceberg schemas from them).

Types are Iceberg type names as in `refdata.bitemporal.schema`: "timestamp" is without zone
(Spark TIMESTAMP_NTZ, Trino `timestamp(6)`), naive UTC everywhere. Each column carries its doc
string, which the migration stores in the Iceberg schema (Trino shows it in DESCRIBE/SHOW).
"""

from __future__ import annotations

# (name, Iceberg type, nullable, doc)
Column = tuple[str, str, bool, str]

DECIMAL = "decimal(38,18)"

SYMBOLOGY_COLUMNS: tuple[Column, ...] = (
    ("mapping_id", "string", False,
     "gm_ + 32 hex of sha256(venue, symbol, valid_from, valid_to, recorded_at, content_hash): deterministic"),
    ("venue", "string", False, "venue id, e.g. kraken-spot"),
    ("symbol", "string", False, "the exchange's symbol, unique within the venue"),
    ("lifetime_id", "string", True, "silver lifetime of (venue, symbol); null where silver has none (basis none)"),
    ("valid_from", "timestamp", False, "valid time, inclusive (UTC)"),
    ("valid_to", "timestamp", True, "valid time, exclusive (UTC); null = open-ended"),
    ("recorded_at", "timestamp", False, "system time the mapping became believed (a silver or alias-table system time)"),
    ("superseded_at", "timestamp", True, "system time the mapping stopped being believed; null = current belief"),
    ("basis", "string", False, "silver basis of the mapped versions: listed | delisted | none"),
    ("canonical_id", "string", True, "canonical instrument ID (ADR 0006 grammar); null when it cannot be built (see id_error)"),
    ("id_error", "string", True, "why no canonical ID could be built; null when canonical_id is set"),
    ("instrument_class", "string", True, "spot | perpetual | future | option"),
    ("settlement", "string", True, "linear | inverse; null for spot"),
    ("base_asset", "string", True, "canonical base asset (alias table applied)"),
    ("quote_asset", "string", True, "canonical quote asset"),
    ("settle_asset", "string", True, "canonical settlement asset; null for spot"),
    ("base_code", "string", True, "the exchange's own base asset code (e.g. XXBT)"),
    ("quote_code", "string", True, "the exchange's own quote asset code (e.g. ZUSD)"),
    ("settle_code", "string", True, "the exchange's own settlement asset code, as listed (may be null)"),
    ("base_multiplier", "int", True, "units of base_asset in one unit of base_code (1000 for 1000PEPE)"),
    ("quote_multiplier", "int", True, "units of quote_asset in one unit of quote_code"),
    ("expiry", "timestamp", True, "exact expiry from silver (futures, options); the ID carries its UTC date"),
    ("strike", DECIMAL, True, "option strike in quote units"),
    ("option_right", "string", True, "C | P"),
    ("usd_equivalent_group", "string", True,
     "the ID with the quote (and a stablecoin settlement) read as USD, e.g. BTC-USD-SPOT for BTC-USDT-SPOT; null if none"),
    ("is_exact_usd", "boolean", False, "true iff the instrument is itself a USD instrument (its group is its own ID)"),
    ("usd_substituted", "list<string>", False, "stablecoins read as USD to form the group, e.g. [USDT]"),
    ("unknown_assets", "list<string>", False,
     "asset codes with no row in the alias table, passed through unchanged (ADR 0007): flagged, never guessed"),
    ("asset_rules", "list<string>", False, "how each code was normalized: role:code->canonical (kind, scope)"),
    ("content_hash", "string", False, "sha256 of every mapping column except ids and times"),
)

ASSET_COLUMNS: tuple[Column, ...] = (
    ("asset_row_id", "string", False,
     "ga_ + 32 hex of sha256(exchange, code, valid_from, asserted_at, recorded_at, content_hash)"),
    ("exchange", "string", False, "* (every exchange), an exchange (kraken) or a venue (binance-usdm)"),
    ("code", "string", False, "the exchange's asset code, exact"),
    ("canonical", "string", False, "canonical asset code [A-Z0-9]+"),
    ("multiplier", DECIMAL, False, "units of canonical in one unit of code"),
    ("kind", "string", False, "alias | legacy | identity | rename | disambiguation | multiplier | ... | retract"),
    ("valid_from", "timestamp", True, "valid time of the meaning, inclusive; null = unbounded"),
    ("valid_to", "timestamp", True, "valid time, exclusive; null = unbounded"),
    ("asserted_at", "timestamp", False,
     "the CSV's recorded_at: when the platform learned the fact; symbology resolves codes as known at its own system time against it"),
    ("recorded_at", "timestamp", False, "system time this table row was loaded"),
    ("superseded_at", "timestamp", True, "system time a reload changed or removed the row; null = current"),
    ("note", "string", False, "provenance from the CSV"),
    ("source", "string", False, "file the row was loaded from"),
    ("content_hash", "string", False, "sha256 of exchange, code, canonical, multiplier, kind, valid_from, valid_to, asserted_at, note"),
)

JOB_STATE_COLUMNS: tuple[Column, ...] = (
    ("job", "string", False, "gold_symbology"),
    ("run_id", "string", False, "Airflow run id, or cli:..."),
    ("watermark", "timestamp", True,
     "greatest silver system time the run read, over all venues; gold reflects silver per venue, up to "
     "each venue's greatest system time in silver_snapshot_id"),
    ("silver_snapshot_id", "long", True, "the silver snapshot the run read"),
    ("aliases_hash", "string", False, "hash of the alias rows (semantic columns) the run resolved with"),
    ("usd_equivalents", "string", False, "the USD-equivalent stablecoins the run used, comma-separated, sorted"),
    ("finished_at", "timestamp", False, "wall clock when the run committed, UTC"),
    ("keys_recomputed", "int", False, "(venue, symbol) keys whose mapping was recomputed"),
    ("rows_inserted", "int", False, "gold.symbology rows inserted"),
    ("rows_superseded", "int", False, "gold.symbology rows whose superseded_at was set"),
    ("id_errors", "int", False, "current, listed mappings without a canonical ID after the run"),
    ("gold_snapshot_id", "long", True, "gold.symbology main snapshot after the run (null if nothing was written)"),
)


def column_names(columns: tuple[Column, ...]) -> tuple[str, ...]:
    return tuple(name for name, _, _, _ in columns)


def spark_ddl(columns: tuple[Column, ...]) -> str:
    """The columns as a Spark DDL schema string (createDataFrame, CREATE TABLE)."""
    kinds = {"string": "string", "timestamp": "timestamp_ntz", "int": "int", "long": "bigint",
             "boolean": "boolean", DECIMAL: "decimal(38,18)", "list<string>": "array<string>"}
    return ", ".join(
        f"{name} {kinds[kind]}{'' if nullable else ' NOT NULL'}" for name, kind, nullable, _ in columns
    )
