import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// Each test renders every chart to SVG and PNG (resvg): about a second alone, several on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });
import { csvRecords } from '../testing/csv.js';
import { writeFixtureReplicates } from '../testing/replicates.js';
import { mean, meanCi, pairedDifference } from '../stats/index.js';
import { replicateHeadline } from './replicates.js';
import { writeReport } from './writeReport.js';

describe('the report of a replicated comparison', () => {
  it('heads with mean ± 95 % interval per design and paired deltas, recomputable from the per-seed summaries', async () => {
    const dir = writeFixtureReplicates([1, 2, 3, 4, 5]);
    const out = await writeReport(dir, { command: 'pagelab report DIR' });
    const html = readFileSync(out.html, 'utf8');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    const headline = /<table id="headline">[\s\S]*?<\/table>/.exec(html)![0];
    expect([...headline.matchAll(/<tr data-design="([^"]+)"/g)].map((m) => m[1])).toEqual(['linux-3.13', 'linux-4.5', 'linux-6.10']);
    expect(headline).toContain('±');

    const stats = csvRecords(readFileSync(join(dir, 'stats.csv'), 'utf8'));
    const waste = (d: string) =>
      [1, 2, 3, 4, 5].map((s) => JSON.parse(readFileSync(join(dir, `seed-${s}`, d, 'summary.json'), 'utf8')).metrics.peakWasteBytes as number);
    const row = stats.find((r) => r.design === 'linux-6.10' && r.metric === 'peak_waste_bytes')!;
    expect(Number(row.mean)).toBeCloseTo(mean(waste('linux-6.10')), 6);
    expect(Number(row.ci_low)).toBeCloseTo(meanCi(waste('linux-6.10'))!.low, 6);
    const pd = pairedDifference(waste('linux-6.10'), waste('linux-3.13'));
    expect(Number(row.delta_ci_high)).toBeCloseTo(pd.ci!.high, 6);
    expect(Number(row.p_value)).toBeCloseTo(pd.p!, 9);
    expect(csvRecords(readFileSync(out.csv, 'utf8'))).toHaveLength(15);

    const pngs = readdirSync(join(dir, 'charts')).filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(5);
    const md = readFileSync(out.markdown, 'utf8');
    for (const p of md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) expect(readFileSync(join(dir, p[1]!)).subarray(1, 4).toString()).toBe('PNG');
  });

  it('a delta whose interval contains 0 reads "no significant difference" in the neutral class, never better or worse', () => {
    const base = {
      n: 3,
      mean: 10,
      sd: 1,
      median: 10,
      ciLow: 8,
      ciHigh: 12,
      deltaMean: undefined,
      deltaCiLow: undefined,
      deltaCiHigh: undefined,
      pValue: undefined,
    };
    const rows = [
      { ...base, design: 'A', metric: 'waste_mean_bytes' },
      { ...base, design: 'B', metric: 'waste_mean_bytes', deltaMean: -3, deltaCiLow: -7, deltaCiHigh: 1, pValue: 0.12 },
      { ...base, design: 'C', metric: 'waste_mean_bytes', deltaMean: -3, deltaCiLow: -5, deltaCiHigh: -1, pValue: 0.02 },
    ];
    const [, b, c] = replicateHeadline(rows, ['A', 'B', 'C']);
    expect(b!.cells.waste_mean_bytes.verdict).toBe('nsd');
    expect(b!.cells.waste_mean_bytes.deltaText).toMatch(/^no significant difference/);
    expect(c!.cells.waste_mean_bytes.verdict).toBe('better');
  });
});
