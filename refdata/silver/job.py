"""The silver job: new bronze observations and corrections → bitemporal versions, behind a gate.

Runs inside spark-submit (spark_jobs/silver_instruments.py). Per venue it takes the events
with system time above the venue's committed watermark and at most the venue's cutoff
(taken under the bronze writer's per-venue lock, so no event can later commit below it),
plans the touched keys, advances each key with the pure engine, and applies the changes
with one MERGE per layer on an audit branch. The gate validates the branch; only then is
main fast-forwarded (instrument tables first, the watermark last, so a crash between
fast-forwards is replayed as a no-op).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from refdata.bitemporal.events import Correction, Observation, Revocation
from refdata.bitemporal.materialize import Changes, KeyState, advance
from refdata.bitemporal.rows import VersionRow
from refdata.bitemporal.schema import COLUMNS, from_record, to_record
from refdata.domain import spec_values
from refdata.errors import RefdataError
from refdata.locks import job_lock
from refdata.parsing import parse_listing
from refdata.quality.gates import GateFailed, run_gate
from refdata.quality.wap import audit_branch, branch_name, discard, publish
from refdata.settings import Settings
from refdata.silver.audit import SILVER_CHECKS, audit_frame_sql
from refdata.silver.corrections import correction_events
from refdata.silver.cutoff import venue_cutoffs
from refdata.silver.plan import IndexRecord, NewObservation, plan_venue

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

JOB_NAME = "silver"
ASSETS_ENDPOINT = "GET /0/public/Assets"


@dataclass(frozen=True)
class SilverTables:
    catalog: str
    silver: str = "silver"
    bronze: str = "bronze"

    def t(self, namespace: str, name: str) -> str:
        return f"{self.catalog}.{namespace}.{name}"

    @property
    def versions(self) -> str:
        return self.t(self.silver, "instrument_versions")

    @property
    def observed(self) -> str:
        return self.t(self.silver, "instrument_observed")

    @property
    def index(self) -> str:
        return self.t(self.silver, "observation_index")

    @property
    def corrections(self) -> str:
        return self.t(self.silver, "corrections")

    @property
    def job_state(self) -> str:
        return self.t(self.silver, "job_state")


@dataclass
class RunReport:
    run_id: str
    venues: dict[str, dict[str, int]] = field(default_factory=dict)
    correction_problems: list[str] = field(default_factory=list)
    published: bool = False
    gate_report: str | None = None

    @property
    def rows_inserted(self) -> int:
        return sum(v["rows_inserted"] for v in self.venues.values())

    @property
    def rows_superseded(self) -> int:
        return sum(v["rows_superseded"] for v in self.venues.values())


class SilverInputError(RefdataError):
    """Bronze holds something silver cannot read (names the poll)."""


# ---- reading -------------------------------------------------------------------------------


def _collect(frame: "DataFrame") -> list[dict[str, Any]]:
    return [row.asDict(recursive=True) for row in frame.collect()]


def watermarks(spark: "SparkSession", tables: SilverTables) -> dict[str, datetime]:
    rows = spark.sql(
        f"SELECT venue, max(watermark) AS watermark FROM {tables.job_state} WHERE job = '{JOB_NAME}' GROUP BY venue"
    ).collect()
    return {row.venue: row.watermark for row in rows}


def new_polls(spark: "SparkSession", tables: SilverTables, venue: str, after: datetime | None,
              upto: datetime) -> list[dict[str, Any]]:
    polls = spark.table(tables.t(tables.bronze, "polls")).where(
        f"venue = '{venue}' AND status = 'complete' AND endpoint <> '{ASSETS_ENDPOINT}'"
    )
    polls = polls.where(polls.recorded_at <= upto)
    if after is not None:
        polls = polls.where(polls.recorded_at > after)
    return sorted(_collect(polls), key=lambda p: (p["recorded_at"], p["poll_id"]))


def listing_pages(spark: "SparkSession", tables: SilverTables, polls: Sequence[Mapping[str, Any]]) -> dict[str, list[bytes]]:
    """poll_id -> listing page bodies in page order (stored bodies; dedup resolved)."""
    if not polls:
        return {}
    keys = spark.createDataFrame([(p["poll_id"], p["write_id"]) for p in polls], "poll_id string, write_id string")
    responses = spark.table(tables.t(tables.bronze, "responses")).where("role = 'listing'")
    bodies = spark.table(tables.t(tables.bronze, "bodies")).select("body_sha256", "body")
    joined = (
        responses.join(keys, ["poll_id", "write_id"])
        .join(bodies, responses.stored_body_sha256 == bodies.body_sha256, "left")
        .select("poll_id", "page_no", "stored_body_sha256", "body")
    )
    pages: dict[str, list[tuple[int, bytes]]] = {}
    for row in joined.collect():
        if row.body is None:
            raise SilverInputError(f"bronze poll {row.poll_id}: stored body {row.stored_body_sha256} is missing")
        pages.setdefault(row.poll_id, []).append((row.page_no, bytes(row.body)))
    return {poll_id: [body for _, body in sorted(entries)] for poll_id, entries in pages.items()}


def observations(polls: Sequence[Mapping[str, Any]], pages: Mapping[str, list[bytes]]) -> list[NewObservation]:
    result = []
    for poll in polls:
        bodies = pages.get(poll["poll_id"])
        if not bodies:
            raise SilverInputError(f"bronze poll {poll['poll_id']}: no listing pages")
        specs = parse_listing(poll["venue"], poll["endpoint"], bodies)
        listed = {spec.symbol: spec_values(spec) for spec in specs}
        raws = {spec.symbol: spec.raw for spec in specs}
        observation = Observation(poll["poll_id"], poll["venue"], poll["observed_at"], poll["recorded_at"], listed)
        complete = poll.get("complete_listing") is not False
        result.append(NewObservation(observation, complete, raws))
    return result


def applied_index(spark: "SparkSession", tables: SilverTables, venue: str) -> list[IndexRecord]:
    rows = _collect(spark.table(tables.index).where(f"venue = '{venue}'"))
    return [
        IndexRecord(r["event_id"], r["observed_at"], r["recorded_at"], r["complete_listing"],
                    tuple(r["listed_symbols"]) if r["listed_symbols"] is not None else None)
        for r in rows
    ]


# Up to this many keys, reads filter with `symbol IN (...)`: Iceberg prunes files by their
# symbol bounds (the tables are sorted by key). Beyond it (a first load) a broadcast join
# avoids planning a huge IN list; neither shuffles the venue's partition.
_IN_LIST_LIMIT = 5_000
_VERSION_COLUMNS = [name for name, _, _ in COLUMNS]


def _only_keys_by(frame: "DataFrame", column: str, values: Sequence[str]) -> "DataFrame":
    """`frame` restricted to rows whose `column` is one of `values` (never shuffles `frame`)."""
    from pyspark.sql import functions as F

    if len(values) <= _IN_LIST_LIMIT:
        return frame.where(F.col(column).isin(list(values)))
    spark = frame.sparkSession
    return frame.join(F.broadcast(spark.createDataFrame([(v,) for v in values], f"{column} string")), column)


def _only_keys(frame: "DataFrame", symbols: Iterable[str]) -> "DataFrame | None":
    """`frame` restricted to `symbols`; None when there is no symbol at all."""
    wanted = sorted(set(symbols))
    return _only_keys_by(frame, "symbol", wanted) if wanted else None


def current_rows(spark: "SparkSession", table: str, venue: str, symbols: Iterable[str] | None,
                 overlapping_from: datetime | None = None) -> list[VersionRow]:
    """Current (not superseded) rows of a venue, of `symbols` only unless None.

    `overlapping_from` keeps only rows whose valid interval reaches past that instant: the
    venue-wide pre-filter needs no row that ends before the batch's first observation,
    since no observation of the batch can overlap it (ADR 0010, "reading only what a batch
    can touch").
    """
    frame = spark.table(table).where(f"venue = '{venue}' AND superseded_at IS NULL")
    if overlapping_from is not None:
        from pyspark.sql import functions as F

        frame = frame.where(F.col("valid_to").isNull() | (F.col("valid_to") > F.lit(overlapping_from)))
    if symbols is not None:
        keyed = _only_keys(frame, symbols)
        if keyed is None:
            return []
        frame = keyed
    return [from_record(record) for record in _collect(frame.select(*_VERSION_COLUMNS))]


def correction_rows(spark: "SparkSession", tables: SilverTables, upto: Mapping[str, datetime]) -> list[dict[str, Any]]:
    rows = _collect(spark.table(tables.corrections))
    return [r for r in rows if r["venue"] in upto and r["at"] <= upto[r["venue"]]]


# ---- staging and writing -------------------------------------------------------------------


def _raw_lookup(batch: Sequence[NewObservation], rows: Iterable[VersionRow], raws: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """(observation event id, symbol) -> raw payload, from the batch and from loaded rows."""
    lookup = {(n.observation.event_id, symbol): raw for n in batch for symbol, raw in n.raw_payloads.items()}
    for row in rows:
        raw = raws.get(row.version_id)
        if raw is not None:
            for event_id in row.asserted_by:
                lookup.setdefault((event_id, row.symbol), raw)
    return lookup


def staged_records(changes: Iterable[Changes], loaded_layers: Mapping[str, str],
                   raw_by_event: Mapping[tuple[str, str], str]) -> dict[str, list[dict[str, Any]]]:
    """Rows for the two MERGEs, per layer table: inserts (full rows) and supersessions.

    `loaded_layers` maps the version ids of the rows loaded as state to their layer.
    """
    staged: dict[str, list[dict[str, Any]]] = {"observed": [], "published": []}
    for change in changes:
        inserted_layers: dict[str, str] = {}
        for row in change.to_insert:
            record = to_record(row)
            record["raw_payload"] = next(
                (raw_by_event[(e, row.symbol)] for e in row.asserted_by if (e, row.symbol) in raw_by_event), None
            )
            record["_op"] = "insert"
            staged[row.layer].append(record)
            inserted_layers[row.version_id] = row.layer
        for version_id, superseded_at in change.to_supersede:
            layer = inserted_layers.get(version_id) or loaded_layers[version_id]
            staged[layer].append(
                {"version_id": version_id, "venue": change.state.venue, "superseded_at": superseded_at, "_op": "supersede"}
            )
    return staged


def merge_layer(spark: "SparkSession", table: str, records: list[dict[str, Any]]) -> None:
    """SCD2 on one layer table: set superseded_at (once) on old versions, append new ones.

    The supersession is a MERGE with only a WHEN MATCHED clause: an inner join whose small
    staged side is broadcast, so the target is scanned once and never shuffled (a WHEN NOT
    MATCHED clause would make it an outer join that shuffles every target row). New
    versions have new version ids by construction and are appended. Both commits land on
    the run's audit branch and are published together.
    """
    from pyspark.sql import functions as F

    superseded = [(r["venue"], r["version_id"], r["superseded_at"]) for r in records if r["_op"] == "supersede"]
    inserted = [r for r in records if r["_op"] == "insert"]
    if superseded:
        source = spark.createDataFrame(superseded, "venue string, version_id string, superseded_at timestamp_ntz")
        F.broadcast(source).createOrReplaceTempView("silver_superseded")
        venues = ", ".join(f"'{v}'" for v in sorted({venue for venue, _, _ in superseded}))
        spark.sql(
            f"""MERGE INTO {table} AS target
                USING silver_superseded AS source
                ON target.venue IN ({venues}) AND target.venue = source.venue
                   AND target.version_id = source.version_id AND target.superseded_at IS NULL
                WHEN MATCHED THEN UPDATE SET target.superseded_at = source.superseded_at"""
        )
    if inserted:
        # Version ids are content hashes: one already present is a replay, not a new row.
        ids = sorted({r["version_id"] for r in inserted})
        target = spark.table(table).where(F.col("venue").isin(sorted({r["venue"] for r in inserted})))
        present = {row.version_id for row in _only_keys_by(target, "version_id", ids).select("version_id").collect()}
        schema = spark.table(table).schema
        columns = [f.name for f in schema.fields]
        append_rows(spark, table, [tuple(r.get(c) for c in columns) for r in inserted if r["version_id"] not in present])


def append_rows(spark: "SparkSession", table: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        spark.createDataFrame(rows, spark.table(table).schema).writeTo(table).append()


# ---- the run -------------------------------------------------------------------------------


def run(spark: "SparkSession", settings: Settings, run_id: str, tables: SilverTables | None = None,
        venues: Sequence[str] | None = None, now: datetime | None = None) -> RunReport:
    """Advance silver from new bronze and corrections; one run at a time per silver namespace."""
    tables = tables or SilverTables(settings.catalog_name)
    with job_lock(settings, JOB_NAME, f"{tables.catalog}.{tables.silver}"):
        return _run_locked(spark, settings, run_id, tables, venues, now)


def _run_locked(spark: "SparkSession", settings: Settings, run_id: str, tables: SilverTables,
                venues: Sequence[str] | None, now: datetime | None) -> RunReport:
    venues = list(venues or settings.venues)
    report = RunReport(run_id)
    cutoffs = venue_cutoffs(settings, venues, namespace=tables.bronze, now=now)
    marks = watermarks(spark, tables)

    events = correction_events(correction_rows(spark, tables, cutoffs))
    report.correction_problems = [f"{p.correction_id} ({p.event_id}): {p.problem}" for p in events.problems]

    all_changes: list[Changes] = []
    raw_lookups: dict[tuple[str, str], str] = {}
    loaded_layers: dict[str, str] = {}
    index_rows: list[tuple[Any, ...]] = []
    state_rows: list[tuple[Any, ...]] = []
    finished = now or datetime.utcnow()
    for venue in venues:
        mark, cutoff = marks.get(venue), cutoffs[venue]
        polls = new_polls(spark, tables, venue, mark, cutoff)
        batch = observations(polls, listing_pages(spark, tables, polls))
        new_corrections = [c for c in events.corrections if c.venue == venue and (mark is None or c.approved_at > mark)]
        new_revocations = [r for r in events.revocations if r.venue == venue and (mark is None or r.revoked_at > mark)]
        if not batch and not new_corrections and not new_revocations:
            continue
        applied = applied_index(spark, tables, venue)
        first_observed = min((n.observation.observed_at for n in batch), default=None)
        observed_now = current_rows(spark, tables.observed, venue, None, overlapping_from=first_observed) if batch else []
        plan = plan_venue(venue, applied, batch, observed_now, new_corrections, new_revocations)
        observed_for_keys = current_rows(spark, tables.observed, venue, plan.keys)
        rows_by_key: dict[str, list[VersionRow]] = {}
        for row in [*observed_for_keys, *current_rows(spark, tables.versions, venue, plan.keys)]:
            rows_by_key.setdefault(row.symbol, []).append(row)
        raw_by_version = _raw_payloads(spark, tables, venue, plan.keys) if plan.keys else {}
        venue_changes = []
        for symbol in sorted(plan.keys):
            state = KeyState(
                venue, symbol,
                rows=tuple(rows_by_key.get(symbol, ())),
                corrections=tuple(c for c in events.corrections
                                  if c.venue == venue and c.symbol == symbol and _applied(c.approved_at, mark)),
                revocations=tuple(r for r in events.revocations
                                  if r.venue == venue and r.symbol == symbol and _applied(r.revoked_at, mark)),
                high_water=mark,
            )
            change = advance(state, plan.indexes[symbol], plan.events[symbol])
            if not change.is_empty:
                venue_changes.append(change)
        loaded = [r for rows in rows_by_key.values() for r in rows]
        loaded_layers.update({r.version_id: r.layer for r in loaded})
        raw_lookups.update(_raw_lookup(batch, loaded, raw_by_version))
        all_changes += venue_changes
        new_mark = max([n.observation.recorded_at for n in batch]
                       + [c.approved_at for c in new_corrections] + [r.revoked_at for r in new_revocations])
        inserted = sum(len(c.to_insert) for c in venue_changes)
        superseded = sum(len(c.to_supersede) for c in venue_changes)
        report.venues[venue] = {"observations": len(batch), "corrections": len(new_corrections) + len(new_revocations),
                                "keys_advanced": len(plan.keys), "rows_inserted": inserted, "rows_superseded": superseded}
        for n in batch:
            record = n.index_record()
            index_rows.append((venue, record.event_id, record.observed_at, record.recorded_at, record.complete_listing,
                               len(n.observation.listed), run_id,
                               list(record.listed_symbols) if record.listed_symbols is not None else None))
        state_rows.append((JOB_NAME, run_id, new_mark, finished, len(batch) + len(new_corrections) + len(new_revocations),
                           inserted, superseded, venue))

    if not state_rows:
        log.info("silver %s: nothing new", run_id)
        return report
    staged = staged_records(all_changes, loaded_layers, raw_lookups)
    instrument_tables = [t for t, layer in ((tables.versions, "published"), (tables.observed, "observed")) if staged[layer]]
    written = instrument_tables + [tables.index, tables.job_state]
    branch = branch_name(run_id)
    with audit_branch(spark, written, branch):
        merge_layer(spark, tables.versions, staged["published"])
        merge_layer(spark, tables.observed, staged["observed"])
        append_rows(spark, tables.index, index_rows)
        append_rows(spark, tables.job_state, state_rows)

    touched = sorted({(c.state.venue, c.state.symbol) for c in all_changes})
    if touched:
        result = run_gate(
            "silver_instrument_versions", run_id,
            spark.sql(audit_frame_sql(tables.versions, branch, touched_keys_view(spark, touched))),
            SILVER_CHECKS, ["venue", "symbol", "version_id"], settings.var_dir / "reports" / "gates",
        )
        report.gate_report = result.report_path
        if not result.success:
            discard(spark, written, branch)
            raise GateFailed(result)
    publish(spark, written, branch)
    report.published = True
    return report


def _applied(system_time: datetime | None, mark: datetime | None) -> bool:
    return system_time is not None and mark is not None and system_time <= mark


def touched_keys_view(spark: "SparkSession", keys: Sequence[tuple[str, str]]) -> str:
    from pyspark.sql import functions as F

    F.broadcast(spark.createDataFrame(list(keys), "venue string, symbol string")).createOrReplaceTempView("silver_touched_keys")
    return "silver_touched_keys"


def _raw_payloads(spark: "SparkSession", tables: SilverTables, venue: str, symbols: Iterable[str]) -> dict[str, str]:
    frame = _only_keys(
        spark.table(tables.versions).where(f"venue = '{venue}' AND superseded_at IS NULL AND raw_payload IS NOT NULL"),
        symbols,
    )
    if frame is None:
        return {}
    frame = frame.select("version_id", "raw_payload")
    return {row.version_id: row.raw_payload for row in frame.collect()}
