"""Faults queued per URL path, each for the next N matching requests.

Faults let tests (and operators rehearsing incidents) see the clients' behaviour under the
failures real exchanges produce: rate limiting, 5xx, hangs, cut-off bodies, HTML error
pages, renamed fields, and a pagination cursor that never runs out.
"""

from __future__ import annotations

import enum
import threading
from collections import deque
from typing import Mapping

from pydantic import BaseModel, Field


class FaultKind(str, enum.Enum):
    RATE_LIMIT = "429"  # 429 + Retry-After
    SERVER_ERROR = "500"  # 5xx in the exchange's error envelope
    TIMEOUT = "timeout"  # hang for delay_s, then answer normally
    TRUNCATED = "truncated"  # the normal body cut in half
    HTML = "html"  # an HTML error page (status 200 unless given)
    RENAME_FIELD = "rename_field"  # rename a JSON key everywhere in the body
    STUCK_CURSOR = "stuck_cursor"  # Bybit: nextPageCursor leads back to the same page


class Fault(BaseModel):
    path: str
    kind: FaultKind
    count: int = Field(default=1, ge=1)
    # Only requests whose query has these values ("*" = parameter present) are affected.
    params: dict[str, str] = Field(default_factory=dict)
    retry_after: str | None = "1"  # 429: delta-seconds or an HTTP date; None = no header
    status: int | None = None  # 500/html: the status to answer with
    delay_s: float | None = None  # timeout: how long to hang (default: the app's hang_s)
    rename_from: str | None = None
    rename_to: str | None = None

    def matches(self, path: str, query: Mapping[str, str]) -> bool:
        if path != self.path:
            return False
        return all(
            k in query and (v == "*" or query[k] == v) for k, v in self.params.items()
        )


class FaultBook:
    """Thread-safe queues; the first matching fault of a path is consumed by a request."""

    def __init__(self) -> None:
        self._queue: deque[list] = deque()  # [fault, remaining]
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        if fault.kind is FaultKind.RENAME_FIELD and not (fault.rename_from and fault.rename_to):
            raise ValueError("rename_field needs rename_from and rename_to")
        with self._lock:
            self._queue.append([fault, fault.count])

    def take(self, path: str, query: Mapping[str, str]) -> Fault | None:
        with self._lock:
            for entry in self._queue:
                fault, remaining = entry
                if fault.matches(path, query):
                    if remaining <= 1:
                        self._queue.remove(entry)
                    else:
                        entry[1] = remaining - 1
                    return fault
        return None

    def clear(self, path: str | None = None) -> int:
        with self._lock:
            before = len(self._queue)
            self._queue = deque(e for e in self._queue if path is not None and e[0].path != path)
            return before - len(self._queue)

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [{**f.model_dump(mode="json"), "remaining": n} for f, n in self._queue]
