import { describe, expect, it } from 'vitest';
import { checkInvariants } from './invariants.js';
import type { Kernel } from './kernel.js';
import { contentMismatch, folioOrder } from './queries.js';
import { splitFolioFrozen } from './split.js';
import { site } from './ledger.js';
import { putState } from './testing/put-state.js';
import { testKernel } from './testing/reference.js';
import { applyChecked, pfnAt } from './testing/replay.js';

const MB = 1 << 20;
const A = 64 * MB;

const at = (k: Kernel, name: string): number => k.ledger.totals().lockedOpsBySite[name] ?? 0;

/** As split_huge_page's callers do: hold a reference across the split, drop it after. */
function split(k: Kernel, head: number) {
  k.frames.refcount[head]!++;
  const r = splitFolioFrozen(k, head);
  k.folioPutRefs(head, 1);
  return r;
}

/** A THP written whole by pid 1, then PTE-mapped by an mprotect of its second half (split_huge_pmd). */
function pteMappedThp(): { k: Kernel; head: number } {
  const k = applyChecked(testKernel(), [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
    { type: 'mprotect', pid: 1, addr: A + MB, len: MB, write: false },
  ]);
  const head = pfnAt(k, 1, A);
  expect(folioOrder(k, k.mm(1), A)).toBe(9);
  return { k, head };
}

describe('split_huge_page of a PTE-mapped THP (unmap to migration entries, freeze, remap)', () => {
  it('try_to_migrate takes the PTE lock once per page table it walks, not once per PTE, and flushes the TLB per PTE', () => {
    const { k, head } = pteMappedThp();
    const ptl0 = at(k, 'try_to_migrate.ptl'),
      put0 = at(k, 'try_to_migrate.put');
    const tlb0 = k.ledger.totals().tlbShootdowns;
    expect(split(k, head)).toEqual({ ok: true });
    // Two VMAs (the mprotect split it), one page table: the walk visits each VMA and locks the table in each.
    expect(at(k, 'try_to_migrate.ptl') - ptl0).toBe(2);
    expect(at(k, 'try_to_migrate.put') - put0).toBe(512);
    expect(k.ledger.totals().tlbShootdowns - tlb0).toBe(512);
  });

  it('remove_migration_ptes maps every page back as its own order-0 folio, one PTE lock per page', () => {
    const { k, head } = pteMappedThp();
    const remap0 = at(k, 'remove_migration_ptes.ptl');
    expect(split(k, head)).toEqual({ ok: true });
    expect(at(k, 'remove_migration_ptes.ptl') - remap0).toBe(512);
    expect(folioOrder(k, k.mm(1), A)).toBe(0);
    expect(folioOrder(k, k.mm(1), A + 2 * MB - 4096)).toBe(0);
    expect(contentMismatch(k, k.mm(1), { addr: A, len: 2 * MB })).toBeNull();
    expect(checkInvariants(k)).toEqual([]);
  });
});

describe('split of a THP with zero-filled pages (remap_page, RMP_USE_SHARED_ZEROPAGE from 6.12)', () => {
  /** A THP of which only the first page holds data, PTE-mapped by an mprotect of its second half. */
  function sparseThp(params = {}): { k: Kernel; head: number } {
    const k = applyChecked(testKernel({ params }), [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 4096, write: true },
      { type: 'mprotect', pid: 1, addr: A + MB, len: MB, write: false },
    ]);
    return { k, head: pfnAt(k, 1, A) };
  }

  it('from 6.12 the 511 zero-filled pages are mapped to the shared zero page and freed; the written page stays', () => {
    const { k, head } = sparseThp({ splitRemapsZeropage: true });
    const free0 = k.buddy.freeFrames();
    expect(split(k, head)).toEqual({ ok: true });
    expect(k.buddy.freeFrames() - free0).toBe(511);
    expect(pfnAt(k, 1, A)).toBe(head);
    expect(pfnAt(k, 1, A + 4096)).toBe(0); // the zero page
    expect(k.mm(1).rssAnon).toBe(1);
    expect(contentMismatch(k, k.mm(1), { addr: A, len: 2 * MB })).toBeNull();
    expect(checkInvariants(k)).toEqual([]);
  });

  it('before 6.12 every page is mapped back and stays allocated', () => {
    const { k, head } = sparseThp();
    const free0 = k.buddy.freeFrames();
    expect(split(k, head)).toEqual({ ok: true });
    expect(k.buddy.freeFrames() - free0).toBe(0);
    expect(pfnAt(k, 1, A + 4096)).toBe(head + 1);
    expect(k.mm(1).rssAnon).toBe(512);
  });
});

describe("putting a split folio's tails", () => {
  it('putSmallPages counts and frees exactly what folio_put page by page does (one atomic each, one zone lock per freed page)', () => {
    const build = () => {
      const k = testKernel();
      const pfns: number[] = [];
      for (let i = 0; i < 16; i++) pfns.push(k.allocUserFolio(0, 0, true));
      return { k, pfns };
    };
    const a = build(),
      b = build();
    expect(a.pfns).toEqual(b.pfns);
    const first = a.pfns[0]!;
    // A contiguous run, some pages with a second reference (still mapped elsewhere): those must stay.
    // A fresh zone hands out ascending neighbours (expand() leaves the low halves on the order-0 list).
    expect(a.pfns).toEqual(a.pfns.map((_, i) => first + i));
    const run = 16;
    for (const { k } of [a, b]) for (let i = 0; i < run; i += 3) k.frames.refcount[first + i]!++;
    a.k.putSmallPages(first, run, SPLIT_PUT_TEST);
    for (let i = 0; i < run; i++) b.k.folioPutRefs(first + i, 1, SPLIT_PUT_TEST);
    expect(putState(a.k)).toEqual(putState(b.k));
    expect(a.k.buddy.checkConsistency()).toEqual([]);
  });
});

const SPLIT_PUT_TEST = site('split_huge_page.put_tail');
