import { describe, it } from 'vitest';
import { lockedOpsRates } from './lockedOpsRates.js';
import { sample, scheduler } from '../testing/marbles.js';

const at = (seq: number, total: number, bySite: Record<string, number>, byKind: Record<string, number> = {}) =>
  sample(seq, { lockedOps: total, lockedOpsBySite: bySite, lockedOpsByKind: byKind });

describe('lockedOpsRates', () => {
  it('turns cumulative site counters into ops per 1,000 events per window', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', {
        a: at(0, 0, {}),
        b: at(500, 100, { 'get_page.tail': 100 }),
        c: at(1000, 300, { 'get_page.tail': 250, 'split.refcount': 50 }),
        d: at(1500, 300, { 'get_page.tail': 250, 'split.refcount': 50 }),
      });
      expectObservable(src.pipe(lockedOpsRates({ by: 'site', windowEvents: 1000 }))).toBe('--c-(d|)', {
        c: { seqFrom: 0, seqTo: 1000, total: 300, rates: { 'get_page.tail': 250, 'split.refcount': 50 } },
        d: { seqFrom: 1000, seqTo: 1500, total: 0, rates: {} },
      });
    });
  });

  it('reads kinds, and counts from zero when the first sample is past seq 0', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a|', { a: at(2000, 40, {}, { atomic: 30, spinlock: 10 }) });
      expectObservable(src.pipe(lockedOpsRates({ by: 'kind', windowEvents: Infinity }))).toBe('-(a|)', {
        a: { seqFrom: 0, seqTo: 2000, total: 20, rates: { atomic: 15, spinlock: 5 } },
      });
    });
  });

  it('emits nothing for a run with only the initial seq-0 sample', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: at(0, 7, { x: 7 }) }).pipe(lockedOpsRates({ by: 'site', windowEvents: 10 }))).toBe('-|');
    });
  });

  it('gives each subscription its own window state', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const rates$ = cold('a|', { a: at(10, 10, {}) }).pipe(lockedOpsRates({ by: 'site', windowEvents: Infinity }));
      const expected = { a: { seqFrom: 0, seqTo: 10, total: 1000, rates: {} } };
      expectObservable(rates$).toBe('-(a|)', expected);
      expectObservable(rates$).toBe('-(a|)', expected);
    });
  });
});
