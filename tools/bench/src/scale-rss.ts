/**
 * Peak RSS of `pagelab validate` and `pagelab run` against the length of
 * the log. Nothing the CLI holds may grow with the log: the reader streams
 * (1 MiB chunks), the replay applies one event at a time, observations leave
 * in bounded batches through a writer that flushes synchronously, metric
 * samples are ~1,000 per run whatever its length (autoSampleEvery), the
 * invariants are walked 16 times, event marks are thinned past 512 per type
 * and balloon rounds past 512 are summed. This measures that promise.
 *
 * For each size (default 1M, 4M and 20M events, ~66 bytes each: 1.3 GB at
 * 20M) it checks the free space of the temporary directory, writes the log
 * there as a stream, runs `pagelab validate` and `pagelab run` on it as
 * child processes under GNU time (`/usr/bin/time -f %M`: the peak RSS of the
 * bin and of the app it runs, the largest of the process tree), prints the
 * figures, and removes the log and the run directory before the next size.
 *
 *   npm run bench:scale -w @pagelab/bench [-- EVENTS...]
 *
 * The bound (README "What a run promises"): peak RSS of either command under
 * 256 MiB whatever the log's length, for a log whose machine has 256 MiB of
 * memory (the model's frame arrays and page tables are a cost of the machine
 * and of the memory the log maps, not of its length). The figures, from
 * source through tsx, on the shared 2-core VM at load 20-30 (wall times are
 * the load's):
 *
 *   events       log        validate   run       (wall s: validate / run)
 *    1,000,000     63 MiB   185 MiB    209 MiB   (26 / 68)
 *    4,000,000    253 MiB   192 MiB    202 MiB   (143 / 233)
 *   20,000,000  1,265 MiB   187 MiB    216 MiB   (499 / 604)
 *
 * (2026-12-02; before the balloon meter summed rounds past 512, run grew
 * 211 -> 245 MiB from 1M to 4M events: it kept every round.)
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1 << 20;
/** The promised peak RSS of validate and run, whatever the log's length. */
const BOUND_MIB = 256;
const bin = fileURLToPath(new URL('../../../apps/lab/bin/pagelab.js', import.meta.url));
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const EVENTS = sizes.length ? sizes : [1_000_000, 4_000_000, 20_000_000];

/** A log of `n` events: one process touching, reading and unmapping/remapping pages of a 64 MiB range. */
async function writeLog(path: string, n: number): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 4 * MiB });
  // Waits only when the stream asks to (a promise per line would cost more than the line).
  const put = (line: string): Promise<void> | undefined => (out.write(`${line}\n`) ? undefined : new Promise<void>((r) => out.once('drain', () => r())));
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

/** Peak RSS in MiB (GNU time's %M: the largest process of the tree) and wall seconds of `pagelab ARGS`. */
function measure(args: string[], cwd: string): { rssMiB: number; secs: number; status: number | null } {
  const t0 = Date.now();
  const time = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], { cwd, encoding: 'utf8' });
  const kb = /(\d+)\s*$/.exec(time.stderr ?? '');
  if (time.error !== undefined || kb === null) {
    throw new Error(`cannot measure peak RSS: /usr/bin/time (GNU time) is needed (apt-get install time)${time.error ? `: ${time.error.message}` : ''}`);
  }
  return { rssMiB: Number(kb[1]) / 1024, secs: (Date.now() - t0) / 1000, status: time.status };
}

/** ~66 bytes per event in the log, and the run directory is small: twice the log's size is enough room. */
function checkFreeSpace(dir: string, events: number): void {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  const need = events * 66 * 2;
  if (free < need) {
    throw new Error(
      `${dir} has ${(free / MiB).toFixed(0)} MiB free; a log of ${events.toLocaleString('en-US')} events needs about ${(need / MiB).toFixed(0)} MiB`,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pagelab-scale-'));
try {
  console.log(`peak RSS of validate and run against the log's length (bound: ${BOUND_MIB} MiB)`);
  console.log('events       log size   validate peak RSS   run peak RSS   (wall s: validate / run)');
  let worst = 0;
  for (const n of EVENTS) {
    const log = join(dir, `scale-${n}.jsonl`);
    checkFreeSpace(dir, n);
    await writeLog(log, n);
    const bytes = statSync(log).size;
    const v = measure(['validate', log], dir);
    // The default sampling: about 1,000 samples whatever the length.
    const r = measure(['run', log, '--design', 'linux-6.10', '--out', join(dir, `run-${n}`)], dir);
    if (v.status !== 0 || r.status !== 0) throw new Error(`pagelab exited ${v.status}/${r.status} on ${n} events`);
    console.log(
      `${n.toLocaleString('en-US').padStart(11)}  ${(bytes / MiB).toFixed(0).padStart(6)} MiB  ${v.rssMiB.toFixed(0).padStart(14)} MiB  ${r.rssMiB.toFixed(0).padStart(10)} MiB   (${v.secs.toFixed(0)} / ${r.secs.toFixed(0)})`,
    );
    worst = Math.max(worst, v.rssMiB, r.rssMiB);
    rmSync(log, { force: true });
    rmSync(join(dir, `run-${n}`), { recursive: true, force: true });
  }
  console.log(`largest peak ${worst.toFixed(0)} MiB: ${worst <= BOUND_MIB ? 'within' : 'OVER'} the ${BOUND_MIB} MiB bound`);
  if (worst > BOUND_MIB) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
