"""Advisory locks in the catalog database: per venue for event writers, per job for transforms.

The bronze writer takes `recorded_at` and commits under the venue's lock; the corrections
writer does the same for approvals; the silver job takes the lock once per venue to read
its cutoff. Therefore no event of a venue can ever commit with a system time at or below
a cutoff silver has already used, and silver never needs a safety lag (ADR 0010).

A transform job (silver, gold) also holds a job lock for its whole run, keyed by the layer and
the table namespace it writes (`transform_lock`): two runs on the same tables (the
scheduler's Asset-triggered run and a manual one, a backfill and an hourly run) serialize
instead of racing on the audit branch, and whatever else touches those tables (maintenance,
the rebuild's swap) takes the same lock through the same function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from refdata.settings import Settings

LOCK_TIMEOUT = "10min"

# The transform job writing each layer's tables, by the name it has in its lock key (and in
# its job_state rows). The key shape predates `transform_lock`; keep it, so that processes on
# either side of an upgrade still exclude each other.
TRANSFORM_JOBS = {"silver": "silver", "gold": "gold_symbology"}


def _key(text: str) -> int:
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_key(namespace: str, venue: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, per (bronze namespace, venue)."""
    return _key(f"refdata.bronze:{namespace}:{venue}")


def job_lock_key(job: str, namespace: str) -> int:
    """The key of a transform job writing into `namespace` (catalog-qualified; distinct from
    every venue key). Use `transform_lock_key`; this is its key shape."""
    return _key(f"refdata.job:{job}:{namespace}")


def transform_lock_key(settings: Settings, layer: str, namespace: str) -> int:
    """The key of the transform job writing `layer` ("silver", "gold") into `namespace` of the
    settings' catalog (the layer's own namespace, or a rebuild's or a test's)."""
    if layer not in TRANSFORM_JOBS:
        raise ValueError(f"no transform job writes layer {layer!r}; layers: {sorted(TRANSFORM_JOBS)}")
    return job_lock_key(TRANSFORM_JOBS[layer], f"{settings.catalog_name}.{namespace}")


@contextmanager
def advisory_lock(settings: Settings, key: int, timeout: str = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold a session-level advisory lock; waiting longer than `timeout` raises LockNotAvailable."""
    import psycopg

    with psycopg.connect(settings.catalog_psycopg_dsn, autocommit=True) as connection:
        connection.execute(f"SET lock_timeout = '{timeout}'")
        connection.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))


def venue_lock(settings: Settings, namespace: str, venue: str) -> AbstractContextManager[None]:
    return advisory_lock(settings, lock_key(namespace, venue))


def transform_lock(settings: Settings, layer: str, namespace: str) -> AbstractContextManager[None]:
    """Held by the transform job writing `layer` into `namespace` for its whole run, and by
    anything else that must not overlap it on those tables."""
    # A silver run over all history can take minutes; waiting for it is the right behaviour.
    return advisory_lock(settings, transform_lock_key(settings, layer, namespace), timeout="30min")
