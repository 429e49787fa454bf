import { describe, expect, it } from 'vitest';
import { HPAGE_PMD_NR } from '@pagelab/kernel-core';
import {
  type SharednessScenario,
  applySharednessEvents,
  replaySharednessScenario,
  mappedPfn,
  onePteMapUnmapCost,
  runSharednessConformance,
  s1Scenario,
  s2Scenario,
  s20Scenario,
  s4Scenario,
  sharednessKernel,
} from '@pagelab/policy-testkit';
import descriptor, { createPreciseMapcount } from './index.js';

const PAGE = 4096;

const scenario = (s: SharednessScenario) => replaySharednessScenario(createPreciseMapcount(), s);

describe('precise-mapcount (B58): page_mapcount(page) > 1', () => {
  it('in S1 page 1 (mapped by P and C) is shared and khugepaged counts all 256 shared PTEs', () => {
    const s = scenario(s1Scenario());
    expect(s.asks(1)).toBe(true);
    expect(s.asks(256)).toBe(true);
    // P's slot 0: its own exclusive small page.
    expect(s.asks(0)).toBe(false);
    expect(s.shared()).toBe(256);
  });

  it('in S2 (pg 0..255 mapped by both) every mapped page is shared', () => {
    const s = scenario(s2Scenario());
    expect(s.asks(0)).toBe(true);
    expect(s.asks(1)).toBe(true);
    expect(s.shared()).toBe(256);
  });

  it('in S4 the two pages only C still maps are not shared', () => {
    const s = scenario(s4Scenario());
    expect(s.asks(0)).toBe(false);
    expect(s.asks(1)).toBe(false);
    expect(s.shared()).toBe(0);
  });

  it('in S20 (pg 1..300 mapped by both, total mapcount 600) all 300 pages are shared', () => {
    const s = scenario(s20Scenario());
    expect(s.asks(1)).toBe(true);
    expect(s.shared()).toBe(300);
  });

  it('keeps no bookkeeping: one PTE map + unmap of a large folio costs only the two per-page _mapcount atomics', () => {
    // folio_add_rmap_ptes: _mapcount +1 [A]; folio_remove_rmap_ptes: _mapcount -1 [A]. Nothing else:
    // the folio is already queued for deferred split, so the unmap takes no split_queue_lock.
    for (const page of [0, 5]) {
      const c = onePteMapUnmapCost(createPreciseMapcount(), page);
      expect(c.bySite).toEqual({ folio_add_rmap_ptes: 1, folio_remove_rmap_ptes: 1 });
      expect(c.lockedOps).toBe(2);
      expect(c.lockAcquisitions).toBe(0);
    }
  });

  it('answers for a PMD-mapped page include the PMD mapping (fork of a PMD-mapped THP shares every page)', () => {
    const policy = createPreciseMapcount();
    const R = 64 << 20;
    const k = applySharednessEvents(sharednessKernel(policy), [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: R, len: 2 << 20, kind: 'anon' },
      { type: 'touch', pid: 1, addr: R, len: 2 << 20, write: true },
    ]);
    expect(policy.mappedShared(k, mappedPfn(k, 1, R + 7 * PAGE))).toBe(false);
    applySharednessEvents(k, [{ type: 'fork', parent: 1, child: 2 }]);
    expect(policy.mappedShared(k, mappedPfn(k, 1, R + 7 * PAGE))).toBe(true);
    expect(mappedPfn(k, 2, R + (HPAGE_PMD_NR - 1) * PAGE)).toBe(mappedPfn(k, 1, R + (HPAGE_PMD_NR - 1) * PAGE));
  });
});

runSharednessConformance(descriptor, { claims: { exactPerPage: true, noFalsePositivesAnon: true } });
