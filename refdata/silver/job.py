"""The silver job: new bronze observations and corrections → bitemporal versions, behind a gate.

Runs inside spark-submit (spark_jobs/silver_instruments.py). For every venue it takes the
events with system time above the venue's committed watermark and at most the venue's
cutoff (taken under the bronze writer's per-venue lock, so no event can later commit below
it), plans the touched keys against their tails, advances each key with the pure engine —
from its tail alone when that suffices, from its whole current state otherwise — and
upserts the changed row images and tails on an audit branch. The gate validates the branch;
only then is main fast-forwarded (instrument tables first, the watermark last, so a crash
between fast-forwards is replayed as a no-op). ADR 0010 and ADR 0013.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from refdata.bitemporal.events import Correction, Revocation
from refdata.bitemporal.materialize import Changes, KeyState, advance
from refdata.bitemporal.window import tail_start, tail_suffices
from refdata.locks import transform_lock
from refdata.quality.gates import GateFailed, run_gate
from refdata.quality.wap import audit_branch, branch_name, discard, publish
from refdata.settings import Settings
from refdata.silver import reads
from refdata.silver.audit import SILVER_CHECKS, audit_frame_sql, audited_rows_sql
from refdata.silver.corrections import correction_events
from refdata.silver.cutoff import venue_cutoffs
from refdata.silver.plan import NewObservation, VenuePlan, plan_venue
from refdata.silver.reads import JOB_NAME, Key, LoadedRow, SilverInputError, SilverTables
from refdata.silver.writes import append_rows, raw_lookup, stage, tables_to_write, write

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["JOB_NAME", "RunReport", "SilverInputError", "SilverTables", "run"]

log = logging.getLogger(__name__)


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


@dataclass
class VenueWork:
    """One venue's share of a run: its new events and what the planner made of them."""

    venue: str
    mark: datetime | None
    batch: list[NewObservation]
    corrections: list[Correction]
    revocations: list[Revocation]
    plan: VenuePlan | None = None

    @property
    def new_mark(self) -> datetime:
        return max([n.observation.recorded_at for n in self.batch]
                   + [c.approved_at for c in self.corrections if c.approved_at is not None]
                   + [r.revoked_at for r in self.revocations])

    @property
    def event_count(self) -> int:
        return len(self.batch) + len(self.corrections) + len(self.revocations)


def run(spark: "SparkSession", settings: Settings, run_id: str, tables: SilverTables | None = None,
        venues: Sequence[str] | None = None, now: datetime | None = None) -> RunReport:
    """Advance silver from new bronze and corrections; one run at a time per silver namespace."""
    tables = tables or SilverTables(settings.catalog_name)
    with transform_lock(settings, "silver", tables.silver):
        return _run_locked(spark, settings, run_id, tables, venues, now)


def _applied(system_time: datetime | None, mark: datetime | None) -> bool:
    return system_time is not None and mark is not None and system_time <= mark


def _key_states(work: VenueWork, all_corrections: Sequence[Correction], all_revocations: Sequence[Revocation],
                tails: Mapping[Key, Sequence[LoadedRow]]) -> tuple[dict[Key, KeyState], list[Key]]:
    """Per planned key: its state from the tail when `tail_suffices`, else (listed apart) the
    keys whose whole current state must be loaded."""
    assert work.plan is not None
    states: dict[Key, KeyState] = {}
    needs_all: list[Key] = []
    for symbol in sorted(work.plan.keys):
        key = (work.venue, symbol)
        corrections = tuple(c for c in all_corrections
                            if c.key == key and _applied(c.approved_at, work.mark))
        revocations = tuple(r for r in all_revocations
                            if r.key == key and _applied(r.revoked_at, work.mark))
        tail = tuple(item.row for item in tails.get(key, ()))
        if tail_suffices(tail, work.plan.events[symbol], work.plan.indexes[symbol], corrections):
            states[key] = KeyState(work.venue, symbol, tail, corrections, revocations, work.mark, tail_start(tail))
        else:
            states[key] = KeyState(work.venue, symbol, (), corrections, revocations, work.mark)
            needs_all.append(key)
    return states, needs_all


def _run_locked(spark: "SparkSession", settings: Settings, run_id: str, tables: SilverTables,
                venues: Sequence[str] | None, now: datetime | None) -> RunReport:
    venues = list(venues or settings.venues)
    report = RunReport(run_id)
    cutoffs = venue_cutoffs(settings, venues, namespace=tables.bronze, now=now)
    marks = reads.watermarks(spark, tables)

    events = correction_events(reads.correction_rows(spark, tables, cutoffs))
    report.correction_problems = [f"{p.correction_id} ({p.event_id}): {p.problem}" for p in events.problems]

    polls = reads.new_polls(spark, tables, {v: marks.get(v) for v in venues}, cutoffs)
    batch = reads.observations(polls, reads.listing_pages(spark, tables, polls))
    work: list[VenueWork] = []
    for venue in venues:
        mark = marks.get(venue)
        item = VenueWork(
            venue, mark, [n for n in batch if n.observation.venue == venue],
            [c for c in events.corrections if c.venue == venue and not _applied(c.approved_at, mark)],
            [r for r in events.revocations if r.venue == venue and not _applied(r.revoked_at, mark)],
        )
        if item.event_count:
            work.append(item)
    if not work:
        log.info("silver %s: nothing new", run_id)
        return report

    applied = reads.applied_indexes(spark, tables, [w.venue for w in work])
    tail_observed = reads.tail_observed_rows(spark, tables, [w.venue for w in work if w.batch])
    for item in work:
        item.plan = plan_venue(item.venue, applied[item.venue], item.batch,
                               [r for r in tail_observed if r.venue == item.venue],
                               item.corrections, item.revocations)
    planned = [(item.venue, symbol) for item in work for symbol in item.plan.keys]  # type: ignore[union-attr]
    loaded = reads.tails(spark, tables, planned)
    states: dict[Key, KeyState] = {}
    needs_all: list[Key] = []
    for item in work:
        venue_states, venue_needs_all = _key_states(item, events.corrections, events.revocations, loaded)
        states.update(venue_states)
        needs_all += venue_needs_all
    if needs_all:
        whole = reads.current_rows(spark, tables, needs_all)
        for key in needs_all:
            loaded[key] = whole.get(key, [])
            states[key] = KeyState(*key, tuple(item.row for item in loaded[key]), states[key].corrections,
                                   states[key].revocations, states[key].high_water)

    all_changes: list[Changes] = []
    for item in work:
        plan = item.plan
        assert plan is not None
        changes = [advance(states[(item.venue, s)], plan.indexes[s], plan.events[s]) for s in sorted(plan.keys)]
        changes = [c for c in changes if not c.is_empty]
        all_changes += changes
        report.venues[item.venue] = {
            "observations": len(item.batch), "corrections": len(item.corrections) + len(item.revocations),
            "keys_advanced": len(plan.keys),
            "keys_from_whole_state": sum(1 for key in needs_all if key[0] == item.venue),
            "rows_inserted": sum(len(c.to_insert) for c in changes),
            "rows_superseded": sum(len(c.to_supersede) for c in changes),
        }
    raws = raw_lookup(batch, (row for rows in loaded.values() for row in rows))
    staged = stage(all_changes, loaded, raws)

    finished = now or datetime.utcnow()
    index_rows: list[tuple[Any, ...]] = []
    state_rows: list[tuple[Any, ...]] = []
    for item in work:
        for n in item.batch:
            record = n.index_record()
            index_rows.append((item.venue, record.event_id, record.observed_at, record.recorded_at,
                               record.complete_listing, len(n.observation.listed), run_id,
                               list(record.listed_symbols) if record.listed_symbols is not None else None))
        counts = report.venues[item.venue]
        state_rows.append((JOB_NAME, run_id, item.new_mark, finished, item.event_count,
                           counts["rows_inserted"], counts["rows_superseded"], item.venue))

    instrument_tables = tables_to_write(tables, staged)
    if not instrument_tables:
        # Nothing for readers changed: no branch, no gate. The index entries first, the
        # watermark last: after a crash between them the polls are replays (no-ops).
        append_rows(spark, tables.index, index_rows)
        append_rows(spark, tables.job_state, state_rows)
        report.published = True
        return report
    written = instrument_tables + [tables.index, tables.job_state]
    branch = branch_name(run_id)
    with audit_branch(spark, written, branch):
        write(spark, tables, staged, branch)
        append_rows(spark, tables.index, index_rows)
        append_rows(spark, tables.job_state, state_rows)

    touched = sorted({(c.state.venue, c.state.symbol) for c in all_changes})
    if touched:
        def on_branch(table: str) -> str:
            return f"{table} VERSION AS OF '{branch}'" if table in written else table

        rows_sql = audited_rows_sql(on_branch(tables.versions), on_branch(tables.tail),
                                    touched_keys_view(spark, touched),
                                    {item.venue: item.mark for item in work})
        result = run_gate(
            "silver_instrument_versions", run_id, spark.sql(audit_frame_sql(rows_sql)),
            SILVER_CHECKS, ["venue", "symbol", "version_id"], settings.var_dir / "reports" / "gates",
        )
        report.gate_report = result.report_path
        if not result.success:
            discard(spark, written, branch)
            raise GateFailed(result)
    publish(spark, written, branch)
    report.published = True
    return report


def touched_keys_view(spark: "SparkSession", keys: Sequence[tuple[str, str]]) -> str:
    from pyspark.sql import functions as F

    F.broadcast(spark.createDataFrame(list(keys), "venue string, symbol string")).createOrReplaceTempView("silver_touched_keys")
    return "silver_touched_keys"
