"""Response models: decimals as strings, timestamps as ISO-8601 UTC with Z."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from refdata.domain import SPEC_FIELDS


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def scalar(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return iso(value)
    return value


class Version(BaseModel):
    venue: str
    symbol: str
    canonical_id: str | None = None
    usd_equivalent_group: str | None = None
    lifetime_id: str | None = None
    valid_from: str
    valid_to: str | None = None
    recorded_at: str
    superseded_at: str | None = None
    basis: str
    version_id: str
    spec: dict[str, Any] = Field(description="spec fields; decimals are strings, timestamps ISO-8601 UTC",
                                 examples=[{"instrument_class": "spot", "base_asset": "BTC", "quote_asset": "USDT",
                                            "status": "active", "tick_size": "0.01", "qty_step": "0.00001"}])
    corrected_fields: list[str] = []
    asserted_by: list[str] = Field(default=[], description="the events (observations, corrections) that asserted it")


def version_from_row(row: dict[str, Any]) -> Version:
    return Version(
        venue=row["venue"], symbol=row["symbol"], lifetime_id=row.get("lifetime_id"),
        canonical_id=row.get("g_canonical_id"), usd_equivalent_group=row.get("g_usd_equivalent_group"),
        valid_from=iso(row["valid_from"]), valid_to=iso(row["valid_to"]),
        recorded_at=iso(row["recorded_at"]), superseded_at=iso(row["superseded_at"]),
        basis=row["basis"], version_id=row["version_id"],
        spec={name: scalar(row.get(name)) for name in SPEC_FIELDS},
        corrected_fields=list(row.get("corrected_fields") or []), asserted_by=list(row.get("asserted_by") or []),
    )


class TimeAxes(BaseModel):
    as_of: str = Field(examples=["2024-10-20T12:00:00Z"])
    as_known_at: str = Field(examples=["2024-10-21T00:00:00Z"])


class InstrumentPage(BaseModel):
    data: list[Version]
    time: TimeAxes
    next_cursor: str | None = None


class InstrumentOne(BaseModel):
    data: Version
    time: TimeAxes


class History(BaseModel):
    venue: str
    symbol: str
    as_known_at: str
    include_superseded: bool
    versions: list[Version]


class ChangesPage(BaseModel):
    data: list[Version]
    since: str
    until: str
    next_cursor: str | None = None


class CorrectionIn(BaseModel):
    venue: str = Field(examples=["binance-usdm"])
    symbol: str = Field(examples=["BTCUSDT"])
    valid_from: str = Field(examples=["2024-10-01T00:00:00Z"])
    valid_to: str | None = Field(default=None, examples=["2024-10-21T00:00:00Z"], description="null: open-ended")
    fields: dict[str, Any] = Field(examples=[{"tick_size": "0.5"}], description="spec field -> value (decimals as strings)")
    reason: str = Field(min_length=1, examples=["exchange notice 2024-10-01"])


class DecisionIn(BaseModel):
    reason: str | None = Field(default=None, examples=["checked against the exchange announcement"])


class CorrectionOut(BaseModel):
    correction_id: str
    venue: str
    symbol: str
    state: str = Field(description="proposed | approved | rejected | revoked")
    proposed_by: str
    decided_by: str | None = None
    events: list[dict[str, Any]]
