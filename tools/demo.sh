#!/usr/bin/env bash
# pagelab demo: write a small workload log, validate it, compare three kernel
# eras on it and write the report. Output in runs/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
pagelab() { node apps/lab/bin/pagelab.js "$@"; }
mkdir -p runs
log=runs/demo-workload.jsonl
node -e '
const MiB = 1 << 20, L = [];
L.push({ pagelab: 1, machine: { memory: 256 * MiB, nodes: 1, cma: 0, swap: 64 * MiB }, settings: { "thp.enabled": "always" }, workload: { name: "demo", seed: 1, params: {} } });
L.push({ type: "spawn", pid: 1 }, { type: "mmap", pid: 1, addr: 2 * MiB, len: 32 * MiB, kind: "anon" });
L.push({ type: "touch", pid: 1, addr: 2 * MiB, len: 32 * MiB, write: true });
L.push({ type: "expect", pid: 1, addr: 2 * MiB, len: 32 * MiB, anonHugeBytes: 32 * MiB, label: "all huge after the fault" });
for (let i = 0; i < 16; i++) L.push({ type: "munmap", pid: 1, addr: 2 * MiB + i * 2 * MiB + 4096 * (i + 1), len: 4096 });
L.push({ type: "fork", parent: 1, child: 2 });
for (let i = 0; i < 64; i++) L.push({ type: "touch", pid: 2, addr: 2 * MiB + i * 512 * 1024, len: 4096, write: true });
L.push({ type: "pin", pid: 1, addr: 4 * MiB + 4096 * 100, len: 4096, handle: "dma0", longterm: true });
L.push({ type: "dio", pid: 1, addr: 6 * MiB + 4096 * 9, len: 4096, count: 8 });
L.push({ type: "unpin", handle: "dma0" }, { type: "exit", pid: 2 }, { type: "expect", pid: 1, contentIntact: true });
require("fs").writeFileSync(process.argv[1], L.map((x) => JSON.stringify(x)).join("\n") + "\n");
' "$log"
pagelab validate "$log"
pagelab compare "$log" --designs linux-4.5,linux-5.8,linux-6.10 --sample-every 10 --out runs/demo --force --report
