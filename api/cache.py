"""Read cache keyed by the Iceberg snapshots of the tables a read touches.

Freshness contract (ADR 0011, "Cache"): every answer, cached or not, is computed from table
versions that were current in the catalog at some instant AFTER the request arrived. Once a
publish has committed (the JDBC catalog's `iceberg_tables` row points at the new metadata
file: every Iceberg commit writes one), no request arriving later is answered from the
snapshot before it.

Without a catalog query per request: `CatalogWatcher` reads the metadata_location of every
table of the API's namespaces in ONE indexed PostgreSQL query in *rounds*. A request joins
the next round that has not started yet, never one already in flight (that one may have read
the catalog before the publish). Requests arriving before a round starts share it, and a
round starts at most once per `min_interval_s`, so the catalog sees at most that many queries
whatever the request rate; a cache hit costs the wait for the next start plus one PostgreSQL
round trip. The rounds run on the event loop of the requests that wait for them, over a small
pool of asynchronous connections of that loop (ADR 0014): a round does not wait for the one
before it, so a stalled read delays its own requests only. (A round run by a thread of its
own paid two hand-overs of the interpreter lock per round: they were the cached answer's
whole tail, docs/benchmarks.md.) Blocking callers (endpoints in the thread pool) wait for a
round on the watcher's own event loop thread. If the catalog cannot be read (down, slower
than `timeout_s`), the request is answered uncached, from Trino: correct, only slower.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from starlette.concurrency import run_in_threadpool

from refdata.settings import Settings

Table = tuple[str, str]  # (namespace, table)
Lookup = Callable[[list[str]], dict[Table, str | None]]
CATALOG_SQL = ("SELECT table_namespace, table_name, metadata_location FROM iceberg_tables "
               "WHERE catalog_name = %s AND table_namespace = ANY(%s)")


async def _close(connection: Any) -> None:
    if connection is not None:
        try:
            await connection.close()
        except Exception:  # noqa: BLE001 - it is being discarded
            pass


class _Rounds:
    """The rounds of one event loop. `pending` is the next round, not started: requests join it.
    Started rounds run on their own, each over an idle connection of the loop's small pool."""

    __slots__ = ("pending", "last_start", "idle", "slots")

    def __init__(self, connections: int) -> None:
        self.pending: asyncio.Future[dict[Table, str | None]] | None = None
        self.last_start = float("-inf")
        self.idle: list[Any] = []  # psycopg.AsyncConnection of this loop, not in use
        self.slots = asyncio.Semaphore(connections)  # rounds reading at once, at most


class CatalogWatcher:
    """The current metadata_location of the API's tables, read after the caller asked.

    `await snapshot_async()` and `snapshot()` (blocking) return {(namespace, table):
    metadata_location} from a catalog read that started after the call. `lookup` replaces
    the PostgreSQL query (tests; it is called in one of `connections` threads of the watcher).
    """

    def __init__(self, settings: Settings | None, namespaces: Iterable[str] = (), *, min_interval_s: float = 0.002,
                 timeout_s: float = 2.0, connections: int = 4, lookup: Lookup | None = None) -> None:
        if settings is None and lookup is None:
            raise ValueError("CatalogWatcher needs settings or a lookup")
        self.settings = settings
        self.min_interval_s, self.timeout_s, self.connections = min_interval_s, timeout_s, connections
        self._lookup = lookup
        self._namespaces: frozenset[str] = frozenset(namespaces)
        self._rounds: dict[asyncio.AbstractEventLoop, _Rounds] = {}
        self._lock = threading.Lock()  # creates the watcher's own loop and lookup thread once
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._lookup_thread: concurrent.futures.ThreadPoolExecutor | None = None

    # ---- callers ----------------------------------------------------------------------

    def watch(self, namespaces: Iterable[str]) -> None:
        wanted = frozenset(namespaces)
        if not wanted <= self._namespaces:
            with self._lock:
                self._namespaces = self._namespaces | wanted

    async def snapshot_async(self) -> dict[Table, str | None]:
        loop = asyncio.get_running_loop()
        rounds = self._rounds.get(loop)
        if rounds is None:
            rounds = self._rounds[loop] = _Rounds(self.connections)
        while True:
            if rounds.pending is None:
                rounds.pending = loop.create_future()
                # Requests arriving until the start join this round. A round in flight is not
                # waited for: a stalled catalog read delays its own requests, not the next ones.
                loop.call_at(max(loop.time(), rounds.last_start + self.min_interval_s), self._start, rounds, loop)
            pending = rounds.pending
            # Awaited directly, not through asyncio.shield: a shield per request was one more
            # future and wake-up per cached answer (docs/benchmarks.md). So a request cancelled
            # while waiting cancels the shared future; the others, not cancelled themselves,
            # then join a newer round (one that started after they arrived: still correct).
            try:
                return await pending
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():
                    raise
                if rounds.pending is pending:
                    rounds.pending = None

    def snapshot(self) -> dict[Table, str | None]:
        """Blocking form: a round on the watcher's own event loop."""
        future = asyncio.run_coroutine_threadsafe(self.snapshot_async(), self._loop())
        try:
            return future.result(self.timeout_s + 1)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the catalog did not answer within {self.timeout_s} s") from None

    def version(self, namespace: str, table: str) -> str | None:
        """The table's current metadata location (None: no such table); the change stream
        polls it."""
        self.watch([namespace])
        return self.snapshot().get((namespace, table))

    # ---- rounds -----------------------------------------------------------------------

    def _start(self, rounds: _Rounds, loop: asyncio.AbstractEventLoop) -> None:
        current, rounds.pending = rounds.pending, None
        rounds.last_start = loop.time()
        if current is not None:
            loop.create_task(self._round(rounds, current))

    async def _round(self, rounds: _Rounds, current: asyncio.Future[dict[Table, str | None]]) -> None:
        result: dict[Table, str | None] = {}
        error: BaseException | None = None
        try:
            result = await asyncio.wait_for(self._read(rounds, sorted(self._namespaces)), self.timeout_s)
        except asyncio.TimeoutError:
            error = TimeoutError(f"the catalog did not answer within {self.timeout_s} s")
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
            error = exc
        if current.done():  # cancelled by a waiter that went away: the others rejoined
            return
        if error is not None:
            current.set_exception(error)
        else:
            current.set_result(result)

    async def _read(self, rounds: _Rounds, namespaces: list[str]) -> dict[Table, str | None]:
        if self._lookup is not None:
            return await asyncio.get_running_loop().run_in_executor(self._thread(), self._lookup, namespaces)
        return await self._query(rounds, namespaces)

    async def _query(self, rounds: _Rounds, namespaces: list[str]) -> dict[Table, str | None]:
        import psycopg

        assert self.settings is not None
        async with rounds.slots:
            connection = rounds.idle.pop() if rounds.idle else None
            for attempt in (1, 2):  # a connection dropped while idle (PostgreSQL restarted): reconnect once
                try:
                    if connection is None or connection.closed:
                        connection = await psycopg.AsyncConnection.connect(
                            self.settings.catalog_psycopg_dsn, autocommit=True, connect_timeout=3,
                            options="-c statement_timeout=3000")
                    cursor = await connection.execute(CATALOG_SQL, (self.settings.catalog_name, namespaces))
                    rows = await cursor.fetchall()
                except psycopg.OperationalError:
                    await _close(connection)
                    connection = None
                    if attempt == 2:
                        raise
                except BaseException:  # timed out (cancelled) or failed: its state is unknown
                    await _close(connection)
                    raise
                else:
                    rounds.idle.append(connection)
                    return {(ns, table): location for ns, table, location in rows}
        raise AssertionError("unreachable")

    def _loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._own_loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="catalog-watcher", daemon=True).start()
                self._own_loop = loop
            return self._own_loop

    def _thread(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._lookup_thread is None:
                self._lookup_thread = concurrent.futures.ThreadPoolExecutor(self.connections,
                                                                            thread_name_prefix="catalog-lookup")
            return self._lookup_thread


_MISSING = object()
Snapshot = dict[Table, str | None]
# The table versions a computation's key was built from, while it runs: a read it makes
# through the cache (the point lookup's symbology index) is keyed by the same versions,
# without another catalog round, and is consistent with the outer read.
_computing_at: ContextVar[Snapshot | None] = ContextVar("refdata_cache_computing_at", default=None)


def _compute_at(snapshot: Snapshot | None, compute: Callable[[], Any]) -> Any:
    token = _computing_at.set(snapshot)
    try:
        return compute()
    finally:
        _computing_at.reset(token)


class ReadCache:
    """A bounded LRU of answers; keys include the table versions, so a publish misses.

    A miss computes once per key: concurrent requests for the same missing key wait for the
    one computation (no stampede of identical Trino queries after a publish). A read made
    inside a computation is keyed by the table versions of the computation's own key (no
    second catalog round; ADR 0015).
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

    def _current_key(self, tables: list[Table], key: Any) -> tuple[Any, Snapshot | None]:
        if self.versions is None:
            return None, None
        outer = _computing_at.get()
        if outer is not None and all(t in outer for t in tables):
            return (tuple(outer[t] for t in tables), key), outer
        self.versions.watch(ns for ns, _ in tables)
        try:
            snapshot = self.versions.snapshot()
        except Exception:  # noqa: BLE001 - the catalog DB is down or slow
            return None, None
        return (tuple(snapshot.get(t) for t in tables), key), snapshot

    async def _current_key_async(self, tables: list[Table], key: Any) -> tuple[Any, Snapshot | None]:
        if self.versions is None:
            return None, None
        self.versions.watch(ns for ns, _ in tables)
        try:
            snapshot = await self.versions.snapshot_async()
        except Exception:  # noqa: BLE001 - the catalog DB is down or slow
            return None, None
        return (tuple(snapshot.get(t) for t in tables), key), snapshot

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
        """Blocking form, for endpoints that run in the thread pool (and for reads made
        inside another computation: keyed by that computation's table versions)."""
        full, snapshot = self._current_key(tables, key)
        if full is None:
            return compute()
        value, future, mine = self._claim(full)
        if future is None:
            return value
        if not mine:
            return future.result()
        try:
            value = _compute_at(snapshot, compute)
        except BaseException as exc:
            self._store(full, future, None, exc)
            raise
        self._store(full, future, value, None)
        return value

    async def peek_async(self, tables: list[Table], key: Any) -> Any | None:
        """The cached answer at the tables' versions current after the call, or None (a miss,
        a computation in flight, the catalog unreadable, or no cache): never computes."""
        full, _ = await self._current_key_async(tables, key)
        if full is None:
            return None
        with self._lock:
            value = self._cached(full)
        return None if value is _MISSING else value

    async def aget_or_compute(self, tables: list[Table], key: Any, compute: Callable[[], Any]) -> Any:
        """For async endpoints: a hit never leaves the event loop; `compute` (blocking) runs
        in the thread pool."""
        full, snapshot = await self._current_key_async(tables, key)
        if full is None:
            return await run_in_threadpool(compute)
        value, future, mine = self._claim(full)
        if future is None:
            return value
        if not mine:
            return await asyncio.wrap_future(future)
        # The computation belongs to every request waiting for this key, not to this one:
        # it runs (and is stored) even if this request is cancelled (client gone).
        task = asyncio.ensure_future(run_in_threadpool(_compute_at, snapshot, compute))

        def finished(task: asyncio.Future[Any]) -> None:
            if task.cancelled():
                self._store(full, future, None, asyncio.CancelledError())
            else:
                error = task.exception()
                self._store(full, future, None if error else task.result(), error)

        task.add_done_callback(finished)
        return await asyncio.shield(task)
