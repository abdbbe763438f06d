"""Write polls to bronze: validate, deduplicate, then bodies → responses → polls.

`ingest_venue` is what the hourly Airflow task (and `refdata ingest`) runs for one venue:

1. poll id from the data interval; already in `bronze.polls` → nothing to do, no fetch;
2. fetch the complete listing (refdata.ingest), recording every response received;
3. validate: every page must parse (refdata.parsing). A malformed, truncated or drifted
   response → one `bronze.quarantine` row with the error and the offending body, and
   `QuarantinedResponse` (venue, endpoint, problem); nothing reaches the other tables;
4. under the venue's lock: re-check the poll id, take `recorded_at` (wall clock, strictly after
   the venue's previous one), look up which page contents are already stored, append the new
   bodies, then the responses, then — last, the commit marker — the poll row.

A crash between two appends leaves rows no `polls` row points at (same poll_id, another
write_id); readers ignore them and a re-run writes the poll again (ADR 0008).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

from refdata.bronze.rows import (
    ROLE_DISCOVERY,
    ROLE_LISTING,
    SOURCE_POLL,
    PageIn,
    PollIn,
    contents_of,
    describe_request,
    next_recorded_at,
    plan_poll,
    quarantine_row,
    scheduled_poll_id,
)
from refdata.bronze.store import BronzeStore
from refdata.bronze.validate import failing_page, validate_listing
from refdata.errors import MalformedResponse, RefdataError
from refdata.ingest import (
    CLIENT_VERSION,
    ExchangeClient,
    FetchedListing,
    FetchError,
    fetch_kraken_assets,
    fetch_listing,
)
from refdata.ingest.http import HttpResult
from refdata.settings import Settings
from refdata.venues import KRAKEN_ASSETS_PATH, Venue, get_venue

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class QuarantinedResponse(RefdataError):
    """A response was rejected and quarantined; names venue, endpoint and the problem."""

    def __init__(self, poll_id: str, error: MalformedResponse) -> None:
        self.poll_id = poll_id
        self.venue = error.venue
        self.endpoint = error.endpoint
        self.problem = error.problem
        super().__init__(f"{error.venue} {error.endpoint}: {error.problem} (quarantined, poll {poll_id})")


@dataclass(frozen=True)
class PollOutcome:
    poll_id: str
    venue: str
    endpoint: str
    written: bool  # False: the poll id was already committed, nothing done
    recorded_at: datetime | None = None
    observed_at: datetime | None = None
    raw_bytes: int = 0
    stored_bytes: int = 0
    new_bodies: int = 0
    pages: int = 0
    instrument_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.__dict__)
        for key in ("recorded_at", "observed_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


# ---- writing one poll --------------------------------------------------------------------------

def write_poll(store: BronzeStore, poll: PollIn, *, now: Clock = utcnow) -> PollOutcome:
    """Validate (raises QuarantinedResponse) and write one poll, unless already committed."""
    try:
        count = validate_listing(poll.venue, poll.endpoint, [p.body for p in poll.listing_pages])
    except MalformedResponse as error:
        listing = poll.listing_pages
        index = failing_page(error, len(listing))
        page = listing[index] if index is not None else None
        raise quarantine(store, poll_id=poll.poll_id, venue=poll.venue, endpoint=poll.endpoint,
                         request_params=poll.request_params, error=error, page=page,
                         run_id=poll.run_id, source=poll.source, capture_file=poll.capture_file,
                         now=now) from error
    if count != poll.instrument_count:
        poll = dataclasses.replace(poll, instrument_count=count)
    contents = contents_of(poll)
    with store.venue_lock(poll.venue):
        if store.committed([poll.poll_id]):
            return PollOutcome(poll.poll_id, poll.venue, poll.endpoint, written=False)
        recorded_at = next_recorded_at(now(), store.last_recorded_at(poll.venue))
        stored = store.stored_bodies(poll.venue, set(contents.pages))
        plan = plan_poll(poll, contents, stored, write_id=uuid.uuid4().hex)
        tags = {"refdata.poll-id": poll.poll_id, "refdata.write-id": plan.write_id, "refdata.run-id": poll.run_id}
        stored_bytes = 0
        bodies = plan.bodies_rows(recorded_at)
        if bodies:
            stored_bytes += store.append("bodies", bodies, tags)
        stored_bytes += store.append("responses", plan.responses_rows(recorded_at), tags)
        store.append("polls", [plan.poll_row(recorded_at, stored_bytes)], tags)
    log.info("%s %s: poll %s written: %d page(s), %d new bod(ies), raw %d B, stored %d B",
             poll.venue, poll.endpoint, poll.poll_id, len(plan.pages), len(bodies), poll.raw_bytes, stored_bytes)
    return PollOutcome(
        poll.poll_id, poll.venue, poll.endpoint, written=True, recorded_at=recorded_at,
        observed_at=poll.observed_at, raw_bytes=poll.raw_bytes, stored_bytes=stored_bytes,
        new_bodies=len(bodies), pages=len(poll.listing_pages), instrument_count=poll.instrument_count,
    )


def quarantine(
    store: BronzeStore,
    *,
    poll_id: str,
    venue: str,
    endpoint: str,
    request_params: Mapping[str, str],
    error: MalformedResponse,
    page: PageIn | HttpResult | None,
    run_id: str,
    source: str,
    capture_file: str | None = None,
    now: Clock = utcnow,
) -> QuarantinedResponse:
    """Record the rejection (one quarantine row) and return the exception to raise."""
    body: bytes | None = None
    request: str | None = None
    if isinstance(page, PageIn):
        body, request = page.body, describe_request(page.path, page.params)
    elif isinstance(page, HttpResult):
        # Path and query only: the host is configuration (replay or exchange), not the request.
        body, request = page.body, f"GET {httpx.URL(page.url).raw_path.decode('ascii')}"
    row = quarantine_row(
        poll_id=poll_id, venue=venue, endpoint=endpoint, request_params=request_params,
        error=str(error), body=body, request=request, recorded_at=now(), run_id=run_id,
        source=source, capture_file=capture_file,
    )
    store.append("quarantine", [row], {"refdata.poll-id": poll_id, "refdata.write-id": uuid.uuid4().hex,
                                       "refdata.run-id": run_id})
    log.error("quarantined %s: %s", poll_id, error)
    return QuarantinedResponse(poll_id, error)


# ---- scheduled polls ---------------------------------------------------------------------------

class RecordingClient(ExchangeClient):
    """The production client, remembering every response it returned (the quarantine needs
    the body a fetch rejected, which the fetch's exception does not carry)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.received: list[HttpResult] = []

    def get(self, venue: Venue, path: str, params: Mapping[str, str]) -> HttpResult:
        result = super().get(venue, path, params)
        self.received.append(result)
        return result


@dataclass(frozen=True)
class Target:
    """One endpoint polled for a venue: its listing, or (kraken-spot) the asset list."""

    name: str | None  # poll id suffix; None for the listing
    endpoint: str
    fetch: Callable[[Venue, Settings, ExchangeClient], FetchedListing]


def targets(venue: Venue) -> tuple[Target, ...]:
    listing = Target(None, venue.endpoint, lambda v, s, c: fetch_listing(v, s, c))
    if venue.id == "kraken-spot":
        # Kraken's asset codes (XXBT, ZUSD) are needed to read its pairs: polled with them.
        assets = Target("assets", f"GET {KRAKEN_ASSETS_PATH}", lambda v, s, c: fetch_kraken_assets(s, c))
        return (assets, listing)
    return (listing,)


def poll_from_listing(poll_id: str, venue: Venue, listing: FetchedListing, run_id: str) -> PollIn:
    def page(p: Any, role: str) -> PageIn:
        return PageIn(p.path, dict(p.params), p.http_status, dict(p.headers), p.body, p.fetched_at, role)

    pages = tuple(page(p, ROLE_DISCOVERY) for p in listing.discovery) + tuple(
        page(p, ROLE_LISTING) for p in listing.pages
    )
    params = dict(venue.params) if listing.endpoint == venue.endpoint else {}
    return PollIn(
        poll_id=poll_id, venue=venue.id, endpoint=listing.endpoint, request_params=params,
        observed_at=listing.observed_at, run_id=run_id, client_version=CLIENT_VERSION,
        source=SOURCE_POLL, pages=pages, instrument_count=0, complete_listing=listing.complete,
    )


def ingest_venue(
    venue_id: str,
    settings: Settings,
    *,
    interval_start: datetime,
    run_id: str,
    store: BronzeStore | None = None,
    client: ExchangeClient | None = None,
    now: Clock = utcnow,
) -> list[PollOutcome]:
    """Poll one venue (kraken-spot: its assets, then its pairs) for one data interval."""
    venue = get_venue(venue_id)
    store = store or BronzeStore(settings)
    pending = [(t, scheduled_poll_id(venue.id, interval_start, t.name)) for t in targets(venue)]
    done = store.committed(poll_id for _, poll_id in pending)
    outcomes: list[PollOutcome] = []
    owned = RecordingClient(settings) if client is None else None
    http = owned or client
    try:
        for target, poll_id in pending:
            if poll_id in done:
                log.info("%s: poll %s already in bronze; nothing to do", venue.id, poll_id)
                outcomes.append(PollOutcome(poll_id, venue.id, target.endpoint, written=False))
                continue
            seen = len(http.received) if isinstance(http, RecordingClient) else 0
            try:
                listing = target.fetch(venue, settings, http)  # type: ignore[arg-type]
            except MalformedResponse as error:
                raise quarantine(
                    store, poll_id=poll_id, venue=venue.id, endpoint=target.endpoint,
                    request_params=dict(venue.params) if target.name is None else {},
                    error=error, page=_offending(http, seen, error), run_id=run_id, source=SOURCE_POLL, now=now,
                ) from error
            outcomes.append(write_poll(store, poll_from_listing(poll_id, venue, listing, run_id), now=now))
    finally:
        if owned is not None:
            owned.close()
    return outcomes


def _offending(client: Any, seen: int, error: MalformedResponse) -> HttpResult | None:
    """The response a fetch rejected: the last one received, unless the fetch failed on a
    request that got no usable response at all (then nothing was received for it)."""
    if not isinstance(client, RecordingClient) or isinstance(error.__cause__, FetchError):
        return None
    fresh = client.received[seen:]
    return fresh[-1] if fresh else None
