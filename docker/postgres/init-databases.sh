#!/usr/bin/env bash
# First start of an empty data volume only (the postgres image runs /docker-entrypoint-initdb.d/*
# once, as the superuser, before PostgreSQL listens on TCP):
#   - role REFDATA_PG_USER owning database REFDATA_CATALOG_DB: the Iceberg JDBC catalog, which
#     Spark, pyiceberg and Trino share (tables created by `python -m refdata migrate`);
#   - role AIRFLOW_DB_USER owning database REFDATA_AIRFLOW_DB: Airflow's metadata database.
# Changing a password later is an ALTER ROLE, not a change of the environment.
set -euo pipefail

: "${REFDATA_PG_USER:?}" "${REFDATA_PG_PASSWORD:?}" "${REFDATA_CATALOG_DB:?}"
: "${AIRFLOW_DB_USER:?}" "${AIRFLOW_DB_PASSWORD:?}" "${REFDATA_AIRFLOW_DB:?}"

psql --username "$POSTGRES_USER" --dbname postgres --no-psqlrc --set ON_ERROR_STOP=1 \
  --set refdata_user="$REFDATA_PG_USER" --set refdata_password="$REFDATA_PG_PASSWORD" \
  --set catalog_db="$REFDATA_CATALOG_DB" \
  --set airflow_user="$AIRFLOW_DB_USER" --set airflow_password="$AIRFLOW_DB_PASSWORD" \
  --set airflow_db="$REFDATA_AIRFLOW_DB" <<'SQL'
CREATE ROLE :"refdata_user" LOGIN PASSWORD :'refdata_password';
CREATE DATABASE :"catalog_db" OWNER :"refdata_user";
REVOKE ALL ON DATABASE :"catalog_db" FROM PUBLIC;
CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user";
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;
SQL
