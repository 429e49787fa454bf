import { describe, expect, it } from 'vitest';
import type { Observation } from '../types.js';
import { classifyOutcome, outcomeCounts } from './outcomeCounts.js';
import { scheduler } from '../testing/marbles.js';

describe('outcomeCounts', () => {
  it('counts successes, failures and failure reasons, once the stream completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Observation>('abcdefgh|', {
        a: { seq: 1, type: 'thp_split_page' },
        b: { seq: 2, type: 'thp_split_page_failed', reason: 'extra_pin' },
        c: { seq: 3, type: 'thp_split_page_failed', reason: 'extra_pin' },
        d: { seq: 4, type: 'khugepaged_scan', result: 'SCAN_EXCEED_SHARED_PTE' },
        e: { seq: 5, type: 'khugepaged_scan', result: 'SCAN_SUCCEED' },
        f: { seq: 6, type: 'migrate', reason: 'compaction', result: 'fail', cause: 'longterm_pin' },
        g: { seq: 7, type: 'sample', metrics: {} },
        h: { seq: 8, type: 'cma_alloc_fail', cause: 'pinned' },
      });
      expectObservable(src.pipe(outcomeCounts())).toBe('--------(t|)', {
        t: {
          split_page: { ok: 1, failed: 2, reasons: { extra_pin: 2 } },
          collapse: { ok: 1, failed: 1, reasons: { SCAN_EXCEED_SHARED_PTE: 1 } },
          migrate: { ok: 0, failed: 1, reasons: { longterm_pin: 1 } },
          cma_alloc: { ok: 0, failed: 1, reasons: { pinned: 1 } },
        },
      });
    });
  });

  it('emits an empty table for a stream with no outcome events', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Observation>('-|').pipe(outcomeCounts())).toBe('-(t|)', { t: {} });
    });
  });

  it('does not emit a partial table when the stream errors', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Observation>('a#', { a: { seq: 1, type: 'thp_split_pmd' } }).pipe(outcomeCounts())).toBe('-#');
    });
  });

  it('classifies a successful migration by its result', () => {
    expect(classifyOutcome({ seq: 1, type: 'migrate', reason: 'compaction', result: 'success' })).toEqual({ name: 'migrate', ok: true });
  });
});
