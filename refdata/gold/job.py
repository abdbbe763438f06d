"""The gold symbology job: silver published rows -> gold.symbology, write-audit-publish.

One run (ADR 0009):

1. load the alias CSV into `gold.assets` (bitemporal; an unchanged CSV writes nothing);
2. pin the silver snapshot; the keys to recompute are those with a silver row recorded or
   superseded after *its venue's* watermark — per venue, the greatest silver system time in
   the snapshot the last run read (silver's belief is final per venue only: a venue's silver
   run can come after other venues' rows and record rows below their times) — or every key
   when the alias table (semantic columns) or the USD-equivalent set changed since the last
   run, or that snapshot has expired;
3. on the driver, per key: derive the key's full gold history (`refdata.gold.symbology`) and
   diff it against what gold holds (inserts, superseded_at updates; never a rewrite below the
   venue's watermark);
4. nothing to write: stop (no branch, no snapshot; the watermark row is appended to
   `gold.job_state` only if silver moved);
5. otherwise MERGE into an audit branch (`spark.wap.branch`), run the gold gate on the branch
   (refdata.quality.gates), fast-forward main and drop the branch; a failed blocking check
   drops the branch, leaves main untouched and raises `GateFailed` with the failing instruments.

Data is small (tens of thousands of rows): everything per key runs in driver-side Python.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refdata.bitemporal.schema import META_COLUMNS, SPEC_COLUMNS
from refdata.bitemporal.schema import from_record as silver_from_record
from refdata.gold import assets as gold_assets
from refdata.gold import gate as gold_gate
from refdata.gold import freshness
from refdata.gold.freshness import DEFAULT_ALIASES
from refdata.gold.schema import ASSET_COLUMNS, JOB_STATE_COLUMNS, SYMBOLOGY_COLUMNS, column_names, spark_ddl
from refdata.gold.symbology import Mapper, RunPlan, SymbologyRow, from_record, plan_run, to_record
from refdata.locks import TRANSFORM_JOBS, transform_lock
from refdata.quality.gates import GateFailed, GateResult
from refdata.settings import PROJECT_ROOT, Settings
from refdata.spark import collect_records
from refdata.symbology import DEFAULT_USD_EQUIVALENTS, load_asset_aliases

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)

JOB = TRANSFORM_JOBS["gold"]


@dataclass(frozen=True)
class GoldConfig:
    """Table names (namespace.table in the settings' catalog) and run options."""

    silver_table: str = "silver.instrument_versions"
    gold_namespace: str = "gold"
    aliases_path: Path | None = None  # None: the CSV shipped in refdata/symbology/data
    usd_equivalents: frozenset[str] = DEFAULT_USD_EQUIVALENTS
    report_dir: Path | None = None  # None: <var_dir>/reports/gates
    run_id: str = ""

    @property
    def symbology_table(self) -> str:
        return f"{self.gold_namespace}.symbology"

    @property
    def assets_table(self) -> str:
        return f"{self.gold_namespace}.assets"

    @property
    def job_state_table(self) -> str:
        return f"{self.gold_namespace}.job_state"


@dataclass
class RunResult:
    run_id: str
    silver_snapshot_id: int | None = None
    previous_watermark: datetime | None = None  # the last run's job_state.watermark
    watermark: datetime | None = None  # greatest silver system time read, over all venues
    # Per venue: what the last run reflected (None: no run, or its snapshot expired) and now.
    previous_watermarks: dict[str, datetime] | None = None
    watermarks: dict[str, datetime] = field(default_factory=dict)
    full_recompute: bool = False
    keys_recomputed: int = 0
    rows_inserted: int = 0
    rows_superseded: int = 0
    assets_inserted: int = 0
    assets_superseded: int = 0
    id_errors: int = 0
    gold_snapshot_id: int | None = None
    wrote_symbology: bool = False
    gate: GateResult | None = None
    id_error_instruments: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{JOB} {self.run_id}: silver snapshot {self.silver_snapshot_id}, watermark "
                f"{self.previous_watermark} -> {self.watermark}, keys {self.keys_recomputed}"
                f"{' (all)' if self.full_recompute else ''}, "
                f"+{self.rows_inserted} rows, {self.rows_superseded} superseded, "
                f"assets +{self.assets_inserted}/-{self.assets_superseded}, "
                f"{self.id_errors} listed instrument(s) without a canonical ID"
                + (f", gate: {self.gate.report_path}" if self.gate else ", nothing published"))


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _q(settings: Settings, table: str) -> str:
    return f"{settings.catalog_name}.{table}"


def _staged_frame(spark: "SparkSession", records: Sequence[dict[str, Any]], columns: Any) -> "DataFrame":
    names = column_names(columns)
    return spark.createDataFrame([tuple(r[n] for n in names) for r in records], spark_ddl(columns))


def _main_snapshot(spark: "SparkSession", qualified: str) -> int | None:
    rows = spark.sql(f"SELECT snapshot_id FROM {qualified}.refs WHERE name = 'main'").collect()
    return rows[0].snapshot_id if rows else None


# ---- assets --------------------------------------------------------------------------------


def load_assets(spark: "SparkSession", settings: Settings, config: GoldConfig,
                now: datetime | None = None) -> tuple[gold_assets.AssetLoadPlan, tuple[Any, ...]]:
    """Bring gold.assets in line with the CSV; returns the plan and the resolver rows."""
    path = config.aliases_path or DEFAULT_ALIASES
    aliases = load_asset_aliases(path)
    table = _q(settings, config.assets_table)
    held = collect_records(spark.table(table))
    last = max([r["recorded_at"] for r in held] + [r["superseded_at"] for r in held if r["superseded_at"]],
               default=None)
    load_time = now or _utcnow()
    if last is not None and load_time <= last:
        load_time = last + timedelta(microseconds=1)  # system time only moves forward
    try:
        source = str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        source = str(path)
    plan = gold_assets.plan_asset_load([r for r in held if r["superseded_at"] is None], aliases,
                                       load_time, source)
    if not plan.is_empty:
        superseded = {asset_row_id: at for asset_row_id, at in plan.to_supersede}
        staged = [dict(r, superseded_at=superseded[r["asset_row_id"]]) for r in held
                  if r["asset_row_id"] in superseded] + list(plan.to_insert)
        _staged_frame(spark, staged, ASSET_COLUMNS).createOrReplaceTempView("gold_assets_staged")
        spark.sql(f"""MERGE INTO {table} t USING gold_assets_staged s ON t.asset_row_id = s.asset_row_id
                      WHEN MATCHED THEN UPDATE SET t.superseded_at = s.superseded_at
                      WHEN NOT MATCHED THEN INSERT *""")
        log.info("gold.assets: +%d rows, %d superseded", len(plan.to_insert), len(plan.to_supersede))
    return plan, gold_assets.aliases_from_records(plan.current_after)


# ---- silver and gold reads -------------------------------------------------------------------


SILVER_COLUMNS = tuple(name for name, _, _ in META_COLUMNS) + tuple(name for name, _ in SPEC_COLUMNS)


def _last_state(spark: "SparkSession", settings: Settings, config: GoldConfig) -> dict[str, Any] | None:
    rows = collect_records(spark.sql(
        f"SELECT * FROM {_q(settings, config.job_state_table)} WHERE job = '{JOB}' "
        "ORDER BY finished_at DESC, run_id DESC LIMIT 1"))
    return rows[0] if rows else None


def _keys_frame(spark: "SparkSession", keys: Iterable[tuple[str, str]]) -> "DataFrame":
    return spark.createDataFrame(sorted(keys), "venue string, symbol string")


def _group(records: Iterable[Any], key: Any) -> dict[tuple[str, str], list[Any]]:
    out: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for record in records:
        out[key(record)].append(record)
    return dict(out)


def _venue_watermarks(spark: "SparkSession", silver_q: str, snapshot: int) -> dict[str, datetime]:
    """`symbology.silver_watermarks` of a silver snapshot, in SQL."""
    rows = spark.sql(
        "SELECT venue, max(greatest(recorded_at, coalesce(superseded_at, recorded_at))) AS w "
        f"FROM {silver_q} VERSION AS OF {int(snapshot)} WHERE layer = 'published' GROUP BY venue"
    ).collect()
    return {r.venue: r.w for r in rows if r.w is not None}


def _previous_watermarks(spark: "SparkSession", silver_q: str, state: dict[str, Any] | None,
                         snapshot: int, current: dict[str, datetime]) -> dict[str, datetime] | None:
    """Per venue, what the last run reflected: the watermarks of the silver snapshot it read
    (`job_state.silver_snapshot_id`). None if there was no run, or if that snapshot has been
    expired: then every key is recomputed (the result is still what a rebuild gives; only the
    refusal to rewrite rows below the watermarks is lost for that run)."""
    if state is None or state["silver_snapshot_id"] is None:
        return None
    previous = int(state["silver_snapshot_id"])
    if previous == snapshot:
        return current
    if not spark.sql(f"SELECT 1 FROM {silver_q}.snapshots WHERE snapshot_id = {previous}").collect():
        log.warning("%s: silver snapshot %s read by the last run is gone (expired?); recomputing every key",
                    JOB, previous)
        return None
    return _venue_watermarks(spark, silver_q, previous)


def _changed_since(watermarks: Mapping[str, datetime]) -> "Column":
    """`symbology.changed_keys` as a filter on silver rows: rows of a venue recorded or
    superseded after its watermark, and every row of a venue without one."""
    from pyspark.sql import functions as F

    condition = ~F.col("venue").isin(sorted(watermarks)) if watermarks else F.lit(True)
    for venue, mark in sorted(watermarks.items()):
        at = F.expr(f"TIMESTAMP_NTZ '{mark.isoformat(sep=' ')}'")
        condition = condition | ((F.col("venue") == F.lit(venue))
                                 & ((F.col("recorded_at") > at) | (F.col("superseded_at") > at)))
    return condition


# ---- the run -------------------------------------------------------------------------------


class _Timer:
    def __init__(self, run_id: str) -> None:
        self.run_id, self.last = run_id, time.monotonic()

    def __call__(self, phase: str) -> None:
        now = time.monotonic()
        log.info("%s %s: %s in %.1fs", JOB, self.run_id, phase, now - self.last)
        self.last = now


def run(spark: "SparkSession", settings: Settings, config: GoldConfig | None = None,
        now: datetime | None = None) -> RunResult:
    """Derive gold from silver; one run at a time per gold namespace."""
    config = config or GoldConfig()
    with transform_lock(settings, "gold", config.gold_namespace):
        return _run_locked(spark, settings, config, now)


def _run_locked(spark: "SparkSession", settings: Settings, config: GoldConfig, now: datetime | None) -> RunResult:
    run_id = config.run_id or f"cli:{_utcnow().strftime('%Y%m%dT%H%M%S%f')}"
    result = RunResult(run_id)
    timer = _Timer(run_id)
    silver_q, gold_q = _q(settings, config.silver_table), _q(settings, config.symbology_table)
    report_dir = config.report_dir or settings.var_dir / "reports" / "gates"

    # Another engine (or process) may have committed since this session cached the tables.
    for table in (config.silver_table, config.symbology_table, config.assets_table, config.job_state_table):
        spark.sql(f"REFRESH TABLE {_q(settings, table)}")
    asset_plan, aliases = load_assets(spark, settings, config, now)
    result.assets_inserted, result.assets_superseded = len(asset_plan.to_insert), len(asset_plan.to_supersede)
    alias_hash = gold_assets.aliases_hash(aliases)
    timer("assets loaded")
    usd_text = freshness.usd_text(config.usd_equivalents)

    state = _last_state(spark, settings, config)
    result.previous_watermark = state["watermark"] if state else None
    settings_changed = state is not None and not freshness.same_settings(state, alias_hash, config.usd_equivalents)

    snapshot = _main_snapshot(spark, silver_q)
    result.silver_snapshot_id = snapshot
    if snapshot is None:
        log.info("%s: silver %s has no snapshot; nothing to do", JOB, silver_q)
        result.watermark = result.previous_watermark
        return result
    silver = spark.sql(f"SELECT * FROM {silver_q} VERSION AS OF {snapshot} WHERE layer = 'published'")
    marks = _venue_watermarks(spark, silver_q, snapshot)
    previous = _previous_watermarks(spark, silver_q, state, snapshot, marks)
    result.watermarks, result.previous_watermarks = marks, previous
    result.watermark = max(marks.values()) if marks else result.previous_watermark
    full = previous is None or settings_changed
    result.full_recompute = full and state is not None
    if result.full_recompute:
        log.info("%s: recomputing every key (%s)", JOB, "aliases or USD set changed" if settings_changed
                 else "the silver snapshot the last run read is gone")

    gold_all = spark.table(gold_q)
    if full:
        silver_rows = silver.select(*SILVER_COLUMNS)
        gold_rows = gold_all
    else:
        assert previous is not None
        changed = silver.where(_changed_since(previous)).select("venue", "symbol").distinct()
        keys = [(r.venue, r.symbol) for r in changed.collect()]
        if not keys:
            log.info("%s: no silver change after the watermarks %s; nothing to do", JOB, previous)
            return result
        keys_frame = _keys_frame(spark, keys)
        silver_rows = silver.join(keys_frame, ["venue", "symbol"], "left_semi").select(*SILVER_COLUMNS)
        gold_rows = gold_all.join(keys_frame, ["venue", "symbol"], "left_semi")

    timer(f"changed keys found ({'all' if full else len(keys)})")
    silver_by_key = _group((silver_from_record(r) for r in collect_records(silver_rows)), lambda r: r.key)
    gold_by_key = _group((from_record(r) for r in collect_records(gold_rows)), lambda r: r.key)
    mapper = Mapper(aliases, config.usd_equivalents)
    plan = plan_run(silver_by_key, gold_by_key, mapper, previous)
    result.keys_recomputed = plan.keys
    timer(f"{plan.keys} keys derived")
    result.rows_inserted, result.rows_superseded = len(plan.inserts), len(plan.supersedes)

    if plan.is_empty:
        # Silver moved without changing any mapping: only the watermarks advance.
        if marks != previous or state is None or settings_changed:
            result.id_errors = _count_id_errors(spark, gold_q)
            _append_state(spark, settings, config, result, alias_hash, usd_text)
        log.info("%s", result.summary())
        return result

    held = {row.mapping_id: row for rows in gold_by_key.values() for row in rows}
    result.gate = _write_audit_publish(spark, settings, config, plan, held, report_dir, result, timer)
    result.wrote_symbology = True
    _append_state(spark, settings, config, result, alias_hash, usd_text)
    log.info("%s", result.summary())
    return result


def _count_id_errors(spark: "SparkSession", qualified: str, version: str | None = None) -> int:
    source = f"{qualified} VERSION AS OF '{version}'" if version else qualified
    return spark.sql(
        f"SELECT count(*) AS n FROM {source} WHERE superseded_at IS NULL AND valid_to IS NULL "
        "AND basis = 'listed' AND canonical_id IS NULL"
    ).collect()[0].n


def _branch_name(run_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_]", "_", run_id)[:60]
    return f"audit_{safe}_{uuid.uuid4().hex[:8]}"


def _write_audit_publish(spark: "SparkSession", settings: Settings, config: GoldConfig, plan: RunPlan,
                         held: dict[str, SymbologyRow], report_dir: Path, result: RunResult,
                         timer: _Timer) -> GateResult:
    gold_q = _q(settings, config.symbology_table)
    superseded = dict(plan.supersedes)
    staged = [dict(to_record(held[mapping_id]), superseded_at=at) for mapping_id, at in superseded.items()]
    staged += [to_record(row) for row in plan.inserts]
    frame = _staged_frame(spark, staged, SYMBOLOGY_COLUMNS)
    frame.createOrReplaceTempView("gold_symbology_staged")

    branch = _branch_name(result.run_id)
    spark.sql(f"ALTER TABLE {gold_q} CREATE BRANCH `{branch}`")
    published = False
    try:
        spark.conf.set("spark.wap.branch", branch)
        try:
            spark.sql(f"""MERGE INTO {gold_q} t USING gold_symbology_staged s ON t.mapping_id = s.mapping_id
                          WHEN MATCHED AND t.superseded_at IS NULL THEN UPDATE SET t.superseded_at = s.superseded_at
                          WHEN NOT MATCHED THEN INSERT *""")
        finally:
            spark.conf.unset("spark.wap.branch")
        timer(f"merged into audit branch {branch}")
        gate = gold_gate.run_symbology_gate(spark, settings, config, branch, result.silver_snapshot_id,
                                            result.run_id, report_dir)
        timer(f"gate {'passed' if gate.blocking_success else 'FAILED'}")
        result.id_errors = gate.id_error_count
        result.id_error_instruments = gate.id_error_instruments
        if not gate.blocking_success:
            error = GateFailed(gate.blocking_result())
            # The audited snapshot stays readable by id (FOR VERSION AS OF) until snapshots expire.
            error.audit_snapshot_id = spark.sql(  # type: ignore[attr-defined]
                f"SELECT snapshot_id FROM {gold_q}.refs WHERE name = '{branch}'").collect()[0].snapshot_id
            log.error("%s %s: gate failed; audited snapshot %s", JOB, result.run_id, error.audit_snapshot_id)  # type: ignore[attr-defined]
            raise error
        spark.sql(f"CALL {settings.catalog_name}.system.fast_forward('{config.symbology_table}', 'main', '{branch}')")
        published = True
        result.gold_snapshot_id = _main_snapshot(spark, gold_q)
        return gate.result
    finally:
        spark.sql(f"ALTER TABLE {gold_q} DROP BRANCH IF EXISTS `{branch}`")
        if not published:
            log.error("%s %s: audit branch %s dropped, main untouched", JOB, result.run_id, branch)


def _append_state(spark: "SparkSession", settings: Settings, config: GoldConfig, result: RunResult,
                  alias_hash: str, usd_text: str) -> None:
    record = {
        "job": JOB, "run_id": result.run_id, "watermark": result.watermark,
        "silver_snapshot_id": result.silver_snapshot_id, "aliases_hash": alias_hash,
        "usd_equivalents": usd_text, "finished_at": _utcnow(),
        "keys_recomputed": result.keys_recomputed, "rows_inserted": result.rows_inserted,
        "rows_superseded": result.rows_superseded, "id_errors": result.id_errors,
        "gold_snapshot_id": result.gold_snapshot_id,
    }
    _staged_frame(spark, [record], JOB_STATE_COLUMNS).writeTo(_q(settings, config.job_state_table)).append()


def replace_config(config: GoldConfig, **changes: Any) -> GoldConfig:
    return dataclasses.replace(config, **changes)
