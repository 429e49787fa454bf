import { describe, it } from 'vitest';
import { hugeCoverage } from './hugeCoverage.js';
import { sample, scheduler } from '../testing/marbles.js';

describe('hugeCoverage', () => {
  it('reports the PMD-mapped share of each sample in percent', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b|', { a: sample(0), b: sample(100, { hugeCoverage: 0.25 }) });
      expectObservable(src.pipe(hugeCoverage())).toBe('a-b|', { a: { seq: 0, percent: 0 }, b: { seq: 100, percent: 25 } });
    });
  });
});
