"""Corrections end to end: four eyes, backdated overrides on valid time only, revocation,
and a failed gate that leaves published silver untouched (Binance USD-M, two real captures)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

VENUE = "binance-usdm"
OCT_20_NOON = datetime(2024, 10, 20, 12, 0)


@pytest.fixture(scope="module")
def usdm(settings, spark):  # type: ignore[no-untyped-def]
    from refdata.bronze.backfill import load, plan_backfill
    from refdata.bronze.store import BronzeStore
    from refdata.catalog import pyiceberg_catalog
    from refdata.migrations.m0008_bronze_tables import create_tables as create_bronze
    from refdata.silver.tables import create_tables as create_silver
    from refdata.silver.corrections_store import CorrectionsStore
    from refdata.silver.job import SilverTables, run

    suffix = uuid.uuid4().hex[:8]
    bronze_ns, silver_ns = f"bronze_c{suffix}", f"silver_c{suffix}"
    catalog = pyiceberg_catalog(settings)
    create_bronze(catalog, bronze_ns, f"{settings.warehouse_uri}{bronze_ns}")
    create_silver(catalog, silver_ns, settings.warehouse_uri)
    store = BronzeStore(settings, namespace=bronze_ns, catalog=catalog)
    items = plan_backfill(settings.captures_dir, venues=[VENUE], start=datetime(2024, 10, 19), end=datetime(2024, 10, 21), store=store)
    assert len(items) == 2
    load(store, items, run_id="test-corrections")
    tables = SilverTables(settings.catalog_name, silver=silver_ns, bronze=bronze_ns)
    run(spark, settings, f"corr-base-{suffix}", tables=tables, venues=[VENUE])
    yield {
        "silver": silver_ns, "tables": tables,
        "corrections": CorrectionsStore(settings, namespace=silver_ns, bronze_namespace=bronze_ns),
        "run": lambda name: run(spark, settings, f"{name}-{suffix}", tables=tables, venues=[VENUE]),
    }
    for namespace in (silver_ns, bronze_ns):
        for identifier in catalog.list_tables(namespace):
            catalog.purge_table(identifier)
        catalog.drop_namespace(namespace)


def _tick(trino_cursor, silver: str, symbol: str, v: datetime, s: datetime) -> Decimal | None:  # type: ignore[no-untyped-def]
    trino_cursor.execute(
        f"""SELECT tick_size FROM {silver}.instrument_versions
            WHERE venue = ? AND symbol = ?
              AND valid_from <= ? AND (valid_to IS NULL OR ? < valid_to)
              AND recorded_at <= ? AND (superseded_at IS NULL OR ? < superseded_at)""",
        [VENUE, symbol, v, v, s, s],
    )
    rows = trino_cursor.fetchall()
    assert len(rows) <= 1, rows
    return rows[0][0] if rows else None


def test_backdated_correction_changes_valid_time_answers_only_after_approval(usdm, trino_cursor) -> None:
    from refdata.silver.corrections_store import CorrectionRefused

    silver, store = usdm["silver"], usdm["corrections"]
    v = datetime(2024, 10, 20, 21, 0)  # after the second capture, inside the correction
    original = _tick(trino_cursor, silver, "BTCUSDT", v, datetime(2100, 1, 1))
    assert original == Decimal("0.10")

    proposal = store.propose(VENUE, "BTCUSDT", datetime(2024, 10, 1), datetime(2024, 10, 21),
                             {"tick_size": "0.5"}, actor="alice", reason="exchange notice 2024-10-01")
    with pytest.raises(CorrectionRefused, match="alice proposed"):
        store.decide(proposal.correction_id, "approve", actor="alice")
    usdm["run"]("unapproved")
    assert _tick(trino_cursor, silver, "BTCUSDT", v, datetime(2100, 1, 1)) == original  # a proposal asserts nothing

    approved = store.decide(proposal.correction_id, "approve", actor="bob")
    approved_at = approved.events[-1]["at"]
    report = usdm["run"]("approved")
    assert report.published and report.venues[VENUE]["corrections"] == 1

    now = datetime(2100, 1, 1)
    assert _tick(trino_cursor, silver, "BTCUSDT", v, now) == Decimal("0.5")
    assert _tick(trino_cursor, silver, "BTCUSDT", datetime(2024, 10, 21, 1), now) == original  # after t2
    before_approval = approved_at - timedelta(microseconds=1)
    assert _tick(trino_cursor, silver, "BTCUSDT", v, before_approval) == original
    # Other fields still come from the feed.
    trino_cursor.execute(
        f"""SELECT status, corrected_fields FROM {silver}.instrument_versions
            WHERE venue = ? AND symbol = 'BTCUSDT' AND superseded_at IS NULL AND valid_from <= ? AND (valid_to IS NULL OR ? < valid_to)""",
        [VENUE, v, v],
    )
    status, corrected = trino_cursor.fetchone()
    assert status == "active" and corrected == ["tick_size"]

    store.decide(proposal.correction_id, "revoke", actor="carol", reason="notice withdrawn")
    usdm["run"]("revoked")
    assert _tick(trino_cursor, silver, "BTCUSDT", v, datetime(2100, 1, 1)) == original
    assert _tick(trino_cursor, silver, "BTCUSDT", v, approved_at) == Decimal("0.5")  # the audit trail stays


def test_bad_approved_correction_fails_the_gate_and_leaves_main_untouched(usdm, settings, trino_cursor) -> None:
    from refdata.quality.gates import GateFailed

    silver, store = usdm["silver"], usdm["corrections"]
    main_ref = f"SELECT snapshot_id FROM {silver}.\"instrument_versions$refs\" WHERE name = 'main'"
    trino_cursor.execute(main_ref)
    head_before = trino_cursor.fetchone()[0]

    bad = store.propose(VENUE, "ETHUSDT", datetime(2024, 10, 20), None, {"tick_size": "-0.01"}, actor="dave", reason="typo")
    store.decide(bad.correction_id, "approve", actor="erin")
    with pytest.raises(GateFailed) as failure:
        usdm["run"]("bad")
    message = str(failure.value)
    assert "positive_steps" in message and "ETHUSDT" in message
    report = Path(failure.value.result.report_path)
    assert report.exists() and "ETHUSDT" in report.read_text()

    trino_cursor.execute(main_ref)
    assert trino_cursor.fetchone()[0] == head_before
    trino_cursor.execute(f"SELECT count(*) FROM {silver}.instrument_versions WHERE tick_size < 0")
    assert trino_cursor.fetchone()[0] == 0
    trino_cursor.execute(f'SELECT count(*) FROM {silver}."instrument_versions$refs" WHERE name <> \'main\'')
    assert trino_cursor.fetchone()[0] == 0  # the audit branch was discarded

    # The runbook: revoke the bad correction; the next run publishes again.
    store.decide(bad.correction_id, "revoke", actor="erin", reason="typo")
    report = usdm["run"]("after-revoke")
    assert report.published
