import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { readObservations } from '../io/readObservations.js';
import { alignBySeq } from '../pipelines/alignBySeq.js';
import { deltaVsBaseline } from '../pipelines/deltaVsBaseline.js';
import { samples } from '../pipelines/samples.js';
import { writeFixtureRun } from '../testing/fixture.js';
import { collectDesign, outcomeMismatches } from './collect.js';
import { loadRun } from './load.js';

describe('collectDesign on a fixture run', () => {
  it('recomputes the summary outcomes and whole-run locked-op rates from the observation log', async () => {
    const run = await loadRun(writeFixtureRun({ events: 5000, sampleEvery: 50 }));
    for (const d of run.designs) {
      const s = await collectDesign(d);
      expect(outcomeMismatches(d, s.outcomes)).toEqual([]);
      const whole = s.siteRates[0]!;
      expect(whole.seqTo).toBe(5000);
      for (const [site, n] of Object.entries(d.summary.metrics.lockedOpsBySite)) expect(whole.rates[site] ?? 0).toBeCloseTo((n * 1000) / 5000, 6);
      expect(s.waste.length).toBeLessThanOrEqual(302);
      expect(s.waste.at(-1)!.totalBytes).toBe(d.summary.metrics.wasteBytes);
      expect(s.coverage.at(-1)!.percent).toBeCloseTo(d.summary.metrics.hugeCoverage * 100, 9);
    }
  });

  it('aligns the designs of one log by seq and gives deltas against the baseline', async () => {
    const dir = writeFixtureRun({ events: 1000, sampleEvery: 100 });
    const names = ['linux-3.13', 'linux-4.5', 'linux-6.10'];
    const rows = await lastValueFrom(
      alignBySeq(names.map((n) => readObservations(join(dir, n, 'observations.jsonl')).pipe(samples()))).pipe(
        deltaVsBaseline((s) => s.metrics.wasteBytes),
        toArray(),
      ),
    );
    expect(rows.map((r) => r.seq)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    const last = rows.at(-1)!;
    const waste = names.map((n) => JSON.parse(readFileSync(join(dir, n, 'summary.json'), 'utf8')).metrics.wasteBytes as number);
    expect(last.deltas.map((d) => d!.delta)).toEqual(waste.map((w) => w - waste[0]!));
  });
});
