#!/usr/bin/env bash
# The default comparison, end to end: the mixed workload (faults, fork, CoW,
# munmap, pins, direct I/O, khugepaged, reclaim) replayed under four kernel
# eras, with the report. Prints where the result is.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/default-comparison}
node apps/lab/bin/pagelab.js compare mixed --param events=200000 \
  --designs linux-3.13,linux-4.5,linux-6.10,linux-6.15 --out "$out" --force --report
echo
echo "result: $out/report.html (report.md, summary.csv, one run directory per design)"
