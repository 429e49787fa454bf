import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logLines, smallEvents, smallHeader } from '@pagelab/engine/testing';
import type { Scenario } from '@pagelab/workloads';
import { parseSeeds } from '../seeds.js';
import { parseSets } from '../settings-override.js';
import { testContext, testScenario } from '../testing.js';
import { compareCommand } from './compare.js';
import { runCommand } from './run.js';

const MiB = 1 << 20;

/** A seeded scenario: the seed decides how many extra 4 KiB writes land after the THP life, so waste differs by seed. */
const seeded: Scenario = {
  ...testScenario,
  name: 'test-seeded',
  params: [{ name: 'seed', description: 'PRNG seed', default: 1 }],
  generate(params = {}) {
    const seed = Number(params['seed'] ?? 1);
    const extra = Array.from({ length: (seed * 7) % 5 }, (_, i) => ({ type: 'touch' as const, pid: 1, addr: 6 * MiB + i * 2 * MiB, len: 4096, write: true }));
    const mmap = { type: 'mmap' as const, pid: 1, addr: 6 * MiB, len: 16 * MiB, kind: 'anon' as const };
    return { header: { ...smallHeader, workload: { name: 'test-seeded', seed, params: { seed } } }, events: [...smallEvents, mmap, ...extra] };
  },
};

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'pagelab-seeds-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const ctxFor = () => testContext(cwd, { loadScenarios: async () => [testScenario, seeded] });

// The rows of a CSV file as objects, read with the analysis app's RFC 4180 reader (loaded lazily, as the lab does).
const { csvRecords: records } = await import('@pagelab/analysis');

describe('--seeds', () => {
  it('reads ranges, lists and both, in order', () => {
    expect(parseSeeds('1..5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds('1,4,9')).toEqual([1, 4, 9]);
    expect(parseSeeds('1..3,7')).toEqual([1, 2, 3, 7]);
    expect(() => parseSeeds('3..1')).toThrow(/runs backwards/);
    expect(() => parseSeeds('1,1')).toThrow(/seed 1 is given twice/);
    expect(() => parseSeeds('a')).toThrow(/"a" is not an integer/);
  });
});

describe('--set', () => {
  it('overrides a tunable by its sysctl key and names the accepted values of a bad one', () => {
    expect(parseSets(['khugepaged.max_ptes_none=64', 'thp.enabled=madvise'])).toEqual({ 'khugepaged.max_ptes_none': 64, 'thp.enabled': 'madvise' });
    expect(() => parseSets(['khugepaged.max_ptes_none=600'])).toThrow('--set khugepaged.max_ptes_none=600: expected an integer from 0 to 511');
    expect(() => parseSets(['thp.enabled=sometimes'])).toThrow('--set thp.enabled=sometimes: expected one of always, madvise, never');
    expect(() => parseSets(['khugepaged.max_ptes_nope=1'])).toThrow(
      /--set khugepaged.max_ptes_nope: unknown tunable; expected one of thp.enabled, .*khugepaged.max_ptes_none/,
    );
  });

  it('a run replays with the overridden tunable and records it in summary.json', async () => {
    const t = ctxFor();
    writeFileSync(join(cwd, 'good.jsonl'), `${logLines().join('\n')}\n`);
    expect(await runCommand(t.ctx, { log: 'good.jsonl', design: 'linux-6.10', out: 'r', set: ['thp.enabled=never'] })).toBe(0);
    const s = JSON.parse(readFileSync(join(cwd, 'r', 'summary.json'), 'utf8'));
    expect(s.settings['thp.enabled']).toBe('never');
    // thp.enabled=never: the 4 MiB touch faults in 4 KiB pages, no THP
    expect(s.vmstat.thp_fault_alloc).toBe(0);
  });

  it('an unknown key exits 2 and writes nothing', async () => {
    const t = ctxFor();
    expect(await compareCommand(t.ctx, { log: 'test-seeded', designs: ['linux-6.10'], seeds: '1..2', set: ['thp.nope=1'], out: 'c' })).toBe(2);
    expect(t.err()).toContain('--set thp.nope: unknown tunable');
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('pagelab compare SCENARIO --seeds', () => {
  it('replays the scenario once per seed under every design and writes stats.csv with the contract columns', async () => {
    const t = ctxFor();
    expect(await compareCommand(t.ctx, { log: 'test-seeded', designs: ['linux-5.8,linux-6.10'], seeds: '1..4', out: 'rep' })).toBe(0);
    const dir = join(cwd, 'rep');
    for (const s of [1, 2, 3, 4]) for (const d of ['linux-5.8', 'linux-6.10']) expect(existsSync(join(dir, `seed-${s}`, d, 'summary.json'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8'));
    expect(manifest.kind).toBe('replicates');
    expect(manifest.seeds).toEqual([1, 2, 3, 4]);

    const statsText = readFileSync(join(dir, 'stats.csv'), 'utf8');
    expect(statsText.split('\n')[0]).toBe('design,metric,n,mean,sd,median,ci_low,ci_high,delta_mean,delta_ci_low,delta_ci_high,p_value');
    const stats = records(statsText);
    const summary = records(readFileSync(join(dir, 'summary.csv'), 'utf8'));
    expect(summary).toHaveLength(8);
    // metric names are summary.csv's columns; one row per design and metric
    const metrics = [...new Set(stats.map((r) => r.metric))];
    for (const m of metrics) expect(Object.keys(summary[0]!)).toContain(m);
    expect(stats).toHaveLength(2 * metrics.length);
    for (const r of stats.filter((r) => r.design === 'linux-5.8')) expect([r.delta_mean, r.delta_ci_low, r.delta_ci_high, r.p_value]).toEqual(['', '', '', '']);

    // recomputed from the per-seed summaries: mean and the paired difference of waste_bytes
    const waste = (d: string) =>
      [1, 2, 3, 4].map((s) => JSON.parse(readFileSync(join(dir, `seed-${s}`, d, 'summary.json'), 'utf8')).metrics.wasteBytes as number);
    const row = stats.find((r) => r.design === 'linux-6.10' && r.metric === 'waste_bytes')!;
    expect(Number(row.n)).toBe(4);
    const { stats: st } = await import('@pagelab/analysis');
    expect(Number(row.mean)).toBeCloseTo(st.mean(waste('linux-6.10')), 6);
    const pd = st.pairedDifference(waste('linux-6.10'), waste('linux-5.8'));
    expect(Number(row.delta_mean)).toBeCloseTo(pd.mean, 6);
    expect(t.out()).toContain('mean ± 95% CI');
    expect(t.out()).toMatch(/paired t-test/);
  });

  it('refuses to reseed a log file, exit 2, nothing written', async () => {
    const t = ctxFor();
    writeFileSync(join(cwd, 'good.jsonl'), `${logLines().join('\n')}\n`);
    expect(await compareCommand(t.ctx, { log: 'good.jsonl', designs: ['linux-6.10'], seeds: '1..3', out: 'c' })).toBe(2);
    expect(t.err()).toContain('good.jsonl is a log file');
    expect(t.err()).toContain('cannot be reseeded');
    expect(existsSync(join(cwd, 'c'))).toBe(false);
  });

  it('refuses a scenario without a seed parameter, and --param seed beside --seeds', async () => {
    const t = ctxFor();
    expect(await compareCommand(t.ctx, { log: 'test-thp-life', designs: ['linux-6.10'], seeds: '1..2', out: 'c' })).toBe(2);
    expect(t.err()).toContain('scenario test-thp-life has no seed parameter');
    expect(await compareCommand(t.ctx, { log: 'test-seeded', designs: ['linux-6.10'], seeds: '1..2', param: ['seed=3'], out: 'c' })).toBe(2);
    expect(t.err()).toContain('--seeds and --param seed=... both set the seed');
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('compare --seeds --check', () => {
  it('walks the invariants at every sample of every replay and exits 0 when none broke', async () => {
    const t = ctxFor();
    expect(await compareCommand(t.ctx, { log: 'test-seeded', designs: ['linux-6.10'], seeds: '1..2', out: 'chk', check: true })).toBe(0);
    const prov = JSON.parse(readFileSync(join(cwd, 'chk', 'seed-2', 'linux-6.10', 'provenance.json'), 'utf8'));
    expect(prov.replay.checkInvariants).toBe('sample');
  });
});
