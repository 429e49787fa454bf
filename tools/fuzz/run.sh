#!/usr/bin/env bash
# npm run fuzz [-- RUNS [SEED]]: the model property test (kernel-core model.property.test.ts) at
# nightly size: RUNS random streams per era (default 10,000; the small-machine runs get a third
# of that) from SEED (default: a new one each night, printed so a failure can be replayed with
# PAGELAB_PROPERTY_SEED=SEED). Every stream mixes processes that fork, share, unmap and mremap
# ranges while pins, DMA writes and direct I/O are in flight, memory failure and KSM, on two NUMA
# nodes (and a 4 MiB machine that runs out of memory). Prints the streams and events replayed.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-10000}"
SEED="${2:-$(( $(date +%s) % 2147483647 ))}"
echo "fuzz: ${RUNS} streams per era, seed ${SEED}"
PAGELAB_PROPERTY_RUNS="$RUNS" PAGELAB_PROPERTY_SEED="$SEED" \
  npx vitest run packages/kernel-core/src/model.property.test.ts --reporter=default 2>&1 | tee /tmp/pagelab-fuzz.log | grep -E 'model property test:|✓|×|FAIL|Error|seed|Tests ' || true
grep -q ' failed' /tmp/pagelab-fuzz.log && { echo "fuzz: FAILED (seed ${SEED}); see /tmp/pagelab-fuzz.log"; exit 1; }
echo "fuzz: passed (seed ${SEED})"
