import { describe, expect, it } from 'vitest';
import { refPreciseSharedness } from '@pagelab/kernel-core';
import {
  type SharednessScenario,
  applySharednessEvents,
  mappedPfn,
  replaySharednessScenario,
  onePteMapUnmapCost,
  runSharednessConformance,
  s1Scenario,
  s2Scenario,
  s20Scenario,
  s4Scenario,
  scanSharedCount,
  sharednessKernel,
} from '@pagelab/policy-testkit';
import descriptor, { createMmOwnerTracking, folioLargeMapcount, folioMaybeSharedBit, folioMmIdSlots, folioNrPagesMapped } from './index.js';

const PAGE = 4096;

const scenario = (s: SharednessScenario) => replaySharednessScenario(createMmOwnerTracking(), s);

describe('mm-owner-tracking (C615): folio_maybe_mapped_shared', () => {
  it('in S1 P and C hold the two slots with 256 mappings each, MAYBE_SHARED is set, and all 256 PTEs count shared', () => {
    const s = scenario(s1Scenario());
    const [p, c] = [s.k.mm(1).mmId, s.k.mm(2).mmId];
    expect(folioMmIdSlots(s.k, s.head)).toEqual([
      { mmId: p, mapcount: 256 },
      { mmId: c, mapcount: 256 },
    ]);
    expect(folioMaybeSharedBit(s.k, s.head)).toBe(true);
    expect(s.asks(1)).toBe(true);
    expect(s.shared()).toBe(256);
  });

  it('in S2 and S20 the folio is shared too', () => {
    expect(scenario(s2Scenario()).shared()).toBe(256);
    expect(scenario(s20Scenario()).shared()).toBe(300);
  });

  it('in S4 the folio only C maps stays "maybe shared" (stale), where the per-page rule says exclusive', () => {
    const s = scenario(s4Scenario());
    // A and B freed their slots; C never had one (both were taken when it forked); no slot equals the total of 2.
    expect(folioMmIdSlots(s.k, s.head)).toEqual([
      { mmId: 0, mapcount: 0 },
      { mmId: 0, mapcount: 0 },
    ]);
    expect(folioLargeMapcount(s.k, s.head)).toBe(2);
    expect(s.asks(0)).toBe(true);
    expect(s.shared()).toBe(2);
    expect(scanSharedCount(s.k, refPreciseSharedness, 3, s4Scenario().range)).toBe(0);
  });

  it('with two MMs the answer is exact: once C exits in S1, P alone maps the folio and it is exclusive again', () => {
    const s = scenario(s1Scenario());
    applySharednessEvents(s.k, [{ type: 'exit', pid: 2 }]);
    expect(folioMaybeSharedBit(s.k, s.head)).toBe(false);
    expect(s.asks(1)).toBe(false);
    expect(s.shared()).toBe(0);
  });

  it('a shmem THP one process maps twice (two VMAs over one file range) is mapped by one MM: exclusive, where the 6.10 heuristic said shared (a PMD mapping and one more)', () => {
    // Found by the conformance streams (seed 14), whose "no false negatives" check counted a page
    // mapped twice as shared whoever mapped it; 6.15's question is whether a second MM maps it.
    const events = [
      { type: 'sysctl', key: 'thp.shmem_enabled', value: 'always' },
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: 64 << 20, len: 2 << 20, kind: 'shmem', file: 'shm0' },
      { type: 'mmap', pid: 1, addr: 66 << 20, len: 2 << 20, kind: 'shmem', file: 'shm0' },
      { type: 'touch', pid: 1, addr: 64 << 20, len: PAGE, write: true },
      { type: 'touch', pid: 1, addr: 66 << 20, len: PAGE, write: false },
    ] as const;
    const k = applySharednessEvents(sharednessKernel(createMmOwnerTracking()), events);
    const head = mappedPfn(k, 1, 64 << 20);
    expect(mappedPfn(k, 1, 66 << 20)).toBe(head);
    expect(folioLargeMapcount(k, head)).toBe(2);
    expect(folioMmIdSlots(k, head)).toEqual([
      { mmId: k.mm(1).mmId, mapcount: 2 },
      { mmId: 0, mapcount: 0 },
    ]);
    expect(k.policies.sharedness.mappedShared(k, head)).toBe(false);
  });

  it('a single remaining mapping is exclusive whatever the bit says', () => {
    const s = scenario(s4Scenario());
    applySharednessEvents(s.k, [{ type: 'munmap', pid: 3, addr: s4Scenario().range + PAGE, len: PAGE }]);
    expect(folioMaybeSharedBit(s.k, s.head)).toBe(true);
    expect(s.asks(0)).toBe(false);
  });

  it('one PTE map + unmap takes the _mm_ids bit spinlock twice instead of two _large_mapcount atomics: same 6 locked ops as C610, 2 acquisitions', () => {
    // add:    _mapcount +1 [A] (common), _nr_pages_mapped += 1 [A], bit_spin_lock(_mm_ids) [L];
    //         _large_mapcount read/set, slot += 1 (plain), __bit_spin_unlock (0)
    // remove: bit_spin_lock [L]; _large_mapcount read/set, slot -= 1 (plain); __bit_spin_unlock (0);
    //         _mapcount -1 [A] (common), _nr_pages_mapped -= 1 [A]
    const c = onePteMapUnmapCost(createMmOwnerTracking(), 0);
    expect(c.bySite).toEqual({
      folio_add_rmap_ptes: 1,
      'folio_add_rmap.nr_pages_mapped': 1,
      folio_add_large_mapcount: 1,
      folio_remove_rmap_ptes: 1,
      'folio_remove_rmap.nr_pages_mapped': 1,
      folio_sub_large_mapcount: 1,
    });
    expect(c.byKind).toEqual({ atomic: 4, bit_spinlock: 2 });
    expect(c.lockAcquisitions).toBe(2);
    expect(c.lockedOps).toBe(6);
  });

  it('the _mm_ids lock bit is free again after every map and unmap', () => {
    const s = scenario(s1Scenario());
    expect(s.k.frames.mapping[s.head + 3]! & 1).toBe(0);
    expect(s.k.ledger.currentDepth).toBe(0);
  });
});

runSharednessConformance(descriptor, {
  claims: { noFalseNegatives: true, exactWithTwoMms: true },
  bookkeeping: {
    largeMapcount: folioLargeMapcount,
    nrPagesMapped: folioNrPagesMapped,
    mmIdSlots: folioMmIdSlots,
    maybeShared: folioMaybeSharedBit,
  },
});

describe('mm-owner-tracking (C615): CoW reuse of large folios', () => {
  const MiB = 1 << 20;
  const A = 64 * MiB;
  /** P's THP, shared with a child that then exits; P's PMD is split (mprotect) and its PTEs are still read-only. */
  function exclusiveAgainPteMapped(sharedness = createMmOwnerTracking()) {
    const k = sharednessKernel(sharedness);
    applySharednessEvents(k, [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MiB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MiB, write: true },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'mprotect', pid: 1, addr: A + 100 * PAGE, len: PAGE, write: false },
      { type: 'mprotect', pid: 1, addr: A + 100 * PAGE, len: PAGE, write: true },
      { type: 'exit', pid: 2 },
    ]);
    return k;
  }

  it('a write to a read-only PTE of a large folio now mapped only by this process reuses it in place (__wp_can_reuse_large_anon_folio)', () => {
    const k = exclusiveAgainPteMapped();
    const copies = k.ledger.totals().pageCopies;
    applySharednessEvents(k, [{ type: 'touch', pid: 1, addr: A + 5 * PAGE, len: PAGE, write: true }]);
    expect(k.ledger.totals().pageCopies).toBe(copies);
    expect(k.outcomes.get('cow').reasons).toEqual({});
    expect(k.outcomes.get('cow').ok).toBe(1);
  });

  it('without owner tracking (likely-mapped-shared, 6.10) the same write copies the page', () => {
    const k = exclusiveAgainPteMapped({ ...refPreciseSharedness, id: 'no-owner-tracking' });
    const copies = k.ledger.totals().pageCopies;
    applySharednessEvents(k, [{ type: 'touch', pid: 1, addr: A + 5 * PAGE, len: PAGE, write: true }]);
    expect(k.ledger.totals().pageCopies).toBe(copies + 1);
  });

  it('while the child still maps the folio the write copies', () => {
    const k = sharednessKernel(createMmOwnerTracking());
    applySharednessEvents(k, [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 2 * MiB, kind: 'anon' },
      { type: 'touch', pid: 1, addr: A, len: 2 * MiB, write: true },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'mprotect', pid: 1, addr: A + 100 * PAGE, len: PAGE, write: false },
      { type: 'mprotect', pid: 1, addr: A + 100 * PAGE, len: PAGE, write: true },
    ]);
    const copies = k.ledger.totals().pageCopies;
    applySharednessEvents(k, [{ type: 'touch', pid: 1, addr: A + 5 * PAGE, len: PAGE, write: true }]);
    expect(k.ledger.totals().pageCopies).toBe(copies + 1);
  });
});
