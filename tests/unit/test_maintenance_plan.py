"""The maintenance statements and the failure alert record (pure)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import pytest

from refdata.maintenance.plan import (
    Action,
    TableRef,
    compact_sql,
    expire_sql,
    orphans_sql,
    quarantine_retention_sql,
)
from refdata.errors import ConfigurationError
from refdata.settings import PROJECT_ROOT, Maintenance

sys.path.insert(0, str(PROJECT_ROOT / "plugins"))

NOW = datetime(2026, 11, 25, 3, 0)
POLICY = Maintenance(snapshot_max_age_days=7, snapshot_retain_last=20, orphan_min_age_hours=72,
                     quarantine_retention_days=90, compaction_min_input_files=5, compaction_target_file_mb=128)
VERSIONS = TableRef("refdata", "silver", "instrument_versions", sorted=True)
POLLS = TableRef("refdata", "bronze", "polls")


def test_actions_run_in_their_safe_order_whatever_the_order_asked() -> None:
    assert Action.parse(["orphans", "compact"]) == [Action.COMPACT, Action.ORPHANS]
    assert Action.parse([]) == [Action.RETENTION, Action.COMPACT, Action.EXPIRE, Action.ORPHANS]
    with pytest.raises(ConfigurationError, match=r"unknown maintenance action\(s\) \['vacuum'\]"):
        Action.parse(["compact", "vacuum"])


def test_expiry_keeps_a_window_and_a_minimum() -> None:
    assert expire_sql(VERSIONS, POLICY, NOW) == (
        "CALL refdata.system.expire_snapshots(table => 'silver.instrument_versions', "
        "older_than => TIMESTAMP '2026-11-18 03:00:00', retain_last => 20)")


def test_compaction_sorts_sorted_tables_and_always_folds_deletes() -> None:
    sql = compact_sql(VERSIONS, POLICY)
    assert sql.startswith("CALL refdata.system.rewrite_data_files(table => 'silver.instrument_versions', strategy => 'sort', ")
    assert "'delete-file-threshold', '1'" in sql and "'min-input-files', '5'" in sql
    assert "'remove-dangling-deletes', 'true'" in sql
    assert f"'target-file-size-bytes', '{128 * 1024 * 1024}'" in sql
    assert "strategy" not in compact_sql(POLLS, POLICY)


def test_orphans_spare_recent_files_and_retention_only_touches_quarantine() -> None:
    assert "older_than => TIMESTAMP '2026-11-22 03:00:00', prefix_listing => true" in orphans_sql(POLLS, POLICY, NOW)
    assert quarantine_retention_sql("refdata", "bronze", POLICY, NOW) == (
        "DELETE FROM refdata.bronze.quarantine WHERE recorded_at < TIMESTAMP '2026-08-27 03:00:00'")


class _TaskInstance:
    dag_id, task_id, run_id, map_index, try_number = "refdata_transform", "silver_instruments", "manual__1", -1, 2
    log_url = "http://127.0.0.1:18080/dags/refdata_transform/runs/manual__1"


def test_alert_record_names_the_task_the_error_and_the_gate_report(tmp_path, monkeypatch) -> None:
    from refdata_airflow import alerts

    error = RuntimeError("gate silver_instrument_versions failed for binance-spot/FTTBTC; "
                         "report /x/var/reports/gates/silver_instrument_versions/manual__1/index.html")
    record = alerts.alert_record({"task_instance": _TaskInstance(), "exception": error},
                                 now=datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc))
    assert record == {
        "at": "2026-11-25T03:00:00+00:00", "severity": "error", "dag_id": "refdata_transform",
        "task_id": "silver_instruments", "run_id": "manual__1", "map_index": -1, "try_number": 2,
        "error": f"RuntimeError: {error}",
        "gate_report": "/x/var/reports/gates/silver_instrument_versions/manual__1/index.html",
        "log_url": _TaskInstance.log_url,
    }
    monkeypatch.setattr(alerts, "alerts_file", lambda: tmp_path / "alerts" / "alerts.jsonl")
    alerts.on_failure({"task_instance": _TaskInstance(), "exception": error})
    alerts.on_failure({"task_instance": _TaskInstance(), "exception": ValueError("second")})
    lines = (tmp_path / "alerts" / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line)["error"] for line in lines] == [f"RuntimeError: {error}", "ValueError: second"]
