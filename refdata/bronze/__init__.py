"""Bronze: raw exchange responses in append-only Iceberg tables (ADR 0008).

- `hashing`: where each endpoint keeps its instrument list, content hashes (pure);
- `rows`: poll ids, the dedup decision, row building, recorded_at (pure);
- `validate`: every page must parse before anything is written (pure);
- `store`: the tables through pyiceberg, the per-venue write lock (I/O);
- `writer`: one poll end to end (`write_poll`, `ingest_venue`) with quarantine (I/O);
- `backfill`: timestamped capture files → polls, in capture-time order (I/O).
"""

from refdata.bronze.rows import backfill_poll_id, next_recorded_at, scheduled_poll_id

# Airflow Asset that downstream (silver) DAGs schedule on: emitted after bronze.polls grows.
BRONZE_POLLS_ASSET_NAME = "refdata_bronze_polls"
BRONZE_POLLS_ASSET_URI = "iceberg://refdata/bronze/polls"

__all__ = [
    "BRONZE_POLLS_ASSET_NAME",
    "BRONZE_POLLS_ASSET_URI",
    "backfill_poll_id",
    "next_recorded_at",
    "scheduled_poll_id",
]
