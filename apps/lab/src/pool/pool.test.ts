/**
 * The worker pool against the same replays in one thread. The pool runs the
 * built worker (dist/pool/worker.js), so this spawns the built CLI, as the
 * analysis app's real-run test does; skipped with a reason when there is no build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../../..');
const CLI = join(ROOT, 'apps/lab/bin/pagelab.js');
const BUILT = existsSync(join(ROOT, 'apps/lab/dist/pool/worker.js'));
const tmp = mkdtempSync(join(tmpdir(), 'pagelab-pool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function compare(out: string, jobs: number) {
  const r = spawnSync(
    process.execPath,
    [CLI, 'compare', 'mixed', '-p', 'events=1500', '--seeds', '1..3', '--designs', 'linux-3.13,linux-6.15', '--jobs', String(jobs), '--out', join(tmp, out)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      // six small replays; a loaded 2-core machine takes tens of seconds to start the workers and the CLI
      timeout: 170_000,
    },
  );
  if (r.status !== 0) throw new Error(`pagelab compare --jobs ${jobs} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

describe.skipIf(!BUILT)('replays on worker threads', () => {
  if (!BUILT) console.log('skipped: apps/lab is not built (npx nx run @pagelab/lab:build); the pool runs dist/pool/worker.js');
  it('two workers write the same stats.csv, summary.csv and summaries as one thread, and report progress', () => {
    const one = compare('one', 1);
    const two = compare('two', 2);
    expect(two.stderr).toMatch(/replays 6\/6, [\d,]+ events\/s/);
    expect(one.stderr).toMatch(/replays 6\/6/);
    for (const f of ['stats.csv', 'summary.csv', 'seed-2/linux-6.15/summary.json', 'seed-3/linux-3.13/observations.jsonl']) {
      expect(readFileSync(join(tmp, 'two', f), 'utf8')).toBe(readFileSync(join(tmp, 'one', f), 'utf8'));
    }
  }, 360_000);
});
