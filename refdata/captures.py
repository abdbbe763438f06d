"""Catalog of the recorded exchange responses under settings.captures_dir.

Layout: `<family>/<endpoint-slug>/<date>-<source>[-<param>].json`. For each file: the
endpoint it answers (URL path and the request parameters it answers, e.g. Bybit `category`
from the file-name suffix), the venues it can serve, and its capture time: the payload's
server time when it has one (Binance serverTime, Bybit time, Deribit usIn), else the date at
the start of the file name. PROVENANCE.md adds whether the capture is a full listing.
Used by the replay server and, later, by the bronze backfill.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from refdata.errors import ConfigurationError
from refdata.ingest.observed_time import payload_server_time
from refdata.venues import KRAKEN_ASSETS_SLUG, VENUES, venues_for_slug

# <family>/<slug> -> URL path at the exchange.
ENDPOINT_PATHS: Mapping[str, str] = MappingProxyType(
    {
        "binance/api-v3-exchangeInfo": "/api/v3/exchangeInfo",
        "binance/fapi-v1-exchangeInfo": "/fapi/v1/exchangeInfo",
        "binance/dapi-v1-exchangeInfo": "/dapi/v1/exchangeInfo",
        "bybit/v5-market-instruments-info": "/v5/market/instruments-info",
        "coinbase/products": "/products",
        "deribit/api-v2-public-get_instruments": "/api/v2/public/get_instruments",
        "kraken/0-public-AssetPairs": "/0/public/AssetPairs",
        "kraken/0-public-Assets": "/0/public/Assets",
        "okx/api-v5-public-instruments": "/api/v5/public/instruments",
        "okx/api-futures-v3-instruments": "/api/futures/v3/instruments",  # retired OKEx v3
    }
)

# Slugs whose file names end in the request parameter they answer.
_SUFFIX_PARAM: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "bybit/v5-market-instruments-info": ("category", ("spot", "linear", "inverse", "option")),
    "okx/api-v5-public-instruments": ("instType", ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")),
}

# 2018-08-10-..., 2021-07-est-..., 2021-03-12to19-..., 2022-11-03T1928Z-...
_NAME_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2})(?:T(\d{2})(\d{2})Z)?)?(?=[-a-z])")


@dataclass(frozen=True)
class CaptureFile:
    path: Path
    family: str  # binance, bybit, ... (directory under captures_dir)
    slug: str  # endpoint directory, e.g. api-v3-exchangeInfo
    http_path: str  # e.g. /api/v3/exchangeInfo
    params: Mapping[str, str]  # request parameters this capture answers ({} = any)
    venues: tuple[str, ...]
    captured_at: datetime  # naive UTC
    time_source: str  # "payload:<key>" or "file name"
    full: bool | None  # PROVENANCE.md full/partial column (None: file not listed there)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rel(self) -> str:
        """Path relative to captures_dir, e.g. binance/api-v3-exchangeInfo/2018-...json."""
        return f"{self.family}/{self.slug}/{self.path.name}"

    @property
    def endpoint(self) -> str:
        return f"GET {self.http_path}"

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def sha256(self) -> str:
        return hashlib.sha256(self.read_bytes()).hexdigest()


def name_date(name: str) -> datetime:
    """The date (or minute) a capture file name starts with; missing parts are the first."""
    m = _NAME_DATE.match(name)
    if not m:
        raise ConfigurationError(f"capture file {name!r} does not start with a YYYY-MM[-DD] date")
    year, month, day, hour, minute = m.groups()
    return datetime(int(year), int(month), int(day or 1), int(hour or 0), int(minute or 0))


def _params(key: str, stem: str) -> dict[str, str]:
    spec = _SUFFIX_PARAM.get(key)
    if spec is None:
        return {}
    name, values = spec
    for value in values:
        if stem.endswith(f"-{value}"):
            return {name: value}
    raise ConfigurationError(f"capture {key}/{stem}.json: file name must end in -<{name}> ({', '.join(values)})")


def _venues(key: str, params: Mapping[str, str]) -> tuple[str, ...]:
    if key == KRAKEN_ASSETS_SLUG:
        return ("kraken-spot",)  # not the listing itself, but read with it
    if "category" in params:
        return (f"bybit-{params['category']}",)
    if "instType" in params:
        vid = f"okx-{params['instType'].lower()}"
        return (vid,) if vid in VENUES else ()  # MARGIN: no venue of ours
    return venues_for_slug(key)


def provenance(captures_dir: Path) -> dict[str, dict[str, str]]:
    """Rows of PROVENANCE.md's table, keyed by path relative to captures_dir."""
    md = captures_dir / "PROVENANCE.md"
    if not md.exists():
        return {}
    header: list[str] | None = None
    rows: dict[str, dict[str, str]] = {}
    for line in md.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        file_cell = cells[2].strip("`") if len(cells) > 2 else ""
        if file_cell.startswith("exchange-captures/"):
            rows[file_cell.removeprefix("exchange-captures/")] = dict(zip(header, cells))
    return rows


def _capture(path: Path, captures_dir: Path, listed: Mapping[str, Mapping[str, str]]) -> CaptureFile:
    family, slug = path.parent.parent.name, path.parent.name
    key = f"{family}/{slug}"
    if key not in ENDPOINT_PATHS:
        raise ConfigurationError(
            f"capture {path}: unknown endpoint directory {key!r}; add it to refdata.captures.ENDPOINT_PATHS"
        )
    params = _params(key, path.stem)
    when, source = None, "file name"
    if family in ("binance", "bybit", "deribit"):
        when = payload_server_time(family, json.loads(path.read_bytes()))
        source = {"binance": "payload:serverTime", "bybit": "payload:time", "deribit": "payload:usIn"}[family]
    if when is None:
        when, source = name_date(path.name), "file name"
    row = listed.get(f"{key}/{path.name}")
    return CaptureFile(
        path=path,
        family=family,
        slug=slug,
        http_path=ENDPOINT_PATHS[key],
        params=MappingProxyType(params),
        venues=_venues(key, params),
        captured_at=when,
        time_source=source,
        full=None if row is None else row.get("full/partial", "").startswith("full"),
    )


@lru_cache(maxsize=8)
def _load(captures_dir: str, stamp: tuple[tuple[str, int, int], ...]) -> tuple[CaptureFile, ...]:
    root = Path(captures_dir)
    listed = provenance(root)
    files = [_capture(Path(p), root, listed) for p, _, _ in stamp]
    return tuple(sorted(files, key=lambda c: (c.captured_at, c.rel)))


def load_catalog(captures_dir: Path | str) -> tuple[CaptureFile, ...]:
    """Every capture file, sorted by capture time (then path). Cached until a file changes."""
    root = Path(captures_dir)
    if not root.is_dir():
        raise ConfigurationError(f"captures_dir {root} is not a directory (REFDATA_CAPTURES_DIR)")
    stamp = tuple(
        (str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.glob("*/*/*.json"))
    )
    return _load(str(root.resolve()), stamp)


def captures_for_venue(catalog: tuple[CaptureFile, ...], venue_id: str) -> tuple[CaptureFile, ...]:
    return tuple(c for c in catalog if venue_id in c.venues)
