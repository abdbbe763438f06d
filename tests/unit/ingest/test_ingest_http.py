"""Retries, backoff, Retry-After and give-up of the exchange HTTP client, on a fake clock."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable

import httpx
import pytest

from refdata import __version__
from refdata.ingest.http import (
    CLIENT_VERSION,
    ExchangeClient,
    FetchError,
    RetryPolicy,
    parse_retry_after,
)
from refdata.settings import Fetch, Settings
from refdata.venues import VENUES, RateLimit

# Rate limiting is tested separately: here it must never add a sleep.
VENUE = dataclasses.replace(VENUES["binance-spot"], rate_limit=RateLimit(1e9, 1000))


def scripted(*steps: object) -> Callable[[httpx.Request], httpx.Response]:
    """Answer request n with steps[n]: a Response, or an exception to raise."""
    calls = iter(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        step = next(calls)
        if isinstance(step, Exception):
            raise step
        return step  # type: ignore[return-value]

    return handler


def client(handler: Callable[[httpx.Request], httpx.Response], clock, **fetch: object) -> ExchangeClient:
    settings = Settings(
        replay_base_url="http://replay.test",
        fetch=Fetch(**{"max_attempts": 3, "backoff_initial_s": 1.0, "backoff_max_s": 8.0,
                       "retry_after_max_s": 300.0, **fetch}),
    )
    return ExchangeClient(settings, transport=httpx.MockTransport(handler), sleep=clock.sleep,
                          monotonic=clock.monotonic, now=clock.now, rand=lambda: 0.5)


def ok() -> httpx.Response:
    return httpx.Response(200, json={"symbols": []})


def test_429_retry_after_seconds_is_honoured(clock) -> None:
    c = client(scripted(httpx.Response(429, headers={"Retry-After": "7"}), ok()), clock)
    result = c.get(VENUE, "/api/v3/exchangeInfo", {})
    assert result.status == 200 and result.attempts == 2
    assert clock.sleeps == [7.0]


def test_429_retry_after_http_date_is_relative_to_now(clock) -> None:
    # clock.now() is 2024-01-01T00:00:00Z; the server says: not before 00:00:30.
    header = {"Retry-After": "Mon, 01 Jan 2024 00:00:30 GMT"}
    c = client(scripted(httpx.Response(429, headers=header), ok()), clock)
    c.get(VENUE, "/api/v3/exchangeInfo", {})
    assert clock.sleeps == [30.0]


def test_retry_after_is_capped(clock) -> None:
    c = client(scripted(httpx.Response(429, headers={"Retry-After": "86400"}), ok()), clock,
               retry_after_max_s=120.0)
    c.get(VENUE, "/api/v3/exchangeInfo", {})
    assert clock.sleeps == [120.0]


def test_5xx_backs_off_exponentially_with_jitter(clock) -> None:
    c = client(scripted(httpx.Response(500), httpx.Response(503), ok()), clock)
    assert c.get(VENUE, "/api/v3/exchangeInfo", {}).attempts == 3
    # equal jitter with rand=0.5: step/2 + step/4 for steps 1 s, 2 s
    assert clock.sleeps == [0.75, 1.5]


def test_timeouts_and_connection_errors_are_retried(clock) -> None:
    c = client(scripted(httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), ok()), clock)
    assert c.get(VENUE, "/api/v3/exchangeInfo", {}).status == 200
    assert len(clock.sleeps) == 2


def test_gives_up_with_a_clear_error(clock) -> None:
    c = client(scripted(*[httpx.Response(502, text="bad gateway")] * 3), clock)
    with pytest.raises(FetchError) as info:
        c.get(VENUE, "/api/v3/exchangeInfo", {"symbol": "BTCUSDT"})
    err = info.value
    assert (err.venue, err.attempts, err.last_status) == ("binance-spot", 3, 502)
    assert err.url == "http://replay.test/api/v3/exchangeInfo?symbol=BTCUSDT"
    assert err.last_error == "bad gateway"
    assert "binance-spot GET http://replay.test/api/v3/exchangeInfo?symbol=BTCUSDT" in str(err)
    assert "3 attempt(s)" in str(err) and "HTTP 502" in str(err)
    assert len(clock.sleeps) == 2  # no pointless sleep after the last attempt


def test_gives_up_on_connection_errors_without_status(clock) -> None:
    c = client(scripted(*[httpx.ConnectError("refused")] * 3), clock)
    with pytest.raises(FetchError) as info:
        c.get(VENUE, "/api/v3/exchangeInfo", {})
    assert info.value.last_status is None
    assert info.value.last_error == "ConnectError: refused"


def test_client_errors_are_not_retried(clock) -> None:
    c = client(scripted(httpx.Response(404, json={"code": -1000, "msg": "nope"})), clock)
    with pytest.raises(FetchError) as info:
        c.get(VENUE, "/api/v3/exchangeInfo", {})
    assert (info.value.attempts, info.value.last_status) == (1, 404)
    assert clock.sleeps == []


def test_identifies_itself(clock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok()

    client(handler, clock).get(VENUE, "/api/v3/exchangeInfo", {})
    assert CLIENT_VERSION == f"refdata/{__version__}"
    assert seen[0].headers["User-Agent"].startswith(CLIENT_VERSION + " ")


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=10, backoff_initial_s=1.0, backoff_max_s=8.0)
    assert [policy.backoff(n, 1.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert [policy.backoff(n, 0.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(1, retry_after=3.0, rand=0.9) == 3.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Mon, 01 Jan 2024 00:01:00 GMT", 60.0),
        ("Sun, 31 Dec 2023 23:00:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, datetime(2024, 1, 1)) == expected
