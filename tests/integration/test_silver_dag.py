"""The Binance spot and USD-M series replayed through Airflow: refdata_backfill then
refdata_transform (spark-submit), checked by point-in-time SQL in Trino."""

from __future__ import annotations

from datetime import datetime

import pytest

pytestmark = pytest.mark.integration

VENUES = ["binance-spot", "binance-usdm"]
FAR_FUTURE = datetime(2100, 1, 1)


def _dag(dag_id: str):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    from refdata.settings import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id.removeprefix('refdata_')}.py"))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


def _status(trino_cursor, venue: str, symbol: str, v: datetime, s: datetime = FAR_FUTURE):  # type: ignore[no-untyped-def]
    trino_cursor.execute(
        """SELECT status, lifetime_id FROM silver.instrument_versions
           WHERE venue = ? AND symbol = ? AND valid_from <= ? AND (valid_to IS NULL OR ? < valid_to)
             AND recorded_at <= ? AND (superseded_at IS NULL OR ? < superseded_at)""",
        [venue, symbol, v, v, s, s],
    )
    rows = trino_cursor.fetchall()
    assert len(rows) <= 1, rows
    return tuple(rows[0]) if rows else None


@pytest.fixture(scope="module")
def replayed(stack, settings):  # type: ignore[no-untyped-def]
    from airflow.utils.state import DagRunState

    backfill = _dag("refdata_backfill").test(run_conf={
        "venues": VENUES, "from": "2022-11-01T00:00:00Z", "to": "2024-10-21T00:00:00Z",
        "capture_dir": str(settings.captures_dir),
    })
    assert backfill.state == DagRunState.SUCCESS
    transform = _dag("refdata_transform").test(run_conf={"venues": VENUES})
    assert transform.state == DagRunState.SUCCESS
    return transform


def test_spot_series_facts_through_airflow(replayed, trino_cursor) -> None:
    for symbol in ("AXSBIDR", "NBTBIDR", "NBTUSDT"):
        assert _status(trino_cursor, "binance-spot", symbol, datetime(2022, 11, 4, 12))[0] == "active"
        assert _status(trino_cursor, "binance-spot", symbol, datetime(2022, 11, 5))[0] == "delisted"
    assert _status(trino_cursor, "binance-spot", "HFTUSDT", datetime(2022, 11, 7)) is None
    assert _status(trino_cursor, "binance-spot", "HFTUSDT", datetime(2022, 11, 9))[0] == "active"
    assert _status(trino_cursor, "binance-spot", "FTTBTC", datetime(2022, 11, 10))[0] == "active"
    assert _status(trino_cursor, "binance-spot", "FTTBTC", datetime(2022, 11, 17))[0] == "halted"
    first = _status(trino_cursor, "binance-spot", "AXSBIDR", datetime(2022, 11, 4, 12))
    relisted = _status(trino_cursor, "binance-spot", "AXSBIDR", datetime(2022, 12, 18))
    assert relisted[0] == "active" and relisted[1] != first[1]


def test_usdm_series_through_airflow(replayed, trino_cursor) -> None:
    assert _status(trino_cursor, "binance-usdm", "BTCUSDT", datetime(2024, 10, 20))[0] == "active"
    trino_cursor.execute(
        """SELECT count(DISTINCT symbol) FROM silver.instrument_versions
           WHERE venue = 'binance-usdm' AND superseded_at IS NULL
             AND valid_from <= TIMESTAMP '2024-10-20 21:00:00' AND (valid_to IS NULL OR valid_to > TIMESTAMP '2024-10-20 21:00:00')
             AND status <> 'delisted'"""
    )
    assert trino_cursor.fetchone()[0] == 347  # the 2024-10-20 capture lists 347 symbols


def test_a_second_transform_changes_nothing(replayed, trino_cursor) -> None:
    from airflow.utils.state import DagRunState

    trino_cursor.execute("SELECT count(*), max(recorded_at) FROM silver.instrument_versions")
    before = trino_cursor.fetchone()
    heads = _main_heads(trino_cursor)
    assert _dag("refdata_transform").test(run_conf={"venues": VENUES}).state == DagRunState.SUCCESS
    trino_cursor.execute("SELECT count(*), max(recorded_at) FROM silver.instrument_versions")
    assert trino_cursor.fetchone() == before
    assert _main_heads(trino_cursor) == heads


def _main_heads(trino_cursor) -> dict[str, int]:  # type: ignore[no-untyped-def]
    heads = {}
    for table in ("silver.instrument_versions", "gold.symbology"):
        schema, name = table.split(".")
        trino_cursor.execute(f"SELECT snapshot_id FROM {schema}.\"{name}$refs\" WHERE name = 'main'")
        heads[table] = trino_cursor.fetchone()[0]
    return heads


def test_gold_follows_silver_in_the_same_dag_run(replayed, trino_cursor) -> None:
    """The transform DAG chains gold after silver: the replayed symbols carry canonical IDs."""
    assert {ti.task_id: ti.state for ti in replayed.get_task_instances()} \
        == {"silver_instruments": "success", "gold_symbology": "success"}
    trino_cursor.execute(
        """SELECT venue, symbol, canonical_id FROM gold.symbology
           WHERE superseded_at IS NULL AND valid_to IS NULL
             AND ((venue = 'binance-spot' AND symbol = 'BTCUSDT') OR (venue = 'binance-usdm' AND symbol = 'BTCUSDT'))
           ORDER BY venue"""
    )
    assert trino_cursor.fetchall() == [["binance-spot", "BTCUSDT", "BTC-USDT-SPOT"],
                                       ["binance-usdm", "BTCUSDT", "BTC-USDT-PERP"]]
    trino_cursor.execute(
        """SELECT count(*) FROM silver.instrument_versions s
           WHERE s.superseded_at IS NULL AND s.venue IN ('binance-spot', 'binance-usdm')
             AND NOT EXISTS (SELECT 1 FROM gold.symbology g WHERE g.venue = s.venue AND g.symbol = s.symbol
                             AND g.superseded_at IS NULL)"""
    )
    assert trino_cursor.fetchone()[0] == 0


def test_a_scheduled_gold_run_would_skip_once_gold_read_the_current_silver(replayed, settings) -> None:
    """The check the gold task asks before starting Spark, on the real catalog."""
    from refdata.gold.freshness import gold_is_current

    reason = gold_is_current(settings)
    assert reason is not None and reason.startswith("gold is current: its last run")
