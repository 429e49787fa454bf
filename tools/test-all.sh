#!/usr/bin/env bash
# The whole test suite, as CI runs it: build, typecheck and lint every Nx
# project (module boundaries included), then every test in one Vitest run.
# The last line printed is "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
[ -n "${CI:-}" ] && export NO_COLOR=1
[ -n "${PAGELAB_SKIP_BROWSER:-}" ] || bash tools/ensure-chromium.sh
./node_modules/.bin/nx run-many -t build typecheck lint --outputStyle=static
# Formatting is part of lint: `npm run format` writes what this checks.
./node_modules/.bin/prettier --check --log-level warn "packages/*/src/**/*.ts" "apps/*/src/**/*.ts" "tools/*/src/**/*.ts"
# A test's timeout catches a hung test, not a slow one: no verdict may depend on
# wall time, and the suite must pass on a loaded 2-core machine (CI runs the
# projects' files side by side). Tests with a larger budget state it themselves.
./node_modules/.bin/vitest run --testTimeout=180000 --hookTimeout=180000 "$@"
