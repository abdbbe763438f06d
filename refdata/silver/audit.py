"""The silver gate: rules on the audit branch of silver.instrument_versions, as SQL columns.

Only the keys a run touched are audited, and of those the rows the run wrote and the
current rows they can meet (the rest of the table was audited when written).
Interval and overlap rules hold for every row; content rules (steps, expiry, class) for the
current belief only: history records exactly what was believed — even a bad correction
that was later revoked — and must not make every later run fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from refdata.quality.gates import Check
from refdata.silver.reads import sql_literal

_END = "TIMESTAMP_NTZ '9999-12-31 00:00:00'"

SILVER_CHECKS = [
    Check("valid_interval_ok", "valid_from < valid_to"),
    Check("system_interval_ok", "recorded_at < superseded_at"),
    Check("no_overlap", "no two versions of an instrument overlap in valid time within one system-time slice"),
    Check("one_current_version", "exactly one current open-ended version per instrument"),
    Check("positive_steps", "current versions: tick size, quantity step and contract size are > 0"),
    Check("expiry_matches_class", "current versions: futures and options have an expiry, spot and perpetuals none"),
    Check("class_matches_assets", "current versions: spot has no settlement; derivatives are linear or inverse, "
                                  "inverse ones settle in the base asset"),
]


def audited_rows_sql(versions: str, tail: str, touched_view: str,
                     since: Mapping[str, datetime | None]) -> str:
    """The rows the gate audits, for the touched keys: every version this run wrote (recorded
    or superseded after the venue's previous watermark; Iceberg skips older data files by
    their bounds) and the current versions of the keys' tails (the current rows those can
    meet: ADR 0013). Rows of older history were audited when they were written.

    `versions` and `tail` are table references (`name` or `name VERSION AS OF 'branch'`).
    """
    windows = []
    for venue, mark in sorted(since.items()):
        changed = "" if mark is None else \
            f" AND (recorded_at > {sql_literal(mark)} OR superseded_at > {sql_literal(mark)})"
        windows.append(f"(venue = {sql_literal(venue)}{changed})")
    return f"""
    WITH written AS (SELECT * FROM {versions} WHERE {' OR '.join(windows) or 'false'}),
    tail AS (SELECT * FROM {tail} WHERE layer = 'published'),
    rows AS (
        SELECT * FROM written
        UNION ALL
        SELECT t.* FROM tail t LEFT ANTI JOIN written w ON t.version_id = w.version_id
    )
    SELECT r.* FROM rows r JOIN {touched_view} k ON r.venue = k.venue AND r.symbol = k.symbol
    """


def audit_frame_sql(rows_sql: str) -> str:
    return f"""
    WITH v AS ({rows_sql}),
    overlaps AS (
        SELECT a.version_id, count(b.version_id) AS n
        FROM v a LEFT JOIN v b
          ON a.venue = b.venue AND a.symbol = b.symbol AND a.version_id <> b.version_id
         AND a.recorded_at < coalesce(b.superseded_at, {_END})
         AND b.recorded_at < coalesce(a.superseded_at, {_END})
         AND a.valid_from < coalesce(b.valid_to, {_END})
         AND b.valid_from < coalesce(a.valid_to, {_END})
        GROUP BY a.version_id
    ),
    open_current AS (
        SELECT venue, symbol, count(*) AS n FROM v
        WHERE superseded_at IS NULL AND valid_to IS NULL GROUP BY venue, symbol
    )
    SELECT
        v.venue, v.symbol, v.version_id,
        (v.valid_to IS NULL OR v.valid_from < v.valid_to) AS valid_interval_ok,
        (v.superseded_at IS NULL OR v.recorded_at < v.superseded_at) AS system_interval_ok,
        (o.n = 0) AS no_overlap,
        (v.superseded_at IS NOT NULL OR v.valid_to IS NOT NULL OR c.n = 1) AS one_current_version,
        (v.superseded_at IS NOT NULL
         OR (coalesce(v.tick_size > 0, true) AND coalesce(v.qty_step > 0, true)
             AND coalesce(v.contract_size > 0, true))) AS positive_steps,
        (v.superseded_at IS NOT NULL OR v.basis = 'none' OR v.instrument_class IS NULL
         OR (v.instrument_class IN ('future', 'option') AND v.expiry IS NOT NULL)
         OR (v.instrument_class IN ('spot', 'perpetual') AND v.expiry IS NULL)) AS expiry_matches_class,
        (v.superseded_at IS NOT NULL OR v.basis = 'none' OR v.instrument_class IS NULL
         OR (v.instrument_class = 'spot' AND v.settlement IS NULL)
         OR (v.instrument_class <> 'spot' AND v.settlement IS NULL AND v.status = 'pre_trading')
         OR (v.instrument_class <> 'spot' AND v.settlement = 'linear')
         OR (v.instrument_class <> 'spot' AND v.settlement = 'inverse'
             AND (v.settle_asset IS NULL OR v.settle_asset = v.base_asset))) AS class_matches_assets
    FROM v
    JOIN overlaps o ON o.version_id = v.version_id
    LEFT JOIN open_current c ON c.venue = v.venue AND c.symbol = v.symbol
    """
