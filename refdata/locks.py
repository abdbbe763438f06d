"""Per-venue advisory locks in the catalog database, shared by every writer of events.

The bronze writer takes `recorded_at` and commits under the venue's lock; the corrections
writer does the same for approvals; the silver job takes the lock once per venue to read
its cutoff. Therefore no event of a venue can ever commit with a system time at or below
a cutoff silver has already used, and silver never needs a safety lag (ADR 0010).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from refdata.settings import Settings

LOCK_TIMEOUT = "10min"


def lock_key(namespace: str, venue: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, per (bronze namespace, venue)."""
    digest = hashlib.sha256(f"refdata.bronze:{namespace}:{venue}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def venue_lock(settings: Settings, namespace: str, venue: str) -> Iterator[None]:
    import psycopg

    with psycopg.connect(settings.catalog_psycopg_dsn, autocommit=True) as connection:
        connection.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        key = lock_key(namespace, venue)
        connection.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
