#!/usr/bin/env bash
# Install what is missing on a fresh machine: npm packages (exactly the lockfile) and the Temporal
# binaries (dev server CLI and time-skipping test server) into .tools/, offline-first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[vcdc] installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
node --import tsx scripts/temporal-binaries.ts
