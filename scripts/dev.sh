#!/usr/bin/env bash
# Quick start, part 1: install what is missing, then bring the whole system up on embedded defaults
# and run a demo case (see scripts/dev.ts). Ctrl-C stops everything; state stays in .data/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
exec node --import tsx scripts/dev.ts "$@"
