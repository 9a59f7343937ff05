#!/usr/bin/env bash
# Install what is missing on a fresh machine: npm packages (exactly the lockfile) and the Temporal
# binaries (dev server CLI and time-skipping test server) into .tools/, offline-first, and helm and the
# Temporal server (each built from its Go module). Then builds the people's console (console/dist).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[vcdc] installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
node --import tsx scripts/temporal-binaries.ts
# helm for test/helm-chart.test.ts, built from its Go module into .tools/helm-<version>/ once (minutes on a
# cold Go cache, then nothing); without Go that test is skipped, saying so.
node --import tsx scripts/helm-template.ts --build-only ||
  echo "[vcdc] helm could not be built (is Go installed?): test/helm-chart.test.ts will be skipped or fail" >&2
# The Temporal server and its SQL tool for the multi-node cluster (test/cluster/, npm run cluster), built from
# go.temporal.io/server (pinned) into .tools/temporal-server-<version>/ once (minutes on a cold Go cache, then
# nothing). Without them the cluster test fails, saying how to build them.
node --import tsx scripts/temporal-cluster.ts --build-only ||
  echo "[vcdc] the Temporal server could not be built (is Go installed?): test/cluster/ will fail" >&2
# The people's console (console/dist, served by the control API at /console/): built here, never fetched.
node --import tsx console/build.ts
# The console's browser tests drive Debian's chromium through playwright-core, which never downloads a
# browser: install the distribution's package when it is missing and we may (root with apt).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[vcdc] installing Debian's chromium (the console's browser tests)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }
  else
    echo "[vcdc] chromium is missing and cannot be installed here (not root, or no apt): the browser tests will fail" >&2
  fi
fi
