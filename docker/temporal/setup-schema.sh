#!/bin/sh
# Temporal's schema on PostgreSQL, as a one-shot job before the server starts (docker-compose.yml
# `temporal-schema`; deploy/helm runs the official chart's schema Job instead). For both databases:
# create it when absent, set up the schema's version table, then apply every versioned change the
# admin-tools image knows, which is the server image's version (same tag). Safe to run on every `up`.
# temporal-sql-tool reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD from the environment.
set -eu
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

for pair in temporal:temporal temporal_visibility:visibility; do
  database=${pair%%:*}
  schema=${pair#*:}
  # PostgreSQL has no CREATE DATABASE IF NOT EXISTS: the second `up` finds it made. A real fault
  # (credentials, network) still stops the job at setup-schema just below.
  temporal-sql-tool --db "$database" create-database || echo "database $database: already there"
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema -d "$SCHEMA_ROOT/$schema/versioned"
done
echo 'Temporal schema: temporal and temporal_visibility are current'
