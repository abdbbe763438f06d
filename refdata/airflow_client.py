"""A small client of Airflow's REST API (v2): unpause, trigger, and wait for DAG runs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import httpx

from refdata.errors import RefdataError
from refdata.settings import Settings

FINISHED = {"success", "failed"}


class AirflowRunFailed(RefdataError):
    pass


@dataclass(frozen=True)
class DagRun:
    dag_id: str
    run_id: str
    state: str
    start_date: str | None
    end_date: str | None


class AirflowClient:
    def __init__(self, settings: Settings, timeout: float = 60.0) -> None:
        self.base = settings.airflow_url
        token = httpx.get(f"{self.base}/auth/token", timeout=timeout).raise_for_status().json()["access_token"]
        self.http = httpx.Client(base_url=f"{self.base}/api/v2", timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})

    def wait_for_dag(self, dag_id: str, timeout: float = 180.0) -> None:
        """The dag-processor parses files asynchronously: wait until the DAG is known."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.http.get(f"/dags/{dag_id}").status_code == 200:
                return
            time.sleep(2)
        raise AirflowRunFailed(f"DAG {dag_id} did not appear in Airflow within {timeout:.0f}s (dag-processor log?)")

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.http.patch(f"/dags/{dag_id}", json={"is_paused": paused}).raise_for_status()

    def unpause(self, dag_id: str) -> None:
        self.set_paused(dag_id, False)

    def pause(self, dag_id: str) -> None:
        self.set_paused(dag_id, True)

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> DagRun:
        body = {"logical_date": None, "conf": conf}
        return self._run(self.http.post(f"/dags/{dag_id}/dagRuns", json=body).raise_for_status().json())

    def runs(self, dag_id: str) -> list[DagRun]:
        body = self._get_json(f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after", "limit": 20})
        return [self._run(r) for r in body["dag_runs"]]

    def _get_json(self, path: str, **kwargs: Any) -> Any:
        """GET, retrying transport errors: a busy api-server must not abort a long wait."""
        for attempt in range(5):
            try:
                return self.http.get(path, **kwargs).raise_for_status().json()
            except httpx.TransportError:
                if attempt == 4:
                    raise
                time.sleep(5)

    def wait(self, dag_id: str, run_id: str, timeout: float, on_poll: Callable[[DagRun], None] | None = None) -> DagRun:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self._run(self._get_json(f"/dags/{dag_id}/dagRuns/{run_id}"))
            if on_poll:
                on_poll(run)
            if run.state in FINISHED:
                if run.state != "success":
                    raise AirflowRunFailed(f"{dag_id} run {run_id} ended {run.state}; see {self.base}/dags/{dag_id}")
                return run
            time.sleep(3)
        raise AirflowRunFailed(f"{dag_id} run {run_id} did not finish within {timeout:.0f}s")

    def wait_for_run_after(self, dag_id: str, after: datetime, timeout: float,
                           on_poll: Callable[[DagRun], None] | None = None) -> DagRun:
        """Wait for a run of an Asset-scheduled DAG created after `after`, and for its end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for run in self.runs(dag_id):
                started = run.start_date and datetime.fromisoformat(run.start_date.replace("Z", "+00:00"))
                if started and started >= after:
                    return self.wait(dag_id, run.run_id, max(1.0, deadline - time.monotonic()), on_poll)
            time.sleep(3)
        raise AirflowRunFailed(f"no run of {dag_id} started after {after.isoformat()} within {timeout:.0f}s")

    @staticmethod
    def _run(body: dict[str, Any]) -> DagRun:
        return DagRun(body["dag_id"], body["dag_run_id"], body["state"], body.get("start_date"), body.get("end_date"))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
