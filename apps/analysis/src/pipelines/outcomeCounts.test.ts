import { describe, expect, it } from 'vitest';
import type { Observation, ObservationInput } from '@pagelab/events';
import { metricsWith } from '../metrics.js';
import { classifyOutcome, outcomeCounts } from './outcomeCounts.js';
import { scheduler } from '../testing/marbles.js';

describe('outcomeCounts', () => {
  it('counts successes, failures and failure reasons of the observations the model emits, once the stream completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Observation>('abcdefghijk|', {
        a: { seq: 1, type: 'thp_split_page', pfn: 512, caller: 'deferred_split' },
        b: { seq: 2, type: 'thp_split_page_failed', pfn: 512, caller: 'reclaim', reason: 'extra_ref' },
        c: { seq: 3, type: 'thp_split_page_failed', pfn: 1024, caller: 'deferred_split', reason: 'extra_ref' },
        d: { seq: 4, type: 'khugepaged_scan', result: 'SCAN_EXCEED_SHARED_PTE', caller: 'khugepaged' },
        e: { seq: 5, type: 'khugepaged_scan', result: 'SCAN_SUCCEED', caller: 'khugepaged' },
        f: { seq: 6, type: 'migrate', reason: 'compaction', result: 'fail', cause: 'longterm_pin', pfn: 7, order: 0 },
        g: { seq: 7, type: 'sample', metrics: metricsWith() },
        h: { seq: 8, type: 'cma_alloc_fail', cause: 'pinned', pages: 512, cma: true, tried: 3 },
        i: { seq: 9, type: 'khugepaged_scan', result: 'SCAN_PMD_MAPPED', caller: 'khugepaged' },
        j: { seq: 10, type: 'sharedness.divergence', falseNegatives: 256, falsePositives: 0 },
        k: { seq: 11, type: 'thp_deferred_split_page', pfn: 512 },
      });
      expectObservable(src.pipe(outcomeCounts())).toBe('-----------(t|)', {
        t: {
          split_page: { ok: 1, failed: 2, reasons: { extra_ref: 2 } },
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

  it('classifies the other outcome observations as the summary counts them', () => {
    const c = (o: ObservationInput) => classifyOutcome({ seq: 1, ...o });
    const at = { pid: 1, addr: 0 };
    const punch = { file: 'guest', offset: 0, len: 2097152, freedPages: 0 };
    expect(c({ type: 'migrate', reason: 'compaction', result: 'success', pfn: 1, order: 9, newPfn: 2 })).toEqual({ name: 'migrate', ok: true });
    expect(c({ type: 'compact', result: 'COMPACT_SUCCESS' })).toEqual({ name: 'compact', ok: true });
    expect(c({ type: 'compact', result: 'COMPACT_SKIPPED' })).toEqual({ name: 'compact', ok: false, reason: 'COMPACT_SKIPPED' });
    expect(c({ type: 'memory_failure', ...at, pfn: 3, result: 'recovered' })).toEqual({ name: 'memory_failure', ok: true });
    expect(c({ type: 'memory_failure', ...at, pfn: -1, result: 'ignored', reason: 'not_present' })).toEqual({
      name: 'memory_failure',
      ok: false,
      reason: 'not_present',
    });
    expect(c({ type: 'shmem_punch', ...punch, zeroedPages: 0, splitFailed: false })).toEqual({ name: 'shmem_punch', ok: true });
    expect(c({ type: 'shmem_punch', ...punch, zeroedPages: 3, splitFailed: true })).toEqual({ name: 'shmem_punch', ok: false, reason: 'split_failed' });
    expect(c({ type: 'thp_fault_fallback' })).toEqual({ name: 'thp_fault', ok: false, reason: 'no_order9_block' });
    expect(c({ type: 'oom', ...at })).toEqual({ name: 'fault', ok: false, reason: 'oom' });
    expect(c({ type: 'gup_failed', ...at, via: 'pin', reason: 'EFAULT' })).toEqual({ name: 'gup', ok: false, reason: 'EFAULT' });
    expect(c({ type: 'gup_failed', ...at, via: 'dio', reason: 'EFAULT' })).toEqual({ name: 'dio', ok: false, reason: 'EFAULT' });
    expect(c({ type: 'gup_incoherent', ...at, via: 'unpin', missed: 512, leaked: 0 })).toEqual({ name: 'dma_write', ok: false, reason: 'missed' });
    expect(c({ type: 'gup_incoherent', ...at, via: 'put', missed: 0, leaked: 1 })).toEqual({ name: 'dma_write', ok: false, reason: 'leaked' });
    expect(c({ type: 'khugepaged_scan', result: 'SCAN_PMD_NULL' })).toBeUndefined();
    const counted: ObservationInput[] = [
      { type: 'thp_collapse_alloc' },
      { type: 'thp_deferred_split_page' },
      { type: 'expect.failed', check: 'anonHugeBytes', expected: 0, actual: 1, line: 2 },
      { type: 'invariant.violated', invariant: 'buddy', detail: 'a free page is mapped' },
      { type: 'sharedness.divergence' },
    ];
    for (const o of counted) expect(c(o)).toBeUndefined();
  });
});
