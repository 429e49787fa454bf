import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import type { ShmemTruncatePolicy } from './axes.js';
import { HPAGE_PMD_NR, PAGE_SIZE } from './frames.js';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import { contentMismatch, folioOrder, mapped, shmemPmdMappedBytes } from './queries.js';
import { shmemFault } from './shmem.js';
import { applyEvent } from './syscalls.js';
import { testKernel } from './testing/reference.js';
import { applyChecked } from './testing/replay.js';

const MB = 1 << 20;
const A = 64 * MB; // a 2 MiB aligned address
const PS = PAGE_SIZE;

const zeroKeep: ShmemTruncatePolicy = { id: 'test-zero-keep', splitOnPartialPunch: () => false, mayRecollapse: () => true };
const splitOnPunch: ShmemTruncatePolicy = { id: 'test-split-on-punch', splitOnPartialPunch: () => true, mayRecollapse: () => true };
const splitOnRequest: ShmemTruncatePolicy = { id: 'test-split-on-request', splitOnPartialPunch: (_k, _h, requested) => requested, mayRecollapse: () => true };

const run = (k: Kernel, events: WorkloadEvent[]): Kernel => applyChecked(k, events);

/** pid 1 maps 2 MiB of file shm0 at A and writes every page: one PMD-mapped shmem THP. */
function shmemThp(shmemTruncate: ShmemTruncatePolicy, settings: Record<string, unknown> = {}): Kernel {
  const k = testKernel({ settings: { 'thp.shmem_enabled': 'always', ...settings }, policies: { shmemTruncate } });
  return run(k, [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
  ]);
}

function punch(page: number, pages = 1, mode: 'punch_hole' | 'punch_hole_split' = 'punch_hole'): WorkloadEvent {
  return { type: 'fallocate', file: 'shm0', offset: page * PS, len: pages * PS, mode };
}

function lastPunch(k: Kernel) {
  const o = k.drain().filter((x) => x.type === 'shmem_punch');
  return o[o.length - 1]!;
}

/** Every cached page of shm0 holds what the file should hold (punched pages: zeroes). */
function cacheMatchesFile(k: Kernel, pages = HPAGE_PMD_NR): string | null {
  const file = k.files.get('shm0')!;
  for (let idx = 0; idx < pages; idx++) {
    const pfn = file.lookup(idx, (p) => k.frames.order(p));
    if (pfn === undefined) continue;
    const want = file.shadow.get(idx) ?? 0;
    if (k.frames.content[pfn] !== want) return `index ${idx}: ${k.frames.content[pfn]} != ${want}`;
  }
  return null;
}

function waste(k: Kernel) {
  return k.waste.measure(k);
}

describe('the shmem THP fault path', () => {
  it('a write fault in an empty aligned range with shmem_enabled=always maps a PMD-sized folio by PMD', () => {
    const k = shmemThp(splitOnPunch);
    expect(shmemPmdMappedBytes(k, k.mm(1))).toBe(2 * MB);
    expect(k.files.get('shm0')!.cache.size).toBe(1);
    expect(waste(k).wasteBytes).toBe(0);
  });

  it('within_size allocates a huge folio only where it lies wholly inside i_size', () => {
    const k = testKernel({ settings: { 'thp.shmem_enabled': 'within_size' } });
    run(k, [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'shmem', file: 'shm0' },
      { type: 'truncate', file: 'shm0', size: 3 * MB },
      { type: 'touch', pid: 1, addr: A, len: PS, write: true },
      { type: 'touch', pid: 1, addr: A + 2 * MB, len: PS, write: true },
    ]);
    expect(folioOrder(k, k.mm(1), A)).toBe(9);
    expect(folioOrder(k, k.mm(1), A + 2 * MB)).toBe(0);
  });

  it('within_size falls back to advise: MADV_HUGEPAGE allows a huge folio past i_size', () => {
    const k = testKernel({ settings: { 'thp.shmem_enabled': 'within_size' } });
    run(k, [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'shmem', file: 'shm0' },
      { type: 'truncate', file: 'shm0', size: 3 * MB },
      { type: 'madvise', pid: 1, addr: A, len: 4 * MB, advice: 'hugepage' },
      { type: 'touch', pid: 1, addr: A + 2 * MB, len: PS, write: true },
    ]);
    expect(folioOrder(k, k.mm(1), A + 2 * MB)).toBe(9);
  });

  it('advise allocates huge only in MADV_HUGEPAGE ranges, and never never', () => {
    for (const [mode, advise, order] of [
      ['advise', false, 0],
      ['advise', true, 9],
      ['never', true, 0],
    ] as const) {
      const k = testKernel({ settings: { 'thp.shmem_enabled': mode } });
      run(k, [
        { type: 'spawn', pid: 1 },
        { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
        ...(advise ? [{ type: 'madvise', pid: 1, addr: A, len: 2 * MB, advice: 'hugepage' } as WorkloadEvent] : []),
        { type: 'touch', pid: 1, addr: A, len: PS, write: true },
      ]);
      expect(folioOrder(k, k.mm(1), A)).toBe(order);
    }
  });

  it('a huge folio already in the cache is PMD-mapped on refault even after shmem_enabled turns never', () => {
    const k = shmemThp(splitOnPunch);
    run(k, [
      { type: 'munmap', pid: 1, addr: A, len: 2 * MB },
      { type: 'sysctl', key: 'thp.shmem_enabled', value: 'never' },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
      { type: 'touch', pid: 1, addr: A + 9 * PS, len: PS, write: false },
    ]);
    expect(shmemPmdMappedBytes(k, k.mm(1))).toBe(2 * MB);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('a VMA whose file offset does not line up with the PMD maps the huge folio by PTEs', () => {
    const k = shmemThp(splitOnPunch);
    run(k, [
      { type: 'spawn', pid: 2 },
      { type: 'mmap', pid: 2, addr: A + 4 * MB, len: MB, kind: 'shmem', file: 'shm0', offset: MB },
      { type: 'touch', pid: 2, addr: A + 4 * MB, len: 4 * PS, write: false },
    ]);
    expect(shmemPmdMappedBytes(k, k.mm(2))).toBe(0);
    expect(folioOrder(k, k.mm(2), A + 4 * MB)).toBe(9);
    expect(contentMismatch(k, k.mm(2))).toBeNull();
  });
});

describe('S14: punching one 4 KiB hole in a shmem THP without pins', () => {
  it('zero-keep (E1) frees nothing and leaves one page of truncated-retained waste', () => {
    const k = shmemThp(zeroKeep);
    const free0 = k.buddy.freeFrames();
    run(k, [punch(5)]);
    expect(lastPunch(k)).toMatchObject({ freedPages: 0, zeroedPages: 1, splitFailed: false });
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(waste(k).wasteByCause['truncated-retained']).toBe(PS);
    expect(waste(k).wasteBytes).toBe(PS);
    expect(k.outcomes.get('shmem_punch').reasons).toEqual({ not_split: 1 });
    // The partial punch dropped the PMD mapping; the folio is still one huge folio in the cache.
    expect(shmemPmdMappedBytes(k, k.mm(1))).toBe(0);
    expect(k.frames.order(k.files.get('shm0')!.cache.get(0)!)).toBe(9);
    expect(cacheMatchesFile(k)).toBeNull();
  });

  it('zero-keep never frees a page even when all 512 are punched one by one', () => {
    const k = shmemThp(zeroKeep);
    const free0 = k.buddy.freeFrames();
    for (let i = 0; i < HPAGE_PMD_NR; i++) applyEvent(k, punch(i));
    expect(checkInvariants(k)).toEqual([]);
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(waste(k).wasteByCause['truncated-retained']).toBe(2 * MB);
  });

  it('split-on-punch (E3-E5) splits the THP and frees the punched page, with no waste', () => {
    const k = shmemThp(splitOnPunch);
    const free0 = k.buddy.freeFrames();
    run(k, [punch(5)]);
    expect(lastPunch(k)).toMatchObject({ freedPages: 1, zeroedPages: 0, splitFailed: false });
    expect(k.buddy.freeFrames() - free0).toBe(1);
    expect(waste(k).wasteBytes).toBe(0);
    expect(k.outcomes.get('split_page').ok).toBe(1);
    const file = k.files.get('shm0')!;
    expect(file.cache.size).toBe(HPAGE_PMD_NR - 1);
    expect(file.cache.has(5)).toBe(false);
    expect(file.punchSplit.has(0)).toBe(true);
    expect(cacheMatchesFile(k)).toBeNull();
  });

  it('split-on-punch works the same on an unmapped THP', () => {
    const k = shmemThp(splitOnPunch);
    run(k, [{ type: 'munmap', pid: 1, addr: A, len: 2 * MB }]);
    const free0 = k.buddy.freeFrames();
    run(k, [punch(300)]);
    expect(k.buddy.freeFrames() - free0).toBe(1);
    expect(waste(k).wasteBytes).toBe(0);
  });

  it('split-on-request (E2) keeps the THP on a plain punch and splits it for punch_hole_split', () => {
    const plain = shmemThp(splitOnRequest);
    run(plain, [punch(5)]);
    expect(lastPunch(plain)).toMatchObject({ freedPages: 0, zeroedPages: 1 });
    expect(waste(plain).wasteByCause['truncated-retained']).toBe(PS);

    const split = shmemThp(splitOnRequest);
    run(split, [punch(5, 1, 'punch_hole_split')]);
    expect(lastPunch(split)).toMatchObject({ freedPages: 1, zeroedPages: 0 });
    expect(waste(split).wasteBytes).toBe(0);
  });

  it('pages outside the hole keep their data and the hole reads back as zeroes', () => {
    for (const policy of [zeroKeep, splitOnPunch]) {
      const k = shmemThp(policy);
      run(k, [punch(5, 3), { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: false }]);
      expect(contentMismatch(k, k.mm(1))).toBeNull();
      const mm = k.mm(1);
      const vma = mm.findVma(A)!;
      for (const i of [5, 6, 7]) expect(k.frames.content[shmemFault(k, mm, vma, A + i * PS, false)]).toBe(0);
      expect(k.frames.content[shmemFault(k, mm, vma, A + 8 * PS, false)]).not.toBe(0);
      expect(cacheMatchesFile(k)).toBeNull();
      expect(checkInvariants(k)).toEqual([]);
    }
  });

  it('a page punched and kept by zero-keep stays truncated-retained after a later split frees another', () => {
    const k = shmemThp(zeroKeep);
    run(k, [punch(5)]);
    (k.policies as { shmemTruncate: ShmemTruncatePolicy }).shmemTruncate = splitOnPunch;
    run(k, [punch(9)]);
    expect(lastPunch(k)).toMatchObject({ freedPages: 1 });
    expect(waste(k).wasteByCause['truncated-retained']).toBe(PS);
  });
});

describe('S15: punching a hole in a GUP-pinned shmem THP', () => {
  it('the split fails on the pin, the page is zeroed and kept, and waste grows', () => {
    const k = shmemThp(splitOnPunch);
    run(k, [{ type: 'pin', pid: 1, addr: A + 100 * PS, len: PS, handle: 'vfio' }]);
    const free0 = k.buddy.freeFrames();
    run(k, [punch(5)]);
    expect(lastPunch(k)).toMatchObject({ freedPages: 0, zeroedPages: 1, splitFailed: true });
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(k.outcomes.get('split_page').reasons).toEqual({ pinned: 1 });
    expect(k.outcomes.get('shmem_punch').reasons).toEqual({ split_failed: 1 });
    expect(waste(k).wasteByCause['truncated-retained']).toBe(PS);
    run(k, [punch(6)]);
    expect(waste(k).wasteByCause['truncated-retained']).toBe(2 * PS);
    expect(cacheMatchesFile(k)).toBeNull();
  });

  it('after the unpin the next punch splits, and the earlier zeroed page stays retained', () => {
    const k = shmemThp(splitOnPunch);
    run(k, [{ type: 'pin', pid: 1, addr: A + 100 * PS, len: PS, handle: 'vfio' }, punch(5), { type: 'unpin', handle: 'vfio' }]);
    const free0 = k.buddy.freeFrames();
    run(k, [punch(6)]);
    expect(k.buddy.freeFrames() - free0).toBe(1);
    expect(waste(k).wasteByCause['truncated-retained']).toBe(PS);
  });
});

describe('S16: punching a whole 2 MiB-aligned shmem THP', () => {
  it('frees all 512 pages under every policy', () => {
    for (const policy of [zeroKeep, splitOnPunch]) {
      const k = shmemThp(policy);
      const free0 = k.buddy.freeFrames();
      run(k, [punch(0, HPAGE_PMD_NR)]);
      expect(k.buddy.freeFrames() - free0).toBe(HPAGE_PMD_NR);
      expect(lastPunch(k)).toMatchObject({ freedPages: HPAGE_PMD_NR, zeroedPages: 0 });
      expect(k.files.get('shm0')!.cache.size).toBe(0);
      expect(k.lru.size).toBe(0);
      expect(mapped(k, k.mm(1), { addr: A, len: PS })).toBe(false);
    }
  });

  it('with a pin the folio leaves the cache at once but is freed only at the unpin', () => {
    const k = shmemThp(splitOnPunch);
    run(k, [{ type: 'pin', pid: 1, addr: A + 7 * PS, len: PS, handle: 'h' }]);
    const free0 = k.buddy.freeFrames();
    run(k, [punch(0, HPAGE_PMD_NR)]);
    expect(lastPunch(k)).toMatchObject({ freedPages: 0 });
    expect(k.files.get('shm0')!.cache.size).toBe(0);
    run(k, [{ type: 'unpin', handle: 'h' }]);
    expect(k.buddy.freeFrames() - free0).toBe(HPAGE_PMD_NR);
  });
});

describe('truncate of a shmem file', () => {
  it('shrinking into a THP splits it and frees the pages past the new EOF (split-on-punch)', () => {
    const k = shmemThp(splitOnPunch);
    const free0 = k.buddy.freeFrames();
    run(k, [{ type: 'truncate', file: 'shm0', size: MB }]);
    expect(k.buddy.freeFrames() - free0).toBe(256);
    expect(k.files.get('shm0')!.cache.size).toBe(256);
    expect(mapped(k, k.mm(1), { addr: A + MB, len: PS })).toBe(false);
    expect(waste(k).wasteBytes).toBe(0);
    run(k, [{ type: 'touch', pid: 1, addr: A, len: MB, write: false }]);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('shrinking into a THP under zero-keep keeps it, zeroed past EOF', () => {
    const k = shmemThp(zeroKeep);
    const free0 = k.buddy.freeFrames();
    run(k, [{ type: 'truncate', file: 'shm0', size: MB }]);
    expect(k.buddy.freeFrames()).toBe(free0);
    expect(waste(k).wasteByCause['truncated-retained']).toBe(MB);
    expect(cacheMatchesFile(k)).toBeNull();
  });

  it('a fault past the new EOF is SIGBUS, not an allocation', () => {
    const k = shmemThp(splitOnPunch);
    run(k, [{ type: 'truncate', file: 'shm0', size: MB }]);
    const lru0 = k.lru.size;
    run(k, [{ type: 'touch', pid: 1, addr: A + MB, len: PS, write: true }]);
    expect(k.lru.size).toBe(lru0);
    expect(k.outcomes.get('fault').reasons).toEqual({ sigbus: 1 });
  });

  it('truncating to zero frees everything; growing again only moves i_size and reads zeroes', () => {
    const k = shmemThp(zeroKeep);
    const free0 = k.buddy.freeFrames();
    run(k, [{ type: 'truncate', file: 'shm0', size: 0 }]);
    expect(k.buddy.freeFrames() - free0).toBe(HPAGE_PMD_NR);
    run(k, [
      { type: 'truncate', file: 'shm0', size: 2 * MB },
      { type: 'touch', pid: 1, addr: A + 3 * PS, len: PS, write: false },
    ]);
    expect(k.files.get('shm0')!.size).toBe(2 * MB);
    expect(contentMismatch(k, k.mm(1))).toBeNull();
  });

  it('an unknown file is a model input error naming the file field', () => {
    const k = testKernel();
    expect(() => applyEvent(k, { type: 'fallocate', file: 'nope', offset: 0, len: PS, mode: 'punch_hole' })).toThrow(/file/);
    expect(() => applyEvent(k, { type: 'truncate', file: 'nope', size: 0 })).toThrow(/file/);
  });
});

describe('the shmem huge-page shrinker (shmem_unused_huge_shrink, 4.8+)', () => {
  it('after a truncate into the middle of a kept THP, memory pressure splits it at i_size and frees the pages beyond EOF', () => {
    const k = shmemThp(zeroKeep);
    run(k, [{ type: 'truncate', file: 'shm0', size: MB }]);
    const free0 = k.buddy.freeFrames();
    expect(waste(k).wasteByCause['truncated-retained']).toBe(MB); // zeroed and kept by the truncate
    run(k, [{ type: 'reclaim', pages: 1 }]);
    expect(k.outcomes.get('split_page').ok).toBe(1);
    expect(k.buddy.freeFrames() - free0).toBeGreaterThanOrEqual(HPAGE_PMD_NR / 2);
    expect(waste(k).wasteByCause['truncated-retained'] ?? 0).toBe(0);
    expect(k.files.get('shm0')!.onHugeShrinklist).toBe(false);
    expect(contentMismatch(k, k.mm(1), { addr: A, len: MB })).toBeNull();
  });

  it('data written beyond EOF through a huge=always PMD mapping goes with the pages the shrinker frees: the file reads zeroes there', () => {
    // Found by the policy conformance streams (seed 12): the split dropped the pages but the model
    // still expected the written data, so a re-collapsed THP reading zeroes there was called a loss.
    const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' } });
    run(k, [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
      { type: 'truncate', file: 'shm0', size: PS },
      { type: 'touch', pid: 1, addr: A, len: 2 * PS, write: true, value: 7001 },
    ]);
    expect(shmemPmdMappedBytes(k, k.mm(1), { addr: A, len: 2 * MB })).toBe(2 * MB); // page 1, beyond EOF, written through the PMD
    run(k, [
      { type: 'reclaim', pages: 1 },
      { type: 'khugepaged', passes: 1 },
      { type: 'touch', pid: 1, addr: A, len: 2 * PS, write: false },
    ]);
    expect(k.outcomes.get('split_page').ok).toBe(1);
    expect(k.files.get('shm0')!.shadow.get(1)).toBeUndefined();
    expect(contentMismatch(k, k.mm(1), { addr: A, len: 2 * MB })).toBeNull();
  });

  it('before 4.8 there is no such list: a truncate never puts the file on it', () => {
    const k = testKernel({ params: { shmemThp: false } });
    run(k, [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
      { type: 'truncate', file: 'shm0', size: MB },
    ]);
    expect(k.files.get('shm0')!.onHugeShrinklist).toBe(false);
  });
});
