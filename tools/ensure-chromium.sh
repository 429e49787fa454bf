#!/usr/bin/env bash
# The report's browser test drives Debian's chromium through playwright-core
# (never a downloaded browser). Install it when it is missing and we may.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium for the browser test (apt-get)..." >&2
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
  echo "chromium is missing: run 'sudo apt-get install chromium' (or set PAGELAB_SKIP_BROWSER=1 to skip the browser test)" >&2
  exit 1
fi
