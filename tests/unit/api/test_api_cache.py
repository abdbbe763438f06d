"""The snapshot-keyed read cache: a catalog read per round shared by the requests that joined
it before it started, never one already in flight, and one computation per missing key."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from api.cache import CatalogWatcher, ReadCache, Table

TABLE = ("silver", "instrument_versions")


class Catalog:
    """A catalog whose reads can be held open, to place a publish in the middle of one; a
    test publishes by changing `locations` (or `location`, TABLE's)."""

    def __init__(self, locations: dict[Table, str] | None = None) -> None:
        self.locations: dict[Table, str] = dict(locations or {TABLE: "m1"})
        self.reads = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()

    @property
    def location(self) -> str:
        return self.locations[TABLE]

    @location.setter
    def location(self, value: str) -> None:
        self.locations[TABLE] = value

    def lookup(self, namespaces: list[str]) -> dict[Table, str | None]:
        self.reads += 1
        seen = dict(self.locations)  # what the read sees is fixed when it starts
        self.started.set()
        self.release.wait(5)
        return seen


def test_a_request_never_joins_a_catalog_read_that_started_before_it() -> None:
    catalog = Catalog()
    watcher = CatalogWatcher(None, ["silver"], min_interval_s=0, lookup=catalog.lookup)
    assert watcher.snapshot()[TABLE] == "m1"

    catalog.release.clear()
    catalog.started.clear()
    early: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: early.update(watcher.snapshot()))
    reader.start()
    assert catalog.started.wait(5)  # a round is reading the catalog: it saw m1
    catalog.location = "m2"  # a publish commits while that read is in flight
    late: dict[str, Any] = {}
    after_publish = threading.Thread(target=lambda: late.update(watcher.snapshot()))
    after_publish.start()
    time.sleep(0.05)
    catalog.release.set()
    reader.join(5)
    after_publish.join(5)
    assert early[TABLE] == "m1"
    assert late[TABLE] == "m2"  # the later request waited for a round that started after it


def test_a_stalled_catalog_read_delays_only_its_own_requests() -> None:
    class StallFirst:
        def __init__(self) -> None:
            self.calls = 0
            self.release = threading.Event()

        def lookup(self, namespaces: list[str]) -> dict[tuple[str, str], str | None]:
            self.calls += 1
            if self.calls == 1:
                self.release.wait(5)
                return {TABLE: "m1"}
            return {TABLE: "m2"}

    catalog = StallFirst()
    watcher = CatalogWatcher(None, ["silver"], min_interval_s=0, lookup=catalog.lookup)

    async def scenario() -> tuple[bool, dict[tuple[str, str], str | None], dict[tuple[str, str], str | None]]:
        stalled = asyncio.ensure_future(watcher.snapshot_async())
        while catalog.calls == 0:  # the first round has started (and stalls)
            await asyncio.sleep(0.001)
        later = await asyncio.wait_for(watcher.snapshot_async(), 2)  # its own round, not behind the first
        still_waiting = not stalled.done()
        catalog.release.set()
        return still_waiting, await stalled, later

    still_waiting, first, second = asyncio.run(scenario())
    assert still_waiting and first[TABLE] == "m1" and second[TABLE] == "m2"


def test_a_request_cancelled_while_waiting_does_not_fail_the_others() -> None:
    catalog = Catalog()
    watcher = CatalogWatcher(None, ["silver"], min_interval_s=0.05, lookup=catalog.lookup)

    async def scenario() -> tuple[bool, list[dict[tuple[str, str], str | None]]]:
        waiters = [asyncio.ensure_future(watcher.snapshot_async()) for _ in range(3)]
        await asyncio.sleep(0)  # all three joined the same (not yet started) round
        waiters[0].cancel()
        results = await asyncio.gather(*waiters[1:])
        return waiters[0].cancelled(), results

    cancelled, results = asyncio.run(scenario())
    assert cancelled and [r[TABLE] for r in results] == ["m1", "m1"]


def test_concurrent_requests_share_one_catalog_read() -> None:
    catalog = Catalog()
    watcher = CatalogWatcher(None, ["silver"], min_interval_s=0.05, lookup=catalog.lookup)
    watcher.snapshot()
    before = catalog.reads

    async def many() -> list[dict[tuple[str, str], str | None]]:
        return await asyncio.gather(*(watcher.snapshot_async() for _ in range(200)))

    answers = asyncio.run(many())
    assert all(a[TABLE] == "m1" for a in answers)
    assert catalog.reads - before <= 2  # 200 requests, at most the round in its pause and one more


def test_a_catalog_that_fails_or_hangs_answers_uncached() -> None:
    def broken(namespaces: list[str]) -> dict[tuple[str, str], str | None]:
        raise OSError("catalog down")

    cache = ReadCache(CatalogWatcher(None, ["silver"], min_interval_s=0, lookup=broken))
    computed = []
    for _ in range(2):
        assert cache.get_or_compute([TABLE], "k", lambda: computed.append(1) or "fresh") == "fresh"
    assert len(computed) == 2 and cache.hits == 0

    hanging = Catalog()
    hanging.release.clear()
    slow = ReadCache(CatalogWatcher(None, ["silver"], min_interval_s=0, timeout_s=0.1, lookup=hanging.lookup))
    assert asyncio.run(slow.aget_or_compute([TABLE], "k", lambda: "from trino")) == "from trino"
    hanging.release.set()


def test_a_publish_changes_the_key_and_a_hit_needs_no_computation() -> None:
    catalog = Catalog()
    cache = ReadCache(CatalogWatcher(None, ["silver"], min_interval_s=0, lookup=catalog.lookup))
    computed: list[str] = []

    def compute() -> str:
        computed.append(catalog.location)
        return f"answer from {catalog.location}"

    assert cache.get_or_compute([TABLE], "k", compute) == "answer from m1"
    assert asyncio.run(cache.aget_or_compute([TABLE], "k", compute)) == "answer from m1"
    assert computed == ["m1"]
    catalog.location = "m2"
    assert asyncio.run(cache.aget_or_compute([TABLE], "k", compute)) == "answer from m2"
    assert computed == ["m1", "m2"] and (cache.hits, cache.misses) == (1, 2)


def test_concurrent_misses_of_one_key_compute_once_and_errors_are_not_cached() -> None:
    catalog = Catalog()
    cache = ReadCache(CatalogWatcher(None, ["silver"], min_interval_s=0, lookup=catalog.lookup))
    calls: list[int] = []

    def slow_compute() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "one trino query"

    async def stampede() -> list[str]:
        return await asyncio.gather(*(cache.aget_or_compute([TABLE], "hot", slow_compute) for _ in range(50)))

    assert asyncio.run(stampede()) == ["one trino query"] * 50
    assert len(calls) == 1

    def failing() -> str:
        raise RuntimeError("trino rejected the query")

    with pytest.raises(RuntimeError, match="trino rejected"):
        cache.get_or_compute([TABLE], "bad", failing)
    assert cache.get_or_compute([TABLE], "bad", lambda: "recovered") == "recovered"


def test_a_read_inside_a_computation_is_keyed_by_the_outer_versions_without_another_round() -> None:
    """The point lookup's symbology index: taken through the cache inside the lookup's own
    computation, at the gold version the lookup's key was built from."""
    gold = ("gold", "symbology")
    catalog = Catalog({TABLE: "s1", gold: "g1"})
    locations = catalog.locations
    cache = ReadCache(CatalogWatcher(None, ["silver", "gold"], min_interval_s=0, lookup=catalog.lookup))
    built: list[str | None] = []

    def index() -> str:
        built.append(locations[gold])
        return "index"

    def lookup_version() -> str:
        return "version joined with " + cache.get_or_compute([gold], "index", index)

    assert asyncio.run(cache.aget_or_compute([TABLE, gold], "point", lookup_version)) == "version joined with index"
    assert catalog.reads == 1 and built == ["g1"]  # one catalog round for both reads
    # the inner read was stored under g1: a read outside a computation, at g1 still, hits it
    assert cache.get_or_compute([gold], "index", index) == "index"
    assert catalog.reads == 2 and built == ["g1"]
    locations[gold] = "g2"  # a gold publish: the next computation's inner read builds anew
    assert asyncio.run(cache.aget_or_compute([TABLE, gold], "point", lookup_version)) == "version joined with index"
    assert catalog.reads == 3 and built == ["g1", "g2"]


def test_a_read_inside_a_computation_of_a_table_the_outer_snapshot_lacks_takes_its_own_round() -> None:
    """The outer snapshot is only reused when it holds every table the inner read asks for;
    otherwise the inner read would be keyed by a version nobody read."""
    bronze = ("bronze", "events")
    catalog = Catalog({TABLE: "s1"})
    locations = catalog.locations
    cache = ReadCache(CatalogWatcher(None, ["silver", "bronze"], min_interval_s=0, lookup=catalog.lookup))
    built: list[str] = []

    def events() -> str:
        built.append(locations[bronze])
        return "events"

    def outer() -> str:
        locations[bronze] = "b1"  # created after the outer snapshot was read
        return cache.get_or_compute([bronze], "events", events)

    assert cache.get_or_compute([TABLE], "silver only", outer) == "events"
    assert catalog.reads == 2 and built == ["b1"]  # its own round, which saw the new table
    assert cache.get_or_compute([bronze], "events", events) == "events"  # stored under b1
    assert catalog.reads == 3 and built == ["b1"]


def test_a_synchronous_read_inside_a_synchronous_computation_reuses_its_round() -> None:
    gold = ("gold", "symbology")
    catalog = Catalog({TABLE: "s1", gold: "g1"})
    locations = catalog.locations
    cache = ReadCache(CatalogWatcher(None, ["silver", "gold"], min_interval_s=0, lookup=catalog.lookup))

    def outer() -> str:
        locations[gold] = "g2"  # the inner read must still see the outer key's g1
        return cache.get_or_compute([gold], "index", lambda: "index at g1")

    assert cache.get_or_compute([TABLE, gold], "both", outer) == "index at g1"
    assert catalog.reads == 1
    locations[gold] = "g1"
    assert cache.get_or_compute([gold], "index", lambda: "recomputed") == "index at g1"  # stored under g1
    assert catalog.reads == 2
