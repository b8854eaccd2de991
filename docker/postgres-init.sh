#!/bin/sh
# Runs once, when the PostgreSQL volume is first created: the Airflow metadata database is
# POSTGRES_DB; the warehouse gets its own database, owned by the same user.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE DATABASE "$WAREHOUSE_DB" OWNER "$POSTGRES_USER";
SQL
