"""The Trino repository: every SQL statement of the API, all with bound parameters.

Identifiers (namespaces) come only from settings / create_app arguments and are checked
against a strict pattern; every value from a request is a `?` parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refdata.bitemporal.schema import COLUMNS
from refdata.catalog import trino_connection
from refdata.settings import Settings

from api.errors import ApiProblem, TrinoUnavailable
from api.symbology_index import INDEX_COLUMNS, JOINED_COLUMNS

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
VERSION_COLUMNS: tuple[str, ...] = tuple(name for name, _, _ in COLUMNS)
# The columns of GET /v1/export, in order: (name, Iceberg type, nullable). The silver version
# columns but the two lists, then gold's canonical_id (LEFT JOIN: nullable). The Parquet schema
# of the export is derived from these (api/routers/export.py).
EXPORT_COLUMNS: tuple[tuple[str, str, bool], ...] = tuple(
    c for c in COLUMNS if c[0] not in ("corrected_fields", "asserted_by")) + (("canonical_id", "string", True),)

# api/symbology_index.visible_at is the same predicate in Python (the point lookup's join).
PIT = ("{a}.valid_from <= ? AND ({a}.valid_to IS NULL OR ? < {a}.valid_to) "
       "AND {a}.recorded_at <= ? AND ({a}.superseded_at IS NULL OR ? < {a}.superseded_at)")


def ident(name: str) -> str:
    if not _IDENT.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain identifier")
    return name


def pit(alias: str, as_of: datetime, as_known_at: datetime) -> tuple[str, list[Any]]:
    return PIT.format(a=alias), [as_of, as_of, as_known_at, as_known_at]


@dataclass(frozen=True)
class InstrumentFilter:
    venue: str | None = None
    symbol: str | None = None
    canonical_id: str | None = None
    base: str | None = None
    quote: str | None = None
    instrument_class: str | None = None
    status: str | None = None


class TrinoRepository:
    def __init__(self, settings: Settings, silver: str = "silver", gold: str = "gold", timeout_s: float | None = None) -> None:
        self.settings = settings
        self.silver, self.gold = ident(silver), ident(gold)
        self.timeout_s = timeout_s or settings.api_trino_timeout_s

    # ---- plumbing -------------------------------------------------------------------

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self._cursor()
        try:
            cursor.execute(sql, params or None)
            rows = cursor.fetchall()
        except Exception as exc:  # noqa: BLE001 - classified below
            raise classify(exc) from exc
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row)) for row in rows]

    def stream(self, sql: str, params: list[Any], batch: int = 2000) -> Iterator[list[dict[str, Any]]]:
        cursor = self._cursor()
        try:
            cursor.execute(sql, params)
            names: list[str] | None = None
            while True:
                rows = cursor.fetchmany(batch)
                if names is None:
                    names = [d[0] for d in cursor.description or []]
                if not rows:
                    return
                yield [dict(zip(names, row)) for row in rows]
        except ApiProblem:
            raise
        except Exception as exc:  # noqa: BLE001
            raise classify(exc) from exc

    def _cursor(self):  # type: ignore[no-untyped-def]
        connection = trino_connection(self.settings)
        connection.max_attempts = 1  # fail fast: the client retries, not us
        connection.request_timeout = self.timeout_s
        return connection.cursor()

    # ---- instruments ----------------------------------------------------------------

    def _versions_select(self) -> str:
        cols = ", ".join(f"v.{c}" for c in VERSION_COLUMNS)
        gold_cols = ", ".join(f"g.{c} AS g_{c}" for c in JOINED_COLUMNS)
        return (f"SELECT {cols}, {gold_cols} FROM {self.silver}.instrument_versions v "
                f"LEFT JOIN {self.gold}.symbology g ON g.venue = v.venue AND g.symbol = v.symbol AND "
                + PIT.format(a="g"))

    def instruments(self, f: InstrumentFilter, as_of: datetime, as_known_at: datetime,
                    after: tuple[str, str] | None, limit: int) -> list[dict[str, Any]]:
        where, params = pit("v", as_of, as_known_at)
        clauses, args = [where], [as_of, as_of, as_known_at, as_known_at, *params]
        for column, value in (("v.venue", f.venue), ("v.symbol", f.symbol), ("g.canonical_id", f.canonical_id),
                              ("v.instrument_class", f.instrument_class), ("v.status", f.status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        for role, value in (("base", f.base), ("quote", f.quote)):
            if value is not None:
                clauses.append(f"(g.{role}_asset = ? OR (g.{role}_asset IS NULL AND v.{role}_asset = ?))")
                args += [value, value]
        if after is not None:
            clauses.append("(v.venue > ? OR (v.venue = ? AND v.symbol > ?))")
            args += [after[0], after[0], after[1]]
        sql = f"{self._versions_select()} WHERE {' AND '.join(clauses)} ORDER BY v.venue, v.symbol LIMIT ?"
        return self.query(sql, [*args, limit])

    def instrument_at(self, venue: str, symbol: str, as_of: datetime, as_known_at: datetime) -> list[dict[str, Any]]:
        """The silver version(s) of one key at (as_of, as_known_at), from that table alone: the
        point lookup joins gold's mapping from api/symbology_index (ADR 0014)."""
        where, params = pit("v", as_of, as_known_at)
        cols = ", ".join(f"v.{c}" for c in VERSION_COLUMNS)
        sql = (f"SELECT {cols} FROM {self.silver}.instrument_versions v "
               f"WHERE v.venue = ? AND v.symbol = ? AND {where} LIMIT 2")
        return self.query(sql, [venue, symbol, *params])

    def symbology_versions(self) -> list[dict[str, Any]]:
        """Every row of gold.symbology, with the columns api/symbology_index needs."""
        return self.query(f"SELECT {', '.join(INDEX_COLUMNS)} FROM {self.gold}.symbology")

    def history(self, venue: str, symbol: str, as_known_at: datetime, include_superseded: bool) -> list[dict[str, Any]]:
        cols = ", ".join(VERSION_COLUMNS)
        where = "venue = ? AND symbol = ? AND recorded_at <= ?"
        args: list[Any] = [venue, symbol, as_known_at]
        if not include_superseded:
            where += " AND (superseded_at IS NULL OR ? < superseded_at)"
            args.append(as_known_at)
        sql = (f"SELECT {cols} FROM {self.silver}.instrument_versions WHERE {where} "
               "ORDER BY valid_from, recorded_at, version_id")
        return self.query(sql, args)

    def instrument_known(self, venue: str, symbol: str) -> bool:
        sql = f"SELECT 1 FROM {self.silver}.instrument_versions WHERE venue = ? AND symbol = ? LIMIT 1"
        return bool(self.query(sql, [venue, symbol]))

    # ---- change feed / export -------------------------------------------------------

    def changes(self, since: datetime, venue: str | None, after: tuple[str, str] | None, limit: int,
                until: datetime) -> list[dict[str, Any]]:
        cols = ", ".join(VERSION_COLUMNS)
        clauses, args = ["recorded_at > ?", "recorded_at <= ?"], [since, until]
        if venue is not None:
            clauses.append("venue = ?")
            args.append(venue)
        if after is not None:
            clauses.append("(recorded_at > ? OR (recorded_at = ? AND version_id > ?))")
            stamp = datetime.fromisoformat(after[0])
            args += [stamp, stamp, after[1]]
        sql = (f"SELECT {cols} FROM {self.silver}.instrument_versions WHERE {' AND '.join(clauses)} "
               "ORDER BY recorded_at, version_id LIMIT ?")
        return self.query(sql, [*args, limit])

    def export(self, as_of: datetime, as_known_at: datetime, venue: str | None) -> Iterator[list[dict[str, Any]]]:
        where, args = pit("v", as_of, as_known_at)
        if venue is not None:
            where += " AND v.venue = ?"
            args.append(venue)
        cols = ", ".join(f"v.{c}" for c, _, _ in EXPORT_COLUMNS if c != "canonical_id")
        sql = (f"SELECT {cols}, g.canonical_id FROM {self.silver}.instrument_versions v LEFT JOIN "
               f"{self.gold}.symbology g ON g.venue = v.venue AND g.symbol = v.symbol AND {PIT.format(a='g')} "
               f"WHERE {where} ORDER BY v.venue, v.symbol")
        return self.stream(sql, [as_of, as_of, as_known_at, as_known_at, *args])

    # ---- symbology ------------------------------------------------------------------

    def symbology(self, clauses: list[str], args: list[Any], as_of: datetime, as_known_at: datetime,
                  limit: int = 1000) -> list[dict[str, Any]]:
        """Rows of gold.symbology at (as_of, as_known_at); `clauses` are fixed SQL with ? only."""
        where, params = pit("g", as_of, as_known_at)
        sql = (f"SELECT g.* FROM {self.gold}.symbology g WHERE {' AND '.join([where, *clauses])} "
               "ORDER BY g.canonical_id, g.venue, g.symbol LIMIT ?")
        return self.query(sql, [*params, *args, limit])

    def symbology_batch(self, canonical: list[tuple[str, str | None]], pairs: list[tuple[str, str]],
                        as_of: datetime, as_known_at: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        """Gold rows of many lookups in ONE query (batch resolve).

        `canonical`: (canonical_id, USD-equivalence group or None); `pairs`: (venue, symbol).
        The lookups travel as four bound array parameters, UNNESTed into job tables and
        equi-joined with gold.symbology at (as_of, as_known_at); nothing from the request
        is spliced into the SQL. Each row carries `job_kind` ('canonical_id' | 'venue_symbol'),
        `job_a` (canonical_id or venue), `job_b` (symbol or NULL) and `job_rank`; a canonical
        lookup returns its exact rows and its USD-equivalent rows (the same rows the single
        lookup's `canonical_id = ? OR usd_equivalent_group = ?` returns), at most `limit` rows
        per lookup, ordered as the single lookups (canonical_id, venue, symbol).
        """
        where, params = pit("g", as_of, as_known_at)
        sql = (
            f"WITH gs AS (SELECT g.* FROM {self.gold}.symbology g WHERE {where}), "
            "ids AS (SELECT * FROM UNNEST(CAST(? AS array(varchar)), CAST(? AS array(varchar))) AS t(job_a, grp)), "
            "pairs AS (SELECT * FROM UNNEST(CAST(? AS array(varchar)), CAST(? AS array(varchar))) AS t(job_a, job_b)), "
            "hits AS ("
            "SELECT 'canonical_id' AS job_kind, ids.job_a, CAST(NULL AS varchar) AS job_b, gs.* "
            "FROM ids JOIN gs ON gs.canonical_id = ids.job_a "
            "UNION ALL "
            "SELECT 'canonical_id', ids.job_a, CAST(NULL AS varchar), gs.* "
            "FROM ids JOIN gs ON gs.usd_equivalent_group = ids.grp WHERE gs.canonical_id IS DISTINCT FROM ids.job_a "
            "UNION ALL "
            "SELECT 'venue_symbol', pairs.job_a, pairs.job_b, gs.* "
            "FROM pairs JOIN gs ON gs.venue = pairs.job_a AND gs.symbol = pairs.job_b), "
            "ranked AS (SELECT hits.*, row_number() OVER (PARTITION BY job_kind, job_a, job_b "
            "ORDER BY canonical_id, venue, symbol) AS job_rank FROM hits) "
            "SELECT * FROM ranked WHERE job_rank <= ? ORDER BY job_kind, job_a, job_b, canonical_id, venue, symbol"
        )
        args: list[Any] = [*params, [c for c, _ in canonical], [g for _, g in canonical],
                           [v for v, _ in pairs], [s for _, s in pairs], limit]
        return self.query(sql, args)

    # ---- health ---------------------------------------------------------------------

    def ping(self) -> None:
        self.query("SELECT 1")

    def freshness(self) -> list[dict[str, Any]]:
        sql = (f"SELECT venue, max(observed_at) AS last_observed_at, max(recorded_at) AS last_recorded_at "
               f"FROM {self.silver}.observation_index GROUP BY venue ORDER BY venue")
        return self.query(sql)


def classify(exc: Exception) -> ApiProblem:
    """Trino unreachable/overloaded -> 503 with Retry-After; a failing query -> 502."""
    import requests
    import trino.exceptions as te

    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, te.TrinoConnectionError,
                        te.Http502Error, te.Http503Error, te.Http504Error, ConnectionError, TimeoutError)):
        return TrinoUnavailable(f"Trino is unavailable: {type(exc).__name__}")
    if isinstance(exc, te.TrinoQueryError):
        if exc.error_name in ("SERVER_STARTING_UP", "NO_NODES_AVAILABLE", "CLUSTER_OUT_OF_MEMORY",
                              "EXCEEDED_TIME_LIMIT", "QUERY_QUEUE_FULL"):
            return TrinoUnavailable(f"Trino cannot run the query now: {exc.error_name}")
        return ApiProblem(502, "query-failed", f"Trino rejected the query: {exc.error_name}: {exc.message}")
    return TrinoUnavailable(f"Trino call failed: {type(exc).__name__}: {exc}")
