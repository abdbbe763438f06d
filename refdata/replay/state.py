"""The replay clock and which capture answers a request at that clock.

For each endpoint (URL path + the request parameters a capture answers, e.g. Bybit
category), the capture served is the latest one whose capture time is at or before the
clock. The clock starts at the newest capture time, so by default everything serves its
newest recording; tests and backfills move it.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from refdata.captures import CaptureFile
from refdata.replay.faults import FaultBook

EndpointKey = tuple[str, tuple[tuple[str, str], ...]]


def endpoint_key(capture: CaptureFile) -> EndpointKey:
    return capture.http_path, tuple(sorted(capture.params.items()))


@lru_cache(maxsize=64)
def raw_bytes(path: Path) -> bytes:
    return path.read_bytes()


@lru_cache(maxsize=8)
def parsed(path: Path) -> Any:
    return json.loads(raw_bytes(path))


class ReplayState:
    def __init__(
        self,
        catalog: Iterable[CaptureFile],
        clock: datetime | None = None,
        hang_s: float = 60.0,
    ) -> None:
        self.catalog = tuple(sorted(catalog, key=lambda c: (c.captured_at, c.rel)))
        if not self.catalog:
            raise ValueError("no captures to replay")
        self.hang_s = hang_s
        self.faults = FaultBook()
        self._lock = threading.Lock()
        self._clock = clock or self.catalog[-1].captured_at
        self._by_path: dict[str, list[CaptureFile]] = {}
        for c in self.catalog:
            self._by_path.setdefault(c.http_path, []).append(c)

    @property
    def clock(self) -> datetime:
        with self._lock:
            return self._clock

    def set_clock(self, when: datetime) -> None:
        with self._lock:
            self._clock = when

    def family_of(self, path: str) -> str | None:
        found = self._by_path.get(path)
        if found:
            return found[0].family
        return "okx" if path.startswith("/api/v5/") else None

    def knows(self, path: str) -> bool:
        return path in self._by_path

    def select(self, path: str, query: Mapping[str, str], at: datetime | None = None) -> CaptureFile | None:
        """Latest capture of this endpoint answering `query`, at or before the clock."""
        when = at or self.clock
        best: CaptureFile | None = None
        for c in self._by_path.get(path, ()):
            if c.captured_at <= when and all(query.get(k) == v for k, v in c.params.items()):
                best = c  # catalog is sorted by time: the last match is the latest
        return best

    def endpoints(self) -> list[EndpointKey]:
        return sorted({endpoint_key(c) for c in self.catalog})

    def serving(self) -> list[dict[str, Any]]:
        clock = self.clock
        rows = []
        for path, params in self.endpoints():
            c = self.select(path, dict(params), clock)
            rows.append({
                "path": path,
                "params": dict(params),
                "file": c.rel if c else None,
                "captured_at": c.captured_at.isoformat() if c else None,
            })
        return rows

    def next_capture_time(self, path: str | None = None, params: Mapping[str, str] | None = None) -> datetime | None:
        """First capture time after the clock, of any endpoint or of the given one."""
        clock = self.clock
        for c in self.catalog:
            if c.captured_at <= clock:
                continue
            if path is not None and c.http_path != path:
                continue
            if params is not None and not all(params.get(k) == v for k, v in c.params.items()):
                continue
            return c.captured_at
        return None

    def advance(self, path: str | None = None, params: Mapping[str, str] | None = None) -> datetime | None:
        when = self.next_capture_time(path, params)
        if when is not None:
            self.set_clock(when)
        return when
