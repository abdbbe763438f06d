"""The pure parts of the bronze DAG tasks: which instant a run polls for, the venues param."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from refdata.errors import ConfigurationError
from refdata.settings import ALL_VENUES, PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "plugins"))

from refdata_airflow.bronze import poll_interval_start, resolve_venues  # noqa: E402


def test_interval_start_prefers_the_data_interval_then_logical_date_then_run_after() -> None:
    utc = timezone.utc
    run = SimpleNamespace(run_after=datetime(2024, 1, 1, 10, 7, tzinfo=utc))
    assert poll_interval_start({"data_interval_start": datetime(2024, 1, 1, 10, tzinfo=utc),
                                "logical_date": datetime(2024, 1, 1, 11, tzinfo=utc), "dag_run": run}) == datetime(2024, 1, 1, 10)
    assert poll_interval_start({"data_interval_start": None,
                                "logical_date": datetime(2024, 1, 1, 13, tzinfo=timezone(timedelta(hours=2))),
                                "dag_run": run}) == datetime(2024, 1, 1, 11)
    assert poll_interval_start({"data_interval_start": None, "logical_date": None, "dag_run": run}) == datetime(2024, 1, 1, 10, 7)


def test_venues_param_is_checked_deduplicated_and_ordered() -> None:
    assert resolve_venues(None) == list(ALL_VENUES)
    assert resolve_venues(["okx-spot", "binance-spot", "okx-spot"]) == ["binance-spot", "okx-spot"]
    assert resolve_venues("kraken-spot") == ["kraken-spot"]
    with pytest.raises(ConfigurationError, match="unknown venue"):
        resolve_venues(["binance-margin"])
    with pytest.raises(ConfigurationError, match="empty"):
        resolve_venues([])
