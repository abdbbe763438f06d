"""Poll ids, dedup decisions and bronze rows: the pure half of the bronze writer.

A *poll* is one complete read of one venue endpoint (a live fetch or a recorded capture).
`plan_poll` decides, page by page, whether the body must be stored (its content was never
stored before) or only referenced (an identical-content body is already in `bronze.bodies`),
and the `PollPlan` builds the rows of the four tables. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from refdata.bronze.hashing import (
    body_sha256,
    canonical_json,
    content_sha256,
    endpoint_path,
    page_entries,
)

STATUS_COMPLETE = "complete"
SOURCE_POLL = "poll"
SOURCE_BACKFILL = "backfill"
ROLE_LISTING = "listing"  # a page of the listing itself (what silver parses)
ROLE_DISCOVERY = "discovery"  # read only to plan the listing (OKX option families)

# System time is stored to the microsecond (Iceberg timestamp); one tick keeps it strictly
# increasing per venue.
TICK = timedelta(microseconds=1)


# ---- identities ------------------------------------------------------------------------------

def to_naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def scheduled_poll_id(venue: str, interval_start: datetime, target: str | None = None) -> str:
    """`{venue}/{data_interval_start:%Y%m%dT%H%M%SZ}`, plus `/{target}` for a second endpoint
    polled with the venue (Kraken: `kraken-spot/20240101T100000Z/assets`)."""
    stamp = to_naive_utc(interval_start).strftime("%Y%m%dT%H%M%SZ")
    return f"{venue}/{stamp}" + (f"/{target}" if target else "")


def backfill_poll_id(venue: str, capture_sha256: str) -> str:
    """`backfill/{venue}/{sha256 of the capture file[:16]}`: the same file is one poll forever."""
    if len(capture_sha256) < 16:
        raise ValueError(f"not a sha256: {capture_sha256!r}")
    return f"backfill/{venue}/{capture_sha256[:16]}"


def next_recorded_at(now: datetime, previous: datetime | None) -> datetime:
    """System time of a new poll: the wall clock, but strictly after the venue's last poll.

    Silver applies a venue's observations in system-time order; a clock stepping back (NTP,
    another worker host) must not make a later poll look recorded earlier.
    """
    now = to_naive_utc(now)
    if previous is not None and now <= previous:
        return previous + TICK
    return now


def json_text(value: Mapping[str, Any] | None) -> str:
    return canonical_json(dict(value or {}))


# ---- inputs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageIn:
    """One HTTP response (or one capture file) as received."""

    path: str
    params: Mapping[str, str]
    http_status: int
    headers: Mapping[str, str]
    body: bytes
    fetched_at: datetime  # naive UTC
    role: str = ROLE_LISTING


@dataclass(frozen=True)
class PollIn:
    poll_id: str
    venue: str
    endpoint: str  # "GET /path"
    request_params: Mapping[str, str]
    observed_at: datetime  # naive UTC, exchange time of the listing
    run_id: str
    client_version: str
    source: str  # poll | backfill
    pages: tuple[PageIn, ...]
    instrument_count: int
    capture_file: str | None = None
    complete_listing: bool | None = True

    @property
    def listing_pages(self) -> tuple[PageIn, ...]:
        return tuple(p for p in self.pages if p.role == ROLE_LISTING)

    @property
    def raw_bytes(self) -> int:
        return sum(len(p.body) for p in self.pages)


@dataclass(frozen=True)
class Contents:
    pages: tuple[str, ...]  # content_sha256 per page, in page order
    poll: str  # content of the listing pages together


def contents_of(poll: PollIn) -> Contents:
    """Content hash of every page and of the listing (listing pages only)."""
    hashes: list[str] = []
    listing_entries: list[str] = []
    for page in poll.pages:
        entries = page_entries(page.path, page.body)
        hashes.append(content_sha256(poll.venue, page.path, entries))
        if page.role == ROLE_LISTING:
            listing_entries.extend(entries)
    return Contents(tuple(hashes), content_sha256(poll.venue, poll.endpoint, listing_entries))


# ---- the dedup decision ------------------------------------------------------------------------

@dataclass(frozen=True)
class PagePlan:
    page_no: int
    page: PageIn
    body_sha256: str
    content_sha256: str
    stored_body_sha256: str
    store_body: bool  # this poll writes the body (first time this content is seen)


@dataclass(frozen=True)
class PollPlan:
    poll: PollIn
    pages: tuple[PagePlan, ...]
    content_sha256: str
    write_id: str

    @property
    def new_bodies(self) -> tuple[PagePlan, ...]:
        return tuple(p for p in self.pages if p.store_body)

    @property
    def new_body_bytes(self) -> int:
        return sum(len(p.page.body) for p in self.new_bodies)

    def bodies_rows(self, recorded_at: datetime) -> list[dict[str, Any]]:
        return [
            {
                "body_sha256": p.body_sha256,
                "content_sha256": p.content_sha256,
                "body": p.page.body,
                "size_bytes": len(p.page.body),
                "venue": self.poll.venue,
                "first_poll_id": self.poll.poll_id,
                "recorded_at": recorded_at,
            }
            for p in self.new_bodies
        ]

    def responses_rows(self, recorded_at: datetime) -> list[dict[str, Any]]:
        return [
            {
                "poll_id": self.poll.poll_id,
                "write_id": self.write_id,
                "page_no": p.page_no,
                "role": p.page.role,
                "path": p.page.path,
                "params": json_text(p.page.params),
                "http_status": p.page.http_status,
                "headers": json_text(p.page.headers),
                "body_sha256": p.body_sha256,
                "content_sha256": p.content_sha256,
                "stored_body_sha256": p.stored_body_sha256,
                "size_bytes": len(p.page.body),
                "fetched_at": to_naive_utc(p.page.fetched_at),
                "recorded_at": recorded_at,
            }
            for p in self.pages
        ]

    def poll_row(self, recorded_at: datetime, stored_bytes: int) -> dict[str, Any]:
        poll = self.poll
        return {
            "poll_id": poll.poll_id,
            "write_id": self.write_id,
            "venue": poll.venue,
            "endpoint": poll.endpoint,
            "request_params": json_text(poll.request_params),
            "status": STATUS_COMPLETE,
            "observed_at": to_naive_utc(poll.observed_at),
            "recorded_at": recorded_at,
            "run_id": poll.run_id,
            "client_version": poll.client_version,
            "page_count": len(poll.listing_pages),
            "raw_bytes": poll.raw_bytes,
            "stored_bytes": stored_bytes,
            "instrument_count": poll.instrument_count,
            "content_sha256": self.content_sha256,
            "source": poll.source,
            "capture_file": poll.capture_file,
            "complete_listing": poll.complete_listing,
        }


def plan_poll(poll: PollIn, contents: Contents, stored: Mapping[str, str], write_id: str) -> PollPlan:
    """Which bodies to store: a page whose content is in `stored` (content -> body sha256 of
    the body already kept) or earlier in this poll only points at that body."""
    if len(contents.pages) != len(poll.pages):
        raise ValueError("one content hash per page expected")
    known = dict(stored)
    plans: list[PagePlan] = []
    for number, (page, content) in enumerate(zip(poll.pages, contents.pages)):
        own = body_sha256(page.body)
        kept = known.get(content)
        if kept is None:
            known[content] = own
        plans.append(PagePlan(number, page, own, content, kept or own, store_body=kept is None))
    return PollPlan(poll, tuple(plans), contents.poll, write_id)


# ---- quarantine ------------------------------------------------------------------------------

def describe_request(path: str, params: Mapping[str, str]) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"GET {path}" + (f"?{query}" if query else "")


def quarantine_row(
    *,
    poll_id: str,
    venue: str,
    endpoint: str,
    request_params: Mapping[str, str],
    error: str,
    body: bytes | None,
    request: str | None,
    recorded_at: datetime,
    run_id: str,
    source: str,
    capture_file: str | None = None,
) -> dict[str, Any]:
    return {
        "poll_id": poll_id,
        "venue": venue,
        "endpoint": f"GET {endpoint_path(endpoint)}",
        "request_params": json_text(request_params),
        "request": request,
        "error": error,
        "body": body,
        "recorded_at": recorded_at,
        "run_id": run_id,
        "source": source,
        "capture_file": capture_file,
    }

