import { describe, expect, it } from 'vitest';
import { refPreciseSharedness } from '@pagelab/kernel-core';
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
import descriptor, { ENTIRELY_MAPPED, createLikelyMappedShared, folioLargeMapcount, folioNrPagesMapped } from './index.js';

const scenario = (s: SharednessScenario) => replaySharednessScenario(createLikelyMappedShared(), s);

describe('likely-mapped-shared (C610): folio_likely_mapped_shared', () => {
  it('in S1 page 1 is shared but the folio is called exclusive (the seed-003 false negative): khugepaged counts 0 shared PTEs', () => {
    const s = scenario(s1Scenario());
    // The bookkeeping: 512 mappings, 256 pages mapped, first subpage unmapped.
    expect(folioLargeMapcount(s.k, s.head)).toBe(512);
    expect(folioNrPagesMapped(s.k, s.head)).toBe(256);
    expect(s.k.frames.mapcount[s.head + 1]).toBe(2);
    // mapcount 512 > 1; entire 0; 512 is not > 512; pg 0 mapcount 0 is not > 1: false.
    expect(s.asks(1)).toBe(false);
    expect(s.shared()).toBe(0);
  });

  it('in S2 the first subpage is mapped twice, so every page of the folio is called shared', () => {
    const s = scenario(s2Scenario());
    expect(s.asks(1)).toBe(true);
    expect(s.shared()).toBe(256);
  });

  it('in S4 the folio C alone maps by two PTEs is exclusive', () => {
    const s = scenario(s4Scenario());
    expect(folioLargeMapcount(s.k, s.head)).toBe(2);
    expect(s.asks(0)).toBe(false);
    expect(s.shared()).toBe(0);
  });

  it('in S20 total mapcount 600 > 512 pages makes the folio shared: 300 shared PTEs', () => {
    const s = scenario(s20Scenario());
    expect(folioLargeMapcount(s.k, s.head)).toBe(600);
    expect(s.asks(1)).toBe(true);
    expect(s.shared()).toBe(300);
  });

  it('a PMD-mapped THP keeps ENTIRELY_MAPPED in _nr_pages_mapped and is shared once forked', () => {
    const policy = createLikelyMappedShared();
    const R = 64 << 20;
    const k = applySharednessEvents(sharednessKernel(policy), [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: R, len: 2 << 20, kind: 'anon' },
      { type: 'touch', pid: 1, addr: R, len: 2 << 20, write: true },
    ]);
    const head = mappedPfn(k, 1, R);
    expect(folioNrPagesMapped(k, head)).toBe(ENTIRELY_MAPPED);
    expect(folioLargeMapcount(k, head)).toBe(1);
    expect(policy.mappedShared(k, head + 3)).toBe(false);
    applySharednessEvents(k, [{ type: 'fork', parent: 1, child: 2 }]);
    expect(folioLargeMapcount(k, head)).toBe(2);
    expect(policy.mappedShared(k, head + 3)).toBe(true);
  });

  it('one PTE map + unmap of a large folio costs 6 locked ops where the precise rule costs 2', () => {
    // Page 0 is mapped by nobody, so it goes 0 -> 1 -> 0 (T612 __folio_add_rmap / __folio_remove_rmap):
    //   add:    _mapcount +1 [A] (common), _nr_pages_mapped += first(1) [A], _large_mapcount += 1 [A]
    //   remove: _large_mapcount -= 1 [A], _mapcount -1 [A] (common), _nr_pages_mapped -= last(1) [A]
    const c = onePteMapUnmapCost(createLikelyMappedShared(), 0);
    expect(c.bySite).toEqual({
      folio_add_rmap_ptes: 1,
      'folio_add_rmap.nr_pages_mapped': 1,
      folio_add_large_mapcount: 1,
      folio_remove_rmap_ptes: 1,
      'folio_remove_rmap.nr_pages_mapped': 1,
      folio_sub_large_mapcount: 1,
    });
    expect(c.byKind).toEqual({ atomic: 6 });
    expect(c.lockAcquisitions).toBe(0);
    expect(c.lockedOps).toBeGreaterThan(onePteMapUnmapCost(refPreciseSharedness, 0).lockedOps);
    // Page 5 is mapped already: no page goes 0 -> 1, so _nr_pages_mapped is left alone: 4.
    const mapped = onePteMapUnmapCost(createLikelyMappedShared(), 5);
    expect(mapped.bySite).toEqual({ folio_add_rmap_ptes: 1, folio_add_large_mapcount: 1, folio_remove_rmap_ptes: 1, folio_sub_large_mapcount: 1 });
  });
});

runSharednessConformance(descriptor, {
  claims: { noFalsePositivesAnon: true },
  bookkeeping: { largeMapcount: folioLargeMapcount, nrPagesMapped: folioNrPagesMapped },
});
