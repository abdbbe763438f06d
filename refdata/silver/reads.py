"""What the silver job reads: new bronze polls, the observation index, keys' tails and rows.

Every read covers all the run's venues in one Spark action (a per-venue action costs
seconds of fixed overhead each), and every read of the instrument tables is bounded by the
keys a run touches: the tail table for ordinary batches, the layer tables only for the keys
whose batch reaches before their tail (ADR 0013).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from refdata.bitemporal.events import Observation
from refdata.bitemporal.rows import VersionRow
from refdata.bitemporal.schema import COLUMNS, from_record
from refdata.domain import spec_values
from refdata.errors import RefdataError
from refdata.parsing import parse_listing
from refdata.silver.plan import IndexRecord, NewObservation
from refdata.spark import collect_records

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

JOB_NAME = "silver"
ASSETS_ENDPOINT = "GET /0/public/Assets"
VERSION_COLUMNS = [name for name, _, _ in COLUMNS]
Key = tuple[str, str]


@dataclass(frozen=True)
class SilverTables:
    catalog: str
    silver: str = "silver"
    bronze: str = "bronze"

    def t(self, namespace: str, name: str) -> str:
        return f"{self.catalog}.{namespace}.{name}"

    @property
    def versions(self) -> str:
        return self.t(self.silver, "instrument_versions")

    @property
    def observed(self) -> str:
        return self.t(self.silver, "instrument_observed")

    @property
    def tail(self) -> str:
        return self.t(self.silver, "instrument_tail")

    @property
    def index(self) -> str:
        return self.t(self.silver, "observation_index")

    @property
    def corrections(self) -> str:
        return self.t(self.silver, "corrections")

    @property
    def job_state(self) -> str:
        return self.t(self.silver, "job_state")

    def layer_table(self, layer: str) -> str:
        return self.versions if layer == "published" else self.observed


class SilverInputError(RefdataError):
    """Bronze holds something silver cannot read (names the poll)."""


@dataclass(frozen=True)
class LoadedRow:
    """A current silver row as loaded, with the raw payload its image must keep."""

    row: VersionRow
    raw_payload: str | None



def sql_literal(value: str | datetime) -> str:
    """A SQL literal for a venue name or a naive UTC time (values from settings and bronze)."""
    if isinstance(value, datetime):
        return f"TIMESTAMP_NTZ '{value.isoformat(sep=' ')}'"
    if "'" in value:
        raise ValueError(f"not a plain name: {value!r}")
    return f"'{value}'"


def _venue_list(venues: Iterable[str]) -> str:
    return ", ".join(sql_literal(v) for v in sorted(set(venues)))


# ---- bronze -------------------------------------------------------------------------------


def watermarks(spark: "SparkSession", tables: SilverTables) -> dict[str, datetime]:
    rows = spark.sql(
        f"SELECT venue, max(watermark) AS watermark FROM {tables.job_state} WHERE job = '{JOB_NAME}' GROUP BY venue"
    ).collect()
    return {row.venue: row.watermark for row in rows}


def new_polls(spark: "SparkSession", tables: SilverTables, after: Mapping[str, datetime | None],
              upto: Mapping[str, datetime]) -> list[dict[str, Any]]:
    """Complete listing polls of each venue with recorded_at in (after, upto], in commit order."""
    if not upto:
        return []
    windows = []
    for venue, cutoff in sorted(upto.items()):
        lower = after.get(venue)
        since = "" if lower is None else f" AND recorded_at > {sql_literal(lower)}"
        windows.append(f"(venue = {sql_literal(venue)} AND recorded_at <= {sql_literal(cutoff)}{since})")
    polls = spark.table(tables.t(tables.bronze, "polls")).where(
        f"status = 'complete' AND endpoint <> '{ASSETS_ENDPOINT}' AND ({' OR '.join(windows)})"
    )
    return sorted(collect_records(polls), key=lambda p: (p["recorded_at"], p["poll_id"]))


def listing_pages(spark: "SparkSession", tables: SilverTables, polls: Sequence[Mapping[str, Any]]) -> dict[str, list[bytes]]:
    """poll_id -> listing page bodies in page order (stored bodies; dedup resolved).

    The responses come first (small rows), then only the bodies they name: Iceberg skips
    every file of `bronze.bodies` that cannot hold them instead of a join scanning it whole.
    """
    if not polls:
        return {}
    from pyspark.sql import functions as F

    keys = spark.createDataFrame([(p["poll_id"], p["write_id"]) for p in polls], "poll_id string, write_id string")
    listing = spark.table(tables.t(tables.bronze, "responses")).where(F.col("role") == "listing")
    responses = collect_records(where_in(listing, "poll_id", {p["poll_id"] for p in polls})
                                .join(F.broadcast(keys), ["poll_id", "write_id"])
                                .select("poll_id", "page_no", "stored_body_sha256"))
    wanted = {r["stored_body_sha256"] for r in responses}
    stored = spark.table(tables.t(tables.bronze, "bodies")).select("body_sha256", "body")
    bodies = {r["body_sha256"]: r["body"] for r in collect_records(where_in(stored, "body_sha256", wanted))} if wanted else {}
    pages: dict[str, list[tuple[int, bytes]]] = {}
    for row in responses:
        body = bodies.get(row["stored_body_sha256"])
        if body is None:
            raise SilverInputError(f"bronze poll {row['poll_id']}: stored body {row['stored_body_sha256']} is missing")
        pages.setdefault(row["poll_id"], []).append((row["page_no"], bytes(body)))
    return {poll_id: [body for _, body in sorted(entries)] for poll_id, entries in pages.items()}


def observations(polls: Sequence[Mapping[str, Any]], pages: Mapping[str, list[bytes]]) -> list[NewObservation]:
    result = []
    for poll in polls:
        bodies = pages.get(poll["poll_id"])
        if not bodies:
            raise SilverInputError(f"bronze poll {poll['poll_id']}: no listing pages")
        specs = parse_listing(poll["venue"], poll["endpoint"], bodies)
        listed = {spec.symbol: spec_values(spec) for spec in specs}
        raws = {spec.symbol: spec.raw for spec in specs}
        observation = Observation(poll["poll_id"], poll["venue"], poll["observed_at"], poll["recorded_at"], listed)
        complete = poll.get("complete_listing") is not False
        result.append(NewObservation(observation, complete, raws))
    return result


# ---- silver bookkeeping -------------------------------------------------------------------


def applied_indexes(spark: "SparkSession", tables: SilverTables, venues: Iterable[str]) -> dict[str, list[IndexRecord]]:
    venues = sorted(set(venues))
    result: dict[str, list[IndexRecord]] = {venue: [] for venue in venues}
    if not venues:
        return result
    for r in collect_records(spark.table(tables.index).where(f"venue IN ({_venue_list(venues)})")):
        result[r["venue"]].append(IndexRecord(
            r["event_id"], r["observed_at"], r["recorded_at"], r["complete_listing"],
            tuple(r["listed_symbols"]) if r["listed_symbols"] is not None else None))
    return result


def correction_rows(spark: "SparkSession", tables: SilverTables, upto: Mapping[str, datetime]) -> list[dict[str, Any]]:
    rows = collect_records(spark.table(tables.corrections))
    return [r for r in rows if r["venue"] in upto and r["at"] <= upto[r["venue"]]]


# ---- instrument rows ----------------------------------------------------------------------

# Up to this many keys, reads filter with `symbol IN (...)`: Iceberg prunes files by their
# symbol bounds (the tables are sorted by key). Beyond it (a first load) a broadcast join
# avoids planning a huge IN list; neither shuffles the venue's partition.
_IN_LIST_LIMIT = 5_000


def where_in(frame: "DataFrame", column: str, values: Iterable[str]) -> "DataFrame":
    """`frame` restricted to rows whose string `column` is one of `values`, never shuffling
    `frame`: an IN list (Iceberg skips files by their bounds) or, past _IN_LIST_LIMIT, a
    broadcast join."""
    from pyspark.sql import functions as F

    wanted = sorted(set(values))
    if len(wanted) <= _IN_LIST_LIMIT:
        return frame.where(F.col(column).isin(wanted))
    return frame.join(F.broadcast(frame.sparkSession.createDataFrame([(v,) for v in wanted], f"{column} string")), column)


def only_keys(frame: "DataFrame", keys: Iterable[Key]) -> "DataFrame | None":
    """`frame` restricted to (venue, symbol) keys, never shuffling `frame`; None if no key.

    With several venues the IN lists may let through another venue's key of the same
    symbol: callers keep only the keys they asked for.
    """
    from pyspark.sql import functions as F

    wanted = sorted(set(keys))
    if not wanted:
        return None
    frame = frame.where(F.col("venue").isin(sorted({venue for venue, _ in wanted})))
    if len(wanted) <= _IN_LIST_LIMIT:
        return frame.where(F.col("symbol").isin(sorted({symbol for _, symbol in wanted})))
    spark = frame.sparkSession
    return frame.join(F.broadcast(spark.createDataFrame(wanted, "venue string, symbol string")), ["venue", "symbol"])


def tail_observed_rows(spark: "SparkSession", tables: SilverTables, venues: Iterable[str]) -> list[VersionRow]:
    """The tail's observed rows of every key of the venues, narrow: for the batch pre-filter.

    Rows carry only what the pre-filter compares (interval and contract hash), no values.
    """
    venues = sorted(set(venues))
    if not venues:
        return []
    frame = spark.table(tables.tail).where(f"layer = 'observed' AND venue IN ({_venue_list(venues)})").select(
        "version_id", "venue", "symbol", "valid_from", "valid_to", "recorded_at", "spec_hash")
    return [VersionRow(r["version_id"], "observed", r["venue"], r["symbol"], None, r["valid_from"], r["valid_to"],
                       r["recorded_at"], None, "listed", {}, r["spec_hash"], (), ()) for r in collect_records(frame)]


def _loaded(frame: "DataFrame", keys: Iterable[Key]) -> dict[Key, list[LoadedRow]]:
    wanted = set(keys)
    by_key: dict[Key, list[LoadedRow]] = {}
    selected = only_keys(frame, wanted)
    if selected is None:
        return by_key
    for record in collect_records(selected.select(*VERSION_COLUMNS, "raw_payload")):
        row = from_record(record)
        if row.key in wanted:
            by_key.setdefault(row.key, []).append(LoadedRow(row, record["raw_payload"]))
    return by_key


def tails(spark: "SparkSession", tables: SilverTables, keys: Iterable[Key]) -> dict[Key, list[LoadedRow]]:
    """The tail rows (both layers, with raw payloads) of the keys."""
    return _loaded(spark.table(tables.tail), keys)


def current_rows(spark: "SparkSession", tables: SilverTables, keys: Iterable[Key]) -> dict[Key, list[LoadedRow]]:
    """Every current row of the keys in both layer tables: a batch reaching before a key's
    tail needs its whole current state (a scan of the venues' partitions; rare)."""
    keys = sorted(set(keys))
    loaded: dict[Key, list[LoadedRow]] = {}
    for layer in ("observed", "published"):
        current = spark.table(tables.layer_table(layer)).where("superseded_at IS NULL")
        for key, rows in _loaded(current, keys).items():
            loaded.setdefault(key, []).extend(rows)
    return loaded
