import { describe, it } from 'vitest';
import { wasteByCause } from './wasteByCause.js';
import { causes, sample, scheduler } from '../testing/marbles.js';

describe('wasteByCause', () => {
  it('tracks running waste by cause and the running peaks', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c|', {
        a: sample(10, { wasteBytes: 100, wasteByCause: { 'unmapped-in-thp': 100 } }),
        b: sample(20, { wasteBytes: 300, wasteByCause: { 'unmapped-in-thp': 50, 'split-blocked': 250 } }),
        c: sample(30, { wasteBytes: 10, wasteByCause: { 'unmapped-in-thp': 10, 'split-blocked': 0 } }),
      });
      expectObservable(src.pipe(wasteByCause())).toBe('a-b-c|', {
        a: { seq: 10, totalBytes: 100, byCause: causes({ 'unmapped-in-thp': 100 }), peakTotalBytes: 100, peakByCause: causes({ 'unmapped-in-thp': 100 }) },
        b: {
          seq: 20,
          totalBytes: 300,
          byCause: causes({ 'unmapped-in-thp': 50, 'split-blocked': 250 }),
          peakTotalBytes: 300,
          peakByCause: causes({ 'unmapped-in-thp': 100, 'split-blocked': 250 }),
        },
        c: {
          seq: 30,
          totalBytes: 10,
          byCause: causes({ 'unmapped-in-thp': 10, 'split-blocked': 0 }),
          peakTotalBytes: 300,
          peakByCause: causes({ 'unmapped-in-thp': 100, 'split-blocked': 250 }),
        },
      });
    });
  });

  it('shows waste the causes do not account for as unattributed', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a|', { a: sample(1, { wasteBytes: 8, wasteByCause: { 'collapse-bloat': 5 } }) });
      expectObservable(src.pipe(wasteByCause())).toBe('a|', {
        a: {
          seq: 1,
          totalBytes: 8,
          byCause: causes({ 'collapse-bloat': 5, unattributed: 3 }),
          peakTotalBytes: 8,
          peakByCause: causes({ 'collapse-bloat': 5, unattributed: 3 }),
        },
      });
    });
  });
});
