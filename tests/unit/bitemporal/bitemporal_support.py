"""Builders shared by the bitemporal tests (named uniquely: tests/ has no packages)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from refdata.bitemporal import (Changes, KeyEvent, KeyObservation, KeyState, VenueIndex,
                                VersionRow, advance, apply_changes, evaluate)
from refdata.domain import InstrumentClass, InstrumentSpec, Status, spec_values

T0 = datetime(2024, 1, 1)
S0 = datetime(2025, 1, 1)
VENUE, SYMBOL = "binance-spot", "BTCUSDT"


def t(hours: float) -> datetime:
    """A valid time (exchange time)."""
    return T0 + timedelta(hours=hours)


def s(minutes: float) -> datetime:
    """A system time (bronze commit time)."""
    return S0 + timedelta(minutes=minutes)


def spec(**changes: Any) -> dict[str, Any]:
    base = InstrumentSpec(
        venue=VENUE, symbol=SYMBOL, instrument_class=InstrumentClass.SPOT, settlement=None,
        base_asset="BTC", quote_asset="USDT", settle_asset=None, status_raw="TRADING",
        status=Status.ACTIVE, tick_size=Decimal("0.01"), qty_step=Decimal("0.00001"),
        min_qty=Decimal("0.00001"), max_qty=Decimal("9000"), max_market_qty=Decimal("100"),
        min_notional=Decimal("5"), max_notional=Decimal("9000000"), price_precision=2,
        qty_precision=5,
    )
    values = spec_values(base)
    values.update(changes)
    return values


def obs(event_id: str, observed: float, recorded: float, values: dict[str, Any] | None,
        symbol: str = SYMBOL) -> KeyObservation:
    return KeyObservation(event_id, VENUE, symbol, t(observed), s(recorded), values)


class Harness:
    """One key driven through `advance` the way the job drives it, silver kept in memory."""

    def __init__(self, venue: str = VENUE, symbol: str = SYMBOL) -> None:
        self.state = KeyState(venue, symbol)
        self.table: dict[str, VersionRow] = {}
        self.observations: dict[str, KeyObservation] = {}
        self.applied: set[str] = set()  # the index's ledger, as the job persists it

    def index(self) -> VenueIndex:
        return VenueIndex.of(self.state.venue, self.observations.values(), self.applied)

    def feed(self, *events: KeyEvent) -> Changes:
        for e in events:
            if isinstance(e, KeyObservation):
                self.observations[e.event_id] = e
        changes = advance(self.state, self.index(), events)
        self.table = apply_changes(self.table, changes)
        self.state = changes.state
        self.applied |= {e.event_id for e in events if isinstance(e, KeyObservation)}
        return changes

    def at(self, v: datetime, at_s: datetime) -> dict[str, Any] | None:
        return evaluate(self.table.values(), v, at_s)

    def current(self, layer: str = "published") -> list[VersionRow]:
        return sorted((r for r in self.table.values()
                       if r.layer == layer and r.superseded_at is None),
                      key=lambda r: r.valid_from)

    def rows(self) -> list[VersionRow]:
        return sorted(self.table.values(), key=lambda r: r.version_id)


def intervals(rows: Iterable[VersionRow]) -> list[tuple[datetime, datetime | None]]:
    return [(r.valid_from, r.valid_to) for r in rows]
