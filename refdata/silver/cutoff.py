"""The silver job's per-venue cutoff: a system time below which nothing can still commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from refdata.locks import venue_lock
from refdata.settings import Settings


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def venue_cutoffs(settings: Settings, venues: Sequence[str], namespace: str = "bronze",
                  now: datetime | None = None) -> dict[str, datetime]:
    """Holding the venue's writer lock, every write that took an earlier time has committed."""
    cutoffs = {}
    for venue in venues:
        with venue_lock(settings, namespace, venue):
            cutoffs[venue] = now or utcnow()
    return cutoffs
