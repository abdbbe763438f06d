"""
### refdata_ingest — hourly polls of every venue's instrument listing into bronze

Each run polls the venues in the `venues` param (default: all configured venues), **one mapped
task per venue**, and appends what it read to the Iceberg tables `bronze.polls`,
`bronze.responses`, `bronze.bodies` (ADR 0008). kraken-spot also polls `GET /0/public/Assets`
(Kraken's asset codes, needed to read its pairs) as a second poll of the same task.

- **Idempotent**: a poll is `{venue}/{data interval start}`; if `bronze.polls` has it, the task
  does nothing (not even fetch). Clearing a task or re-running the run adds nothing.
- **Validated**: a malformed, truncated or schema-drifted response goes to `bronze.quarantine`
  with the error, nothing of that poll reaches the other tables, and the task fails with
  `<venue> <endpoint>: <problem>`. Retries: 2, exponential backoff.
- **Dedup**: a page whose instrument content is already stored keeps only a reference
  (an unchanged hourly Binance spot poll keeps ~2.5 % of its raw bytes, Iceberg metadata
  included; `bench/bronze.py`).
- **Emits** the `refdata_bronze_polls` asset (`iceberg://refdata/bronze/polls`) once per run,
  from the `announce` task after every venue's task (also when some venue failed), with the
  poll ids written; skipped when no venue had anything new. The transform schedules on it,
  so one hourly cycle makes one transform run.

Exchange base URLs come from settings (`REFDATA_<EXCHANGE>_URL`; local default: the replay
server). Operator: *Trigger DAG w/ config* → pick a subset in `venues`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task
from airflow.task.trigger_rule import TriggerRule
from refdata_airflow.alerts import on_failure
from refdata_airflow.bronze import BRONZE_POLLS, announce_polls, ingest, resolve_venues

from refdata.settings import ALL_VENUES, get_settings

POLL_DOC = """
#### poll (one per venue)
Fetches the venue's complete listing (all pages / families / currencies), validates every page
with `refdata.parsing`, and writes bodies → responses → polls (the poll row last: it is the
commit marker). Returns a summary per poll: poll_id, written (False = already in bronze),
observed_at, recorded_at, raw_bytes, stored_bytes, instrument_count.
Fails on a quarantined response (message names venue, endpoint and problem) or when the venue
cannot be reached after the client's own retries.
"""


ANNOUNCE_DOC = """
#### announce
Runs after every venue's poll (whatever their outcome) and emits the `refdata_bronze_polls`
asset event once, carrying the ids of the polls written; skipped when nothing new was
written, so no transform is scheduled for nothing.
"""


@dag(
    dag_id="refdata_ingest",
    schedule=CronTriggerTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    # It talks to exchanges: turned on deliberately (`airflow dags unpause refdata_ingest`).
    is_paused_upon_creation=True,
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=15),
        "execution_timeout": timedelta(minutes=30),
        "on_failure_callback": on_failure,
    },
    params={
        "venues": Param(
            list(get_settings().venues),
            type="array",
            items={"type": "string", "enum": list(ALL_VENUES)},
            uniqueItems=True,
            minItems=1,
            title="Venues",
            description="Venues to poll in this run (default: all configured venues).",
        ),
    },
    tags=["refdata", "bronze", "ingest"],
    doc_md=__doc__,
)
def refdata_ingest() -> None:
    @task(doc_md="#### venues\nThe `venues` param, checked against the known venues; one mapped poll per entry.")
    def venues() -> list[str]:
        return resolve_venues(get_current_context()["params"].get("venues"))

    @task(map_index_template="{{ venue_label }}", doc_md=POLL_DOC)
    def poll(venue: str) -> list[dict]:
        context = get_current_context()
        context["venue_label"] = venue  # type: ignore[typeddict-unknown-key]
        return ingest(venue, context)

    @task(outlets=[BRONZE_POLLS], trigger_rule=TriggerRule.ALL_DONE, retries=0, doc_md=ANNOUNCE_DOC)
    def announce(summaries: list[list[dict]]) -> list[str]:
        return announce_polls(list(summaries), get_current_context())

    announce(poll.expand(venue=venues()))


refdata_ingest()
