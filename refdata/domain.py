"""Domain types shared by parsing, the bitemporal logic, symbology, jobs and the API.

Pure data: no I/O here. Decimals are exact (`Decimal`), timestamps are naive UTC
`datetime`s (the warehouse stores TIMESTAMP_NTZ meaning UTC everywhere).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any


class InstrumentClass(str, enum.Enum):
    SPOT = "spot"
    PERPETUAL = "perpetual"
    FUTURE = "future"
    OPTION = "option"


class Settlement(str, enum.Enum):
    """How a derivative settles: linear (quote/settle asset) or inverse (base asset)."""

    LINEAR = "linear"
    INVERSE = "inverse"


class Status(str, enum.Enum):
    ACTIVE = "active"
    HALTED = "halted"  # Binance BREAK, OKX suspend, Kraken/Coinbase offline
    PRE_TRADING = "pre_trading"
    REDUCE_ONLY = "reduce_only"
    POST_ONLY = "post_only"
    LIMIT_ONLY = "limit_only"
    CANCEL_ONLY = "cancel_only"
    SETTLING = "settling"
    DELIVERING = "delivering"
    DELISTED = "delisted"
    EXPIRED = "expired"


class OptionRight(str, enum.Enum):
    CALL = "C"
    PUT = "P"


@dataclass(frozen=True)
class InstrumentSpec:
    """One instrument as one venue listed it in one observation, normalized.

    Asset codes are the exchange's own (`XXBT`, `ZUSD`); mapping them to canonical assets
    is symbology's job and is data-driven (see `refdata.symbology`).
    """

    venue: str
    symbol: str
    instrument_class: InstrumentClass
    settlement: Settlement | None  # None for spot
    base_asset: str
    quote_asset: str
    settle_asset: str | None
    status_raw: str | None
    status: Status
    tick_size: Decimal | None = None
    qty_step: Decimal | None = None
    min_qty: Decimal | None = None
    max_qty: Decimal | None = None
    min_market_qty: Decimal | None = None
    max_market_qty: Decimal | None = None
    min_notional: Decimal | None = None
    max_notional: Decimal | None = None
    price_precision: int | None = None
    qty_precision: int | None = None
    contract_size: Decimal | None = None
    contract_size_asset: str | None = None
    contract_multiplier: Decimal | None = None
    expiry: datetime | None = None
    strike: Decimal | None = None
    option_right: OptionRight | None = None
    underlying: str | None = None
    listed_at: datetime | None = None
    delivery_at: datetime | None = None
    # The instrument's own object from the response, verbatim (JSON text, keys sorted).
    raw: str = field(default="{}", compare=False)


# Fields that an exchange changes on almost every poll without the contract changing
# (ADR 0004). They are stored with each version but do not make a new version.
VOLATILE_FIELDS: frozenset[str] = frozenset({"max_market_qty", "max_notional"})

# Fields that identify the instrument rather than describe it.
KEY_FIELDS: frozenset[str] = frozenset({"venue", "symbol"})

SPEC_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(InstrumentSpec) if f.name not in KEY_FIELDS and f.name != "raw"
)
CONTRACT_FIELDS: tuple[str, ...] = tuple(f for f in SPEC_FIELDS if f not in VOLATILE_FIELDS)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Normalized so that "0.0100" and "0.01" hash alike.
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def spec_values(spec: InstrumentSpec, names: tuple[str, ...] = SPEC_FIELDS) -> dict[str, Any]:
    """The spec's field values as JSON-ready scalars (decimals as plain strings)."""
    # Every spec field is a scalar: read them directly (dataclasses.asdict deep-copies the
    # whole spec, raw payload included — most of the cost of parsing a 50k-symbol listing).
    return {name: _json_value(getattr(spec, name)) for name in names}


def spec_hash(spec: InstrumentSpec) -> str:
    """Hash of the contractual fields: equal hashes mean the same version."""
    payload = json.dumps(spec_values(spec, CONTRACT_FIELDS), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
