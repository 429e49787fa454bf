import { readFileSync } from 'node:fs';
import { describe as group, expect, it } from 'vitest';
import { describe, meanCi, pairedDifference, replicateStats, statsCsv, tCritical, STATS_COLUMNS } from './index.js';

// Reference values from scipy.stats; regenerate with the command at the top of fixtures/make_fixtures.py.
interface Case {
  name: string;
  values: number[];
  baseline: number[];
  n: number;
  mean: number;
  sd: number;
  median: number;
  ci_low: number;
  ci_high: number;
  delta_mean: number;
  delta_ci_low: number;
  delta_ci_high: number;
  p_value: number;
  t_critical: number;
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/scipy.json', import.meta.url), 'utf8')) as { cases: Case[] };

// jstat's t quantile agrees with scipy's to about 3e-9 (relative), so the intervals are checked to 1e-8.
const close = (actual: number | undefined, expected: number, rel = 1e-8) => {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
};

group('statistics across seeds agree with scipy.stats', () => {
  for (const c of fixtures.cases) {
    it(`${c.name}: mean, sd, median and the t interval of the mean match scipy`, () => {
      const d = describe(c.values);
      expect(d.n).toBe(c.n);
      close(d.mean, c.mean);
      close(d.sd, c.sd);
      close(d.median, c.median);
      close(tCritical(0.95, c.n - 1), c.t_critical);
      const ci = meanCi(c.values)!;
      // Bounds are checked relative to the interval's width: the t quantile's error scales the half-width.
      close(ci.low, c.ci_low, (1e-8 * (c.ci_high - c.ci_low)) / Math.max(1, Math.abs(c.ci_low)));
      close(ci.high, c.ci_high, (1e-8 * (c.ci_high - c.ci_low)) / Math.max(1, Math.abs(c.ci_high)));
    });
    it(`${c.name}: the paired difference and ttest_rel's p-value match scipy`, () => {
      const p = pairedDifference(c.values, c.baseline);
      close(p.mean, c.delta_mean);
      const w = c.delta_ci_high - c.delta_ci_low;
      close(p.ci!.low, c.delta_ci_low, (1e-8 * w) / Math.max(1, Math.abs(c.delta_ci_low)));
      close(p.ci!.high, c.delta_ci_high, (1e-8 * w) / Math.max(1, Math.abs(c.delta_ci_high)));
      close(p.p, c.p_value, 1e-7);
    });
  }
});

group('paired differences', () => {
  it('designs that agree on every seed have no p-value (0/0), not a significant one', () => {
    const p = pairedDifference([5, 7, 9], [5, 7, 9]);
    expect(p.mean).toBe(0);
    expect(p.ci).toEqual({ low: 0, high: 0 });
    expect(p.p).toBeUndefined();
  });
  it('a constant non-zero difference is significant (t is infinite, p = 0)', () => {
    expect(pairedDifference([6, 8, 10], [5, 7, 9]).p).toBe(0);
  });
  it('one seed gives a mean but neither an interval nor a test', () => {
    const p = pairedDifference([6], [5]);
    expect(p).toEqual({ n: 1, mean: 1, ci: undefined, p: undefined });
  });
  it('pairing is by seed, not by position: the per-seed noise cancels and a small consistent effect is significant', () => {
    // Seed noise (100..300) dwarfs the effect (+1..+2 on every seed); given out of seed order on purpose.
    const reps = [
      { design: 'A', seed: 1, metrics: { w: 100 } },
      { design: 'A', seed: 2, metrics: { w: 300 } },
      { design: 'A', seed: 3, metrics: { w: 200 } },
      { design: 'B', seed: 3, metrics: { w: 201.5 } },
      { design: 'B', seed: 1, metrics: { w: 101 } },
      { design: 'B', seed: 2, metrics: { w: 302 } },
    ];
    const [a, b] = replicateStats(reps, ['A', 'B'], ['w']);
    expect(b!.deltaMean).toBe(1.5);
    // Unpaired, B's interval overlaps A's almost entirely; paired, the difference's interval excludes 0.
    expect(b!.ciLow! < a!.ciHigh!).toBe(true);
    expect(b!.deltaCiLow!).toBeGreaterThan(0);
    // scipy.stats.ttest_rel([101, 302, 201.5], [100, 300, 200]).pvalue
    expect(b!.pValue!).toBeCloseTo(0.0350987, 6);
  });
});

group('stats.csv', () => {
  it('has exactly the contract columns, one row per design and metric, and empty delta cells for the baseline', () => {
    const reps = [1, 2, 3].flatMap((seed) => [
      { design: 'linux-3.13', seed, metrics: { waste_bytes: seed * 10, locked_ops: 100 + seed } },
      { design: 'linux-4.5', seed, metrics: { waste_bytes: seed * 12, locked_ops: 90 + seed * 2 } },
    ]);
    const csv = statsCsv(replicateStats(reps, ['linux-3.13', 'linux-4.5'], ['waste_bytes', 'locked_ops']))
      .trimEnd()
      .split('\n');
    expect(csv[0]).toBe(STATS_COLUMNS.join(','));
    expect(csv[0]).toBe('design,metric,n,mean,sd,median,ci_low,ci_high,delta_mean,delta_ci_low,delta_ci_high,p_value');
    expect(csv).toHaveLength(1 + 2 * 2);
    expect(csv[1]).toMatch(/^linux-3\.13,waste_bytes,3,20,10,20,[-0-9.e]+,[-0-9.e]+,,,,$/);
    const b = csv[3]!.split(',');
    expect(b.slice(0, 3)).toEqual(['linux-4.5', 'waste_bytes', '3']);
    expect(Number(b[8])).toBeCloseTo(4, 12);
  });
});
