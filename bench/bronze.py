"""Bytes bronze keeps per poll: raw (as received) vs stored (added to the warehouse).

Writes real captures through the production writer (`refdata.bronze.writer.write_poll`) into a
scratch namespace of the configured catalog (dropped at the end), and measures per poll:

- raw:        size of the bodies as received;
- data:       Parquet bytes the poll added to bronze.bodies + bronze.responses (its
              `stored_bytes`) plus its bronze.polls row file;
- total:      growth of the object store under the namespace (data + Iceberg metadata:
              manifests, manifest lists, metadata.json), the full cost of a poll.

Scenario 1 (Binance spot, the hard case): the 2022-11-03 capture, then 23 hourly polls with
unchanged instruments but a new serverTime and rateLimits (as the real API answers), then the
real next-day capture (2022-11-04: ~1,400 MARKET_LOT_SIZE.maxQty values moved) and 23 more
unchanged polls. Scenario 2: every other venue's newest capture, then 3 unchanged polls.

    REFDATA_... python bench/bronze.py        # needs a running stack (storage group)
Target (issue 3): bytes kept per unchanged poll <= 5 % of the raw size.
"""

from __future__ import annotations

import re
import statistics
import sys
import uuid
from datetime import timedelta

from pyarrow import fs as pafs

from refdata.bronze.rows import PageIn, PollIn
from refdata.bronze.store import TABLE_NAMES, BronzeStore
from refdata.bronze.writer import PollOutcome, write_poll
from refdata.captures import CaptureFile, load_catalog
from refdata.catalog import pyiceberg_catalog
from refdata.migrations.m0008_bronze_tables import create_tables
from refdata.settings import Settings, get_settings

DAY1 = "2022-11-03T1928Z-SM2A.json"
DAY2 = "2022-11-04T1843Z-SM2A.json"


def object_store(settings: Settings) -> pafs.S3FileSystem:
    endpoint = settings.s3_endpoint_url
    return pafs.S3FileSystem(
        access_key=settings.s3_access_key, secret_key=settings.s3_secret_key, region=settings.s3_region,
        endpoint_override=endpoint.split("://", 1)[1], scheme=endpoint.split("://", 1)[0],
    )


def used_bytes(s3: pafs.S3FileSystem, prefix: str) -> tuple[int, int]:
    """(data bytes, metadata bytes) under an s3:// prefix."""
    try:
        infos = s3.get_file_info(pafs.FileSelector(prefix.removeprefix("s3://"), recursive=True))
    except FileNotFoundError:
        return 0, 0
    files = [i for i in infos if i.type == pafs.FileType.File]
    data = sum(i.size for i in files if "/data/" in i.path)
    meta = sum(i.size for i in files if "/metadata/" in i.path)
    return data, meta


def poll_of(capture: CaptureFile, venue: str, poll_id: str, body: bytes, hours: int) -> PollIn:
    observed = capture.captured_at + timedelta(hours=hours)
    page = PageIn(capture.http_path, dict(capture.params), 200, {"content-type": "application/json"}, body, observed)
    return PollIn(poll_id, venue, capture.endpoint, dict(capture.params), observed, "bench", "bench", "poll",
                  (page,), 0, complete_listing=capture.full)


_SERVER_TIME = re.compile(rb'("serverTime"\s*:\s*)(\d+)')
_LIMIT = re.compile(rb'("limit"\s*:\s*)(\d+)')


def with_new_server_time(body: bytes, hours: int) -> bytes:
    """The same response an hour later: serverTime and a rate limit moved, bytes otherwise
    identical (same formatting, same size class as the capture)."""
    body = _SERVER_TIME.sub(lambda m: m.group(1) + str(int(m.group(2)) + hours * 3_600_000).encode(), body, count=1)
    return _LIMIT.sub(lambda m: m.group(1) + str(int(m.group(2)) + hours).encode(), body, count=1)


class Meter:
    def __init__(self, store: BronzeStore, s3: pafs.S3FileSystem) -> None:
        self.store, self.s3 = store, s3
        self.prefix = store.table("polls").location().rsplit("/", 1)[0]

    def write(self, poll: PollIn) -> tuple[PollOutcome, int, int]:
        data0, meta0 = used_bytes(self.s3, self.prefix)
        outcome = write_poll(self.store, poll)
        data1, meta1 = used_bytes(self.s3, self.prefix)
        return outcome, data1 - data0, (data1 + meta1) - (data0 + meta0)


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:6.2f} %"


def main() -> int:
    settings = get_settings()
    catalog = pyiceberg_catalog(settings)
    namespace = f"bench_bronze_{uuid.uuid4().hex[:8]}"
    create_tables(catalog, namespace)
    store = BronzeStore(settings, namespace, catalog)
    meter = Meter(store, object_store(settings))
    captures = load_catalog(settings.captures_dir)
    ok = True
    try:
        # ---- scenario 1: Binance spot, 2 days of hourly polls ----------------------------------
        day1, day2 = (next(c for c in captures if c.name == n) for n in (DAY1, DAY2))
        rows = []
        for d, capture in enumerate((day1, day2)):
            raw = capture.read_bytes()
            for h in range(24):
                body = raw if h == 0 else with_new_server_time(raw, h)
                poll = poll_of(capture, "binance-spot", f"binance-spot/bench-{d}-{h:02d}", body, h)
                outcome, data, total = meter.write(poll)
                rows.append((d, h, len(body), outcome, data, total))
        print("Binance spot /api/v3/exchangeInfo (real captures 2022-11-03 and 2022-11-04)")
        print(f"{'poll':<34}{'raw B':>12}{'stored_bytes':>14}{'data B':>10}{'total B':>10}{'total/raw':>11}")
        for d, h, raw_len, o, data, total in rows:
            if h in (0, 1, 2, 23):
                kind = "first of day (new content)" if h == 0 else f"hour {h:2d} (unchanged content)"
                print(f"day {d + 1} {kind:<28}{raw_len:>12,}{o.stored_bytes:>14,}{data:>10,}{total:>10,}{pct(total, raw_len):>11}")
        unchanged = [r for r in rows if r[1] > 0]
        med_raw = statistics.median(r[2] for r in unchanged)
        med_stored = statistics.median(r[3].stored_bytes for r in unchanged)
        med_data = statistics.median(r[4] for r in unchanged)
        med_total = statistics.median(r[5] for r in unchanged)
        worst_total = max(r[5] for r in unchanged)
        print()
        print(f"per unchanged poll (median of {len(unchanged)}): raw {med_raw:,.0f} B, stored_bytes {med_stored:,.0f} B "
              f"({pct(med_stored, med_raw).strip()}), data files {med_data:,.0f} B ({pct(med_data, med_raw).strip()}), "
              f"with Iceberg metadata {med_total:,.0f} B ({pct(med_total, med_raw).strip()}); worst {pct(worst_total, med_raw).strip()}")
        day_raw = sum(r[2] for r in rows if r[0] == 1)
        day_total = sum(r[5] for r in rows if r[0] == 1)
        print(f"a whole day (24 polls, 1 real content change): raw {day_raw:,} B, kept {day_total:,} B ({pct(day_total, day_raw).strip()})")
        assert all(r[3].new_bodies == 0 for r in unchanged), "an unchanged poll stored a body"
        ok &= med_total <= 0.05 * med_raw

        # ---- scenario 2: every other venue's newest capture -------------------------------------
        print()
        print("Other venues: newest capture, then 3 unchanged polls")
        print(f"{'venue':<16}{'endpoint':<34}{'raw B':>11}{'first data B':>14}{'unchanged data B':>18}{'unch. total B':>15}{'total/raw':>11}")
        seen: set[tuple[str, str]] = set()
        for capture in reversed(captures):
            for venue in capture.venues:
                key = (venue, capture.endpoint)
                if venue == "binance-spot" or key in seen:
                    continue
                seen.add(key)
                raw = capture.read_bytes()
                first, first_data, _ = meter.write(poll_of(capture, venue, f"{venue}/{capture.slug}/bench-0", raw, 0))
                later = [meter.write(poll_of(capture, venue, f"{venue}/{capture.slug}/bench-{h}", with_new_server_time(raw, h)
                                             if capture.family == "binance" else raw, h)) for h in range(1, 4)]
                data = statistics.median(x[1] for x in later)
                total = statistics.median(x[2] for x in later)
                print(f"{venue:<16}{capture.endpoint:<34}{len(raw):>11,}{first_data:>14,}{data:>18,.0f}{total:>15,.0f}{pct(total, len(raw)):>11}")
    finally:
        for name in TABLE_NAMES:
            catalog.drop_table(f"{namespace}.{name}")
        catalog.drop_namespace(namespace)
    print()
    print("target: bytes kept per unchanged Binance spot poll <= 5 % of raw:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
