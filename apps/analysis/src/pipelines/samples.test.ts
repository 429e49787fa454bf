import { describe, it } from 'vitest';
import type { Observation } from '@pagelab/events';
import { metricsWith } from '../metrics.js';
import { samples } from './samples.js';
import { sample, scheduler } from '../testing/marbles.js';

describe('samples', () => {
  it('keeps sample observations and drops domain events, filling absent counters with 0', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Observation>('a-b-c|', {
        a: { seq: 0, type: 'sample', metrics: metricsWith({ wasteBytes: 5 }) },
        b: { seq: 1, type: 'thp_fault_alloc' },
        c: { seq: 2, type: 'sample', metrics: metricsWith() },
      });
      expectObservable(src.pipe(samples())).toBe('a---c|', { a: sample(0, { wasteBytes: 5 }), c: sample(2) });
    });
  });

  it('propagates errors from the log reader', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Observation>('-#', undefined, new Error('bad line')).pipe(samples())).toBe('-#', undefined, new Error('bad line'));
    });
  });
});
