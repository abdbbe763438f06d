"""The bronze DAGs through `dag.test()`: refdata_ingest for a subset of venues (twice for one
logical date: the second run adds nothing) and refdata_backfill for one venue.

They write to the real `bronze` namespace of the test stack (the DAG tasks use the default
store), so they only assert on their own poll ids and on snapshots tagged with them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from pyiceberg.expressions import In

from refdata.bronze.rows import scheduled_poll_id
from tests.integration.bronze_support import replay  # noqa: F401

pytestmark = pytest.mark.integration

VENUES = ["binance-coinm", "kraken-spot", "okx-option"]


def _dag(dag_id: str):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    from refdata.settings import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id.removeprefix('refdata_')}.py"))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


def _tagged_snapshots(store, poll_ids: set[str]) -> int:  # type: ignore[no-untyped-def]
    return sum(
        1
        for name in ("polls", "responses", "bodies", "quarantine")
        for snap in store.table(name).snapshots()
        if snap.summary is not None and snap.summary["refdata.poll-id"] in poll_ids
    )


def _polls(store, poll_ids: set[str]) -> list[dict]:  # type: ignore[no-untyped-def]
    return store.table("polls").scan(row_filter=In("poll_id", poll_ids)).to_arrow().to_pylist()


def test_ingest_dag_shape() -> None:
    dag = _dag("refdata_ingest")  # puts the plugins folder on sys.path
    from refdata_airflow.bronze import BRONZE_POLLS

    from refdata.settings import ALL_VENUES

    assert dag.max_active_runs == 1 and dag.catchup is False
    assert dag.timetable.expression == "0 * * * *" and str(dag.timetable.timezone) == "UTC"
    assert dag.params["venues"] == list(ALL_VENUES)
    poll = dag.get_task("poll")
    assert (poll.retries, poll.retry_exponential_backoff) == (2, 2.0)
    announce = dag.get_task("announce")
    assert BRONZE_POLLS in announce.outlets and not poll.outlets  # one event per run, not per venue
    assert announce.trigger_rule == "all_done"
    assert BRONZE_POLLS.uri == "iceberg://refdata/bronze/polls" and BRONZE_POLLS.name == "refdata_bronze_polls"
    assert dag.doc_md and poll.doc_md and announce.doc_md
    assert [t.task_id for t in dag.get_task("venues").downstream_list] == ["poll"]
    assert [t.task_id for t in poll.downstream_list] == ["announce"]


def test_ingest_dag_for_a_subset_then_again_for_the_same_logical_date(settings, stack, replay) -> None:  # noqa: F811
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.settings import Session
    from airflow.utils.state import DagRunState, TaskInstanceState

    from refdata.bronze.store import BronzeStore

    # A logical date no other run used (after the DAG's start_date, or no task would run):
    # its poll ids are new in the shared bronze.
    logical = datetime(2090, 1, 1, tzinfo=timezone.utc) + timedelta(hours=random.randrange(24 * 365 * 20))
    interval = logical.replace(tzinfo=None)
    ids = {scheduled_poll_id(v, interval) for v in VENUES} | {scheduled_poll_id("kraken-spot", interval, "assets")}
    store = BronzeStore(settings)
    assert not store.committed(ids)

    dag = _dag("refdata_ingest")
    run = dag.test(logical_date=logical, run_conf={"venues": VENUES})
    assert run.state == DagRunState.SUCCESS
    polls = _polls(store, ids)
    assert sorted(r["poll_id"] for r in polls) == sorted(ids)
    assert {r["run_id"] for r in polls} == {run.run_id}
    assert all(r["status"] == "complete" and r["source"] == "poll" for r in polls)
    snapshots = _tagged_snapshots(store, ids)
    assert snapshots >= 2 * len(ids)  # responses + polls at least, per poll

    tis = [ti for ti in run.get_task_instances() if ti.task_id == "poll"]
    assert sorted(ti.rendered_map_index for ti in tis) == sorted(VENUES)
    assert {ti.state for ti in tis} == {TaskInstanceState.SUCCESS}
    with Session() as session:
        events = (session.query(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                  .filter(AssetModel.name == "refdata_bronze_polls", AssetEvent.source_run_id == run.run_id).all())
    assert len(events) == 1  # one event for the run: one transform run per cycle
    assert sorted(events[0].extra["poll_ids"]) == sorted(ids)

    again = dag.test(logical_date=logical, run_conf={"venues": VENUES})
    assert again.state == DagRunState.SUCCESS
    assert len(_polls(store, ids)) == len(ids)
    assert _tagged_snapshots(store, ids) == snapshots
    # Nothing new the second time: announce is skipped and no event schedules a transform.
    [announced] = [ti for ti in again.get_task_instances() if ti.task_id == "announce"]
    assert announced.state == TaskInstanceState.SKIPPED
    with Session() as session:
        assert not (session.query(AssetEvent).filter(AssetEvent.source_run_id == again.run_id).all())


def test_backfill_dag_for_one_venue(settings, stack) -> None:
    from airflow.models.xcom import XComModel
    from airflow.settings import Session
    from airflow.utils.state import DagRunState

    from refdata.bronze.backfill import plan_backfill
    from refdata.bronze.store import BronzeStore

    venue = "coinbase-spot"
    expected = plan_backfill(settings.captures_dir, venues=[venue])
    ids = {i.poll_id for i in expected}
    store = BronzeStore(settings)
    dag = _dag("refdata_backfill")

    run = dag.test(run_conf={"venues": [venue]})
    assert run.state == DagRunState.SUCCESS
    with Session() as session:
        query = XComModel.get_many(run_id=run.run_id, dag_ids=run.dag_id, task_ids="plan", key="return_value")
        planned = XComModel.deserialize_value(session.scalars(query).one())
    assert [p["capture_file"] for p in planned] == [i.capture.rel for i in expected]
    assert [p["poll_id"] for p in planned] == [i.poll_id for i in expected]

    polls = {r["poll_id"]: r for r in _polls(store, ids)}
    assert len(polls) == len(ids) == 2  # once each, whichever run loaded them
    for item in expected:
        assert polls[item.poll_id]["observed_at"] == item.capture.captured_at
        assert polls[item.poll_id]["capture_file"] == item.capture.rel
    snapshots = _tagged_snapshots(store, ids)

    again = dag.test(run_conf={"venues": [venue]})
    assert again.state == DagRunState.SUCCESS
    assert len(_polls(store, ids)) == 2 and _tagged_snapshots(store, ids) == snapshots
