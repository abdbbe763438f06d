"""Failure alerts: every failed task of a refdata DAG leaves one precise alert record.

The record (JSON, one line per failure in `<var_dir>/alerts/alerts.jsonl`, and the task
log at ERROR) names the DAG, task, run, try, the exception and where the log and any gate
report are, so an operator (or whatever tails the file: a pager, a chat hook) sees what
failed and where to look without opening Airflow. Building the record is pure; writing
it is one append.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from refdata.settings import get_settings

log = logging.getLogger("refdata.alerts")

_REPORT = re.compile(r"(\S*var/reports/gates/\S+?)(?:[\s'\")]|$)")


def alert_record(context: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    task_instance = context.get("task_instance") or context.get("ti")
    exception = context.get("exception")
    message = f"{type(exception).__name__}: {exception}" if exception is not None else "task failed"
    report = _REPORT.search(message)
    return {
        "at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "severity": "error",
        "dag_id": getattr(task_instance, "dag_id", None),
        "task_id": getattr(task_instance, "task_id", None),
        "run_id": getattr(task_instance, "run_id", None) or context.get("run_id"),
        "map_index": getattr(task_instance, "map_index", -1),
        "try_number": getattr(task_instance, "try_number", None),
        "error": message[:4000],
        "gate_report": report.group(1) if report else None,
        "log_url": getattr(task_instance, "log_url", None),
    }


def alerts_file() -> Path:
    return get_settings().var_dir / "alerts" / "alerts.jsonl"


def on_failure(context: dict[str, Any]) -> None:
    """`on_failure_callback` of every refdata task (set in each DAG's default_args)."""
    record = alert_record(context)
    path = alerts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    log.error("refdata alert: %s", json.dumps(record, ensure_ascii=False))
