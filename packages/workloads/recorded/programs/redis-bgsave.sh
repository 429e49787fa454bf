#!/bin/sh
# redis-server on loopback only, loaded with a dataset, then BGSAVE (fork, the child writes the RDB)
# while a client keeps overwriting keys: the parent's writes copy-on-write the pages the child shares.
set -e
dir=$(mktemp -d)
port=${PAGELAB_REDIS_PORT:-16379}
cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no --daemonize no \
  --loglevel warning --enable-debug-command local --protected-mode yes &
srv=$!
i=0; until cli ping >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
cli debug populate 60000 key 512 >/dev/null          # about 40 MiB of values
redis-benchmark -h 127.0.0.1 -p "$port" -q -n 6000 -c 2 -r 60000 -d 512 -t set >/dev/null &
bench=$!
cli bgsave >/dev/null
while cli info persistence | grep -q 'rdb_bgsave_in_progress:1'; do sleep 0.05; done
wait $bench
cli shutdown nosave >/dev/null 2>&1 || true
wait $srv || true
rm -rf "$dir"
