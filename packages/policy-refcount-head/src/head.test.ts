/**
 * Design B (4.5+, T49) and its folio-era form C (T612, FOLL_PIN) against the
 * numbers derived in docs/kernel/mm-facts.md §4 (B.4), §5.3 and §8 (S5–S10). Every
 * count is what the model's ledger records, asserted exactly.
 */
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import { HPAGE_PMD_NR, type Kernel, type ModelParams, anonHugeBytes, applyEvent, checkInvariants, ptePfn, site } from '@pagelab/kernel-core';
import { ERA_PARAMS, costOf, machine, runEvents } from '@pagelab/policy-testkit';
import { createHeadRefcount, descriptor } from './index.js';

const MB = 1 << 20;
const PAGE = 4096;
const A = 64 * MB;
const B45 = ERA_PARAMS['linux-4.5'];
const C612 = ERA_PARAMS['linux-6.10'];
const CALLER = site('test.split_caller');

function thpMachine(params: Partial<ModelParams> = B45): { k: Kernel; head: number } {
  const k = machine(createHeadRefcount(), { params });
  apply(k, [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
  ]);
  return { k, head: ptePfn(k.mm(1).pt(A)!.pmd) };
}

function apply(k: Kernel, events: WorkloadEvent[]): void {
  runEvents(k, events, { check: true });
}

describe('references on a THP live on the head only (T49 get_page / put_page)', () => {
  it('get_page and put_page on a tail are one atomic each on the head, and leave the tail untouched', () => {
    const { k, head } = thpMachine();
    expect(costOf(k, () => k.policies.refcount.getPage(k, head + 7))).toMatchObject({ lockedOps: 1, lockAcquisitions: 0, bySite: { get_page: 1 } });
    expect([k.frames.refcount[head], k.frames.refcount[head + 7], k.frames.mapcount[head + 7]]).toEqual([2, 0, 0]);
    expect(costOf(k, () => k.policies.refcount.putPage(k, head + 7))).toMatchObject({ lockedOps: 1, lockAcquisitions: 0, bySite: { put_page: 1 } });
    expect(k.frames.refcount[head]).toBe(1);
  });

  it('gup_fast of one tail subpage of a PMD-mapped THP: head ref add and SetPageReferenced — 2 locked ops', () => {
    const { k } = thpMachine();
    const cost = costOf(k, () => applyEvent(k, { type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' }));
    expect(cost).toMatchObject({ lockedOps: 2, lockAcquisitions: 0, bySite: { 'gup_fast.try_grab_folio': 1, folio_set_referenced: 1 } });
  });

  it('FOLL_PIN on a large folio also counts the pin in _pincount (T612): 3 locked ops', () => {
    const { k, head } = thpMachine(C612);
    const cost = costOf(k, () => applyEvent(k, { type: 'pin', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'p' }));
    expect(cost.lockedOps).toBe(3);
    expect([k.frames.refcount[head], k.frames.pincount[head + 1]]).toEqual([2, 1]);
  });

  it('S7: a 4 KiB O_DIRECT write from a THP tail costs 7 locked ops with FOLL_GET (4.5) and 5 with FOLL_PIN (6.12), no locks', () => {
    const b = thpMachine(B45);
    // gup_fast 2 + 2 x get_page 1 + 3 x put_page 1.
    expect(costOf(b.k, () => applyEvent(b.k, { type: 'dio', pid: 1, addr: A + 7 * PAGE, len: PAGE }))).toMatchObject({ lockedOps: 7, lockAcquisitions: 0 });
    const c = thpMachine(C612);
    // pin 3 (ref add, _pincount add, set referenced) + unpin 2 (_pincount sub, ref put).
    expect(costOf(c.k, () => applyEvent(c.k, { type: 'dio', pid: 1, addr: A + 7 * PAGE, len: PAGE }))).toMatchObject({ lockedOps: 5, lockAcquisitions: 0 });
  });
});

describe('split_huge_page fails on any reference a mapping does not explain (T49 split_huge_page_to_list, T612 can_split_folio)', () => {
  const cases = [
    ['unpinned', -1, true],
    ['pinned on the head', 0, false],
    ['pinned on tail page 7', 7, false],
  ] as const;
  for (const mapping of ['PMD-mapped', 'PTE-mapped'] as const) {
    for (const [label, pinned, ok] of cases) {
      it(`a ${mapping} THP ${label} ${ok ? 'splits' : "fails with 'pinned' and stays whole"}`, () => {
        const { k, head } = thpMachine();
        if (mapping === 'PTE-mapped') k.policies.refcount.splitHugePmd(k, k.mm(1), A);
        if (pinned >= 0) apply(k, [{ type: 'get', pid: 1, addr: A + pinned * PAGE, len: PAGE, handle: 'g' }]);
        k.ledger.atomicInc(k.frames.refcount, head, CALLER);
        const r = k.policies.refcount.splitHugePage(k, head);
        expect(r).toEqual(ok ? { ok: true } : { ok: false, reason: 'pinned' });
        expect(k.frames.order(head)).toBe(ok ? 0 : 9);
        k.folioPutRefs(head, 1, CALLER);
        expect(checkInvariants(k)).toEqual([]);
      });
    }
  }

  it('S5: with a reference on tail 7 the split fails before anything is unmapped, for 4 locked ops (anon_vma get, lock, unlock, put)', () => {
    const { k, head } = thpMachine();
    apply(k, [{ type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' }]);
    k.ledger.atomicInc(k.frames.refcount, head, CALLER);
    const cost = costOf(k, () => expect(k.policies.refcount.splitHugePage(k, head)).toEqual({ ok: false, reason: 'pinned' }));
    expect(cost).toMatchObject({ lockedOps: 4, lockAcquisitions: 1, bySite: { 'split_huge_page.anon_vma': 4 } });
    expect(anonHugeBytes(k, k.mm(1))).toBe(2 * MB);
    expect(k.frames.refcount[head]).toBe(3);
  });

  it('split_huge_pmd never fails, even with a pinned tail: the folio stays whole and PTE-mapped', () => {
    const { k, head } = thpMachine();
    apply(k, [{ type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' }]);
    k.policies.refcount.splitHugePmd(k, k.mm(1), A);
    expect([k.frames.order(head), k.frames.refcount[head], k.frames.mapcount[head + 7], anonHugeBytes(k, k.mm(1))]).toEqual([9, 513, 1, 0]);
  });
});

describe('partial unmap leaves the THP on the deferred split queue (S6, S8, S9)', () => {
  it('S6: munmap of pages 256..511 with a pin on tail 7 wastes 256 pages until the pin goes, then reclaim frees them', () => {
    const { k } = thpMachine();
    apply(k, [
      { type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' },
      { type: 'munmap', pid: 1, addr: A + MB, len: MB },
    ]);
    expect([k.deferredLen, k.waste.measure(k).wasteByCause['unmapped-in-thp']]).toEqual([1, MB]);
    apply(k, [
      { type: 'reclaim', pages: 1 },
      { type: 'reclaim', pages: 1 },
    ]);
    // Each reclaim tries twice: the deferred-split shrinker, then LRU reclaim of the THP itself (FOLL_GET is not maybe-pinned).
    expect(k.outcomes.get('split_page').reasons).toEqual({ pinned: 4 });
    expect([k.deferredLen, k.waste.measure(k).wasteByCause['split-blocked']]).toEqual([1, MB]);
    const free0 = k.buddy.freeFrames();
    apply(k, [
      { type: 'put', handle: 'g' },
      { type: 'reclaim', pages: 1 },
    ]);
    expect(k.buddy.freeFrames() - free0).toBe(256);
    expect([k.deferredLen, k.waste.measure(k).wasteBytes]).toEqual([0, 0]);
  });

  it('S6 variant: with the pin on page 300 inside the unmapped half, all 256 pages stay wasted until unpin', () => {
    const { k } = thpMachine();
    apply(k, [
      { type: 'get', pid: 1, addr: A + 300 * PAGE, len: PAGE, handle: 'g' },
      { type: 'munmap', pid: 1, addr: A + MB, len: MB },
      { type: 'reclaim', pages: 1 },
    ]);
    // 255 unmapped pages are waste; page 300 is reachable through the pin, so the meter counts it as data.
    expect(k.waste.measure(k).wasteByCause['split-blocked']).toBe(255 * PAGE);
    const free0 = k.buddy.freeFrames();
    apply(k, [
      { type: 'put', handle: 'g' },
      { type: 'reclaim', pages: 1 },
    ]);
    expect(k.buddy.freeFrames() - free0).toBe(256);
  });

  it('S8: mprotect of one 4 KiB page only splits the PMD (≈515 locked ops): the folio stays whole, refcount 512, not queued', () => {
    const { k, head } = thpMachine();
    const cost = costOf(k, () => apply(k, [{ type: 'mprotect', pid: 1, addr: A + 5 * PAGE, len: PAGE, write: false }]));
    // __split_huge_pmd_locked: PMD lock 1 + ref add 511 (1) + 512 rmap incs + entire mapcount dec 1 = 515; change_protection's PT lock 1.
    expect(cost).toMatchObject({
      lockedOps: 515 + 1,
      lockAcquisitions: 2,
      bySite: { 'split_huge_pmd.pmd_lock': 1, 'split_huge_pmd.refcount': 1, folio_add_rmap_ptes: 512, folio_remove_rmap_pmd: 1, change_protection: 1 },
    });
    expect([k.frames.order(head), k.frames.refcount[head], k.frames.mapcount[head + 300], k.deferredLen]).toEqual([9, HPAGE_PMD_NR, 1, 0]);
    expect(k.waste.measure(k).wasteBytes).toBe(0);
  });

  it('S8 in the folio era also marks every subpage anon-exclusive: 511 more locked ops', () => {
    const { k } = thpMachine(C612);
    const cost = costOf(k, () => apply(k, [{ type: 'mprotect', pid: 1, addr: A + 5 * PAGE, len: PAGE, write: false }]));
    expect(cost.lockedOps).toBe(515 + 511 + 1);
  });

  it('S9: munmap of one 4 KiB page wastes it until the shrinker splits the THP under memory pressure', () => {
    const { k } = thpMachine();
    apply(k, [{ type: 'munmap', pid: 1, addr: A + 5 * PAGE, len: PAGE }]);
    expect([k.deferredLen, k.waste.measure(k).wasteBytes]).toEqual([1, PAGE]);
    const free0 = k.buddy.freeFrames();
    apply(k, [{ type: 'reclaim', pages: 1 }]);
    expect([k.buddy.freeFrames() - free0, k.deferredLen, k.waste.measure(k).wasteBytes]).toEqual([1, 0, 0]);
    expect(k.outcomes.get('split_page').ok).toBe(1);
  });
});

describe('S10: fork, then the child writes one byte inside the THP', () => {
  it('4.5 copies 2 MiB into a new THP (+512 pages); 5.8+ splits the child PMD and copies 4 KiB (+1 page)', () => {
    const run = (params: Partial<ModelParams>) => {
      const { k } = thpMachine(params);
      const free0 = k.buddy.freeFrames();
      apply(k, [
        { type: 'fork', parent: 1, child: 2 },
        { type: 'touch', pid: 2, addr: A + PAGE, len: PAGE, write: true },
      ]);
      return { pages: free0 - k.buddy.freeFrames(), copies: k.ledger.totals().pageCopies, childHuge: anonHugeBytes(k, k.mm(2)) };
    };
    expect(run(B45)).toEqual({ pages: 512, copies: 512, childHuge: 2 * MB });
    expect(run(ERA_PARAMS['linux-5.8'])).toEqual({ pages: 1, copies: 1, childHuge: 0 });
  });
});

describe('the plug-in descriptor', () => {
  it('is head-refcount on the refcount axis, with no parameters', () => {
    expect(descriptor).toMatchObject({ id: 'head-refcount', axis: 'refcount', defaults: {} });
    expect(descriptor.params.is({})).toBe(true);
    expect(descriptor.create({}).pteMappedThp).toBe(true);
  });
});
