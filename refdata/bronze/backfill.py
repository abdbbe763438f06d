"""Backfill: load a directory of timestamped captures into bronze, in capture-time order.

Each (capture file, venue it serves) becomes one poll: `poll_id = backfill/{venue}/{sha256
of the file[:16]}`, `observed_at` = the capture time (payload server time, else the file-name
date: refdata.captures), the file's bytes as one response page, `source = backfill`,
`capture_file` = its path under the captures directory and `complete_listing` = PROVENANCE.md's
full/partial flag (partial captures are real responses: loaded, and flagged for silver).

Order matters for system time: polls are written one at a time in (capture time, file, venue)
order, so `recorded_at` follows observation order within a backfill. Idempotent: a poll id
already in `bronze.polls` is skipped; a failure stops the backfill (a re-run resumes there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from refdata.bronze.rows import SOURCE_BACKFILL, PageIn, PollIn, backfill_poll_id, to_naive_utc
from refdata.bronze.store import BronzeStore
from refdata.bronze.writer import Clock, PollOutcome, utcnow, write_poll
from refdata.captures import CaptureFile, load_catalog
from refdata.errors import ConfigurationError
from refdata.ingest import CLIENT_VERSION
from refdata.venues import VENUES

BACKFILL_CLIENT_VERSION = f"{CLIENT_VERSION} (backfill)"


@dataclass(frozen=True)
class BackfillItem:
    capture: CaptureFile
    venue: str
    sha256: str
    loaded: bool = False  # already in bronze.polls when planned

    @property
    def poll_id(self) -> str:
        return backfill_poll_id(self.venue, self.sha256)

    def as_dict(self) -> dict[str, object]:
        return {
            "capture_file": self.capture.rel,
            "venue": self.venue,
            "endpoint": self.capture.endpoint,
            "captured_at": self.capture.captured_at.isoformat(),
            "full": self.capture.full,
            "poll_id": self.poll_id,
            "already_loaded": self.loaded,
        }


def parse_when(text: str | datetime | None) -> datetime | None:
    """ISO 8601 (Z, offset or naive = UTC) or a datetime, as naive UTC; None stays None."""
    if text is None or text == "":
        return None
    if isinstance(text, datetime):
        return to_naive_utc(text)
    try:
        return to_naive_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise ConfigurationError(f"not an ISO 8601 time: {text!r}") from None


def select_captures(
    catalog: Iterable[CaptureFile],
    venues: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[CaptureFile, str]]:
    """(capture, venue) pairs in load order: capture time, then file, then venue.

    `venues` None means every venue; the window is `[start, end)` on the capture time.
    """
    if venues is not None:
        unknown = sorted(set(venues) - set(VENUES))
        if unknown:
            raise ConfigurationError(f"unknown venue(s) {unknown}; known: {', '.join(VENUES)}")
    wanted = None if venues is None else set(venues)
    chosen = []
    for capture in catalog:
        if start is not None and capture.captured_at < start:
            continue
        if end is not None and capture.captured_at >= end:
            continue
        for venue in capture.venues:
            if wanted is None or venue in wanted:
                chosen.append((capture, venue))
    return sorted(chosen, key=lambda cv: (cv[0].captured_at, cv[0].rel, cv[1]))


def plan_backfill(
    captures_dir: Path | str,
    *,
    venues: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    store: BronzeStore | None = None,
) -> list[BackfillItem]:
    """Exactly which capture files will be loaded, in order, and which are already in bronze."""
    pairs = select_captures(load_catalog(captures_dir), venues, start, end)
    items = [BackfillItem(capture, venue, capture.sha256()) for capture, venue in pairs]
    if store is not None:
        done = store.committed(item.poll_id for item in items)
        items = [BackfillItem(i.capture, i.venue, i.sha256, i.poll_id in done) for i in items]
    return items


def render_plan(items: Sequence[BackfillItem]) -> str:
    """The plan as a fixed-width text table (task log, CLI)."""
    header = f"{'#':>3}  {'captured_at (UTC)':<26}  {'venue':<15} {'full':<5} {'state':<14} capture file"
    lines = [header, "-" * len(header)]
    for n, item in enumerate(items, 1):
        state = "already loaded" if item.loaded else "to load"
        full = {True: "yes", False: "no", None: "?"}[item.capture.full]
        lines.append(
            f"{n:>3}  {item.capture.captured_at.isoformat():<26}  {item.venue:<15} {full:<5} {state:<14} {item.capture.rel}"
        )
    todo = sum(not i.loaded for i in items)
    lines.append(f"{len(items)} poll(s) planned: {todo} to load, {len(items) - todo} already in bronze")
    return "\n".join(lines)


def poll_from_capture(item: BackfillItem, run_id: str) -> PollIn:
    capture = item.capture
    body = capture.read_bytes()
    page = PageIn(capture.http_path, dict(capture.params), 200, {}, body, capture.captured_at)
    return PollIn(
        poll_id=item.poll_id,
        venue=item.venue,
        endpoint=capture.endpoint,
        request_params=dict(capture.params),
        observed_at=capture.captured_at,
        run_id=run_id,
        client_version=BACKFILL_CLIENT_VERSION,
        source=SOURCE_BACKFILL,
        pages=(page,),
        instrument_count=0,
        capture_file=capture.rel,
        complete_listing=capture.full,
    )


def load(
    store: BronzeStore,
    items: Sequence[BackfillItem],
    *,
    run_id: str,
    now: Clock = utcnow,
    on_item: Callable[[BackfillItem, PollOutcome], None] | None = None,
) -> list[PollOutcome]:
    """Load the items one by one, in the given order; stops at the first rejected capture."""
    done = store.committed(item.poll_id for item in items)
    outcomes = []
    for item in items:
        if item.poll_id in done:
            outcome = PollOutcome(item.poll_id, item.venue, item.capture.endpoint, written=False)
        else:
            outcome = write_poll(store, poll_from_capture(item, run_id), now=now)
        outcomes.append(outcome)
        if on_item is not None:
            on_item(item, outcome)
    return outcomes
