"""`as_of` (valid time) and `as_known_at` (system time): ISO-8601, UTC, naive in the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from fastapi import Query

from api.errors import ApiProblem

# A client's clock may run a little ahead of ours.
FUTURE_TOLERANCE = timedelta(seconds=5)

AS_OF_DOC = "Valid time (when the spec was in force at the exchange), ISO-8601 UTC; default now."
AS_KNOWN_AT_DOC = "System time (what the platform knew then), ISO-8601 UTC, not in the future; default now."


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def parse_instant(name: str, text: str) -> datetime:
    """ISO-8601 with `Z` or an offset (converted to UTC), or naive (read as UTC)."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise ApiProblem(400, "bad-timestamp",
                         f"{name}={text!r} is not an ISO-8601 timestamp (e.g. 2024-10-20T12:00:00Z)",
                         parameter=name) from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class TimePoint:
    as_of: datetime
    as_known_at: datetime
    as_of_given: bool
    as_known_at_given: bool

    def cache_token(self) -> tuple[str, str]:
        """Defaults are 'now'; now-as-known is 'latest' for a given snapshot (ADR 0011)."""
        known = self.as_known_at.isoformat() if self.as_known_at_given else "latest"
        as_of = self.as_of.isoformat() if self.as_of_given else self.as_of.replace(microsecond=0).isoformat()
        return as_of, known


def resolve(as_of: str | None, as_known_at: str | None, now: datetime | None = None) -> TimePoint:
    now = now or utcnow()
    known = parse_instant("as_known_at", as_known_at) if as_known_at else now
    if known > now + FUTURE_TOLERANCE:
        raise ApiProblem(422, "as-known-at-in-future",
                         f"as_known_at={as_known_at} is in the future (now is {now.isoformat()}Z): "
                         "the platform cannot know what it has not yet recorded", parameter="as_known_at")
    valid = parse_instant("as_of", as_of) if as_of else now
    return TimePoint(valid, min(known, now), as_of is not None, as_known_at is not None)


async def time_point(  # async: no thread-pool hop for a dependency that does not block
    as_of: str | None = Query(None, description=AS_OF_DOC, examples=["2024-10-20T12:00:00Z"]),
    as_known_at: str | None = Query(None, description=AS_KNOWN_AT_DOC, examples=["2024-10-21T00:00:00Z"]),
) -> TimePoint:
    return resolve(as_of, as_known_at)
