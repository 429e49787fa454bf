/**
 * Design A (3.13) against the numbers derived by hand from T313 in
 * docs/kernel/mm-facts.md §3 (A.4) and §8 (S5–S10, S18). Every count below is what the
 * model's ledger records for the path, asserted exactly.
 */
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import {
  HPAGE_PMD_NR,
  type Kernel,
  PG,
  anonHugeBytes,
  applyEvent,
  checkInvariants,
  contentMismatch,
  folioOrder,
  ptePfn,
  refHeadRefcount,
  site,
} from '@pagelab/kernel-core';
import { ERA_PARAMS, compareUserVisible, costOf, diffUserViews, machine, runEvents, userView } from '@pagelab/policy-testkit';
import { createTailRefcount, descriptor } from './index.js';

const MB = 1 << 20;
const PAGE = 4096;
const A = 64 * MB;
const ERA = ERA_PARAMS['linux-3.13'];
const CALLER = site('test.split_caller');

/** pid 1 with one PMD-mapped, fully written anon THP at A. */
function thpMachine(perTailLockInSplit = false): { k: Kernel; head: number } {
  const k = machine(createTailRefcount({ perTailLockInSplit }), { params: ERA });
  runEvents(
    k,
    [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
    ],
    { check: true },
  );
  return { k, head: ptePfn(k.mm(1).pt(A)!.pmd) };
}

function apply(k: Kernel, events: WorkloadEvent[]): void {
  runEvents(k, events, { check: true });
}

/** split_huge_page as a kernel caller does it: with its own reference held (S5). */
function splitWithCallerRef(k: Kernel, head: number) {
  k.ledger.atomicInc(k.frames.refcount, head, CALLER);
  const cost = costOf(k, () => expect(k.policies.refcount.splitHugePage(k, head)).toEqual({ ok: true }));
  return cost;
}

describe('get_page and put_page on a THP tail (T313 __get_page_tail, put_compound_page)', () => {
  it('get_page on a tail pins the head, takes compound_lock and counts the pin in the tail _mapcount: 4 locked ops, 1 acquisition', () => {
    const { k, head } = thpMachine();
    const cost = costOf(k, () => k.policies.refcount.getPage(k, head + 7));
    expect(cost).toMatchObject({ lockedOps: 4, lockAcquisitions: 1, bySite: { 'get_page.tail': 4 }, byKind: { atomic: 2, bit_spinlock: 2 } });
    expect([k.frames.refcount[head], k.frames.mapcount[head + 7], k.frames.test(head, PG.compound_lock)]).toEqual([2, 1, false]);
  });

  it('put_page on a tail is the 6-locked-op normal path of put_compound_page, with 1 compound_lock acquisition', () => {
    const { k, head } = thpMachine();
    k.policies.refcount.getPage(k, head + 7);
    const cost = costOf(k, () => k.policies.refcount.putPage(k, head + 7));
    expect(cost).toMatchObject({ lockedOps: 6, lockAcquisitions: 1, bySite: { 'put_page.tail': 6 }, byKind: { atomic: 4, bit_spinlock: 2 } });
    expect([k.frames.refcount[head], k.frames.mapcount[head + 7]]).toEqual([1, 0]);
  });

  it('get_page and put_page on the head page are one atomic each and never take compound_lock', () => {
    const { k, head } = thpMachine();
    expect(costOf(k, () => k.policies.refcount.getPage(k, head))).toMatchObject({ lockedOps: 1, lockAcquisitions: 0, bySite: { get_page: 1 } });
    expect(costOf(k, () => k.policies.refcount.putPage(k, head))).toMatchObject({ lockedOps: 1, lockAcquisitions: 0, bySite: { put_page: 1 } });
  });

  it('the last put_page through a tail frees the whole compound page once nothing maps it', () => {
    const { k, head } = thpMachine();
    const free0 = k.buddy.freeFrames();
    apply(k, [
      { type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' },
      { type: 'munmap', pid: 1, addr: A, len: 2 * MB },
    ]);
    expect(k.frames.refcount[head]).toBe(1); // the tail reference keeps the compound page
    expect(k.buddy.freeFrames()).toBe(free0);
    apply(k, [{ type: 'put', handle: 'g' }]);
    expect(k.buddy.freeFrames()).toBe(free0 + HPAGE_PMD_NR);
  });
});

describe('get_user_pages on a PMD-mapped THP (T313 arch/x86/mm/gup.c, get_page_foll)', () => {
  it('gup_fast of one tail subpage: tail _mapcount, one atomic_add on the head, SetPageReferenced — 3 locked ops, no lock', () => {
    const { k, head } = thpMachine();
    const cost = costOf(k, () => applyEvent(k, { type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g', fast: true }));
    expect(cost).toMatchObject({ lockedOps: 3, lockAcquisitions: 0, bySite: { gup_huge_pmd: 3 } });
    expect([k.frames.refcount[head], k.frames.mapcount[head + 7]]).toEqual([2, 1]);
  });

  it('the slow path takes the PT lock and then two atomics per tail page (head _count, tail _mapcount), no compound_lock', () => {
    const { k } = thpMachine();
    const cost = costOf(k, () => applyEvent(k, { type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g', fast: false }));
    expect(cost).toMatchObject({ lockedOps: 3, lockAcquisitions: 1, bySite: { get_page_foll: 2, 'follow_page.ptl': 1 } });
  });

  it('a pin is a plain FOLL_GET reference in this era (no FOLL_PIN, no _pincount)', () => {
    const { k, head } = thpMachine();
    apply(k, [{ type: 'pin', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'p' }]);
    expect(k.handles.get('p')!.kind).toBe('get');
    expect([k.frames.refcount[head], k.frames.mapcount[head + 7], k.frames.pincount[head + 1]]).toEqual([2, 1, 0]);
  });

  it('S7: a 4 KiB O_DIRECT write from a THP tail costs 29 locked ops and 5 compound_lock acquisitions', () => {
    const { k } = thpMachine();
    const cost = costOf(k, () => applyEvent(k, { type: 'dio', pid: 1, addr: A + 7 * PAGE, len: PAGE, write: true }));
    // gup_fast 3 + 2 x get_page(tail) 4 + 3 x put_page(tail) 6 = 29, as derived in docs/kernel/mm-facts.md S7.
    expect(cost).toMatchObject({ lockedOps: 29, lockAcquisitions: 5, bySite: { gup_huge_pmd: 3, 'get_page.tail': 8, 'put_page.tail': 18 } });
  });
});

describe('split_huge_page never fails because of references, and pins move to their tails (T313 __split_huge_page)', () => {
  it.each([
    ['unpinned', -1, { head: 2, tail7: 1 }],
    ['pinned on the head', 0, { head: 3, tail7: 1 }],
    ['pinned on tail page 7', 7, { head: 2, tail7: 2 }],
  ])('a PMD-mapped THP %s splits into 512 pages', (_label, pinned, counts) => {
    const { k, head } = thpMachine();
    if (pinned >= 0) apply(k, [{ type: 'get', pid: 1, addr: A + pinned * PAGE, len: PAGE, handle: 'g' }]);
    splitWithCallerRef(k, head);
    const f = k.frames;
    expect({ head: f.refcount[head], tail7: f.refcount[head + 7] }).toEqual(counts);
    expect([f.order(head), f.isTail(head + 1), f.mapcount[head + 7], f.mapcount[head + 300], f.refcount[head + 300]]).toEqual([0, false, 1, 1, 1]);
    expect(folioOrder(k, k.mm(1), A + 7 * PAGE)).toBe(0);
    expect(k.lru.size).toBe(HPAGE_PMD_NR);
    k.folioPutRefs(head, 1, CALLER);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('S5: the split of a THP mapped by one PMD with a pin on tail 7 costs 1,544 locked ops, 5 acquisitions, nesting 3, 2 TLB flushes', () => {
    const { k, head } = thpMachine();
    apply(k, [{ type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' }]);
    const cost = splitWithCallerRef(k, head);
    // 4 anon_vma + 2 phase 1 + 2 (lru_lock, compound_lock) + 511 x (tail count add, SetPageLRU) + 1 head sub + 1 unlock + 511 puts + 1 phase 3.
    expect(cost).toMatchObject({
      lockedOps: 1544,
      lockAcquisitions: 5,
      tlbShootdowns: 2,
      bySite: {
        'split_huge_page.anon_vma': 4,
        __split_huge_page_splitting: 2,
        '__split_huge_page_refcount.lru_lock': 1,
        __split_huge_page_refcount: 511 + 1 + 2,
        lru_add_page_tail: 511,
        'split_huge_page.put_tail': 511,
        __split_huge_page_map: 1,
      },
    });
    expect(k.ledger.totals().maxLockDepth).toBe(3);
    expect(k.ledger.totals().nestingViolations).toEqual([]);
  });

  it('each extra PMD mapping adds 3 locked ops and 2 TLB flushes (about 1,541 + 3M)', () => {
    const { k, head } = thpMachine();
    apply(k, [{ type: 'fork', parent: 1, child: 2 }]);
    expect(splitWithCallerRef(k, head)).toMatchObject({ lockedOps: 1541 + 3 * 2, lockAcquisitions: 3 + 2 * 2, tlbShootdowns: 4 });
    expect([k.frames.mapcount[head + 9], k.frames.refcount[head + 9]]).toEqual([2, 2]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('split fails only when the page has no anon_vma', () => {
    const { k, head } = thpMachine();
    k.frames.mapping[head] = 9999;
    expect(k.policies.refcount.splitHugePage(k, head)).toEqual({ ok: false, reason: 'no_anon_vma' });
  });
});

describe('partial munmap and mprotect split the whole compound page at once (S6, S8, S9)', () => {
  it('S6: munmap of pages 256..511 with a pin on tail 7 frees the 256 unmapped pages at once: no waste, nothing queued', () => {
    const { k, head } = thpMachine();
    apply(k, [{ type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' }]);
    const free0 = k.buddy.freeFrames();
    apply(k, [{ type: 'munmap', pid: 1, addr: A + MB, len: MB }]);
    expect(k.buddy.freeFrames() - free0).toBe(256);
    expect(k.waste.measure(k).wasteBytes).toBe(0);
    expect(k.deferredLen).toBe(0);
    expect(k.frames.refcount[head + 7]).toBe(2);
    apply(k, [
      { type: 'put', handle: 'g' },
      { type: 'reclaim', pages: 1 },
    ]);
    expect(k.frames.refcount[head + 7]).toBe(1);
    expect(k.outcomes.get('split_page')).toEqual({ ok: 1, failed: 0, reasons: {} });
  });

  it('S6 variant: with the pin on page 300 inside the unmapped half, 255 pages are freed and page 300 survives on its pin until unpin', () => {
    const { k, head } = thpMachine();
    apply(k, [{ type: 'get', pid: 1, addr: A + 300 * PAGE, len: PAGE, handle: 'g' }]);
    const free0 = k.buddy.freeFrames();
    apply(k, [{ type: 'munmap', pid: 1, addr: A + MB, len: MB }]);
    expect(k.buddy.freeFrames() - free0).toBe(255);
    expect([k.frames.refcount[head + 300], k.frames.mapcount[head + 300]]).toEqual([1, 0]);
    // docs/kernel/mm-facts.md counts page 300 as 1 page of waste; the model's meter counts a pinned page as reachable data, so 0.
    expect(k.waste.measure(k).wasteBytes).toBe(0);
    apply(k, [{ type: 'put', handle: 'g' }]);
    expect(k.buddy.freeFrames() - free0).toBe(256);
  });

  it('S8: mprotect of one 4 KiB page splits the whole THP into 512 independent pages', () => {
    const { k } = thpMachine();
    const cost = costOf(k, () => apply(k, [{ type: 'mprotect', pid: 1, addr: A + 5 * PAGE, len: PAGE, write: false }]));
    // split_huge_page_pmd: PT lock + get_page + put_page (3) around split_huge_page (1,544); change_protection's PT lock (1).
    expect(cost).toMatchObject({ lockedOps: 3 + 1544 + 1, lockAcquisitions: 1 + 5 + 1 });
    expect(anonHugeBytes(k, k.mm(1))).toBe(0);
    expect(k.lru.size).toBe(HPAGE_PMD_NR);
    expect(k.waste.measure(k).wasteBytes).toBe(0);
    expect(k.outcomes.get('split_page').ok).toBe(1);
  });

  it('S9: munmap of one 4 KiB page frees it immediately, with no memory pressure needed', () => {
    const { k } = thpMachine();
    const free0 = k.buddy.freeFrames();
    apply(k, [{ type: 'munmap', pid: 1, addr: A + 5 * PAGE, len: PAGE }]);
    expect(k.buddy.freeFrames() - free0).toBe(1);
    expect([k.waste.measure(k).wasteBytes, k.deferredLen]).toEqual([0, 0]);
  });
});

describe('S10: fork, then the child writes one byte inside the THP', () => {
  it("copies the whole 2 MiB into a new THP for the child (thpCow 'huge'), +512 pages", () => {
    const { k } = thpMachine();
    const free0 = k.buddy.freeFrames();
    apply(k, [
      { type: 'fork', parent: 1, child: 2 },
      { type: 'touch', pid: 2, addr: A + 4096, len: 1 * PAGE, write: true },
    ]);
    expect(free0 - k.buddy.freeFrames()).toBe(512);
    expect(k.ledger.totals().pageCopies).toBe(512);
    expect([anonHugeBytes(k, k.mm(1)), anonHugeBytes(k, k.mm(2))]).toEqual([2 * MB, 2 * MB]);
    expect([contentMismatch(k, k.mm(1)), contentMismatch(k, k.mm(2))]).toEqual([null, null]);
  });

  it('once the forked child has exited, a parent write reuses its THP in place even with a tail pinned (page_mapcount(head) == 1)', () => {
    const { k, head } = thpMachine();
    apply(k, [
      { type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'exit', pid: 2 },
      { type: 'touch', pid: 1, addr: A, len: PAGE, write: true },
    ]);
    // 3.13 do_huge_pmd_wp_page: page_mapcount(head) == 1 -> reuse; the tail's pin count is not a mapping.
    expect([k.ledger.totals().pageCopies, k.outcomes.get('cow').ok]).toEqual([0, 1]);
    expect(ptePfn(k.mm(1).pt(A)!.pmd)).toBe(head);
  });
});

describe("A′: Oleg Nesterov's per-tail compound_lock in split (seed 002, docs/kernel/mm-facts.md A.5, S18)", () => {
  it('nests 514 locks (anon_vma, lru_lock, head and 511 tails) and reports both MAX_LOCK_DEPTH 48 and preempt_count 255 overflows', () => {
    const { k, head } = thpMachine(true);
    const cost = splitWithCallerRef(k, head);
    // A's 1,544 plus 511 tail lock acquisitions and 511 clear_bit_unlock.
    expect(cost).toMatchObject({ lockedOps: 1544 + 2 * 511, lockAcquisitions: 5 + 511, bySite: { '__split_huge_page_refcount.tail_compound_lock': 1022 } });
    const t = k.ledger.totals();
    expect([t.maxLockDepth, t.maxSpinDepth]).toEqual([514, 513]);
    expect(t.nestingViolations).toHaveLength(2);
    expect(t.nestingViolations[0]).toMatch(/lock depth 49 > MAX_LOCK_DEPTH 48 at __split_huge_page_refcount.tail_compound_lock/);
    expect(t.nestingViolations[1]).toMatch(/preempt_count nesting 256 > 255 at __split_huge_page_refcount.tail_compound_lock/);
    expect(k.frames.test(head + 1, PG.compound_lock)).toBe(false);
  });

  it('without the variant the same split nests 3 locks and reports no violation', () => {
    const { k, head } = thpMachine(false);
    splitWithCallerRef(k, head);
    expect(k.ledger.totals()).toMatchObject({ maxLockDepth: 3, nestingViolations: [] });
  });

  it("keeps A's tail get/put: the S7 O_DIRECT write still costs 29 (the seed's ~1 op saved per put is not modelled: docs/kernel/mm-facts.md §9.1)", () => {
    const { k } = thpMachine(true);
    expect(costOf(k, () => applyEvent(k, { type: 'dio', pid: 1, addr: A + 7 * PAGE, len: PAGE })).lockedOps).toBe(29);
  });

  it('is selected by the descriptor parameter perTailLockInSplit', () => {
    expect(descriptor.defaults).toEqual({ perTailLockInSplit: false });
    expect(descriptor.params.is({ perTailLockInSplit: true })).toBe(true);
    expect(descriptor.params.is({ perTailLockInSplit: 'yes' })).toBe(false);
  });
});

describe('design A against the head-refcount reference on the same workload', () => {
  const stream: WorkloadEvent[] = [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: A, len: 4 * MB, kind: 'anon' },
    { type: 'touch', pid: 1, addr: A, len: 4 * MB, write: true },
    { type: 'get', pid: 1, addr: A + 7 * PAGE, len: PAGE, handle: 'g' },
    { type: 'dio', pid: 1, addr: A + 9 * PAGE, len: 2 * PAGE, count: 4 },
    { type: 'fork', parent: 1, child: 2 },
    { type: 'touch', pid: 2, addr: A + 2 * MB, len: PAGE, write: true },
    { type: 'munmap', pid: 1, addr: A + MB, len: MB },
    { type: 'mprotect', pid: 2, addr: A + 3 * PAGE, len: PAGE, write: false },
    { type: 'reclaim', pages: 64 },
    { type: 'put', handle: 'g' },
    { type: 'reclaim', pages: 4096 },
    { type: 'touch', pid: 1, addr: A, len: 8 * PAGE, write: false },
  ];

  it('shows every process the same content at every address, while the locked-op bills differ', () => {
    expect(compareUserVisible(createTailRefcount(), refHeadRefcount, stream, { params: ERA })).toBeNull();
    const a = machine(createTailRefcount(), { params: ERA });
    const b = machine(refHeadRefcount, { params: ERA });
    runEvents(a, stream, { check: true });
    runEvents(b, stream, { check: true });
    expect(diffUserViews(userView(a), userView(b))).toBeNull();
    expect(a.ledger.lockedOps).not.toBe(b.ledger.lockedOps);
    expect(a.ledger.totals().lockedOpsBySite['put_page.tail']).toBeGreaterThan(0);
    expect(b.ledger.totals().lockedOpsBySite['put_page.tail']).toBeUndefined();
    expect([a.outcomes.get('split_page').failed, b.outcomes.get('split_page').failed > 0]).toEqual([0, true]);
  });
});
