import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { smallEvents, smallHeader } from '@pagelab/engine/testing';
import type { Scenario } from '@pagelab/workloads';
import { testContext, testScenario } from '../testing.js';
import { sweepCommand } from './sweep.js';

const MiB = 1 << 20;
const seeded: Scenario = {
  ...testScenario,
  name: 'test-seeded',
  params: [
    { name: 'seed', description: 'PRNG seed', default: 1 },
    { name: 'extra', description: 'extra writes', default: 0 },
  ],
  generate(params = {}) {
    const seed = Number(params['seed'] ?? 1);
    const n = Number(params['extra'] ?? 0) + (seed % 3);
    const mmap = { type: 'mmap' as const, pid: 1, addr: 6 * MiB, len: 16 * MiB, kind: 'anon' as const };
    const extra = Array.from({ length: n }, (_, i) => ({ type: 'touch' as const, pid: 1, addr: 6 * MiB + i * 2 * MiB, len: 4096, write: true }));
    return {
      header: { ...smallHeader, workload: { name: 'test-seeded', seed, params: { seed, extra: Number(params['extra'] ?? 0) } } },
      events: [...smallEvents, mmap, ...extra],
    };
  },
};

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'pagelab-sweep-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));
const ctxFor = () => testContext(cwd, { loadScenarios: async () => [testScenario, seeded] });

const SPEC = `
workloads:
  - scenario: test-seeded
    params: { extra: [0, 2] }
designs: [linux-5.8, linux-6.10]
settings: { khugepaged.max_ptes_none: [0, 511] }
seeds: 1..3
`;

describe('pagelab sweep', () => {
  it('runs the cartesian product, resumes from its cache, and writes results that DuckDB reads with their types', async () => {
    writeFileSync(join(cwd, 'spec.yaml'), SPEC);
    const t = ctxFor();
    expect(await sweepCommand(t.ctx, { spec: 'spec.yaml', out: 'sw', jobs: 1 })).toBe(0);
    const cells = readdirSync(join(cwd, 'sw', 'cells')).filter((f) => !f.startsWith('.'));
    expect(cells).toHaveLength(2 * 3 * 2 * 2); // extra x seeds x settings x designs
    expect(t.out()).toContain('24 cells: 24 run, 0 from the cache');

    // again: everything from the cache; widened by a seed: only the new cells run
    const again = ctxFor();
    expect(await sweepCommand(again.ctx, { spec: 'spec.yaml', out: 'sw', jobs: 1 })).toBe(0);
    expect(again.out()).toContain('24 cells: 0 run, 24 from the cache');
    writeFileSync(join(cwd, 'spec.yaml'), SPEC.replace('seeds: 1..3', 'seeds: 1..4'));
    const wider = ctxFor();
    expect(await sweepCommand(wider.ctx, { spec: 'spec.yaml', out: 'sw', jobs: 1 })).toBe(0);
    expect(wider.out()).toContain('32 cells: 8 run, 24 from the cache');

    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const describeOf = async (file: string) =>
      Object.fromEntries(
        (await c.runAndReadAll(`DESCRIBE SELECT * FROM '${join(cwd, 'sw', file)}'`))
          .getRowObjects()
          .map((r) => [String(r['column_name']), String(r['column_type'])]),
      );
    const pq = await describeOf('results.parquet');
    const first = Object.keys(pq).slice(0, 10);
    expect(first).toEqual([
      'cell',
      'workload',
      'param_extra',
      'seed',
      'design',
      'refcount_policy',
      'sharedness_policy',
      'pinned_migration_policy',
      'shmem_truncate_policy',
      'khugepaged_max_ptes_none',
    ]);
    expect(pq['seed']).toBe('BIGINT');
    expect(pq['design']).toBe('VARCHAR');
    expect(pq['param_extra']).toBe('DOUBLE');
    expect(pq['waste_mean_bytes']).toBe('DOUBLE');
    expect(pq['thp_fault_alloc']).toBe('DOUBLE');
    const csv = await describeOf('results.csv');
    expect(Object.keys(csv)).toEqual(Object.keys(pq));
    expect(csv['waste_bytes']).toMatch(/BIGINT|DOUBLE|INTEGER/);
    const n = (await c.runAndReadAll(`SELECT count(*) AS n FROM '${join(cwd, 'sw', 'results.parquet')}'`)).getRowObjects()[0]!['n'];
    expect(Number(n)).toBe(32);

    // stats.csv: one group per (workload, extra, max_ptes_none), each design across 4 seeds
    const stats = (await c.runAndReadAll(`SELECT * FROM '${join(cwd, 'sw', 'stats.csv')}' WHERE metric = 'waste_bytes'`)).getRowObjects();
    expect(stats).toHaveLength(2 * 2 * 2);
    for (const r of stats) expect(Number(r['n'])).toBe(4);
    const header = readFileSync(join(cwd, 'sw', 'stats.csv'), 'utf8').split('\n')[0];
    expect(header).toBe(
      'workload,param_extra,khugepaged_max_ptes_none,design,metric,n,mean,sd,median,ci_low,ci_high,delta_mean,delta_ci_low,delta_ci_high,p_value',
    );
    c.closeSync();

    // the sweep's report: a headline row per group and design, and metric-against-parameter charts
    const { writeReport } = await import('@pagelab/analysis');
    const out = await writeReport(join(cwd, 'sw'));
    const html = readFileSync(out.html, 'utf8');
    expect((html.match(/<tr class="group">/g) ?? []).length).toBe(4);
    expect((html.match(/<tr data-design=/g) ?? []).length).toBe(8);
    expect(html).toContain('against khugepaged_max_ptes_none');
    expect(html).toContain('against param_extra');
    const pngs = readdirSync(join(cwd, 'sw', 'charts')).filter((f) => f.endsWith('.png'));
    expect(pngs).toContain('sweep-waste_mean_bytes-vs-khugepaged_max_ptes_none.png');
    expect(html).not.toMatch(/NaN|undefined/);
  }, 180_000); // 56 small replays, three DuckDB reads and a report with PNG charts: seconds here, far more on a loaded 2-core machine

  it('names the field of a bad spec and exits 2', async () => {
    writeFileSync(join(cwd, 'bad.yaml'), SPEC.replace('[0, 511]', '[0, 600]'));
    const t = ctxFor();
    expect(await sweepCommand(t.ctx, { spec: 'bad.yaml', out: 'sw' })).toBe(2);
    expect(t.err()).toContain('settings.khugepaged.max_ptes_none: khugepaged.max_ptes_none=600: expected an integer from 0 to 511');
    expect(existsSync(join(cwd, 'sw'))).toBe(false);
  });
});

describe('pagelab sweep --shard and sweep merge', () => {
  it('two shards run disjoint halves, and their merge equals the unsharded sweep', async () => {
    writeFileSync(join(cwd, 'spec.yaml'), SPEC);
    const run = async (args: Parameters<typeof sweepCommand>[1]) => {
      const t = ctxFor();
      expect(await sweepCommand(t.ctx, args)).toBe(0);
      return t;
    };
    await run({ spec: 'spec.yaml', out: 'whole', jobs: 1 });
    await run({ spec: 'spec.yaml', out: 's1', jobs: 1, shard: '1/2' });
    await run({ spec: 'spec.yaml', out: 's2', jobs: 1, shard: '2/2' });
    const cellsOf = (d: string) => readdirSync(join(cwd, d, 'cells')).filter((f) => !f.startsWith('.'));
    expect(cellsOf('s1').length + cellsOf('s2').length).toBe(24);
    expect(cellsOf('s1').filter((k) => cellsOf('s2').includes(k))).toEqual([]);
    expect(existsSync(join(cwd, 's1', 'results.csv'))).toBe(false);

    const { sweepMergeCommand } = await import('./sweep.js');
    const t = ctxFor();
    expect(await sweepMergeCommand(t.ctx, ['s1', 's2'], 'merged')).toBe(0);
    for (const f of ['results.csv', 'stats.csv']) expect(readFileSync(join(cwd, 'merged', f), 'utf8')).toBe(readFileSync(join(cwd, 'whole', f), 'utf8'));

    const partial = ctxFor();
    expect(await sweepMergeCommand(partial.ctx, ['s1'], 'half')).toBe(2);
    expect(partial.err()).toMatch(/summary\.json: missing; cell [0-9a-f]+ \(test-seeded seed \d, linux-/);
  }, 120_000); // 48 small replays; a loaded 2-core machine takes a while
});
