#!/usr/bin/env bash
# The default comparison, end to end: the mixed workload (faults, fork, CoW,
# munmap, pins, direct I/O, khugepaged, reclaim) regenerated with five seeds
# and replayed under four kernel eras on every core, with the report: each
# design's mean and 95 % interval across the seeds, and the paired difference
# against linux-3.13 seed by seed. Prints where the result is.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/default-comparison}
node apps/lab/bin/pagelab.js compare mixed --param events=50000 --seeds 1..5 \
  --designs linux-3.13,linux-4.5,linux-6.10,linux-6.15 --out "$out" --force --report
echo
echo "result: $out/report.html (report.md, stats.csv, summary.csv, one comparison directory per seed)"
