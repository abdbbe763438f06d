"""Read cache keyed by the Iceberg snapshots of the tables a read touches.

Freshness contract (ADR 0011, "Cache"): every answer, cached or not, is computed from table
versions that were current in the catalog at some instant AFTER the request arrived. Once a
publish has committed (the JDBC catalog's `iceberg_tables` row points at the new metadata
file: every Iceberg commit writes one), no request arriving later is answered from the
snapshot before it.

Without a catalog query per request: `CatalogWatcher` reads the metadata_location of every
table of the API's namespaces in ONE indexed PostgreSQL query, over one persistent
connection, in *rounds* run by a thread of its own. A request joins the next round that has
not started yet, never one already in flight (that one may have read the catalog before the
publish). Every request arriving while a round runs shares the next one, so the catalog
sees at most one query per round trip (and per `min_interval_s`), whatever the request
rate, and a cache hit costs one wait for the next round: about one PostgreSQL round trip.
If the catalog cannot be read (down, slower than `timeout_s`), the request is answered
uncached, from Trino: correct, only slower.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from starlette.concurrency import run_in_threadpool

from refdata.settings import Settings

Table = tuple[str, str]  # (namespace, table)
Lookup = Callable[[list[str]], dict[Table, str | None]]


class _Round:
    """One catalog read; the requests that joined it before it started wait for its result."""

    __slots__ = ("done", "result", "error", "waiters")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: dict[Table, str | None] = {}
        self.error: BaseException | None = None
        self.waiters: dict[asyncio.AbstractEventLoop, asyncio.Future[dict[Table, str | None]]] = {}


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class CatalogWatcher:
    """The current metadata_location of the API's tables, read after the caller asked.

    `snapshot()` (blocking) and `await snapshot_async()` return {(namespace, table):
    metadata_location} from a catalog read that started after the call. `lookup` replaces
    the PostgreSQL query (tests).
    """

    def __init__(self, settings: Settings | None, namespaces: Iterable[str] = (), *, min_interval_s: float = 0.002,
                 timeout_s: float = 2.0, lookup: Lookup | None = None) -> None:
        if settings is None and lookup is None:
            raise ValueError("CatalogWatcher needs settings or a lookup")
        self.settings = settings
        self.min_interval_s, self.timeout_s = min_interval_s, timeout_s
        self._lookup: Lookup = lookup or self._query
        self._namespaces: frozenset[str] = frozenset(namespaces)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: _Round | None = None
        self._thread: threading.Thread | None = None
        self._conn: Any = None

    # ---- callers ----------------------------------------------------------------------

    def watch(self, namespaces: Iterable[str]) -> None:
        wanted = frozenset(namespaces)
        if not wanted <= self._namespaces:
            with self._lock:
                self._namespaces = self._namespaces | wanted

    def snapshot(self) -> dict[Table, str | None]:
        with self._lock:
            round_ = self._join()
        if not round_.done.wait(self.timeout_s):
            raise TimeoutError(f"the catalog did not answer within {self.timeout_s} s")
        if round_.error is not None:
            raise round_.error
        return round_.result

    async def snapshot_async(self) -> dict[Table, str | None]:
        loop = asyncio.get_running_loop()
        with self._lock:
            round_ = self._join()
            future = round_.waiters.get(loop)
            if future is None:  # one future (and one timeout) per round and event loop
                future = round_.waiters[loop] = loop.create_future()
                loop.call_later(self.timeout_s, _settle, future, None,
                                TimeoutError(f"the catalog did not answer within {self.timeout_s} s"))
        # shield: a request cancelled while waiting must not cancel the round for the others
        return await asyncio.shield(future)

    def version(self, namespace: str, table: str) -> str | None:
        """The table's current metadata location (None: no such table); the change stream
        polls it."""
        self.watch([namespace])
        return self.snapshot().get((namespace, table))

    def _join(self) -> _Round:  # under self._lock
        if self._pending is None:
            self._pending = _Round()
            self._wake.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="catalog-watcher", daemon=True)
            self._thread.start()
        return self._pending

    # ---- the watcher thread -------------------------------------------------------------

    def _run(self) -> None:
        last = float("-inf")
        while True:
            with self._lock:
                while self._pending is None:
                    self._wake.wait()
            pause = self.min_interval_s - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)  # requests arriving meanwhile join this same round
            with self._lock:
                round_, self._pending = self._pending, None
                namespaces = sorted(self._namespaces)
            last = time.monotonic()
            result: dict[Table, str | None] = {}
            error: BaseException | None = None
            try:
                result = self._lookup(namespaces)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting requests
                error = exc
            with self._lock:
                round_.result, round_.error = result, error
                waiters = list(round_.waiters.items())
                round_.done.set()
            for loop, future in waiters:
                try:
                    loop.call_soon_threadsafe(_settle, future, result, error)
                except RuntimeError:  # that event loop is closed: nobody waits any more
                    pass

    def _query(self, namespaces: list[str]) -> dict[Table, str | None]:
        import psycopg

        assert self.settings is not None
        sql = ("SELECT table_namespace, table_name, metadata_location FROM iceberg_tables "
               "WHERE catalog_name = %s AND table_namespace = ANY(%s)")
        for attempt in (1, 2):  # a connection dropped while idle (PostgreSQL restarted): reconnect once
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(self.settings.catalog_psycopg_dsn, autocommit=True, connect_timeout=3,
                                                 options="-c statement_timeout=3000")
                rows = self._conn.execute(sql, (self.settings.catalog_name, namespaces)).fetchall()
                return {(ns, table): location for ns, table, location in rows}
            except psycopg.OperationalError:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


_MISSING = object()


class ReadCache:
    """A bounded LRU of answers; keys include the table versions, so a publish misses.

    A miss computes once per key: concurrent requests for the same missing key wait for the
    one computation (no stampede of identical Trino queries after a publish).
    """

    def __init__(self, versions: CatalogWatcher | None, max_entries: int = 4096) -> None:
        self.versions = versions
        self.max_entries = max_entries
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._inflight: dict[Any, concurrent.futures.Future[Any]] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    # ---- the key at the current table versions (None: no cache, or the catalog unreadable:
    # ---- the request is answered uncached) --------------------------------------------------

    def _current_key(self, tables: list[Table], key: Any) -> Any | None:
        if self.versions is None:
            return None
        self.versions.watch(ns for ns, _ in tables)
        try:
            snapshot = self.versions.snapshot()
        except Exception:  # noqa: BLE001 - the catalog DB is down or slow
            return None
        return tuple(snapshot.get(t) for t in tables), key

    async def _current_key_async(self, tables: list[Table], key: Any) -> Any | None:
        if self.versions is None:
            return None
        self.versions.watch(ns for ns, _ in tables)
        try:
            snapshot = await self.versions.snapshot_async()
        except Exception:  # noqa: BLE001 - the catalog DB is down or slow
            return None
        return tuple(snapshot.get(t) for t in tables), key

    # ---- entries ----------------------------------------------------------------------------

    def _cached(self, full: Any) -> Any:
        """The stored answer or _MISSING; the caller holds the lock."""
        if full not in self._data:
            return _MISSING
        self._data.move_to_end(full)
        self.hits += 1
        return self._data[full]

    def _claim(self, full: Any) -> tuple[Any, concurrent.futures.Future[Any] | None, bool]:
        """(answer, None, False) on a hit; else (_MISSING, the computation's future, whether
        this caller computes it)."""
        with self._lock:
            value = self._cached(full)
            if value is not _MISSING:
                return value, None, False
            future = self._inflight.get(full)
            if future is not None:
                self.hits += 1
                return _MISSING, future, False
            future = self._inflight[full] = concurrent.futures.Future()
            self.misses += 1
            return _MISSING, future, True

    def _store(self, full: Any, future: concurrent.futures.Future[Any], value: Any, error: BaseException | None) -> None:
        with self._lock:
            self._inflight.pop(full, None)
            if error is None:
                self._data[full] = value
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    # ---- callers ----------------------------------------------------------------------------

    def get_or_compute(self, tables: list[Table], key: Any, compute: Callable[[], Any]) -> Any:
        """Blocking form, for endpoints that run in the thread pool."""
        full = self._current_key(tables, key)
        if full is None:
            return compute()
        value, future, mine = self._claim(full)
        if future is None:
            return value
        if not mine:
            return future.result()
        try:
            value = compute()
        except BaseException as exc:
            self._store(full, future, None, exc)
            raise
        self._store(full, future, value, None)
        return value

    async def peek_async(self, tables: list[Table], key: Any) -> Any | None:
        """The cached answer at the tables' versions current after the call, or None (a miss,
        a computation in flight, the catalog unreadable, or no cache): never computes."""
        full = await self._current_key_async(tables, key)
        if full is None:
            return None
        with self._lock:
            value = self._cached(full)
        return None if value is _MISSING else value

    async def aget_or_compute(self, tables: list[Table], key: Any, compute: Callable[[], Any]) -> Any:
        """For async endpoints: a hit never leaves the event loop; `compute` (blocking) runs
        in the thread pool."""
        full = await self._current_key_async(tables, key)
        if full is None:
            return await run_in_threadpool(compute)
        value, future, mine = self._claim(full)
        if future is None:
            return value
        if not mine:
            return await asyncio.wrap_future(future)
        # The computation belongs to every request waiting for this key, not to this one:
        # it runs (and is stored) even if this request is cancelled (client gone).
        task = asyncio.ensure_future(run_in_threadpool(compute))

        def finished(task: asyncio.Future[Any]) -> None:
            if task.cancelled():
                self._store(full, future, None, asyncio.CancelledError())
            else:
                error = task.exception()
                self._store(full, future, None if error else task.result(), error)

        task.add_done_callback(finished)
        return await asyncio.shield(task)
