"""The gold gate: checks on the audit branch of gold.symbology before it is published.

Each rule is a boolean column of one audit frame (refdata.quality.gates): a row per gold row of
the branch (history included) and a row per active silver instrument of the pinned snapshot.

Blocking (a failure leaves main untouched):
- `active_instrument_mapped`: every active silver instrument (current belief, open valid
  interval, basis listed) has exactly one current open mapping of its lifetime, with a
  canonical ID or an explicit `id_error`;
- `one_mapping_at_any_time`: no two gold rows of one (venue, symbol) overlap in both valid
  and system time, so one canonical ID per (venue, symbol, lifetime) at any (v, s);
- `id_matches_grammar`: every canonical ID matches the ADR 0006 regex;
- `id_xor_error`: a row has a canonical ID or an id_error, never both, never neither;
- `intervals_well_formed`: valid_to > valid_from, superseded_at > recorded_at;
- `unknown_assets_flagged`: on active mappings, every exchange asset code either has a row in
  gold.assets for that venue's scope or is listed in `unknown_assets` (checked against the
  table, independently of the resolver).

Reported, not blocking: `active_has_canonical_id` — instruments whose ID cannot be built
(no settlement type on an OKX pre-open swap, a non-ASCII Binance ticker) are published with
their id_error and listed in the gate report, so they are seen rather than dropped.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refdata.quality.gates import Check, GateResult, run_gate
from refdata.settings import Settings
from refdata.symbology import CANONICAL_ID_REGEX

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from refdata.gold.job import GoldConfig

GATE = "gold_symbology"
KEY_COLUMNS = ["source", "venue", "symbol", "lifetime_id", "valid_from", "recorded_at", "canonical_id"]
END = "TIMESTAMP_NTZ '9999-12-31 00:00:00'"

CHECKS = [
    Check("active_instrument_mapped",
          "every active silver instrument has exactly one current mapping (canonical ID or id_error)"),
    Check("one_mapping_at_any_time",
          "no two mappings of one (venue, symbol) overlap in valid and system time"),
    Check("id_matches_grammar", "canonical IDs match the ADR 0006 grammar"),
    Check("id_xor_error", "a mapping has a canonical ID or an id_error, exactly one of them"),
    Check("intervals_well_formed", "valid_to > valid_from and superseded_at > recorded_at"),
    Check("unknown_assets_flagged",
          "asset codes of active mappings are in gold.assets or flagged in unknown_assets"),
    Check("active_has_canonical_id",
          "active mappings have a canonical ID (reported, not blocking: see id_error)"),
]
REPORTED = frozenset({"active_has_canonical_id"})
BLOCKING = frozenset(c.column for c in CHECKS) - REPORTED


def java_regex(python_regex: str = CANONICAL_ID_REGEX) -> str:
    """The grammar regex for Spark's RLIKE (Java): named groups become plain groups."""
    return re.sub(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>", "(", python_regex)


@dataclass(frozen=True)
class SymbologyGate:
    result: GateResult
    id_error_count: int
    id_error_instruments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blocking_success(self) -> bool:
        return all(c.success for c in self.result.checks if c.column in BLOCKING)

    def blocking_result(self) -> GateResult:
        """The result restricted to blocking checks (what GateFailed reports)."""
        checks = [c for c in self.result.checks if c.column in BLOCKING]
        return dataclasses.replace(self.result, checks=checks, success=all(c.success for c in checks))


def audit_frame(spark: "SparkSession", settings: Settings, config: "GoldConfig", branch: str,
                silver_snapshot: int | None) -> "DataFrame":
    from pyspark.sql import functions as F

    catalog = settings.catalog_name
    gold = f"{catalog}.{config.symbology_table} VERSION AS OF '{branch}'"
    silver = f"{catalog}.{config.silver_table}" + (f" VERSION AS OF {silver_snapshot}" if silver_snapshot else "")
    assets = f"{catalog}.{config.assets_table}"
    active = "g.superseded_at IS NULL AND g.valid_to IS NULL AND g.basis = 'listed'"
    frame = spark.sql(f"""
        WITH g AS (SELECT * FROM {gold}),
        overlaps AS (
            SELECT a.mapping_id, count(b.mapping_id) AS n
            FROM g a LEFT JOIN g b
              ON a.venue = b.venue AND a.symbol = b.symbol AND a.mapping_id <> b.mapping_id
             AND a.valid_from < coalesce(b.valid_to, {END}) AND b.valid_from < coalesce(a.valid_to, {END})
             AND a.recorded_at < coalesce(b.superseded_at, {END}) AND b.recorded_at < coalesce(a.superseded_at, {END})
            GROUP BY a.mapping_id),
        codes AS (
            SELECT g.mapping_id, g.venue, c.code, g.unknown_assets
            FROM g LATERAL VIEW explode(array(g.base_code, g.quote_code, g.settle_code)) c AS code
            WHERE {active} AND c.code IS NOT NULL),
        known AS (SELECT DISTINCT exchange, code FROM {assets} WHERE superseded_at IS NULL AND kind <> 'retract'),
        flagged AS (
            SELECT c.mapping_id, bool_and(k.code IS NOT NULL OR array_contains(c.unknown_assets, c.code)) AS ok
            FROM codes c LEFT JOIN known k
              ON k.code = c.code AND (k.exchange = '*' OR k.exchange = c.venue OR c.venue LIKE concat(k.exchange, '-%'))
            GROUP BY c.mapping_id),
        silver_active AS (
            SELECT venue, symbol, lifetime_id, valid_from, recorded_at FROM {silver}
            WHERE layer = 'published' AND superseded_at IS NULL AND valid_to IS NULL AND basis = 'listed'),
        mapped AS (
            SELECT s.venue, s.symbol, s.lifetime_id, s.valid_from, s.recorded_at, count(g.mapping_id) AS n
            FROM silver_active s LEFT JOIN g
              ON g.venue = s.venue AND g.symbol = s.symbol AND g.lifetime_id <=> s.lifetime_id
             AND {active} AND (g.canonical_id IS NOT NULL OR g.id_error IS NOT NULL)
            GROUP BY s.venue, s.symbol, s.lifetime_id, s.valid_from, s.recorded_at)
        SELECT 'gold' AS source, g.venue, g.symbol, g.lifetime_id, g.valid_from, g.recorded_at,
               g.canonical_id, g.id_error,
               true AS active_instrument_mapped,
               o.n = 0 AS one_mapping_at_any_time,
               (g.canonical_id IS NOT NULL) <> (g.id_error IS NOT NULL) AS id_xor_error,
               (g.valid_to IS NULL OR g.valid_to > g.valid_from)
                 AND (g.superseded_at IS NULL OR g.superseded_at > g.recorded_at) AS intervals_well_formed,
               coalesce(f.ok, true) AS unknown_assets_flagged,
               NOT ({active}) OR g.canonical_id IS NOT NULL AS active_has_canonical_id
        FROM g JOIN overlaps o ON o.mapping_id = g.mapping_id
        LEFT JOIN flagged f ON f.mapping_id = g.mapping_id
        UNION ALL
        SELECT 'silver', m.venue, m.symbol, m.lifetime_id, m.valid_from, m.recorded_at, NULL, NULL,
               m.n = 1, true, true, true, true, true
        FROM mapped m
    """)
    return frame.withColumn(
        "id_matches_grammar",
        F.col("canonical_id").isNull() | F.col("canonical_id").rlike(f"^{java_regex()}$"),
    )


def run_symbology_gate(spark: "SparkSession", settings: Settings, config: "GoldConfig", branch: str,
                       silver_snapshot: int | None, run_id: str, report_dir: Path) -> SymbologyGate:
    frame = audit_frame(spark, settings, config, branch, silver_snapshot)
    # The audit rows are few (one per gold row and per active instrument) but their query is
    # not: compute them once, then let GX run its per-check jobs on a single local partition.
    local = spark.createDataFrame(frame.collect(), frame.schema).coalesce(1)
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "1")
    try:
        result = run_gate(GATE, run_id, local, CHECKS, KEY_COLUMNS, report_dir)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", partitions)
    reported = next(c for c in result.checks if c.column == "active_has_canonical_id")
    return SymbologyGate(result, reported.unexpected_count, reported.failing_keys)
