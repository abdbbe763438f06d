"""When the exchange observed a listing: its own clock when the payload carries one.

DESIGN.md: an observation is at exchange time t — "the response's server time if it has
one, else the poll time". Between the two we prefer the HTTP `Date` header, which is also
the exchange's clock (to the second) and, from the replay server, the capture's day.
All datetimes are naive UTC.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Mapping, Sequence

_EPOCH = datetime(1970, 1, 1)

# family -> (payload key, units per second). OKX, Kraken and Coinbase carry no server time.
_SERVER_TIME_KEYS: Mapping[str, tuple[str, int]] = {
    "binance": ("serverTime", 1_000),  # ms
    "bybit": ("time", 1_000),  # ms
    "deribit": ("usIn", 1_000_000),  # µs, when the request reached the server
}


def from_epoch(value: int, units_per_second: int) -> datetime:
    """Exact integer conversion (no float rounding of µs)."""
    whole, rest = divmod(int(value), units_per_second)
    return _EPOCH + timedelta(seconds=whole, microseconds=rest * 1_000_000 // units_per_second)


def to_naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def payload_server_time(family: str, payload: Any) -> datetime | None:
    """The server clock inside a parsed response body, or None if that exchange has none."""
    spec = _SERVER_TIME_KEYS.get(family)
    if spec is None or not isinstance(payload, dict):
        return None
    raw = payload.get(spec[0])
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return None
    try:
        return from_epoch(int(raw), spec[1])
    except ValueError:
        return None


def http_date(headers: Mapping[str, str] | None) -> datetime | None:
    """The `Date` header (RFC 9110 IMF-fixdate or its obsolete forms), naive UTC."""
    if not headers:
        return None
    raw = next((v for k, v in headers.items() if k.lower() == "date"), None)
    if not raw:
        return None
    try:
        return to_naive_utc(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError):
        return None


def _family(venue: Any) -> str:
    if isinstance(venue, str):
        from refdata.venues import VENUES

        return VENUES[venue].family if venue in VENUES else venue.split("-")[0]
    return str(venue.family)


def observed_at(
    venue: Any,
    pages: Sequence[Any],
    headers: Mapping[str, str] | None,
    poll_time: datetime,
) -> datetime:
    """Exchange time of a listing: first page's payload server time, else Date, else poll time.

    `venue` is a venue id, a `Venue` or an exchange family name; `pages` are response bodies
    (bytes/str are parsed, anything else is taken as already parsed); `headers` are the first
    page's. The first page is used because a paged listing is read from that moment on.
    """
    family = _family(venue)
    if pages and family in _SERVER_TIME_KEYS:
        first = pages[0]
        if isinstance(first, (bytes, bytearray, str)):
            try:
                first = json.loads(first)
            except ValueError:
                first = None
        found = payload_server_time(family, first)
        if found is not None:
            return found
    return http_date(headers) or to_naive_utc(poll_time)
