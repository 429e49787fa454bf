/**
 * Sweep throughput on the worker pool: the same sweep (mixed, 8 cells) with
 * one worker and with two, each into a fresh directory (no cache), timed end
 * to end through the CLI. Prints cells/s and events/s for each and the
 * speed-up against the target of 1.8x on a 2-core machine. A bench output,
 * not a test: on a shared machine the figure moves with the load, which the
 * header reports.
 *
 *   npm run bench                       (after the replay bench)
 *   node --import tsx/esm --conditions=development tools/bench/src/sweep-throughput.ts [EVENTS]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'apps/lab/bin/pagelab.js');
const EVENTS = Number(process.argv[2] ?? 20_000);
const SEEDS = 4;
const DESIGNS = ['linux-3.13', 'linux-6.15'];
const CELLS = SEEDS * DESIGNS.length;

const tmp = mkdtempSync(join(tmpdir(), 'pagelab-sweep-bench-'));
try {
  const spec = join(tmp, 'bench.yaml');
  writeFileSync(
    spec,
    `workloads:\n  - scenario: mixed\n    params: { events: ${EVENTS}, memoryGiB: 1 }\ndesigns: [${DESIGNS.join(', ')}]\nseeds: 1..${SEEDS}\n`,
  );
  console.log(
    `sweep throughput: mixed ${EVENTS.toLocaleString('en-US')} events x ${SEEDS} seeds x ${DESIGNS.length} designs = ${CELLS} cells; ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const time = (jobs: number): number => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, 'sweep', spec, '--jobs', String(jobs), '--out', join(tmp, `jobs-${jobs}`)], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pagelab sweep --jobs ${jobs} exited ${r.status ?? r.signal}:\n${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const one = time(1);
  const two = time(2);
  const row = (jobs: number, s: number) =>
    `  ${jobs} worker${jobs === 1 ? ' ' : 's'}: ${s.toFixed(1)} s, ${(CELLS / s).toFixed(2)} cells/s, ${Math.round((CELLS * EVENTS) / s).toLocaleString('en-US')} events/s`;
  console.log(row(1, one));
  console.log(row(2, two));
  const speedup = one / two;
  console.log(
    `  speed-up 2 vs 1 workers: ${speedup.toFixed(2)}x (target >= 1.8x: ${speedup >= 1.8 ? 'met' : 'not met'}; the load average above says how much else ran)`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
