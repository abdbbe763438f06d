"""The main job as users run it: `refdata run` replays every recorded capture through the
real Airflow scheduler (backfill -> Asset -> transform: silver, gates, gold), then the
running API answers with known facts of the captures. Collected last (conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]


@pytest.fixture(scope="module")
def main_job(settings, stack):  # type: ignore[no-untyped-def]
    from refdata.airflow_client import AirflowClient
    from refdata.settings import PROJECT_ROOT

    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-m", "refdata", "run", "--timeout", "1800"], cwd=PROJECT_ROOT,
                               env=os.environ.copy(), capture_output=True, text=True, timeout=2400)
    elapsed = time.monotonic() - started
    print(f"refdata run took {elapsed:.0f} s")
    yield completed
    client = AirflowClient(settings)  # leave the scheduler idle for whatever runs next
    for dag_id in ("refdata_backfill", "refdata_transform", "refdata_maintenance"):  # maintenance: in case
        client.http.patch(f"/dags/{dag_id}", json={"is_paused": True})


def test_the_main_job_succeeds_and_says_where_to_look(main_job, settings) -> None:  # type: ignore[no-untyped-def]
    assert main_job.returncode == 0, main_job.stdout[-3000:] + main_job.stderr[-3000:]
    assert "refdata_transform run" in main_job.stdout and ": success" in main_job.stdout
    for url in (settings.airflow_url, settings.api_url, settings.trino_http_url):
        assert url in main_job.stdout


def test_every_venue_with_a_capture_is_in_silver_and_gold(main_job, trino_cursor) -> None:  # type: ignore[no-untyped-def]
    from refdata.settings import ALL_VENUES

    trino_cursor.execute("SELECT DISTINCT venue FROM silver.instrument_versions WHERE superseded_at IS NULL")
    silver_venues = {row[0] for row in trino_cursor.fetchall()}
    trino_cursor.execute("SELECT DISTINCT venue FROM gold.symbology WHERE superseded_at IS NULL")
    gold_venues = {row[0] for row in trino_cursor.fetchall()}
    # 47 captures serve 14 venues; Bybit inverse has no capture (PROVENANCE.md).
    assert silver_venues == set(ALL_VENUES) - {"bybit-inverse"}
    assert gold_venues == silver_venues
    trino_cursor.execute(
        """SELECT count(*) FROM silver.instrument_versions s
           WHERE s.superseded_at IS NULL AND NOT EXISTS (
             SELECT 1 FROM gold.symbology g WHERE g.venue = s.venue AND g.symbol = s.symbol AND g.superseded_at IS NULL)""")
    assert trino_cursor.fetchone()[0] == 0


def test_known_facts_through_the_running_api(main_job, settings) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=settings.api_url, timeout=60) as api:
        spot = api.get("/v1/instruments", params={"exchange": "binance", "symbol": "BTCUSDT"})
        assert spot.status_code == 200, spot.text
        [btc] = spot.json()["data"]
        assert (btc["venue"], btc["spec"]["instrument_class"], btc["spec"]["base_asset"], btc["spec"]["quote_asset"]) \
            == ("binance-spot", "spot", "BTC", "USDT")

        resolved = api.get("/v1/symbology/resolve", params={"exchange": "kraken", "symbol": "XXBTZUSD"})
        assert resolved.status_code == 200, resolved.text
        assert {m["canonical_id"] for m in resolved.json()["data"]} == {"BTC-USD-SPOT"}

        history = api.get("/v1/instruments/binance-spot/AXSBIDR/history")
        assert history.status_code == 200, history.text
        versions = history.json()["versions"]
        # listed, delisted on 2022-11-04, back on 2022-12-17 as a new lifetime, gone again later
        assert [v["spec"]["status"] for v in versions] == ["active", "delisted", "active", "delisted"]
        assert len({v["lifetime_id"] for v in versions[:2]}) == 1
        assert versions[2]["lifetime_id"] != versions[0]["lifetime_id"]
        assert versions[2]["valid_from"].startswith("2022-12-17")

        ftt = api.get("/v1/instruments/binance-spot/FTTBTC", params={"as_of": "2022-11-17T00:00:00Z"})
        assert ftt.status_code == 200 and ftt.json()["data"]["spec"]["status"] == "halted"

        health = api.get("/v1/health")
        assert health.status_code == 200, health.text
