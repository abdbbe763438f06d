"""Silver rows built the way silver builds them: real captures -> parser -> bitemporal engine.

Shared by the gold unit tests and the gold integration tests (which write these rows into a
scratch silver table). System times are chosen by the caller (bronze ingestion times).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from refdata.bitemporal import Observation, VenueIndex, VersionRow, rebuild
from refdata.captures import CaptureFile, load_catalog
from refdata.domain import InstrumentSpec, spec_values
from refdata.parsing import parse_listing
from refdata.settings import get_settings

KRAKEN_JUN = "kraken/0-public-AssetPairs/2025-06-11-Richierichman15-finance.json"
KRAKEN_SEP = "kraken/0-public-AssetPairs/2025-09-11-Richierichman15-finance.json"
BINANCE_SPOT = "binance/api-v3-exchangeInfo/2024-09-08-davijr-robo-investimentos.json"
BINANCE_COINM = "binance/dapi-v1-exchangeInfo/2025-10-10-eduDorus-arkin.json"
BINANCE_USDM = "binance/fapi-v1-exchangeInfo/2025-10-29-AlphaDogsResearch.json"
DERIBIT = "deribit/api-v2-public-get_instruments/2025-11-06-farshadnassiri-Quant-Project.json"
OKX_SWAP = "okx/api-v5-public-instruments/2025-10-02-eduDorus-arkin-SWAP.json"


@lru_cache(maxsize=1)
def _catalog() -> dict[str, CaptureFile]:
    return {c.rel: c for c in load_catalog(get_settings().captures_dir)}


@lru_cache(maxsize=None)
def specs(rel: str, venue: str) -> tuple[InstrumentSpec, ...]:
    capture = _catalog()[rel]
    return tuple(s for s in parse_listing(venue, capture.http_path, [capture.read_bytes()]) if s.venue == venue)


def captured_at(rel: str) -> datetime:
    return _catalog()[rel].captured_at


@dataclass(frozen=True)
class Poll:
    """One venue observation from a capture: observed at the capture's time, recorded at `recorded_at`."""

    rel: str
    venue: str
    recorded_at: datetime
    symbols: frozenset[str] | None = None  # None: the whole listing
    observed_at: datetime | None = None  # default: the capture's own time

    @property
    def event_id(self) -> str:
        return f"{self.venue}/{self.rel}/{self.recorded_at.isoformat()}"

    def specs(self) -> list[InstrumentSpec]:
        return [s for s in specs(self.rel, self.venue) if self.symbols is None or s.symbol in self.symbols]

    def observation(self) -> Observation:
        return Observation(self.event_id, self.venue, self.observed_at or captured_at(self.rel),
                           self.recorded_at, {s.symbol: spec_values(s) for s in self.specs()})


def silver_rows(polls: Sequence[Poll], layer: str = "published") -> list[VersionRow]:
    """Every silver row of every key the polls list (history included), as silver would hold them."""
    by_venue: dict[str, list[Observation]] = defaultdict(list)
    for poll in polls:
        by_venue[poll.venue].append(poll.observation())
    out: list[VersionRow] = []
    for venue, observations in sorted(by_venue.items()):
        index = VenueIndex.of(venue, observations)
        symbols = sorted({symbol for o in observations for symbol in o.listed})
        for symbol in symbols:
            rows = rebuild([o.for_symbol(symbol) for o in observations], index)
            out.extend(r for r in rows if r.layer == layer)
    return out


def raw_payloads(polls: Iterable[Poll]) -> dict[tuple[str, str, str], str]:
    """(venue, symbol, observation id) -> the instrument's JSON object in that observation."""
    return {(p.venue, s.symbol, p.event_id): s.raw for p in polls for s in p.specs()}


def by_key(rows: Iterable[VersionRow]) -> dict[tuple[str, str], list[VersionRow]]:
    out: dict[tuple[str, str], list[VersionRow]] = defaultdict(list)
    for row in rows:
        out[row.key].append(row)
    return dict(out)
