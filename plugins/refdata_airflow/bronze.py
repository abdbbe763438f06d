"""Task callables of the bronze DAGs (refdata_ingest, refdata_backfill).

The DAG files only wire tasks; what a task does lives here and in `refdata.bronze`, so that
it can be called (and tested) without a scheduler. Everything heavy is imported when the task
runs, not when the DAG file is parsed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from airflow.sdk import Asset

from refdata.bronze import BRONZE_POLLS_ASSET_NAME, BRONZE_POLLS_ASSET_URI

log = logging.getLogger(__name__)

# Downstream (silver) DAGs schedule on this; emitted by every task that may grow bronze.polls.
BRONZE_POLLS = Asset(name=BRONZE_POLLS_ASSET_NAME, uri=BRONZE_POLLS_ASSET_URI, group="refdata")


def _naive_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)


def poll_interval_start(context: Mapping[str, Any]) -> datetime:
    """The instant a scheduled poll stands for: the data interval start (= the hour with the
    hourly trigger timetable), else the logical date, else the run's run_after (manual runs
    without a logical date)."""
    for key in ("data_interval_start", "logical_date"):
        found = _naive_utc(context.get(key))
        if found is not None:
            return found
    return _naive_utc(context["dag_run"].run_after)  # type: ignore[return-value]


def resolve_venues(requested: Sequence[str] | None) -> list[str]:
    """The `venues` param, checked: known venues, each once, in the configured order."""
    from refdata.errors import ConfigurationError
    from refdata.settings import ALL_VENUES, get_settings

    configured = list(get_settings().venues)
    if requested is None:
        return configured
    if isinstance(requested, str):
        requested = [requested]
    unknown = sorted(set(requested) - set(ALL_VENUES))
    if unknown:
        raise ConfigurationError(f"unknown venue(s) {unknown} in param venues; known: {', '.join(ALL_VENUES)}")
    if not requested:
        raise ConfigurationError("param venues is empty: nothing to poll")
    order = {v: n for n, v in enumerate(ALL_VENUES)}
    return sorted(set(requested), key=order.__getitem__)


def ingest(venue: str, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One mapped task: poll one venue for this run's interval, write it to bronze.

    It does not announce anything: `announce_polls`, after every venue's task, emits one
    bronze event for the whole run, so one hourly cycle schedules one transform."""
    from refdata.bronze.writer import ingest_venue
    from refdata.settings import get_settings

    started = poll_interval_start(context)
    outcomes = ingest_venue(venue, get_settings(), interval_start=started, run_id=str(context["run_id"]))
    summary = [o.as_dict() for o in outcomes]
    for o in outcomes:
        if o.written:
            log.info("%s %s: wrote poll %s (observed_at %s, %d instruments, %d page(s), raw %d B, stored %d B)",
                     o.venue, o.endpoint, o.poll_id, o.observed_at, o.instrument_count, o.pages,
                     o.raw_bytes, o.stored_bytes)
        else:
            log.info("%s %s: poll %s already in bronze, nothing fetched or written", o.venue, o.endpoint, o.poll_id)
    return summary


def announce_polls(summaries: Sequence[Sequence[Mapping[str, Any]] | None], context: Mapping[str, Any]) -> list[str]:
    """After every venue's poll task (failed ones included): emit the bronze asset event once,
    with the poll ids written by the run; skip (no event, no transform) when nothing was new."""
    from airflow.sdk.exceptions import AirflowSkipException

    written = [o["poll_id"] for summary in summaries if summary for o in summary if o["written"]]
    if not written:
        raise AirflowSkipException("no venue wrote a new poll: nothing for the transform to do")
    log.info("announcing %d new poll(s): %s", len(written), ", ".join(written))
    _announce(context, written)
    return written


def _announce(context: Mapping[str, Any], written: list[str]) -> None:
    """Put the poll ids this task wrote on the bronze asset event (downstream may read them)."""
    events = context.get("outlet_events")
    if events is None:
        return
    try:
        events[BRONZE_POLLS].extra = {"poll_ids": written}
    except Exception:  # noqa: BLE001 - the event itself is emitted anyway
        log.warning("could not attach poll ids to the %s asset event", BRONZE_POLLS_ASSET_NAME, exc_info=True)


# ---- backfill -----------------------------------------------------------------------------------

def backfill_plan(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Which capture files the backfill loads, in order; logged as a table, returned as XCom."""
    from refdata.bronze.backfill import parse_when, plan_backfill, render_plan
    from refdata.bronze.store import BronzeStore
    from refdata.settings import get_settings

    settings = get_settings()
    captures_dir = params.get("capture_dir") or str(settings.captures_dir)
    venues = resolve_venues(params.get("venues"))
    start, end = parse_when(params.get("from")), parse_when(params.get("to"))
    items = plan_backfill(captures_dir, venues=venues, start=start, end=end, store=BronzeStore(settings))
    log.info("backfill plan: captures_dir=%s venues=%s window=[%s, %s)\n%s",
             captures_dir, venues, start, end, render_plan(items))
    return [item.as_dict() for item in items]


def backfill_load(plan: Sequence[Mapping[str, Any]], params: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """Load the planned captures one at a time, in plan order (capture time)."""
    from refdata.bronze.backfill import load, plan_backfill
    from refdata.bronze.store import BronzeStore
    from refdata.errors import ConfigurationError
    from refdata.settings import get_settings

    settings = get_settings()
    captures_dir = params.get("capture_dir") or str(settings.captures_dir)
    wanted = [(p["capture_file"], p["venue"]) for p in plan]
    # Re-read the planned files (the plan is data in XCom; the bytes are read now).
    by_key = {(i.capture.rel, i.venue): i for i in plan_backfill(captures_dir, venues=sorted({v for _, v in wanted}))}
    missing = [k for k in wanted if k not in by_key]
    if missing:
        raise ConfigurationError(f"planned capture(s) no longer in {captures_dir}: {missing}")
    items = [by_key[k] for k in wanted]
    changed = [i.capture.rel for i, p in zip(items, plan) if i.poll_id != p["poll_id"]]
    if changed:
        raise ConfigurationError(f"capture file(s) changed since the plan was made: {changed}")
    store = BronzeStore(settings)
    total, done = len(items), [0]

    def report(item: Any, outcome: Any) -> None:
        done[0] += 1
        state = "loaded" if outcome.written else "already in bronze"
        log.info("[%d/%d] %s %s %s: %s (poll %s, stored %d B)", done[0], total, item.capture.captured_at.isoformat(),
                 item.venue, item.capture.rel, state, outcome.poll_id, outcome.stored_bytes)

    outcomes = load(store, items, run_id=str(context["run_id"]), on_item=report)
    written = [o.poll_id for o in outcomes if o.written]
    _announce(context, written)
    return {"planned": total, "loaded": len(written), "skipped": total - len(written), "poll_ids": written}
