#!/bin/sh
# Re-records the shipped workloads on this machine (root, strace, perf, cc; redis-server, python3 with
# numpy, node): bash packages/workloads/recorded/record.sh [NAME...]. Needs a built CLI (npm run build).
set -e
here=$(cd "$(dirname "$0")" && pwd)
pagelab="${PAGELAB:-node $here/../../../apps/lab/bin/pagelab.js}"
py=$(python3 -c 'import sys; print(sys.executable)')
rec() { name=$1; shift; $pagelab record --name "$name" --interval 50 --out "$here/$name.jsonl" -- "$@" && gzip -9nf "$here/$name.jsonl"; }
for w in ${*:-redis-bgsave numpy-arrays node-heap-churn compile}; do
  case $w in
    redis-bgsave) rec redis-bgsave sh "$here/programs/redis-bgsave.sh" ;;
    numpy-arrays) rec numpy-arrays "$py" "$here/programs/numpy-arrays.py" ;;
    node-heap-churn) rec node-heap-churn node "$here/programs/node-heap-churn.cjs" ;;
    compile) rec compile sh "$here/programs/compile.sh" ;;
  esac
done
