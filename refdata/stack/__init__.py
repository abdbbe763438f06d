"""The local single-machine stack: PostgreSQL, object store, Trino, Airflow, replay server."""
