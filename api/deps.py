"""Shared request dependencies: the app's services, venue/enum checks, the exchange alias."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from refdata.domain import InstrumentClass, Status
from refdata.settings import ALL_VENUES, Settings

from api.cache import ReadCache
from api.errors import ApiProblem
from api.repository import TrinoRepository

# `exchange=` of the seed: the exchange's spot (or only) market unless `venue` says otherwise.
EXCHANGE_DEFAULT_VENUE = {
    "binance": "binance-spot", "kraken": "kraken-spot", "bybit": "bybit-spot", "coinbase": "coinbase-spot",
    "okx": "okx-spot", "deribit": "deribit-future",
}


@dataclass
class Services:
    settings: Settings
    repo: TrinoRepository
    cache: ReadCache
    corrections: Any  # CorrectionsStore (created lazily: pyiceberg catalog)
    silver: str
    gold: str
    bronze: str


async def services(request: Request) -> Services:
    # async: FastAPI runs a plain-def dependency in the thread pool, a hop per request.
    return request.app.state.services  # type: ignore[no-any-return]


def check_venue(venue: str, settings: Settings) -> str:
    if venue in ALL_VENUES or venue in settings.venues:
        return venue
    known = list(dict.fromkeys([*settings.venues, *ALL_VENUES]))
    raise ApiProblem(422, "unknown-venue", f"venue {venue!r} is not one of {', '.join(known)}", parameter="venue")


def resolve_venue(exchange: str | None, venue: str | None, settings: Settings) -> str | None:
    if venue is not None:
        check_venue(venue, settings)
        if exchange is not None and not (venue == exchange or venue.startswith(exchange + "-")):
            raise ApiProblem(400, "conflicting-parameters",
                             f"venue {venue!r} does not belong to exchange {exchange!r}", parameter="exchange")
        return venue
    if exchange is None:
        return None
    if exchange in EXCHANGE_DEFAULT_VENUE:
        return EXCHANGE_DEFAULT_VENUE[exchange]
    if exchange in ALL_VENUES or exchange in settings.venues:
        return exchange
    raise ApiProblem(422, "unknown-exchange",
                     f"exchange {exchange!r} is not one of {', '.join(EXCHANGE_DEFAULT_VENUE)} (or a venue id)",
                     parameter="exchange")


def check_enum(name: str, value: str | None, enum: type) -> str | None:
    if value is None:
        return None
    allowed = [member.value for member in enum]
    if value not in allowed:
        raise ApiProblem(422, "bad-enum", f"{name}={value!r} is not one of {', '.join(allowed)}", parameter=name)
    return value


CLASSES, STATUSES = InstrumentClass, Status
