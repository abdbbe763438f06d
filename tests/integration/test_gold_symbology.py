"""Gold end to end on the test stack: real captures -> bitemporal engine -> scratch silver table ->
the gold job (Spark, write-audit-publish, GX gate) -> Trino views, as an analyst would query them.

Everything lives in a `gold_test_<uuid>` namespace (tests/integration/gold_support.py); the
shared silver and gold tables are not touched. The steps build on each other (first run,
incremental run, a run with nothing new, a failing gate); each test asks for the step it needs.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.gold_support import Scratch, gold_scratch  # noqa: F401  (fixture)
from tests.unit.gold.silver_fixtures import (
    BINANCE_COINM,
    BINANCE_SPOT,
    BINANCE_USDM,
    DERIBIT,
    KRAKEN_JUN,
    KRAKEN_SEP,
    OKX_SWAP,
    Poll,
    raw_payloads,
    silver_rows,
    specs,
)

pytestmark = pytest.mark.integration

# Bronze ingestion times (system time) of the two batches: a backfill of the captures.
T1 = datetime(2026, 11, 25, 1, 0)
T2 = datetime(2026, 11, 25, 2, 0)
T3 = datetime(2026, 11, 25, 3, 0)


def _subset(rel: str, venue: str, keep) -> frozenset[str]:  # type: ignore[no-untyped-def]
    return frozenset(s.symbol for s in specs(rel, venue) if keep(s.symbol))


# Kraken: the legacy X/Z pairs and a few families (EOS* is delisted between June and September,
# BNB* changes specs), so the runs stay short; whole listings of the other venues or slices.
KRAKEN_SYMBOLS = re.compile(r"^(X|Z|EOS|BNB|ETH|USDT|USDC|SOL|DOGE)")
BATCH_1 = [
    Poll(KRAKEN_JUN, "kraken-spot", T1, _subset(KRAKEN_JUN, "kraken-spot", KRAKEN_SYMBOLS.match)),
    Poll(BINANCE_SPOT, "binance-spot", T1, _subset(BINANCE_SPOT, "binance-spot", lambda s: s.startswith(("BTC", "ETH")))),
    Poll(BINANCE_COINM, "binance-coinm", T1),
    Poll(BINANCE_USDM, "binance-usdm", T1, frozenset({"BTCUSDT", "1000PEPEUSDT", "币安人生USDT", "测试测试USDT"})),
    Poll(DERIBIT, "deribit-option", T1, _subset(DERIBIT, "deribit-option", lambda s: s.startswith(("BTC-7NOV25-", "BTC-8NOV25-")))),
    Poll(OKX_SWAP, "okx-swap", T1),
]
BATCH_2 = [Poll(KRAKEN_SEP, "kraken-spot", T2, _subset(KRAKEN_SEP, "kraken-spot", KRAKEN_SYMBOLS.match))]


def q(cursor: Any, sql: str, *params: Any) -> list[tuple]:
    cursor.execute(sql, list(params) if params else None)
    return [tuple(row) for row in cursor.fetchall()]


@dataclass
class Pipeline:
    scratch: Scratch
    spark: Any
    settings: Any
    results: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, int] = field(default_factory=dict)

    @property
    def ns(self) -> str:
        return self.scratch.namespace

    def write_silver(self, polls: list[Poll]) -> list:
        rows = silver_rows(polls)
        self.scratch.overwrite_silver(self.scratch.silver_records(rows, raw_payloads(polls)))
        return rows

    def run(self, run_id: str) -> Any:
        from refdata.gold.job import run

        result = run(self.spark, self.settings, self.scratch.config(run_id=run_id))
        self.results[run_id] = result
        return result

    def gold_snapshots(self) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(
            f"SELECT snapshot_id, operation, summary['added-data-files'] FROM "
            f"{self.settings.catalog_name}.{self.ns}.symbology.snapshots ORDER BY committed_at").collect()]

    def first(self) -> Any:
        if "first" not in self.results:
            self.silver_1 = self.write_silver(BATCH_1)
            self.run("first")
            from refdata.gold.views import ensure_views

            ensure_views(self.settings, self.ns, self.scratch.silver_table)
            self.snapshots["first"] = self.results["first"].gold_snapshot_id
        return self.results["first"]

    def second(self) -> Any:
        self.first()
        if "second" not in self.results:
            self.silver_2 = self.write_silver(BATCH_1 + BATCH_2)
            self.run("second")
            self.snapshots["second"] = self.results["second"].gold_snapshot_id
        return self.results["second"]


@pytest.fixture(scope="module")
def pipeline(gold_scratch, spark, settings) -> Pipeline:  # noqa: F811
    return Pipeline(gold_scratch, spark, settings)


# ---- the seed's examples through Trino --------------------------------------------------------


def test_first_run_publishes_every_instrument(pipeline: Pipeline, trino_cursor) -> None:
    result = pipeline.first()
    assert result.wrote_symbology and result.gate is not None and result.gate.success is False
    assert [c.column for c in result.gate.failures()] == ["active_has_canonical_id"]  # reported only
    assert result.rows_inserted == result.keys_recomputed == len({r.key for r in pipeline.silver_1})
    assert (result.rows_superseded, result.watermark, result.previous_watermark) == (0, T1, None)
    assert result.id_errors == 3
    assert sorted(k["symbol"] for k in result.id_error_instruments) == sorted(["2Z-USDT-SWAP", "测试测试USDT", "币安人生USDT"])
    ns = pipeline.ns
    assert q(trino_cursor, f"SELECT count(*), count(superseded_at) FROM {ns}.symbology") == [(result.rows_inserted, 0)]
    assert q(trino_cursor, f"SELECT count(*) FROM {ns}.instruments_current WHERE canonical_id IS NULL AND id_error IS NULL") == [(0,)]
    assert q(trino_cursor, f'SELECT name FROM {ns}."symbology$refs"') == [("main",)]  # audit branch dropped
    state = q(trino_cursor, f"SELECT run_id, watermark, rows_inserted, id_errors, gold_snapshot_id FROM {ns}.job_state")
    assert state == [("first", T1, result.rows_inserted, 3, result.gold_snapshot_id)]


def test_btc_usd_spot_is_kraken_exactly_and_binance_usdt_as_equivalent(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.first()
    ns = pipeline.ns
    exact = q(trino_cursor, f"SELECT venue, symbol FROM {ns}.symbology_current WHERE canonical_id = 'BTC-USD-SPOT'")
    assert exact == [("kraken-spot", "XXBTZUSD")]
    raw = q(trino_cursor, f"""SELECT json_extract_scalar(raw_payload, '$.altname'), json_extract_scalar(raw_payload, '$.wsname'),
                                     base_code, quote_code, base_asset, quote_asset, status
                              FROM {ns}.instruments_current WHERE canonical_id = 'BTC-USD-SPOT'""")
    assert raw == [("XBTUSD", "XBT/USD", "XXBT", "ZUSD", "BTC", "USD", "active")]
    group = q(trino_cursor, f"""SELECT venue, symbol, canonical_id, is_exact_usd, usd_substituted
                                FROM {ns}.usd_equivalents_current WHERE usd_equivalent_group = 'BTC-USD-SPOT'
                                ORDER BY is_exact_usd DESC, venue, symbol""")
    assert group[0] == ("kraken-spot", "XXBTZUSD", "BTC-USD-SPOT", True, [])
    assert ("binance-spot", "BTCUSDT", "BTC-USDT-SPOT", False, ["USDT"]) in group
    assert ("kraken-spot", "XBTUSDT", "BTC-USDT-SPOT", False, ["USDT"]) in group
    assert all(not exact for _, _, _, exact, _ in group[1:])
    # The stablecoin-quoted instrument keeps its own exact ID.
    assert q(trino_cursor, f"SELECT canonical_id FROM {ns}.symbology_current WHERE venue = 'binance-spot' AND symbol = 'BTCUSDT'") \
        == [("BTC-USDT-SPOT",)]


def test_kraken_xxbtzusd_resolves_back_to_btc_usd_spot(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.first()
    rows = q(trino_cursor, f"""SELECT canonical_id, base_asset, quote_asset, asset_rules, unknown_assets, valid_from, recorded_at
                               FROM {pipeline.ns}.symbology_current WHERE venue = ? AND symbol = ?""", "kraken-spot", "XXBTZUSD")
    assert rows == [("BTC-USD-SPOT", "BTC", "USD", ["base:XXBT->BTC (legacy, kraken)", "quote:ZUSD->USD (legacy, kraken)"],
                     [], datetime(2025, 6, 11), T1)]


def test_binance_coinm_quarterly_is_an_inverse_dated_future(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.first()
    rows = q(trino_cursor, f"""SELECT symbol, canonical_id, settlement, settle_asset, settle_code, expiry, contract_size
                               FROM {pipeline.ns}.instruments_current
                               WHERE venue = 'binance-coinm' AND instrument_class = 'future' AND base_asset = 'BTC'
                               ORDER BY expiry""")
    assert [r[:2] for r in rows] == [("BTCUSD_251226", "BTC-USD-FUT-20251226.BTC"), ("BTCUSD_260327", "BTC-USD-FUT-20260327.BTC")]
    for symbol, canonical_id, settlement, settle_asset, settle_code, expiry, contract_size in rows:
        assert re.fullmatch(r"BTC-USD-FUT-\d{8}\.BTC", canonical_id)
        assert (settlement, settle_asset, settle_code, contract_size) == ("inverse", "BTC", "BTC", Decimal("100"))
        assert canonical_id.split("-")[3].split(".")[0] == expiry.strftime("%Y%m%d")


def test_deribit_options_get_option_ids_with_strike_and_right(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.first()
    rows = q(trino_cursor, f"""SELECT symbol, canonical_id, strike, option_right, settle_asset
                               FROM {pipeline.ns}.symbology_current
                               WHERE venue = 'deribit-option' AND symbol IN ('BTC-7NOV25-85000-C', 'BTC-7NOV25-85000-P')
                               ORDER BY symbol""")
    assert rows == [
        ("BTC-7NOV25-85000-C", "BTC-USD-OPT-20251107-85000-C.BTC", Decimal("85000"), "C", "BTC"),
        ("BTC-7NOV25-85000-P", "BTC-USD-OPT-20251107-85000-P.BTC", Decimal("85000"), "P", "BTC"),
    ]
    options = q(trino_cursor, f"""SELECT count(*), count_if(regexp_like(canonical_id, '^BTC-USD-OPT-2025110[78]-[0-9.]+-[CP]\\.BTC$'))
                                  FROM {pipeline.ns}.symbology_current WHERE venue = 'deribit-option'""")
    assert options[0][0] > 50 and options[0][0] == options[0][1]


def test_ids_that_cannot_be_built_are_published_with_their_error(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.first()
    rows = q(trino_cursor, f"""SELECT venue, symbol, id_error, unknown_assets FROM {pipeline.ns}.symbology_current
                               WHERE canonical_id IS NULL ORDER BY venue, symbol""")
    assert [(v, s) for v, s, _, _ in rows] == [("binance-usdm", "币安人生USDT"), ("binance-usdm", "测试测试USDT"),
                                              ("okx-swap", "2Z-USDT-SWAP")]
    assert rows[2][2] == "okx-swap 2Z-USDT-SWAP: perpetual has no settlement type (linear/inverse)"
    assert rows[0][3] == ["币安人生", "USDT"]


def test_asset_table_is_loaded_bitemporally(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.first()
    ns = pipeline.ns
    assert q(trino_cursor, f"SELECT count(*) FROM {ns}.assets_current") == [(154,)]
    assert q(trino_cursor, f"""SELECT canonical, kind, asserted_at FROM {ns}.assets_current
                               WHERE exchange = 'kraken' AND code = 'XXBT'""") == [("BTC", "legacy", datetime(2026, 11, 25))]
    assert pipeline.results["first"].assets_inserted == 154
    pipeline.second()
    # The unchanged CSV was loaded again by the second run: nothing added, no new snapshot.
    assert pipeline.results["second"].assets_inserted == pipeline.results["second"].assets_superseded == 0
    assert q(trino_cursor, f'SELECT count(*) FROM {ns}."assets$snapshots"') == [(1,)]


# ---- incremental runs, point in time, time travel ---------------------------------------------


def test_incremental_run_recomputes_only_changed_keys(pipeline: Pipeline, trino_cursor) -> None:
    first = pipeline.first()
    result = pipeline.second()
    changed = {r.key for r in pipeline.silver_2 if r.recorded_at > T1 or (r.superseded_at and r.superseded_at > T1)}
    assert changed and all(venue == "kraken-spot" for venue, _ in changed)
    assert result.keys_recomputed == len(changed)
    assert (result.previous_watermark, result.watermark, result.full_recompute) == (T1, T2, False)
    assert result.rows_inserted > 0 and result.rows_superseded > 0
    ns = pipeline.ns
    # Only Kraken rows were added or superseded; Binance, Deribit, OKX rows are untouched.
    assert q(trino_cursor, f"""SELECT DISTINCT venue FROM {ns}.symbology
                               WHERE recorded_at = TIMESTAMP '2026-11-25 02:00:00' OR superseded_at IS NOT NULL""") \
        == [("kraken-spot",)]
    total = first.rows_inserted + result.rows_inserted
    assert q(trino_cursor, f"SELECT count(*), count(superseded_at) FROM {ns}.symbology") == [(total, result.rows_superseded)]
    # What changed between the two system times (docs/sql/what_changed.sql, simplified).
    gone = q(trino_cursor, f"""SELECT symbol FROM {ns}.symbology
                               WHERE superseded_at > TIMESTAMP '2026-11-25 01:00:00' AND superseded_at <= TIMESTAMP '2026-11-25 02:00:00'
                                 AND symbol LIKE 'EOS%' ORDER BY symbol""")
    assert gone == [("EOSEUR",), ("EOSUSD",), ("EOSUSDC",), ("EOSUSDT",)]


def test_point_in_time_as_of_v_as_known_at_s(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.second()
    sql = f"""SELECT basis, canonical_id, status FROM {pipeline.ns}.instruments_bitemporal
              WHERE venue = 'kraken-spot' AND symbol = 'EOSUSD'
                AND valid_from <= ? AND (valid_to IS NULL OR ? < valid_to)
                AND recorded_at <= ? AND (superseded_at IS NULL OR ? < superseded_at)"""
    v = datetime(2025, 10, 1)
    # As known at T1 (only the June listing), EOSUSD was listed on 2025-10-01 ...
    assert q(trino_cursor, sql, v, v, T1, T1) == [("listed", "EOS-USD-SPOT", "active")]
    # ... as known at T2 it had been delisted by the September listing.
    assert q(trino_cursor, sql, v, v, T2, T2) == [("delisted", "EOS-USD-SPOT", "delisted")]
    assert q(trino_cursor, sql, datetime(2025, 7, 1), datetime(2025, 7, 1), T2, T2) == [("listed", "EOS-USD-SPOT", "active")]
    # Before silver knew anything, nothing.
    assert q(trino_cursor, sql, v, v, datetime(2026, 11, 24), datetime(2026, 11, 24)) == []


def test_iceberg_time_travel_shows_the_first_run(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.second()
    ns, first = pipeline.ns, pipeline.snapshots["first"]
    then = q(trino_cursor, f"SELECT count(*), count(superseded_at) FROM {ns}.symbology FOR VERSION AS OF {first}")
    assert then == [(pipeline.results["first"].rows_inserted, 0)]
    # FOR TIMESTAMP AS OF reads main as it was at that instant: main moves when a run publishes
    # (the fast-forward after the gate), before the run's job_state row is written.
    finished = q(trino_cursor, f"SELECT finished_at FROM {ns}.job_state WHERE run_id = 'first'")[0][0]
    by_time = q(trino_cursor, f"SELECT count(*) FROM {ns}.symbology FOR TIMESTAMP AS OF TIMESTAMP '{finished.isoformat(sep=' ')} UTC'")
    assert by_time == [(pipeline.results["first"].rows_inserted,)]


def test_gold_is_a_function_of_silver_ids_included(pipeline: Pipeline) -> None:
    """What the Spark job wrote equals the pure derivation over the silver table's rows."""
    from pyiceberg.expressions import EqualTo

    from refdata.bitemporal.schema import from_record as silver_from_record
    from refdata.gold.symbology import Mapper, from_record
    from refdata.symbology import load_asset_aliases

    pipeline.second()
    catalog = pipeline.scratch.catalog
    silver = catalog.load_table(pipeline.scratch.silver_table).scan(row_filter=EqualTo("venue", "kraken-spot")).to_arrow().to_pylist()
    gold = catalog.load_table(f"{pipeline.ns}.symbology").scan(row_filter=EqualTo("venue", "kraken-spot")).to_arrow().to_pylist()
    by_key: dict = {}
    for record in silver:
        row = silver_from_record(record)
        by_key.setdefault(row.key, []).append(row)
    mapper = Mapper(load_asset_aliases())
    derived = {row.mapping_id: row for rows in by_key.values() for row in mapper.derive_key(rows)}
    stored = {row.mapping_id: row for row in map(from_record, gold)}
    assert stored == derived


def test_a_run_with_nothing_new_writes_nothing(pipeline: Pipeline, trino_cursor) -> None:
    pipeline.second()
    before = pipeline.gold_snapshots()
    state_before = q(trino_cursor, f"SELECT count(*) FROM {pipeline.ns}.job_state")
    result = pipeline.run("third")
    assert (result.wrote_symbology, result.keys_recomputed, result.rows_inserted, result.gate) == (False, 0, 0, None)
    assert pipeline.gold_snapshots() == before  # no snapshot at all, so none with data files
    assert q(trino_cursor, f"SELECT count(*) FROM {pipeline.ns}.job_state") == state_before


def test_views_are_idempotent(pipeline: Pipeline, trino_cursor) -> None:
    from refdata.gold.views import ensure_views

    pipeline.first()
    names = ensure_views(pipeline.settings, pipeline.ns, pipeline.scratch.silver_table)
    assert [n.rsplit(".", 1)[1] for n in names] == [
        "symbology_current", "symbology_known", "symbology_timeline", "instruments_current",
        "instruments_bitemporal", "usd_equivalents_current", "assets_current"]
    assert q(trino_cursor, f"SELECT count(*) FROM {pipeline.ns}.symbology_timeline WHERE known_until = TIMESTAMP '9999-12-31 00:00:00'") \
        == q(trino_cursor, f"SELECT count(*) FROM {pipeline.ns}.symbology WHERE superseded_at IS NULL")


def test_documented_sql_runs(pipeline: Pipeline, trino_cursor) -> None:
    """Every statement of docs/sql/*.sql runs, on the scratch tables instead of gold/silver."""
    from refdata.settings import PROJECT_ROOT

    pipeline.second()
    ns = pipeline.ns
    finished = q(trino_cursor, f"SELECT finished_at FROM {ns}.job_state WHERE run_id = 'first'")[0][0]
    values = {"<snapshot_id>": str(pipeline.snapshots["first"]), "<published_at>": finished.isoformat(sep=" ")}
    results: dict[str, list] = {}
    files = sorted((PROJECT_ROOT / "docs" / "sql").glob("*.sql"))
    assert [f.name for f in files] == ["01_current.sql", "02_point_in_time.sql", "03_time_travel.sql",
                                       "04_what_changed.sql", "05_shared_ids_and_usd.sql"]
    for path in files:
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
        for number, statement in enumerate(s for s in code.split(";") if s.strip()):
            sql = statement.replace("gold.", f"{ns}.").replace("silver.instrument_versions", pipeline.scratch.silver_table)
            for placeholder, value in values.items():
                sql = sql.replace(placeholder, value)
            results[f"{path.stem}#{number}"] = q(trino_cursor, sql)
    assert results["01_current#0"] == [("kraken-spot", "XXBTZUSD", "XXBT", "ZUSD", results["01_current#0"][0][4], datetime(2025, 6, 11))]
    assert results["01_current#4"] == [("BTC-USD-SPOT", "XBTUSD", "XBT/USD")]
    assert [r[1] for r in results["01_current#5"]] == ["币安人生USDT", "测试测试USDT", "2Z-USDT-SWAP"]
    assert [r[3] for r in results["02_point_in_time#1"]] == ["listed"]  # EOSUSD as known at T1
    assert [r[4] for r in results["02_point_in_time#4"]] == [datetime(9999, 12, 31)]  # delisted gap, known at T2
    assert results["03_time_travel#1"] == [(pipeline.results["first"].rows_inserted, 0)]
    assert results["03_time_travel#2"] == [(pipeline.results["first"].rows_inserted,)]
    assert ("retracted", "kraken-spot", "EOSUSD") in {r[:3] for r in results["04_what_changed#0"]}
    assert ("kraken-spot", "EOSUSD", "EOS-USD-SPOT", "listed", "EOS-USD-SPOT", "delisted") in results["04_what_changed#1"]
    equivalents = [r[:4] for r in results["05_shared_ids_and_usd#1"]]
    assert equivalents[0] == ("BTC-USD-SPOT", "kraken-spot", "XXBTZUSD", True)
    assert ("BTC-USDT-SPOT", "binance-spot", "BTCUSDT", False) in equivalents
    assert not any(exact for *_, exact in equivalents[1:])
    assert any(r[0] == "BTC-USD-PERP.BTC" and r[1] == "inverse" for r in results["05_shared_ids_and_usd#2"])


# ---- a failing gate --------------------------------------------------------------------------


def test_a_failing_gate_leaves_main_untouched(pipeline: Pipeline, trino_cursor) -> None:
    from dataclasses import replace

    from pyiceberg.expressions import EqualTo

    from refdata.quality.gates import GateFailed

    pipeline.second()
    ns = pipeline.ns
    main_before = q(trino_cursor, f'SELECT snapshot_id FROM {ns}."symbology$refs" WHERE name = \'main\'')
    lineage = f'SELECT snapshot_id FROM {ns}."symbology$history" WHERE is_current_ancestor ORDER BY made_current_at'
    history_before = q(trino_cursor, lineage)
    rows_before = q(trino_cursor, f"SELECT count(*), count(superseded_at) FROM {ns}.symbology")
    state_before = q(trino_cursor, f"SELECT count(*) FROM {ns}.job_state")
    # A silver inconsistency: a second current version of XXBTZUSD overlapping the real one.
    real = next(r for r in pipeline.silver_2 if r.symbol == "XXBTZUSD" and r.superseded_at is None)
    bogus = replace(real, version_id="v_bogus_overlap", recorded_at=T3,
                    values={**real.values, "base_asset": "XETH"})
    pipeline.scratch.append_silver(pipeline.scratch.silver_records([bogus], {}))
    try:
        with pytest.raises(GateFailed) as failure:
            pipeline.run("failing")
        message = str(failure.value)
        assert "one_mapping_at_any_time" in message and "kraken-spot/XXBTZUSD" in message
        assert "active_has_canonical_id" not in message  # reported checks do not fail the gate
        assert [c.column for c in failure.value.result.failures()] == ["active_instrument_mapped", "one_mapping_at_any_time"]
        assert q(trino_cursor, f'SELECT snapshot_id FROM {ns}."symbology$refs" WHERE name = \'main\'') == main_before
        assert q(trino_cursor, lineage) == history_before
        assert q(trino_cursor, f"SELECT count(*), count(superseded_at) FROM {ns}.symbology") == rows_before
        assert q(trino_cursor, f'SELECT name FROM {ns}."symbology$refs"') == [("main",)]  # branch dropped
        # The audited snapshot stays inspectable by id (until snapshots expire): it holds the bad mapping.
        audited = failure.value.audit_snapshot_id
        assert q(trino_cursor, f"""SELECT canonical_id, recorded_at FROM {ns}.symbology FOR VERSION AS OF {audited}
                                   WHERE symbol = 'XXBTZUSD' AND superseded_at IS NULL ORDER BY canonical_id""") \
            == [("BTC-USD-SPOT", T1), ("ETH-USD-SPOT", T3)]
        assert q(trino_cursor, f"SELECT count(*) FROM {ns}.job_state") == state_before
        assert q(trino_cursor, f"SELECT count(*) FROM {ns}.symbology_current WHERE canonical_id = 'ETH-USD-SPOT' AND symbol = 'XXBTZUSD'") == [(0,)]
    finally:
        pipeline.scratch.catalog.load_table(pipeline.scratch.silver_table).delete(EqualTo("version_id", "v_bogus_overlap"))


# ---- the read-only analyst user ----------------------------------------------------------------


@pytest.fixture(scope="module")
def acl_settings(settings, stack):  # type: ignore[no-untyped-def]
    """A Trino with the file-based access control of refdata.stack.trino: the test stack's if it
    already runs with it, else a private one on the same catalog (stopped afterwards)."""
    from refdata.catalog import trino_connection
    from refdata.settings import Ports, Settings
    from refdata.stack import trino

    probe = trino_connection(settings, user="acl-probe").cursor()
    try:
        probe.execute("SELECT 1 FROM system.runtime.nodes")
        probe.fetchall()
    except Exception as error:  # noqa: BLE001
        if "Access Denied" in str(error):
            yield settings
            return
        raise
    ports = Ports(**{**settings.ports.model_dump(), "trino": settings.ports.trino + 600})
    isolated = Settings(var_dir=settings.var_dir / "isolated" / "gold-analyst", ports=ports,
                        catalog_uri=settings.catalog_jdbc_url, s3_endpoint=settings.s3_endpoint_url,
                        trino_heap="2G")
    shutil.rmtree(isolated.var_dir, ignore_errors=True)
    service = trino.service(isolated)
    service.start()
    try:
        yield isolated
    finally:
        service.stop()


def test_analyst_can_select_but_not_write(pipeline: Pipeline, acl_settings) -> None:
    from refdata.catalog import trino_connection
    from refdata.stack.trino import ANALYST_USER

    pipeline.first()
    ns = pipeline.ns
    analyst = trino_connection(acl_settings, user=ANALYST_USER).cursor()
    assert q(analyst, f"SELECT venue, symbol FROM {ns}.symbology_current WHERE canonical_id = 'BTC-USD-SPOT'") \
        == [("kraken-spot", "XXBTZUSD")]
    assert q(analyst, f"SELECT count(*) FROM {ns}.symbology WHERE venue = 'kraken-spot' AND symbol = 'XXBTZUSD'")[0][0] >= 1
    assert q(analyst, f'SELECT count(*) FROM {ns}."symbology$snapshots"')[0][0] >= 1
    denied = [
        f"INSERT INTO {ns}.job_state (job, run_id, aliases_hash, usd_equivalents, finished_at, keys_recomputed, "
        "rows_inserted, rows_superseded, id_errors) VALUES ('x', 'x', 'x', 'x', TIMESTAMP '2026-01-01 00:00:00', 0, 0, 0, 0)",
        f"DELETE FROM {ns}.symbology",
        f"CREATE TABLE {ns}.analyst_table (id integer)",
        f"CREATE VIEW {ns}.analyst_view AS SELECT 1 AS x",
        f"DROP VIEW {ns}.symbology_current",
    ]
    for statement in denied:
        with pytest.raises(Exception, match="Access Denied") as error:
            q(analyst, statement)
        assert "PERMISSION_DENIED" in repr(error.value), statement
    # The pipeline user keeps full access through the same access control.
    admin = trino_connection(acl_settings).cursor()
    assert q(admin, f"SELECT count(*) FROM {ns}.job_state")[0][0] >= 1
    stranger = trino_connection(acl_settings, user="someone-else").cursor()
    with pytest.raises(Exception, match="Access Denied"):
        q(stranger, f"SELECT count(*) FROM {ns}.symbology")
