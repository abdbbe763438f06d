"""Silver job time, production code as it is: `refdata.silver.job.run`, nothing patched.

Issue 4 target: (b) <= 60 s on the project's 2-core machine. Each scenario times one `job.run`:
(a0) Real Binance spot: the SM2A series (2022-11-03 .. 2023-04-14, 6 captures) backfilled and loaded.
(a)  The 2023-04-14 capture re-observed one hour later (new serverTime), nothing changed.
(b)  Synthetic Binance spot: the capture's symbols copied into N instruments (ETHBTC00, ETHBTC01, ...)
     of V versions each, written with Spark as the job writes hourly full listings: per key and layer
     2V-1 rows (V current: V-1 closed + 1 open-ended; V-1 superseded) with the engine's ids and spec
     hashes, one index entry per hourly poll (V x 24), the job watermark. Versions alternate (tick size
     x10 / status flipped) and end on the capture's spec. Then a snapshot of the N instruments with 1 %
     changed (half tick size / 10, half status flipped) goes through the production bronze writer and
     the job runs. Defaults N = 50,000, V = 100: 50,000 x 199 = 9,950,000 rows in instrument_versions,
     as many in instrument_observed, 2,400 index entries (counted and printed). Consistent: keys
     advanced = changes, rows inserted = 4 x changes (closed + new open row, both layers), superseded
     = 2 x changes, and the snapshot summaries agree (merge-on-read: one position delete per
     superseded row; new versions appended).
(a') The N-instrument snapshot re-observed one hour after (b), nothing changed.

Scratch namespaces `bench_{bronze,silver}_<id>{a,b}`: bronze from m0008, silver from
`refdata.silver.tables.create_tables` (as migrated: merge-on-read layer tables, zstd); purged at the
end, also on Ctrl-C / SIGTERM (unless --keep). Per run and per phase (the job's functions wrapped for
timing only): wall seconds, CPU seconds of this process (the Python driver) and of the Spark JVM.

    REFDATA_... python bench/silver.py [--instruments 50000] [--versions 100] [--changes N] [--skip-a]
Needs a running stack (storage group). At full size the history takes minutes to write.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import random
import re
import shutil
import signal
import sys
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from refdata.bitemporal.events import contract_hash  # noqa: E402
from refdata.bitemporal.rows import lifetime_id, stable_id  # noqa: E402
from refdata.bitemporal.schema import SPEC_COLUMNS, from_record  # noqa: E402
from refdata.bronze.backfill import BackfillItem, load  # noqa: E402
from refdata.bronze.rows import PageIn, PollIn  # noqa: E402
from refdata.bronze.store import BronzeStore  # noqa: E402
from refdata.bronze.writer import write_poll  # noqa: E402
from refdata.captures import load_catalog  # noqa: E402
from refdata.catalog import pyiceberg_catalog  # noqa: E402
from refdata.domain import spec_values  # noqa: E402
from refdata.migrations.m0008_bronze_tables import create_tables as create_bronze  # noqa: E402
from refdata.parsing import parse_listing  # noqa: E402
from refdata.settings import Settings, get_settings  # noqa: E402
from refdata.silver import job, plan, reads, writes  # noqa: E402
from refdata.silver.job import SilverTables  # noqa: E402
from refdata.silver.tables import create_tables as create_silver  # noqa: E402
from refdata.spark import get_session  # noqa: E402

VENUE, ENDPOINT, PATH = "binance-spot", "GET /api/v3/exchangeInfo", "/api/v3/exchangeInfo"
TEMPLATE = "2023-04-14T0911Z-SM2A.json"
SERIES = ("2022-11-03T1928Z-SM2A.json", "2022-11-04T1843Z-SM2A.json", "2022-11-08T0117Z-SM2A.json",
          "2022-11-16T0114Z-SM2A.json", "2022-12-17T0058Z-SM2A.json", TEMPLATE)
STRIDE = 24  # a key changes every STRIDE hourly polls (staggered by key)
TARGET_B = 60.0
JVM_PID: int | None = None


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message} (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)


def jvm_cpu() -> float:
    """CPU seconds (user + system) of the Spark JVM so far."""
    try:
        fields = Path(f"/proc/{JVM_PID}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def short(table: str) -> str:
    return table.rsplit(".", 1)[-1].replace("instrument_", "")


# ---- phase timing: the job's own functions, wrapped for timing only ------------------------------

class Phases:
    """Per label: [wall s, Python CPU s, JVM CPU s, calls]. A label entered inside another one
    is nested: its time is part of the outer one's."""

    def __init__(self) -> None:
        self.stats: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
        self.nested: set[str] = set()
        self._depth = 0
        self._undo: list[tuple[Any, str, Any]] = []

    @contextlib.contextmanager
    def measure(self, label: str) -> Iterator[None]:
        if self._depth:
            self.nested.add(label)
        self._depth += 1
        start = (time.perf_counter(), time.process_time(), jvm_cpu(), 0)
        try:
            yield
        finally:
            self._depth -= 1
            end = (time.perf_counter(), time.process_time(), jvm_cpu(), 1)
            self.stats[label] = [total + e - s for total, s, e in zip(self.stats[label], start, end)]

    def wrap(self, module: Any, name: str, label: Callable[..., str] | str, context: bool = False) -> None:
        """Time calls of module.name (only the __enter__ of a context manager, if `context`)."""
        original = getattr(module, name)  # AttributeError if the job has no such function

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.measure(label(*args, **kwargs) if callable(label) else label):
                return original(*args, **kwargs)

        @contextlib.contextmanager
        def timed_context(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with contextlib.ExitStack() as stack:
                with self.measure(label):
                    value = stack.enter_context(original(*args, **kwargs))
                yield value

        setattr(module, name, timed_context if context else timed)
        self._undo.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self._undo):
            setattr(module, name, original)
        self._undo.clear()


JOB_TIMED = ("venue_cutoffs", "correction_events", "plan_venue", "tail_suffices", "advance", "raw_lookup", "stage",
             "write", "append_rows", "touched_keys_view", "run_gate", "publish")
READS_TIMED = ("watermarks", "correction_rows", "new_polls", "listing_pages", "observations", "applied_indexes",
               "tail_observed_rows", "tails", "current_rows")


def instrument(phases: Phases) -> None:
    """Labels: the job's function names; the writes per table."""
    for name in JOB_TIMED:
        phases.wrap(job, name, name)
    for name in READS_TIMED:
        phases.wrap(reads, name, f"reads.{name}")
    phases.wrap(plan, "keys_to_advance", "keys_to_advance")
    phases.wrap(writes, "delete_keys", lambda spark, table, column, keys, branch=None:
                f"equality delete {short(table)} ({sum(len(set(v)) for v in keys.values())} keys)")
    phases.wrap(writes, "_append", lambda spark, table, records: f"append {short(table)} ({len(records)} rows)")
    phases.wrap(job, "transform_lock", "transform_lock (acquire)", context=True)
    phases.wrap(job, "audit_branch", "audit_branch (create branches)", context=True)


# ---- the synthetic Binance spot venue ----------------------------------------------------------

@dataclass
class Variant:
    obj: dict[str, Any]  # the exchangeInfo symbol object (template symbol)
    values: dict[str, Any]  # normalized spec values
    spec_hash: str
    raw_pre: str  # raw_json(obj) == raw_pre + symbol + raw_post
    raw_post: str


@dataclass
class Template:
    symbol: str
    variants: dict[str, Variant] = field(default_factory=dict)  # F (capture), A, B, C


def _variant_objects(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def tick(factor: Decimal) -> dict[str, Any]:
        out = copy.deepcopy(obj)
        for flt in out["filters"]:
            if flt["filterType"] == "PRICE_FILTER":
                flt["tickSize"] = format((Decimal(flt["tickSize"]) * factor).normalize(), "f")
        return out

    flipped = copy.deepcopy(obj)
    flipped["status"] = "BREAK" if obj["status"] == "TRADING" else "TRADING"
    # F: as captured; A: tick x10 (history); B: status flipped (history and 1/2 of the changes);
    # C: tick / 10 (the other 1/2 of the changes).
    return {"F": obj, "A": tick(Decimal(10)), "B": flipped, "C": tick(Decimal("0.1"))}


def build_templates(capture_body: bytes) -> tuple[dict[str, Any], list[Template]]:
    envelope = json.loads(capture_body)
    objects = list(envelope["symbols"])
    per_variant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in objects:
        for name, variant in _variant_objects(obj).items():
            per_variant[name].append(variant)
    parsed = {}
    for name, objs in per_variant.items():
        specs = parse_listing(VENUE, ENDPOINT, [json.dumps({**envelope, "symbols": objs}).encode()])
        parsed[name] = {spec.symbol: spec for spec in specs}
    templates = []
    for i, obj in enumerate(objects):
        template = Template(obj["symbol"])
        for name, objs in per_variant.items():
            spec = parsed[name][template.symbol]
            values = spec_values(spec)
            pre, post = spec.raw.split(f'"symbol":{json.dumps(template.symbol)}')
            template.variants[name] = Variant(objs[i], values, contract_hash(values), pre + '"symbol":"', '"' + post)
        if len({v.spec_hash for v in template.variants.values()}) == 4:  # every variant a different contract spec
            templates.append(template)
    templates.sort(key=lambda t: t.symbol)  # keys in key order are (nearly) in symbol order
    return {k: v for k, v in envelope.items() if k != "symbols"}, templates


@dataclass
class Venue:
    """N instruments x V versions; hourly polls p = 0 .. P-1 (observed_at = t0 + p h)."""

    templates: list[Template]
    instruments: int
    versions: int
    t0: datetime

    def __post_init__(self) -> None:
        self.copies = -(-self.instruments // len(self.templates))
        if self.copies > 100:
            raise SystemExit(f"{self.instruments} instruments need more than 100 copies of {len(self.templates)} templates")
        self.polls = self.versions * STRIDE
        self.last_poll = self.polls - 1

    def key(self, k: int) -> tuple[Template, str]:
        template = self.templates[k // self.copies]
        return template, f"{template.symbol}{k % self.copies:02d}"

    def observed_at(self, p: int) -> datetime:
        return self.t0 + timedelta(hours=p)

    def recorded_at(self, p: int) -> datetime:
        return self.observed_at(p) + timedelta(seconds=30)


def generate_history(spark: Any, tables: SilverTables, venue: Venue, partitions: int) -> None:
    """Write both layers, the observation index and the watermark directly with Spark."""
    from pyspark.sql import functions as F

    n, v, copies = venue.instruments, venue.versions, venue.copies
    lookup_schema = "t int, variant string, tsym string, spec_hash string, raw_pre string, raw_post string, " + ", ".join(
        f"{name} {'timestamp_ntz' if kind == 'timestamp' else kind}" for name, kind in SPEC_COLUMNS)

    def typed(kind: str, value: Any) -> Any:
        if value is None:
            return None
        return Decimal(value) if kind.startswith("decimal") else datetime.fromisoformat(value) if kind == "timestamp" else value

    lookup_rows = []
    for t, template in enumerate(venue.templates[: -(-n // copies)]):
        for name in ("F", "A", "B"):
            var = template.variants[name]
            lookup_rows.append((t, name, template.symbol, var.spec_hash, var.raw_pre, var.raw_post,
                                *(typed(kind, var.values[c]) for c, kind in SPEC_COLUMNS)))
    lookup = F.broadcast(spark.createDataFrame(lookup_rows, lookup_schema))
    t0 = int(venue.t0.replace(tzinfo=timezone.utc).timestamp())

    def at(p: Any, seconds: int = 0) -> Any:  # observed_at (recorded_at: + 30 s) of hourly poll p
        return F.timestamp_seconds(F.lit(t0 + seconds) + p * 3600).cast("timestamp_ntz")

    def iso(ts: Any) -> Any:
        return F.date_format(ts, "yyyy-MM-dd'T'HH:mm:ss")

    k, j, p = F.col("k"), F.col("j"), F.col("p")
    base = (
        spark.range(0, n * v, numPartitions=partitions)
        .select((F.col("id") / v).cast("long").alias("k"), (F.col("id") % v).cast("int").alias("j"))
        .withColumn("t", (k / copies).cast("int"))
        .withColumn("variant", F.when(j == v - 1, "F").when(((v - 1) - j) % 2 == 1, "A").otherwise("B"))
        .join(lookup, ["t", "variant"])
        .withColumn("symbol", F.concat(F.col("tsym"), F.lpad((k % copies).cast("string"), 2, "0")))
        .withColumn("offset", (k % STRIDE).cast("int"))
        .withColumn("p", j * STRIDE + F.col("offset"))
        .withColumn("start", at(p)).withColumn("rec", at(p, 30))
        .withColumn("next_start", F.when(j < v - 1, at(p + STRIDE)))
        .withColumn("next_rec", F.when(j < v - 1, at(p + STRIDE, 30)))
        .withColumn("first_start", at(F.col("offset")))
        .withColumn("event", F.concat(F.lit(VENUE + "/"), F.date_format(F.col("start"), "yyyyMMdd'T'HHmmss'Z'")))
        # kind 0: the version's open-ended row (superseded when the next version came);
        # kind 1: its closed row [start, next start), recorded when the next version came.
        .withColumn("kind", F.explode(F.array(F.lit(0), F.lit(1))))
        .where((F.col("kind") == 0) | (j < v - 1))
    )
    sep = F.lit("\x1f")
    # The generated columns are not declared non-null (they never are null): skip Spark's
    # nullability check for these appends only. They are written with the tables' codec (zstd).
    spark.conf.set("spark.sql.iceberg.check-nullability", "false")
    try:
        for table, layer in ((tables.observed, "observed"), (tables.versions, "published")):
            recorded = F.when(F.col("kind") == 0, F.col("rec")).otherwise(F.col("next_rec"))
            lifetime = (F.lit(None).cast("string") if layer == "observed" else F.concat(F.lit("lt_"), F.substring(
                F.sha2(F.concat_ws("\x1f", F.lit(VENUE), F.col("symbol"), iso(F.col("first_start"))), 256), 1, 32)))
            version_id = F.concat(F.lit("v_"), F.substring(F.sha2(F.concat(
                F.lit(layer), sep, F.lit(VENUE), sep, F.col("symbol"), sep, iso(F.col("start")), sep, iso(recorded), sep,
                F.col("spec_hash")), 256), 1, 32))
            frame = base.select(
                version_id.alias("version_id"), F.lit(layer).alias("layer"), F.lit(VENUE).alias("venue"), "symbol",
                lifetime.alias("lifetime_id"), F.col("start").alias("valid_from"),
                F.when(F.col("kind") == 1, F.col("next_start")).alias("valid_to"), recorded.alias("recorded_at"),
                F.when(F.col("kind") == 0, F.col("next_rec")).alias("superseded_at"),
                F.lit("listed").alias("basis"), "spec_hash",
                F.array().cast("array<string>").alias("corrected_fields"), F.array(F.col("event")).alias("asserted_by"),
                *[F.col(name) for name, _ in SPEC_COLUMNS],
                F.concat(F.col("raw_pre"), F.col("symbol"), F.col("raw_post")).alias("raw_payload"),
            )
            start = time.perf_counter()
            (frame.writeTo(table).option("distribution-mode", "none")
             .option("use-table-distribution-and-ordering", "false").append())
            # The tail of a key (refdata.bitemporal.window): its last version's open row.
            frame.where((F.col("valid_to").isNull()) & F.col("superseded_at").isNull()).writeTo(tables.tail).append()
            log(f"  wrote instrument_{layer} and its tail rows in {time.perf_counter() - start:.1f} s")
    finally:
        spark.conf.unset("spark.sql.iceberg.check-nullability")
    # Keys are first listed at polls 0 .. STRIDE-1 (staggered), so early polls list fewer.
    index = [(VENUE, f"{VENUE}/{venue.observed_at(p):%Y%m%dT%H%M%SZ}", venue.observed_at(p), venue.recorded_at(p), True,
              sum(len(range(o, n, STRIDE)) for o in range(min(p, STRIDE - 1) + 1)), "bench-history", None)
             for p in range(venue.polls)]
    spark.createDataFrame(index, spark.table(tables.index).schema).writeTo(tables.index).append()
    rows = n * (2 * v - 1)
    state = [("silver", "bench-history", venue.recorded_at(venue.last_poll), utcnow(), venue.polls,
              2 * rows - 2 * n * (v - 1), 2 * n * (v - 1), VENUE)]
    spark.createDataFrame(state, spark.table(tables.job_state).schema).writeTo(tables.job_state).append()


def check_history(spark: Any, tables: SilverTables, venue: Venue, k: int = 0) -> None:
    """Key k's generated rows carry the engine's ids and hashes (recomputed in Python)."""
    _, symbol = venue.key(k)
    checked = 0
    for table in (tables.observed, tables.versions):
        for record in spark.table(table).where(f"venue = '{VENUE}' AND symbol = '{symbol}'").collect():
            row = from_record(record.asDict(recursive=True))
            expected_id = stable_id("v", row.layer, VENUE, symbol, row.valid_from, row.recorded_at, row.spec_hash)
            expected_lifetime = None if row.layer == "observed" else lifetime_id(VENUE, symbol, venue.observed_at(k % STRIDE))
            if (row.version_id, row.lifetime_id, row.spec_hash) != (expected_id, expected_lifetime, contract_hash(row.values)):
                raise AssertionError(f"generated row differs from what the engine writes: {row}")
            checked += 1
    if checked != 2 * (2 * venue.versions - 1):
        raise AssertionError(f"{symbol}: {checked} rows generated, {2 * (2 * venue.versions - 1)} expected")


def snapshot_body(envelope: dict[str, Any], venue: Venue, changed: dict[int, str], observed_at: datetime) -> bytes:
    """A Binance exchangeInfo response listing every instrument of the venue."""
    symbols = []
    for k in range(venue.instruments):
        template, symbol = venue.key(k)
        symbols.append({**template.variants[changed.get(k, "F")].obj, "symbol": symbol})
    server_time = int(observed_at.replace(tzinfo=timezone.utc).timestamp() * 1000)
    return json.dumps({**envelope, "serverTime": server_time, "symbols": symbols}, separators=(",", ":")).encode()


def poll(poll_id: str, body: bytes, observed_at: datetime) -> PollIn:
    page = PageIn(PATH, {}, 200, {"content-type": "application/json"}, body, observed_at)
    return PollIn(poll_id, VENUE, ENDPOINT, {}, observed_at, "bench", "bench", "poll", (page,), 0, complete_listing=True)


# ---- measuring one run ------------------------------------------------------------------------

@dataclass
class Result:
    scenario: str
    rows_before: int  # instrument_versions
    expect: tuple[int, int, int] | None  # keys advanced, rows inserted, rows superseded
    report: Any = None
    seconds: float = 0.0
    cpu: float = 0.0
    jvm: float = 0.0
    phases: Phases = field(default_factory=Phases)
    snapshots: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (layer table, summary) written

    def summed(self, operation: str, *keys: str) -> int:
        return sum(int(s.get(k, 0)) for _, s in self.snapshots if s["operation"] == operation for k in keys)

    @property
    def counts(self) -> tuple[int, int, int]:
        v = self.report.venues.get(VENUE, {}) if self.report else {}
        return v.get("keys_advanced", 0), v.get("rows_inserted", 0), v.get("rows_superseded", 0)

    @property
    def problems(self) -> list[str]:
        keys, inserted, superseded = self.counts
        out = []
        if self.expect is not None and self.counts != self.expect:
            out.append(f"report keys/ins/sup {keys}/{inserted}/{superseded}, expected {'/'.join(map(str, self.expect))}")
        # Upserts by version_id: every inserted and superseded row is an equality delete of its
        # id and an appended image.
        deletes, appended = self.summed("delete", "added-equality-deletes"), self.summed("append", "added-records")
        if self.report is not None and (deletes, appended) != (superseded + inserted, superseded + inserted):
            out.append(f"snapshots add {deletes} equality deletes, {appended} rows; report: {superseded} sup, {inserted} ins")
        return out


def timed_run(spark: Any, settings: Settings, tables: SilverTables, scenario: str, run_id: str,
              expect: tuple[int, int, int] | None = None) -> Result:
    layers = (tables.versions, tables.observed)
    before = {t: spark.sql(f"SELECT snapshot_id FROM {t}.snapshots").count() for t in layers}
    result = Result(scenario, spark.table(tables.versions).count(), expect)
    log(f"{scenario}: job.run")
    instrument(result.phases)
    try:
        start, cpu, jvm = time.perf_counter(), time.process_time(), jvm_cpu()
        result.report = job.run(spark, settings, run_id, tables=tables, venues=[VENUE])
        result.seconds, result.cpu, result.jvm = time.perf_counter() - start, time.process_time() - cpu, jvm_cpu() - jvm
    finally:
        result.phases.restore()
    for t in layers:
        rows = spark.sql(f"SELECT operation, summary FROM {t}.snapshots ORDER BY committed_at").collect()
        result.snapshots += [(short(t), {"operation": r.operation, **dict(r.summary)}) for r in rows[before[t]:]]
    log(f"{scenario}: {result.seconds:.1f} s")
    return result


def scenario_a(spark: Any, settings: Settings, catalog: Any, tables: SilverTables, tag: str) -> list[Result]:
    store = BronzeStore(settings, namespace=tables.bronze, catalog=catalog)
    captures = {c.name: c for c in load_catalog(settings.captures_dir) if c.family == "binance"}
    load(store, [BackfillItem(captures[name], VENUE, captures[name].sha256()) for name in SERIES], run_id=f"bench-{tag}-a")
    initial = timed_run(spark, settings, tables, "(a0) SM2A series, initial load (6 snapshots)", f"bench-{tag}-a0")
    capture = captures[TEMPLATE]
    body = re.sub(rb'("serverTime"\s*:\s*)(\d+)', lambda m: m.group(1) + str(int(m.group(2)) + 3_600_000).encode(),
                  capture.read_bytes(), count=1)
    write_poll(store, poll(f"{VENUE}/bench-{tag}-a1", body, capture.captured_at + timedelta(hours=1)))
    again = timed_run(spark, settings, tables, "(a)  real Binance spot, +1 h, nothing changed", f"bench-{tag}-a1", (0, 0, 0))
    return [initial, again]


def scenario_b(spark: Any, settings: Settings, catalog: Any, tables: SilverTables, tag: str,
               args: argparse.Namespace, info: dict[str, Any]) -> list[Result]:
    store = BronzeStore(settings, namespace=tables.bronze, catalog=catalog)
    capture = next(c for c in load_catalog(settings.captures_dir) if c.name == TEMPLATE)
    envelope, templates = build_templates(capture.read_bytes())
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    venue = Venue(templates, args.instruments, args.versions, t0=hour - timedelta(hours=args.versions * STRIDE + 1))
    log(f"(b) generating {venue.instruments:,} instruments x {venue.versions} versions ({len(templates)} templates)")
    start = time.perf_counter()
    generate_history(spark, tables, venue, max(2, venue.instruments * (2 * venue.versions - 1) // 500_000))
    info["generate_s"] = time.perf_counter() - start
    check_history(spark, tables, venue)
    for t in (tables.versions, tables.observed, tables.index, tables.tail):
        info[short(t)] = spark.table(t).count()
    expected = venue.instruments * (2 * venue.versions - 1)
    if (info["versions"], info["observed"], info["observation_index"], info["tail"]) != (
            expected, expected, venue.polls, 2 * venue.instruments):
        raise AssertionError(f"generated {info}: expected {expected:,} rows per layer, {venue.polls} index entries,"
                             f" {2 * venue.instruments:,} tail rows")
    files = spark.sql(f"SELECT count(*) AS n, sum(file_size_in_bytes) AS bytes FROM {tables.versions}.files").first()
    info.update(templates=len(templates), files=files.n, bytes=files.bytes)

    c = args.changes
    changed = {k: ("C" if i % 2 == 0 else "B") for i, k in enumerate(random.Random(4).sample(range(venue.instruments), c))}
    observed = venue.observed_at(venue.last_poll) + timedelta(hours=1)
    body = snapshot_body(envelope, venue, changed, observed)
    write_poll(store, poll(f"{VENUE}/bench-{tag}-b", body, observed))
    info["body_bytes"] = len(body)
    first = timed_run(spark, settings, tables, f"(b)  {venue.instruments:,} instruments, {c:,} changed",
                      f"bench-{tag}-b", (c, 4 * c, 2 * c))
    later = observed + timedelta(hours=1)
    write_poll(store, poll(f"{VENUE}/bench-{tag}-b2", snapshot_body(envelope, venue, changed, later), later))
    second = timed_run(spark, settings, tables, f"(a') {venue.instruments:,} instruments, +1 h, nothing changed",
                       f"bench-{tag}-b2", (0, 0, 0))
    return [first, second]


# ---- output ------------------------------------------------------------------------------------

def print_results(results: list[Result]) -> None:
    head = (f"{'scenario':<46}{'seconds':>8}{'py CPU':>8}{'JVM CPU':>8}{'rows before':>12}{'keys':>7}{'ins':>7}"
            f"{'sup':>7}{'delete files':>13}{'append files':>13}  check")
    print(head + "\n" + "-" * len(head))
    for r in results:
        keys, inserted, superseded = r.counts
        check = "MISMATCH" if r.problems else "ok" if r.expect is not None else "-"
        files = [r.summed(op, "added-data-files", "added-delete-files") for op in ("delete", "append")]
        print(f"{r.scenario:<46}{r.seconds:>8.1f}{r.cpu:>8.1f}{r.jvm:>8.1f}{r.rows_before:>12,}{keys:>7,}{inserted:>7,}"
              f"{superseded:>7,}{files[0]:>13}{files[1]:>13}  {check}")
    print("seconds: wall clock of job.run; CPU seconds of this process (the job's Python driver) and of the Spark JVM;\n"
          "rows before: in instrument_versions; keys advanced; rows inserted / superseded (both layers); files: the\n"
          "equality-delete and data files the delete and append snapshots added to the two layer tables; check: counts\n"
          "as expected (b: 1 / 4 / 2 per change; a, a': none) and the snapshot summaries agree with the report")
    keys = ("added-data-files", "added-delete-files", "added-records", "added-equality-deletes", "added-files-size")
    for r in results:
        print(f"\n{r.scenario}: {r.seconds:.1f} s; published: {bool(r.report and r.report.published)}")
        for problem in r.problems:
            print(f"  MISMATCH: {problem}")
        print(f"  {'phase (. inside the one above)':<52}{'wall s':>8}{'py CPU':>8}{'JVM CPU':>8}  calls")
        for label, (wall, cpu, jvm, calls) in sorted(r.phases.stats.items(), key=lambda x: -x[1][0]):
            print(f"  {('. ' if label in r.phases.nested else '') + label:<52}{wall:>8.2f}{cpu:>8.2f}{jvm:>8.2f}  {calls}")
        rest = r.seconds - sum(v[0] for label, v in r.phases.stats.items() if label not in r.phases.nested)
        print(f"  {'(rest of job.run)':<52}{rest:>8.2f}")
        for table, s in r.snapshots:
            print(f"  snapshot {table} {s['operation']}: " + (", ".join(f"{k}={s[k]}" for k in keys if k in s) or "(empty)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--instruments", type=int, default=50_000)
    parser.add_argument("--versions", type=int, default=100, help="versions per instrument: N(2V-1) rows per layer table")
    parser.add_argument("--changes", type=int, default=None, help="instruments changed in the (b) snapshot (default 1 %%)")
    parser.add_argument("--skip-a", action="store_true")
    parser.add_argument("--skip-b", action="store_true")
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch namespaces")
    args = parser.parse_args()
    args.changes = args.instruments // 100 if args.changes is None else args.changes

    def terminated(signum: int, frame: Any) -> None:
        raise SystemExit(f"bench interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)  # like Ctrl-C (KeyboardInterrupt): cleans up below
    settings = get_settings()
    catalog = pyiceberg_catalog(settings)
    tag, created, results, info = uuid.uuid4().hex[:8], [], [], {}
    bench_start = time.perf_counter()
    spark = get_session(settings, f"bench-silver-{tag}")
    global JVM_PID
    JVM_PID = spark.sparkContext._gateway.proc.pid  # spark-submit execs the JVM: same pid
    spark.sparkContext.setLogLevel("ERROR")
    failed = False
    try:
        for key in [k for k, skip in (("a", args.skip_a), ("b", args.skip_b)) if not skip]:
            bronze_ns, silver_ns = f"bench_bronze_{tag}{key}", f"bench_silver_{tag}{key}"
            created.append(bronze_ns)
            create_bronze(catalog, bronze_ns, f"{settings.warehouse_uri}{bronze_ns}")
            created.append(silver_ns)
            create_silver(catalog, silver_ns, settings.warehouse_uri)
            props = catalog.load_table(f"{silver_ns}.instrument_versions").properties
            info["properties"] = ", ".join(f"{k}={props.get(k)}" for k in ("write.merge.mode", "write.parquet.compression-codec"))
            tables = SilverTables(settings.catalog_name, silver=silver_ns, bronze=bronze_ns)
            results += (scenario_a(spark, settings, catalog, tables, tag) if key == "a"
                        else scenario_b(spark, settings, catalog, tables, tag, args, info))
    except (Exception, KeyboardInterrupt, SystemExit):
        failed = True
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            spark.stop()  # first, so that no task of an interrupted run writes after the purge
        for namespace in created if not args.keep else []:
            try:
                for identifier in catalog.list_tables(namespace):
                    catalog.purge_table(identifier)
                catalog.drop_namespace(namespace)
                log(f"dropped {namespace}")
            except Exception as error:  # noqa: BLE001 - report it, drop the others
                log(f"could not drop {namespace}: {error!r}")
        for r in results:  # the gate's report directories of these scratch runs
            if r.report is not None and r.report.gate_report and Path(r.report.gate_report).parent.name.startswith(f"bench-{tag}"):
                shutil.rmtree(Path(r.report.gate_report).parent, ignore_errors=True)

    print(f"\nsilver bench {tag}: {os.cpu_count()} cores, Spark {settings.spark_master}, driver {settings.spark_driver_memory},"
          f" load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())};"
          f" layer tables: {info.get('properties', '?')}{'; kept ' + ', '.join(created) if args.keep else ''}")
    if "versions" in info:
        print(f"(b) base: {args.instruments:,} instruments x {args.versions} versions from {info['templates']:,} Binance spot"
              f" specs: {info['versions']:,} rows in instrument_versions, {info['observed']:,} in instrument_observed"
              f" (counted), {info['observation_index']:,} index entries; {info['files']} data files,"
              f" {info['bytes'] / 2**20:,.1f} MiB in instrument_versions; written in {info['generate_s']:.0f} s;"
              f" snapshot {info['body_bytes'] / 2**20:.1f} MiB, {args.changes:,} changed")
    print()
    print_results(results)
    b = next((r for r in results if r.scenario.startswith("(b)")), None)
    if b is not None:
        print(f"\ntarget (b) <= {TARGET_B:.0f} s: {'met' if b.seconds <= TARGET_B else 'NOT met'}"
              f" ({b.seconds:.1f} s, {b.rows_before:,} rows in instrument_versions before)")
    print(f"bench wall time {time.perf_counter() - bench_start:.0f} s")
    return 1 if failed or any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
