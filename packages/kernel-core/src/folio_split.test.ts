/**
 * 6.15's non-uniform split of a partly punched or truncated shmem folio
 * (7460b470a131: truncate_inode_partial_folio -> try_folio_split ->
 * folio_split), against the uniform split_huge_page the older eras do.
 */
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { HPAGE_PMD_NR, PAGE_SIZE, PG } from './frames.js';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import type { ModelParams } from './params.js';
import { folioOrder } from './queries.js';
import { headPieceOrder, splitPieces } from './split.js';
import { testKernel } from './testing/reference.js';
import { applyChecked } from './testing/replay.js';

const MB = 1 << 20;
const A = 64 * MB;
const PS = PAGE_SIZE;
const V615: Partial<ModelParams> = { truncateFolioSplit: true };
const at = (k: Kernel, name: string): number => k.ledger.totals().lockedOpsBySite[name] ?? 0;

/** pid 1 maps 2 MiB of shm0 at A and writes it: one PMD-mapped shmem THP. */
function shmemThp(params: Partial<ModelParams> = V615): Kernel {
  const k = testKernel({ settings: { 'thp.shmem_enabled': 'always' }, params });
  return applyChecked(k, [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'shm0' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
  ]);
}

function punch(k: Kernel, page: number, pages = 1): Kernel {
  return applyChecked(k, [{ type: 'fallocate', file: 'shm0', offset: page * PS, len: pages * PS, mode: 'punch_hole' } as WorkloadEvent]);
}

/** The cached folios of shm0 as [first index, order], by index. */
function layout(k: Kernel): [number, number][] {
  const f = k.frames;
  return [...k.files.get('shm0')!.cache].map(([idx, pfn]): [number, number] => [idx, f.order(pfn)]).sort((a, b) => a[0] - b[0]);
}

function punchObservation(k: Kernel) {
  const o = k.drain().filter((x) => x.type === 'shmem_punch');
  return o[o.length - 1]!;
}

describe('the non-uniform split of a partly punched shmem THP (6.15+)', () => {
  it('a one-page punch at index 300 of a shmem THP leaves index 0 in an order-8 folio on 6.15, and every other page in the largest aligned folio beside the hole', () => {
    const k = punch(shmemThp(), 300);
    expect(layout(k)).toEqual([
      [0, 8],
      [256, 5],
      [288, 3],
      [296, 2],
      [301, 0],
      [302, 1],
      [304, 4],
      [320, 6],
      [384, 7],
    ]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('the split point decides the pieces: a punch at 1 keeps [256, 512) order 8 and splits [2, 4) again at the page past the hole, one at 511 keeps [0, 256) order 8, one at 256 keeps [0, 256) order 8 and [384, 512) order 7', () => {
    // Past the hole, page 2 heads an order-1 folio: the second split (at the page after the range) halves it too.
    expect(layout(punch(shmemThp(), 1))).toEqual([
      [0, 0],
      [2, 0],
      [3, 0],
      [4, 2],
      [8, 3],
      [16, 4],
      [32, 5],
      [64, 6],
      [128, 7],
      [256, 8],
    ]);
    const end = layout(punch(shmemThp(), 511));
    expect(end[0]).toEqual([0, 8]);
    expect(end[end.length - 1]).toEqual([510, 0]);
    expect(end.map(([, o]) => o)).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(layout(punch(shmemThp(), 256))).toEqual([
      [0, 8],
      [257, 0],
      [258, 1],
      [260, 2],
      [264, 3],
      [272, 4],
      [288, 5],
      [320, 6],
      [384, 7],
    ]);
  });

  it('the punched page alone leaves the page cache and goes back to the buddy allocator; the 511 others stay allocated', () => {
    const k = shmemThp();
    k.drain();
    const head = k.files.get('shm0')!.cache.get(0)!;
    const free0 = k.buddy.freeFrames();
    punch(k, 300);
    const o = punchObservation(k);
    expect([o['freedPages'], o['zeroedPages'], o['splitFailed']]).toEqual([1, 0, false]);
    expect(k.buddy.freeFrames() - free0).toBe(1);
    expect(k.frames.isFree(head + 300)).toBe(true);
    expect(k.files.get('shm0')!.lookup(300, (p) => k.frames.order(p))).toBeUndefined();
    expect(k.outcomes.get('split_page')).toEqual({ ok: 1, failed: 0, reasons: {} });
  });

  it('each new folio holds the page cache reference per page, one reference per PTE once refaulted, and none of the split: no folio stays locked', () => {
    const k = punch(shmemThp(), 300);
    const f = k.frames;
    const file = k.files.get('shm0')!;
    // Before any refault: nothing maps the file (the punch dropped its PMD), so only the cache holds the pieces.
    for (const [idx, pfn] of file.cache) {
      expect(f.refcount[pfn], `folio at ${idx}`).toBe(f.nrPages(pfn));
      expect(f.test(pfn, PG.locked), `folio at ${idx}`).toBe(false);
    }
    applyChecked(k, [
      { type: 'touch', pid: 1, addr: A, len: 300 * PS, write: false },
      { type: 'touch', pid: 1, addr: A + 301 * PS, len: 211 * PS, write: false },
    ]);
    for (const [idx, pfn] of file.cache) {
      const nr = f.nrPages(pfn);
      expect(f.refcount[pfn], `folio at ${idx}`).toBe(2 * nr);
      for (let i = 0; i < nr; i++) expect(f.mapcount[pfn + i], `page ${idx + i}`).toBe(1);
    }
    // The order-8 folio is mapped by 256 PTEs, never by a PMD.
    expect(folioOrder(k, k.mm(1), A)).toBe(8);
    expect(k.mm(1).pt(A)!.pmd).toBe(0);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('a two-page punch across the middle splits twice, at its first page and past its last, and frees both pages; only the PMD-sized split counts as a THP split', () => {
    const k = shmemThp();
    k.drain();
    punch(k, 255, 2);
    expect(punchObservation(k)['freedPages']).toBe(2);
    const l = layout(k);
    expect(l.slice(0, 2)).toEqual([
      [0, 7],
      [128, 6],
    ]);
    // The first split at 255 left [256, 512) order 8; the second, at 257, broke it down again.
    expect(l.filter(([idx]) => idx >= 254 && idx <= 260)).toEqual([
      [254, 0],
      [257, 0],
      [258, 1],
      [260, 2],
    ]);
    expect(l[l.length - 1]).toEqual([384, 7]);
    expect(k.outcomes.get('split_page')).toEqual({ ok: 1, failed: 0, reasons: {} });
    expect(checkInvariants(k)).toEqual([]);
  });

  it('the split counts its own operations: one freeze, and one LRU add and one temporary-reference put per new folio, not per page', () => {
    const k = shmemThp();
    const freeze0 = at(k, 'split_huge_page.freeze');
    const lru0 = at(k, 'lru_add_split_folio');
    const put0 = at(k, 'split_huge_page.put_tail');
    punch(k, 300);
    expect(at(k, 'split_huge_page.freeze') - freeze0).toBe(1);
    // 10 folios come out of the split; the one holding the old head keeps the caller's reference and lock.
    expect(at(k, 'lru_add_split_folio') - lru0).toBe(9);
    expect(at(k, 'split_huge_page.put_tail') - put0).toBe(9);

    const u = shmemThp({});
    const uput0 = at(u, 'split_huge_page.put_tail');
    punch(u, 300);
    expect(at(u, 'split_huge_page.put_tail') - uput0).toBe(511);
  });

  it('a truncate into the middle of a shmem THP keeps [0, 256) as one order-8 folio on 6.15 and frees the 256 pages past EOF', () => {
    const k = shmemThp();
    k.drain();
    applyChecked(k, [{ type: 'truncate', file: 'shm0', size: MB }]);
    const o = k.drain().filter((x) => x.type === 'shmem_truncate')[0]!;
    expect(o['freedPages']).toBe(256);
    expect(layout(k)).toEqual([[0, 8]]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('a pinned shmem THP is not split by the punch on 6.15 either: the punched page is zeroed and kept', () => {
    const k = shmemThp();
    applyChecked(k, [{ type: 'pin', pid: 1, addr: A + 4 * PS, len: PS, handle: 'h' }]);
    k.drain();
    punch(k, 300);
    const o = punchObservation(k);
    expect([o['freedPages'], o['zeroedPages'], o['splitFailed']]).toEqual([0, 1, true]);
    expect(layout(k)).toEqual([[0, 9]]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('before 6.15 the same punch splits the THP uniformly: all 511 remaining pages are order-0 folios', () => {
    const k = punch(shmemThp({}), 300);
    const l = layout(k);
    expect(l.length).toBe(HPAGE_PMD_NR - 1);
    expect(l.every(([, o]) => o === 0)).toBe(true);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('khugepaged collapses the mixed-order folios a 6.15 punch left straight back into one THP: 511 pages present, counted by folio size, the hole zero-filled', () => {
    const k = punch(shmemThp(), 300);
    applyChecked(k, [
      { type: 'touch', pid: 1, addr: A, len: 300 * PS, write: false },
      { type: 'khugepaged', passes: 1 },
    ]);
    expect(k.drain().filter((o) => o.type === 'thp_collapse_alloc')).toMatchObject([{ file: 'shm0', index: 0, present: 511, none: 1 }]);
    expect(layout(k)).toEqual([[0, 9]]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('the invariant walk catches a page cache whose mixed-order folios overlap or sit off their own index', () => {
    const k = punch(shmemThp(), 300);
    const file = k.files.get('shm0')!;
    const order8 = file.cache.get(0)!;
    file.cache.set(128, order8); // the order-8 folio stored a second time, inside itself
    const v = checkInvariants(k);
    expect(v.every((x) => x.invariant === 'folio')).toBe(true);
    expect(v.map((x) => x.detail)).toEqual(
      expect.arrayContaining([
        `shmem shm0: index 128 holds pfn ${order8}, not the head of a folio of this file at that index`,
        'shmem shm0: the folio at index 128 overlaps the one before it (which ends at 256)',
      ]),
    );
  });

  it("the pieces of a split at any page tile the folio exactly once, each naturally aligned, with the split page alone and the old head's piece of the order of the page's highest bit", () => {
    for (const p of [0, 1, 2, 3, 100, 255, 256, 300, 383, 510, 511]) {
      const pieces = splitPieces(9, p);
      let next = 0;
      for (let e = 0; e < pieces.length; e += 2) {
        const [s, o] = [pieces[e]!, pieces[e + 1]!];
        expect(s, `split at ${p}`).toBe(next);
        expect(s % (1 << o), `split at ${p}: piece at ${s}`).toBe(0);
        next = s + (1 << o);
      }
      expect(next).toBe(HPAGE_PMD_NR);
      expect(pieces[pieces.indexOf(p, 0) + 1]).toBe(0);
      expect(pieces[1]).toBe(headPieceOrder(p));
    }
  });
});
