"""When the gold task may skip starting Spark: only if its last run read the current silver
snapshot with the same aliases and USD equivalents."""

from __future__ import annotations

from datetime import datetime

from refdata.gold.freshness import last_run, nothing_to_do


def _state(run_id: str, finished: datetime, snapshot: int | None, aliases: str = "h1",
           usd: str = "USDC,USDT", job: str = "gold_symbology") -> dict:  # type: ignore[type-arg]
    return {"job": job, "run_id": run_id, "finished_at": finished, "silver_snapshot_id": snapshot,
            "aliases_hash": aliases, "usd_equivalents": usd}


def test_last_run_is_the_latest_finished_of_the_gold_job() -> None:
    rows = [_state("a", datetime(2026, 1, 1), 1), _state("c", datetime(2026, 1, 3), 3),
            _state("b", datetime(2026, 1, 2), 2), _state("x", datetime(2026, 1, 9), 9, job="other")]
    assert last_run(rows)["run_id"] == "c"  # type: ignore[index]
    assert last_run([]) is None


def test_current_only_when_snapshot_aliases_and_usd_set_all_match() -> None:
    last = _state("r1", datetime(2026, 1, 1), 42)
    reason = nothing_to_do(last, 42, "h1", {"USDT", "USDC"})
    assert reason is not None and "r1" in reason and "42" in reason
    assert nothing_to_do(last, 43, "h1", {"USDT", "USDC"}) is None  # silver moved
    assert nothing_to_do(last, 42, "h2", {"USDT", "USDC"}) is None  # aliases changed
    assert nothing_to_do(last, 42, "h1", {"USDT"}) is None  # USD-equivalent set changed
    assert nothing_to_do(None, 42, "h1", {"USDT", "USDC"}) is None  # gold never ran
    assert nothing_to_do(last, None, "h1", {"USDT", "USDC"}) is None  # silver empty
    assert nothing_to_do(_state("r0", datetime(2026, 1, 1), None), 42, "h1", {"USDT", "USDC"}) is None


def _operator(skip_when):  # type: ignore[no-untyped-def]
    import sys

    from refdata.settings import PROJECT_ROOT

    sys.path.insert(0, str(PROJECT_ROOT / "plugins"))
    from refdata_airflow.spark import RefdataSparkSubmitOperator

    return RefdataSparkSubmitOperator(task_id="gold_symbology", job="gold_symbology", skip_when=skip_when)


def test_only_a_scheduled_run_skips_and_a_failing_check_runs_the_job() -> None:
    from types import SimpleNamespace

    def current() -> str:
        return "gold is current"

    def broken() -> str:
        raise OSError("no gold.job_state yet")

    scheduled = {"dag_run": SimpleNamespace(run_type="asset_triggered")}
    assert _operator(current).skip_reason(scheduled) == "gold is current"
    assert _operator(current).skip_reason({"dag_run": SimpleNamespace(run_type="manual")}) is None
    assert _operator(broken).skip_reason(scheduled) is None
    assert _operator(None).skip_reason(scheduled) is None
