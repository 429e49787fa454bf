import { describe, it } from 'vitest';
import type { Observation } from '@pagelab/events';
import { metricsWith } from '../metrics.js';
import { khugepagedScans } from './khugepagedScans.js';
import { scheduler } from '../testing/marbles.js';

describe('khugepagedScans', () => {
  it('counts scans by SCAN_* result and by caller, once the stream completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Observation>('abcdef|', {
        a: { seq: 3, type: 'khugepaged_scan', result: 'SCAN_SUCCEED', caller: 'khugepaged' },
        b: { seq: 3, type: 'thp_collapse_alloc' },
        c: { seq: 4, type: 'khugepaged_scan', result: 'SCAN_EXCEED_SHARED_PTE', caller: 'khugepaged' },
        d: { seq: 5, type: 'sample', metrics: metricsWith() },
        e: { seq: 6, type: 'khugepaged_scan', result: 'SCAN_PMD_MAPPED', caller: 'madvise_collapse' },
        f: { seq: 7, type: 'khugepaged_scan', result: 'SCAN_EXCEED_SHARED_PTE', caller: 'khugepaged' },
      });
      expectObservable(src.pipe(khugepagedScans())).toBe('------(t|)', {
        t: {
          total: 4,
          byResult: { SCAN_SUCCEED: 1, SCAN_EXCEED_SHARED_PTE: 2, SCAN_PMD_MAPPED: 1 },
          byCaller: { khugepaged: { SCAN_SUCCEED: 1, SCAN_EXCEED_SHARED_PTE: 2 }, madvise_collapse: { SCAN_PMD_MAPPED: 1 } },
        },
      });
    });
  });

  it('emits an empty table for a log without scans, and nothing when the log errors', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Observation>('a|', { a: { seq: 1, type: 'thp_split_pmd' } }).pipe(khugepagedScans())).toBe('-(t|)', {
        t: { total: 0, byResult: {}, byCaller: {} },
      });
      expectObservable(cold<Observation>('a#', { a: { seq: 1, type: 'khugepaged_scan', result: 'SCAN_SUCCEED' } }).pipe(khugepagedScans())).toBe('-#');
    });
  });
});
