/**
 * Peak RSS of `pagelab validate` and `pagelab run` against the length of
 * the log: the reader streams (1 MiB chunks), the replay applies one event
 * at a time, observations leave in bounded batches and the writer flushes
 * synchronously, so memory must not grow with the log. Writes logs of each
 * size (default 1M, 5M and 20M events, ~100 bytes each) into a temporary
 * directory, runs the CLI on each in a child process and reads its peak RSS
 * (getrusage ru_maxrss of the child, via /usr/bin/time when present, else
 * process.resourceUsage in a wrapper), then removes the logs.
 *
 *   node --import tsx/esm --conditions=development tools/bench/src/scale-rss.ts [EVENTS...]
 *
 * The bound: peak RSS of either command under 256 MiB whatever the log's
 * length (the machine of the log, 256 MiB here, is a fixed cost on top:
 * ~26 bytes per frame). Measured 2026-12-01 on the shared 2-core VM at
 * load ~25 (wall times are the load's, not the tool's):
 *
 *   events      log      validate   run
 *   200,000     13 MiB   170 MiB    201 MiB
 *   1,000,000   63 MiB   186 MiB    211 MiB
 *   4,000,000   253 MiB  187 MiB    245 MiB
 *
 * validate is flat; run grew 211 -> 245 MiB from 1M to 4M events, which is
 * V8 letting its heap grow under load, or a leak a 20M-event run (~1.3 GB,
 * the target) would show: that run was not made this session (it needs
 * about 20 minutes of an idle core).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1 << 20;
const bin = fileURLToPath(new URL('../../../apps/lab/bin/pagelab.js', import.meta.url));
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const EVENTS = sizes.length ? sizes : [1_000_000, 5_000_000, 20_000_000];

/** A log of `n` events: one process touching, reading and unmapping/remapping pages of a 64 MiB range. */
async function writeLog(path: string, n: number): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 4 * MiB });
  const put = (line: string) => (out.write(`${line}\n`) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await put(JSON.stringify({ pagelab: 1, machine: { memory: 256 * MiB, nodes: 1, cma: 0, swap: 0 }, workload: { name: 'scale', seed: 1 } }));
  await put('{"type":"spawn","pid":1}');
  await put(`{"type":"mmap","pid":1,"addr":${64 * MiB},"len":${64 * MiB},"kind":"anon"}`);
  for (let i = 3; i < n; i++) {
    const page = (i * 7919) % 16384;
    const addr = 64 * MiB + page * 4096;
    await put(
      i % 64 === 0
        ? `{"type":"madvise","pid":1,"addr":${addr},"len":4096,"advice":"dontneed"}`
        : `{"type":"touch","pid":1,"addr":${addr},"len":4096,"write":${i % 3 === 0}}`,
    );
  }
  await new Promise<void>((r) => out.end(() => r()));
}

/** Peak RSS in MiB and wall seconds of `pagelab ARGS`. */
function measure(args: string[], cwd: string): { rssMiB: number; secs: number; status: number | null } {
  const t0 = Date.now();
  const wrapper =
    `const r=require('node:child_process').spawnSync(process.execPath,${JSON.stringify([bin, ...args])},{stdio:'ignore',cwd:${JSON.stringify(cwd)}});` +
    `process.stdout.write(JSON.stringify({status:r.status,rss:require('node:process').resourceUsage().maxRSS}))`;
  // resourceUsage of the wrapper does not include its children: read the child's from /usr/bin/time instead when it exists.
  const time = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], { cwd, encoding: 'utf8' });
  if (time.error === undefined && time.status !== null && /\d+\s*$/.test(time.stderr)) {
    const kb = Number(/(\d+)\s*$/.exec(time.stderr)![1]);
    return { rssMiB: kb / 1024, secs: (Date.now() - t0) / 1000, status: time.status };
  }
  const r = spawnSync(process.execPath, ['-e', wrapper], { encoding: 'utf8' });
  const v = JSON.parse(r.stdout) as { status: number; rss: number };
  return { rssMiB: v.rss / 1024, secs: (Date.now() - t0) / 1000, status: v.status };
}

const dir = mkdtempSync(join(tmpdir(), 'pagelab-scale-'));
try {
  console.log('events       log size   validate peak RSS   run peak RSS   (wall s: validate / run)');
  for (const n of EVENTS) {
    const log = join(dir, `scale-${n}.jsonl`);
    await writeLog(log, n);
    const bytes = statSync(log).size;
    const v = measure(['validate', log], dir);
    const r = measure(['run', log, '--design', 'linux-6.10', '--out', join(dir, `run-${n}`), '--sample-every', String(Math.max(1, Math.floor(n / 1000)))], dir);
    if (v.status !== 0 || r.status !== 0) throw new Error(`pagelab exited ${v.status}/${r.status} on ${n} events`);
    console.log(
      `${n.toLocaleString('en-US').padStart(11)}  ${(bytes / MiB).toFixed(0).padStart(6)} MiB  ${v.rssMiB.toFixed(0).padStart(14)} MiB  ${r.rssMiB.toFixed(0).padStart(10)} MiB   (${v.secs.toFixed(0)} / ${r.secs.toFixed(0)})`,
    );
    rmSync(log, { force: true });
    rmSync(join(dir, `run-${n}`), { recursive: true, force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
