"""Token buckets: burst, then one slot per 1/rate seconds; shared per exchange host."""

from __future__ import annotations

import dataclasses

import httpx

from refdata.ingest.http import ExchangeClient, RateLimiter, TokenBucket
from refdata.settings import Settings
from refdata.venues import VENUES, RateLimit


def test_bucket_allows_burst_then_spaces_reservations(clock) -> None:
    bucket = TokenBucket(RateLimit(per_second=2.0, burst=3), clock.monotonic)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    # Reservations queue up: the 4th waits one slot, the 5th two.
    assert bucket.reserve() == 0.5
    assert bucket.reserve() == 1.0


def test_bucket_refills_up_to_burst_only(clock) -> None:
    bucket = TokenBucket(RateLimit(per_second=1.0, burst=2), clock.monotonic)
    bucket.reserve(), bucket.reserve()
    clock.t += 100.0  # a long pause refills to the burst, not to 100 tokens
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 1.0]


def test_venues_of_one_exchange_share_a_bucket(clock) -> None:
    limiter = RateLimiter(clock.monotonic)
    spot, linear = VENUES["bybit-spot"], VENUES["bybit-linear"]
    assert spot.exchange == linear.exchange == "bybit"
    limit = RateLimit(per_second=1.0, burst=1)
    assert limiter.reserve(spot.exchange, limit) == 0.0
    assert limiter.reserve(linear.exchange, limit) == 1.0
    assert limiter.reserve("okx", limit) == 0.0  # another host: its own bucket


def test_client_sleeps_for_the_rate_limit(clock) -> None:
    venue = dataclasses.replace(VENUES["kraken-spot"], rate_limit=RateLimit(per_second=1.0, burst=2))
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"error": [], "result": {}}))
    client = ExchangeClient(Settings(replay_base_url="http://replay.test"), transport=transport,
                            sleep=clock.sleep, monotonic=clock.monotonic, now=clock.now)
    for _ in range(4):
        client.get(venue, "/0/public/AssetPairs", {})
    assert clock.sleeps == [1.0, 1.0]


def test_every_venue_has_a_conservative_limit() -> None:
    assert len(VENUES) == 15
    for venue in VENUES.values():
        assert 0 < venue.rate_limit.per_second <= 5.0, venue.id
        assert 1 <= venue.rate_limit.burst <= 5, venue.id
