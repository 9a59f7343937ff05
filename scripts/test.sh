#!/usr/bin/env bash
# Quick start, part 2: run every test — type check, then unit, service (real PostgreSQL), workflow
# (Temporal time-skipping test server) and end-to-end (Temporal dev server, all services, simulators)
# tests in one jest run. The test setup starts and stops every server it needs on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
exec npm test -- "$@"
