import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import type { ShmemTruncatePolicy } from './axes.js';
import { HPAGE_PMD_NR, PAGE_SIZE, PG } from './frames.js';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import { collapseFileRange } from './khugepaged_file.js';
import { contentMismatch, folioOrder, shmemPmdMappedBytes } from './queries.js';
import { testKernel } from './testing/reference.js';
import { applyChecked } from './testing/replay.js';

const MB = 1 << 20;
const A = 64 * MB;
const PS = PAGE_SIZE;
const KHUGEPAGED = { isKhugepaged: true };
const MADV_COLLAPSE = { isKhugepaged: false };

const splitOnPunch: ShmemTruncatePolicy = { id: 'test-split-on-punch', splitOnPartialPunch: () => true, mayRecollapse: () => true };
const splitAndGuard: ShmemTruncatePolicy = { id: 'test-split-and-guard', splitOnPartialPunch: () => true, mayRecollapse: () => false };
const zeroKeep: ShmemTruncatePolicy = { id: 'test-zero-keep', splitOnPartialPunch: () => false, mayRecollapse: () => true };

const run = (k: Kernel, events: WorkloadEvent[]): Kernel => applyChecked(k, events);

/** A PMD-mapped, fully written shmem THP at A (file shm0), then one 4 KiB hole punched at page 5. */
function punchedThp(shmemTruncate: ShmemTruncatePolicy, settings: Record<string, unknown> = {}): Kernel {
  const k = testKernel({ settings: { 'thp.shmem_enabled': 'always', ...settings }, policies: { shmemTruncate } });
  return run(k, [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
    { type: 'fallocate', file: 'shm0', offset: 5 * PS, len: PS, mode: 'punch_hole' },
  ]);
}

function collapse(k: Kernel, cc = KHUGEPAGED) {
  const mm = k.mm(1);
  const r = collapseFileRange(k, mm, mm.findVma(A)!, A, cc);
  expect(checkInvariants(k)).toEqual([]);
  return r;
}

describe('khugepaged on a shmem range split by a hole punch', () => {
  it("re-collapses 511 present pages, filling the hole with one zeroed page (Kirill's objection)", () => {
    const k = punchedThp(splitOnPunch);
    run(k, [{ type: 'touch', pid: 1, addr: A + 8 * PS, len: 4 * PS, write: false }]); // some pages PTE-mapped again
    const free0 = k.buddy.freeFrames();
    const copies0 = k.ledger.totals().pageCopies;
    k.drain();
    const r = collapse(k);
    expect(r).toEqual({ result: 'SCAN_SUCCEED', present: 511, none: 1, swap: 0 });
    expect(free0 - k.buddy.freeFrames()).toBe(1); // 512 allocated, 511 freed
    expect(k.ledger.totals().pageCopies - copies0).toBe(511);
    const file = k.files.get('shm0')!;
    expect(file.cache.size).toBe(1);
    expect(k.frames.order(file.cache.get(0)!)).toBe(9);
    expect(file.punchSplit.has(0)).toBe(false);
    expect(k.drain().filter((o) => o.type === 'thp_collapse_alloc')).toMatchObject([{ file: 'shm0', index: 0, present: 511, none: 1 }]);
    expect(k.waste.measure(k).wasteByCause['collapse-bloat']).toBe(PS);
    // The old PTEs are gone; the next touch maps the new folio by PMD, data intact, the hole zero.
    run(k, [{ type: 'touch', pid: 1, addr: A, len: 2 * MB, write: false }]);
    expect(shmemPmdMappedBytes(k, k.mm(1))).toBe(2 * MB);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
    expect(k.frames.content[file.cache.get(0)! + 5]).toBe(0);
  });

  it('a khugepaged event re-collapses the range, and split-and-guard keeps it split', () => {
    const k = punchedThp(splitOnPunch);
    run(k, [{ type: 'khugepaged', passes: 1 }]);
    expect(k.frames.order(k.files.get('shm0')!.cache.get(0)!)).toBe(9);
    const g = punchedThp(splitAndGuard);
    run(g, [{ type: 'khugepaged', passes: 1 }]);
    expect(g.files.get('shm0')!.cache.size).toBe(HPAGE_PMD_NR - 1);
  });

  it('split-and-guard refuses the re-collapse with SCAN_FAIL and keeps the hole freed', () => {
    const k = punchedThp(splitAndGuard);
    const free0 = k.buddy.freeFrames();
    expect(collapse(k).result).toBe('SCAN_FAIL');
    expect(collapse(k, MADV_COLLAPSE).result).toBe('SCAN_FAIL');
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(k.files.get('shm0')!.cache.size).toBe(HPAGE_PMD_NR - 1);
    expect(k.waste.measure(k).wasteBytes).toBe(0);
  });

  it('the guard also keeps a fault from allocating a huge folio in a range emptied after the split', () => {
    const k = punchedThp(splitAndGuard);
    run(k, [
      { type: 'fallocate', file: 'shm0', offset: 0, len: 2 * MB, mode: 'punch_hole' },
      { type: 'touch', pid: 1, addr: A, len: PS, write: true },
    ]);
    expect(folioOrder(k, k.mm(1), A)).toBe(0);
  });

  it('khugepaged respects max_ptes_none; MADV_COLLAPSE ignores it and maps the result by PMD', () => {
    const k = punchedThp(splitOnPunch, { 'khugepaged.max_ptes_none': 0 });
    expect(collapse(k)).toEqual({ result: 'SCAN_EXCEED_NONE_PTE', present: 511, none: 1, swap: 0 });
    expect(collapse(k, MADV_COLLAPSE).result).toBe('SCAN_SUCCEED');
    expect(shmemPmdMappedBytes(k, k.mm(1))).toBe(2 * MB);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('a GUP-pinned small page makes the scan fail with SCAN_PAGE_COUNT', () => {
    const k = punchedThp(splitOnPunch);
    run(k, [{ type: 'pin', pid: 1, addr: A + 7 * PS, len: PS, handle: 'h' }]);
    expect(collapse(k).result).toBe('SCAN_PAGE_COUNT');
    expect(k.files.get('shm0')!.cache.size).toBe(HPAGE_PMD_NR - 1);
    run(k, [{ type: 'unpin', handle: 'h' }]);
    expect(collapse(k).result).toBe('SCAN_SUCCEED');
  });

  it('khugepaged does not scan a shmem range when shmem_enabled is never', () => {
    const k = punchedThp(splitOnPunch);
    run(k, [{ type: 'sysctl', key: 'thp.shmem_enabled', value: 'never' }]);
    expect(collapse(k).result).toBe('SCAN_VMA_CHECK');
    expect(collapse(k, MADV_COLLAPSE).result).toBe('SCAN_SUCCEED');
  });

  it('an empty range is SCAN_EXCEED_NONE_PTE for khugepaged and SCAN_TRUNCATED for MADV_COLLAPSE', () => {
    const k = punchedThp(splitOnPunch);
    run(k, [{ type: 'fallocate', file: 'shm0', offset: 0, len: 2 * MB, mode: 'punch_hole' }]);
    expect(collapse(k).result).toBe('SCAN_EXCEED_NONE_PTE');
    expect(collapse(k, MADV_COLLAPSE).result).toBe('SCAN_TRUNCATED');
  });
});

describe('khugepaged on a range already backed by a huge folio', () => {
  it('a PMD-mapped folio is SCAN_PMD_MAPPED', () => {
    const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' } });
    run(k, [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
      { type: 'touch', pid: 1, addr: A, len: PS, write: true },
    ]);
    expect(collapse(k).result).toBe('SCAN_PMD_MAPPED');
  });

  it('a zero-kept folio whose PMD the punch dropped is left to refault by khugepaged and PMD-mapped by MADV_COLLAPSE', () => {
    const k = punchedThp(zeroKeep);
    expect(collapse(k).result).toBe('SCAN_PTE_MAPPED_HUGEPAGE');
    expect(collapse(k, MADV_COLLAPSE).result).toBe('SCAN_SUCCEED');
    expect(shmemPmdMappedBytes(k, k.mm(1))).toBe(2 * MB);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('no page is left locked after a collapse', () => {
    const k = punchedThp(splitOnPunch);
    collapse(k);
    const head = k.files.get('shm0')!.cache.get(0)!;
    for (let i = 0; i < HPAGE_PMD_NR; i++) expect(k.frames.test(head + i, PG.locked)).toBe(false);
  });
});
