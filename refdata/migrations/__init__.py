"""Versioned, idempotent schema migrations for the warehouse (catalog, namespaces, tables, views).

Each migration is a module `mNNNN_<name>.py` exposing `VERSION`, `DESCRIPTION` and
`apply(context)`. Applied versions are recorded in `refdata_schema_migrations` in the
catalog database; a PostgreSQL advisory lock keeps two runners from interleaving.
Migrations are never edited once merged: a change is a new migration.
"""
