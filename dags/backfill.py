"""
### refdata_backfill — load timestamped captures into bronze, in capture-time order

Manual. Loads the capture files under `capture_dir` (layout `<exchange>/<endpoint>/<date>-….json`,
the shared `exchange-captures/` is the example) as bronze polls with their **original
observation times** (`observed_at` = capture time: payload server time, else file-name date).

1. **plan** lists exactly which files will be loaded, in order, and which are already in bronze
   (task log: a table; XCom: the list).
2. **load** writes them one at a time in that order (order sets system time), idempotently:
   `poll_id = backfill/<venue>/<sha256 of the file[:16]>`, already present → skipped. A capture that
   does not parse is quarantined and stops the backfill (fix, then re-run: it resumes).

Partial captures (PROVENANCE.md `full/partial` = partial) are loaded too — they are real
responses — with `complete_listing = false` on the poll row; silver decides what absence means.
Params: `capture_dir`, `venues`, `from`/`to` (ISO 8601, UTC if no offset; window `[from, to)`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import Param, dag, get_current_context, task
from refdata_airflow.alerts import on_failure
from refdata_airflow.bronze import BRONZE_POLLS, backfill_load, backfill_plan

from refdata.settings import ALL_VENUES, get_settings

_settings = get_settings()


@dag(
    dag_id="refdata_backfill",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    params={
        "capture_dir": Param(str(_settings.captures_dir), type="string", title="Captures directory",
                             description="Directory of <exchange>/<endpoint>/<date>-*.json captures."),
        "venues": Param(list(_settings.venues), type="array", items={"type": "string", "enum": list(ALL_VENUES)},
                        uniqueItems=True, minItems=1, title="Venues"),
        "from": Param(None, type=["null", "string"], title="From (inclusive)",
                      description="ISO 8601 capture time, e.g. 2022-11-01T00:00:00Z; empty = no lower bound."),
        "to": Param(None, type=["null", "string"], title="To (exclusive)",
                    description="ISO 8601 capture time; empty = no upper bound."),
    },
    tags=["refdata", "bronze", "backfill"],
    doc_md=__doc__,
    default_args={"on_failure_callback": on_failure},
)
def refdata_backfill() -> None:
    @task(doc_md="#### plan\nThe capture files to load, in load order; the log shows them as a table.")
    def plan() -> list[dict]:
        return backfill_plan(get_current_context()["params"])

    @task(outlets=[BRONZE_POLLS], retries=0,
          doc_md="#### load\nLoads the planned captures sequentially, in capture-time order; skips those already in bronze.")
    def load(planned: list[dict]) -> dict:
        context = get_current_context()
        return backfill_load(planned, context["params"], context)

    load(plan())


refdata_backfill()
