"""The main job as users run it, on a fresh machine's terms: `refdata run` on a stack of its
own (fresh data directory under var/test-e2e, ports +200), replaying every recorded capture
through the real Airflow scheduler (backfill -> Asset -> transform: silver, gates, gold); then
the running API answers with known facts of the captures. Collected last (conftest)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]


@pytest.fixture(scope="module")
def fresh_env() -> Iterator[dict[str, str]]:
    from refdata.settings import PROJECT_ROOT, Ports

    env = {key: value for key, value in os.environ.items() if not key.startswith(("REFDATA_", "AIRFLOW"))}
    env["REFDATA_VAR_DIR"] = str(PROJECT_ROOT / "var" / "test-e2e")
    for name, port in Ports().model_dump().items():
        env[f"REFDATA_PORTS__{name.upper()}"] = str(port + 200)
    shutil.rmtree(env["REFDATA_VAR_DIR"], ignore_errors=True)
    yield env
    subprocess.run([sys.executable, "-m", "refdata", "down"], cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300)
    shutil.rmtree(env["REFDATA_VAR_DIR"], ignore_errors=True)


@pytest.fixture(scope="module")
def fresh_settings(fresh_env):  # type: ignore[no-untyped-def]
    from refdata.settings import Ports, Settings

    ports = Ports(**{name: int(fresh_env[f"REFDATA_PORTS__{name.upper()}"]) for name in Ports().model_dump()})
    return Settings(var_dir=fresh_env["REFDATA_VAR_DIR"], ports=ports)


@pytest.fixture(scope="module")
def main_job(fresh_env):  # type: ignore[no-untyped-def]
    from refdata.settings import PROJECT_ROOT

    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-m", "refdata", "run", "--timeout", "1800"], cwd=PROJECT_ROOT,
                               env=fresh_env, capture_output=True, text=True, timeout=2700)
    print(f"refdata run (stack start included) took {time.monotonic() - started:.0f} s")
    return completed


@pytest.fixture(scope="module")
def cursor(fresh_settings, main_job):  # type: ignore[no-untyped-def]
    from refdata.catalog import trino_connection

    return trino_connection(fresh_settings).cursor()


def test_the_main_job_succeeds_and_says_where_to_look(main_job, fresh_settings) -> None:  # type: ignore[no-untyped-def]
    assert main_job.returncode == 0, main_job.stdout[-3000:] + main_job.stderr[-3000:]
    assert "refdata_transform run" in main_job.stdout and ": success" in main_job.stdout
    for url in (fresh_settings.airflow_url, fresh_settings.api_url, fresh_settings.trino_http_url):
        assert url in main_job.stdout


def test_every_venue_with_a_capture_is_in_silver_and_gold(main_job, cursor) -> None:  # type: ignore[no-untyped-def]
    from refdata.settings import ALL_VENUES

    cursor.execute("SELECT DISTINCT venue FROM silver.instrument_versions WHERE superseded_at IS NULL")
    silver_venues = {row[0] for row in cursor.fetchall()}
    cursor.execute("SELECT DISTINCT venue FROM gold.symbology WHERE superseded_at IS NULL")
    gold_venues = {row[0] for row in cursor.fetchall()}
    # 47 captures serve 14 venues; Bybit inverse has no capture (PROVENANCE.md).
    assert silver_venues == set(ALL_VENUES) - {"bybit-inverse"}
    assert gold_venues == silver_venues
    cursor.execute(
        """SELECT count(*) FROM silver.instrument_versions s
           WHERE s.superseded_at IS NULL AND NOT EXISTS (
             SELECT 1 FROM gold.symbology g WHERE g.venue = s.venue AND g.symbol = s.symbol AND g.superseded_at IS NULL)""")
    assert cursor.fetchone()[0] == 0


def test_known_facts_through_the_running_api(main_job, fresh_settings) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=fresh_settings.api_url, timeout=60) as api:
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
