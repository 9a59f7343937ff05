#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume (docker-entrypoint-initdb.d),
# as the image's POSTGRES_USER, a superuser that only PostgreSQL's own set-up and Temporal use.
# Makes the owner of VCDC's schemas a separate role that is NOT a superuser: it may create schemas in
# the `vcdc` database and create roles (CREATEROLE, to give each service role its login), nothing more.
# Only the one-shot `db-provision` container is given its password (VCDC_OWNER_PASSWORD); the running
# processes log in as `<schema>_service` roles it provisions (README "Database roles", docs/TRUST.md).
# An existing volume is not re-initialised: run the same statements by hand once.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$VCDC_OWNER_PASSWORD" <<'SQL'
CREATE ROLE vcdc_owner LOGIN NOSUPERUSER CREATEROLE NOBYPASSRLS NOREPLICATION PASSWORD :'owner_password';
GRANT CONNECT, CREATE ON DATABASE vcdc TO vcdc_owner;
-- Nobody but the owner creates objects in `public` (PostgreSQL 15+ does this already; older ones did not).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
