/** The cost probe: what one rmap operation sequence costs a sharedness policy, from the ledger. */
import { type SharednessPolicy, HPAGE_PMD_SIZE, PAGE_SIZE, addRmapPtes, checkInvariants, describeViolation, removeRmapPtes } from '@pagelab/kernel-core';
import { applySharednessEvents, mappedPfn, sharednessKernel } from './machine.js';
import { R, pg } from './scenarios.js';

/** What one rmap operation sequence cost, from the ledger. */
export interface RmapCost {
  lockedOps: number;
  lockAcquisitions: number;
  byKind: Record<string, number>;
  bySite: Record<string, number>;
}

/**
 * The locked-op cost of mapping one more PTE of a large folio and unmapping
 * it again (folio_add_rmap_ptes + folio_remove_rmap_ptes, nr = 1) under
 * `policy`. Setup: P write-faults a THP F, then drops pg 0 with DONTNEED (its
 * PMD is split, F is PTE-mapped by pg 1..511 and already queued for deferred
 * split, so the unmap takes no split_queue_lock). Then P gains and loses one
 * more mapping of F's page `page` (0: a page nobody maps, so it goes 0 -> 1
 * -> 0; 1..511: a page P maps already). The state is the same afterwards.
 */
export function onePteMapUnmapCost(policy: SharednessPolicy, page: number): RmapCost {
  const k = applySharednessEvents(sharednessKernel(policy), [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: R, len: HPAGE_PMD_SIZE, kind: 'anon' },
    { type: 'touch', pid: 1, addr: R, len: HPAGE_PMD_SIZE, write: true },
    { type: 'madvise', pid: 1, addr: R, len: PAGE_SIZE, advice: 'dontneed' },
  ]);
  const mm = k.mm(1);
  const head = k.frames.head(mappedPfn(k, 1, pg(1)));
  const before = k.ledger.totals();
  addRmapPtes(k, mm, head + page, 1);
  removeRmapPtes(k, mm, head + page, 1);
  const after = k.ledger.totals();
  const bad = checkInvariants(k).map(describeViolation);
  if (bad.length > 0) throw new Error(`state not restored after the map + unmap:\n  ${bad.join('\n  ')}`);
  const diff = (a: Record<string, number>, b: Record<string, number>) => {
    const o: Record<string, number> = {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = (a[key] ?? 0) - (b[key] ?? 0);
      if (d !== 0) o[key] = d;
    }
    return o;
  };
  return {
    lockedOps: after.lockedOps - before.lockedOps,
    lockAcquisitions: after.lockAcquisitions - before.lockAcquisitions,
    byKind: diff(after.lockedOpsByKind, before.lockedOpsByKind),
    bySite: diff(after.lockedOpsBySite, before.lockedOpsBySite),
  };
}
