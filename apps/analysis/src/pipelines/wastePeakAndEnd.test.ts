import { describe, it } from 'vitest';
import type { Sample } from '../metrics.js';
import { wastePeakAndEnd } from './wastePeakAndEnd.js';
import { causes, sample, scheduler } from '../testing/marbles.js';

describe('wastePeakAndEnd', () => {
  it('keeps the first sample with the most waste and the last sample, by cause', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', {
        a: sample(0),
        b: sample(10, { wasteBytes: 300, wasteByCause: { 'collapse-bloat': 200 } }),
        c: sample(20, { wasteBytes: 300, wasteByCause: { 'collapse-bloat': 300 } }),
        d: sample(30, { wasteBytes: 40, wasteByCause: { 'unmapped-in-thp': 40 } }),
      });
      expectObservable(src.pipe(wastePeakAndEnd())).toBe('----(t|)', {
        t: {
          samples: 4,
          peak: { seq: 10, totalBytes: 300, byCause: causes({ 'collapse-bloat': 200, unattributed: 100 }) },
          end: { seq: 30, totalBytes: 40, byCause: causes({ 'unmapped-in-thp': 40 }) },
        },
      });
    });
  });

  it('has neither for a log without samples', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Sample>('--|').pipe(wastePeakAndEnd())).toBe('--(t|)', { t: { samples: 0, peak: undefined, end: undefined } });
    });
  });
});
