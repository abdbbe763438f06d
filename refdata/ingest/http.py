"""A resilient, rate-limited, synchronous httpx client for public exchange endpoints.

Why sync: the Airflow ingest tasks are sync and fetch one venue at a time. Why injectable
`sleep`/`monotonic`/`now`/`rand`: so backoff, Retry-After and the token bucket can be tested
with a fake clock instead of real waits.

Retried: HTTP 408/418/425/429 and 5xx, timeouts, connection errors and dropped connections.
Not retried: other 4xx (the request itself is wrong) and malformed bodies (decided by the
caller: a truncated or HTML body is a fact about the response, reported, not papered over).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Mapping

import httpx

from refdata import __version__
from refdata.errors import RefdataError
from refdata.settings import Settings
from refdata.venues import RateLimit, Venue

log = logging.getLogger(__name__)

CLIENT_VERSION = f"refdata/{__version__}"
USER_AGENT = f"{CLIENT_VERSION} (+reference-data poller; httpx/{httpx.__version__})"

RETRY_STATUSES = frozenset({408, 418, 425, 429})  # 418: Binance's auto-ban, sent with Retry-After
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class FetchError(RefdataError):
    """The client gave up on one request: names venue, URL, attempts and the last failure."""

    def __init__(
        self,
        venue: str,
        url: str,
        attempts: int,
        last_status: int | None,
        last_error: str | None,
    ) -> None:
        self.venue = venue
        self.url = url
        self.attempts = attempts
        self.last_status = last_status
        self.last_error = last_error
        last = f"HTTP {last_status}" if last_status is not None else "no response"
        if last_error:
            last = f"{last}: {last_error}"
        super().__init__(f"{venue} GET {url}: gave up after {attempts} attempt(s); last: {last}")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (naive UTC now)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        f = settings.fetch
        return cls(f.max_attempts, f.backoff_initial_s, f.backoff_max_s, f.retry_after_max_s)

    def backoff(self, retry: int, rand: float) -> float:
        """Delay before retry number `retry` (1-based): exponential, "equal jitter".

        Half the step is fixed (so retries really back off), half random (so many pollers
        hitting the same 429 do not retry in lockstep).
        """
        step = min(self.backoff_max_s, self.backoff_initial_s * (2 ** (retry - 1)))
        return step / 2 + (step / 2) * rand

    def delay(self, retry: int, retry_after: float | None, rand: float) -> float:
        """The server's Retry-After wins (capped); otherwise exponential backoff."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max_s)
        return self.backoff(retry, rand)


class TokenBucket:
    """Reservation-style token bucket: `reserve()` says how long to wait for the next slot.

    Tokens may go negative: each caller reserves its slot, so concurrent callers queue up
    fairly instead of all waking at once.
    """

    def __init__(self, limit: RateLimit, monotonic: Callable[[], float]) -> None:
        if limit.per_second <= 0 or limit.burst < 1:
            raise ValueError(f"invalid rate limit {limit}")
        self._limit = limit
        self._monotonic = monotonic
        self._tokens = float(limit.burst)
        self._stamp = monotonic()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        with self._lock:
            now = self._monotonic()
            elapsed = max(0.0, now - self._stamp)
            self._stamp = now
            self._tokens = min(float(self._limit.burst), self._tokens + elapsed * self._limit.per_second)
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self._limit.per_second


class RateLimiter:
    """One bucket per exchange host: exchanges meter public calls per IP and host."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, limit: RateLimit) -> float:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(limit, self._monotonic)
        return bucket.reserve()


@dataclass(frozen=True)
class HttpResult:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    received_at: datetime  # naive UTC
    attempts: int


class ExchangeClient:
    """GET with timeouts, retries (backoff + jitter, Retry-After) and per-exchange rate limits."""

    def __init__(
        self,
        settings: Settings,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        rand: Callable[[], float] = random.random,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy.from_settings(settings)
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(settings.fetch.timeout_s),
            transport=transport,
            follow_redirects=False,  # a redirect from an API host is a misconfiguration
        )
        self._sleep = sleep
        self._now = now
        self._rand = rand
        self.limiter = limiter or RateLimiter(monotonic)

    def __enter__(self) -> ExchangeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def url(self, venue: Venue, path: str) -> str:
        return self.settings.exchange_base_url(venue.exchange).rstrip("/") + path

    def get(self, venue: Venue, path: str, params: Mapping[str, str]) -> HttpResult:
        """One logical GET; returns the first 2xx response or raises FetchError."""
        url = self.url(venue, path)
        shown = str(httpx.URL(url, params=dict(params)))
        last_status: int | None = None
        last_error: str | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            wait = self.limiter.reserve(venue.exchange, venue.rate_limit)
            if wait > 0:
                self._sleep(wait)
            retry_after: float | None = None
            try:
                response = self._http.get(
                    url, params=dict(params), headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
                )
            except RETRY_EXCEPTIONS as exc:
                last_status, last_error = None, f"{type(exc).__name__}: {exc}".rstrip(": ")
            else:
                if 200 <= response.status_code < 300:
                    return HttpResult(shown, response.status_code, response.headers,
                                      response.content, self._now(), attempt)
                last_status = response.status_code
                last_error = _snippet(response.content)
                if not (response.status_code in RETRY_STATUSES or response.status_code >= 500):
                    # Other 4xx, and 3xx (a redirect from an API host is a misconfiguration).
                    raise FetchError(venue.id, shown, attempt, last_status, last_error)
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self._now())
            if attempt == self.policy.max_attempts:
                break
            delay = self.policy.delay(attempt, retry_after, self._rand())
            log.warning("%s GET %s attempt %d failed (%s %s); retrying in %.2fs",
                        venue.id, shown, attempt, last_status, last_error, delay)
            self._sleep(delay)
        raise FetchError(venue.id, shown, self.policy.max_attempts, last_status, last_error)


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return " ".join(text.split())
