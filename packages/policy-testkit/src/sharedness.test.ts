import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import {
  type Kernel,
  type PolicyDescriptor,
  type SharednessPolicy,
  HPAGE_PMD_NR,
  PG,
  entireMapcount,
  pageMapcount,
  refPreciseSharedness,
  site,
  totalMapcount,
} from '@pagelab/kernel-core';
import {
  applySharednessEvents,
  checkSharedness,
  mappedPfn,
  onePteMapUnmapCost,
  replaySharednessStream,
  runSharednessConformance,
  s1Scenario,
  s2Scenario,
  s20Scenario,
  s4Scenario,
  scanSharedCount,
  sharednessKernel,
} from './sharedness.js';

const PAGE = 4096;

function build(events: ReturnType<typeof s1Scenario>, policy: SharednessPolicy = refPreciseSharedness): { k: Kernel; head: number } {
  const k = applySharednessEvents(sharednessKernel(policy), events.events);
  const pfn = mappedPfn(k, events.scanPid, events.range + events.sharedPages[0]! * PAGE);
  return { k, head: k.frames.head(pfn) };
}

describe('scenario sequences', () => {
  it('S1 builds the seed-003 state: pg 1..256 mapped by P and C, pg 0 and 257..511 by nobody, total 512, queued but not split', () => {
    const s = s1Scenario();
    const { k, head } = build(s);
    const f = k.frames;
    expect(f.order(head)).toBe(9);
    expect(f.mapcount[head]).toBe(0);
    for (let i = 1; i <= 256; i++) expect(f.mapcount[head + i]).toBe(2);
    for (let i = 257; i < HPAGE_PMD_NR; i++) expect(f.mapcount[head + i]).toBe(0);
    expect(entireMapcount(f, head)).toBe(0);
    expect(totalMapcount(f, head)).toBe(512);
    expect(f.refcount[head]).toBe(512);
    expect(f.test(head, PG.deferred)).toBe(true);
    // P's slot 0 is a writable exclusive small page X; C's slot 0 is none.
    const x = mappedPfn(k, 1, s.range);
    expect(f.order(x)).toBe(0);
    expect(f.mapcount[x]).toBe(1);
    expect(mappedPfn(k, 2, s.range)).toBe(-1);
    // Both processes map the same pages of F at slots 1..256.
    for (const i of [1, 128, 256]) expect(mappedPfn(k, 2, s.range + i * PAGE)).toBe(head + i);
  });

  it('S2 maps pg 0..255 twice, S20 pg 1..300 twice (total 600), S4 leaves C alone with pg 0 and 1', () => {
    const s2 = build(s2Scenario());
    expect(s2.k.frames.mapcount[s2.head]).toBe(2);
    expect(totalMapcount(s2.k.frames, s2.head)).toBe(512);
    const s20 = build(s20Scenario());
    expect(totalMapcount(s20.k.frames, s20.head)).toBe(600);
    const s4 = build(s4Scenario());
    expect(s4.k.mms.size).toBe(3);
    expect(totalMapcount(s4.k.frames, s4.head)).toBe(2);
    expect([...s4.k.frames.mapcount.subarray(s4.head, s4.head + 3)]).toEqual([1, 1, 0]);
  });

  it("khugepaged's shared counter over P's range of S1 is 256 under the precise per-page rule", () => {
    const s = s1Scenario();
    const { k } = build(s);
    expect(scanSharedCount(k, refPreciseSharedness, 1, s.range)).toBe(256);
  });
});

describe('the checks fail a policy that breaks them', () => {
  const never: SharednessPolicy = { id: 'never', addLargeMapping: () => {}, removeLargeMapping: () => {}, mappedShared: () => false };
  const always: SharednessPolicy = { id: 'always', addLargeMapping: () => {}, removeLargeMapping: () => {}, mappedShared: () => true };

  it('a policy that never says "shared" is a false negative in S1 for a no-false-negative claim', () => {
    const { k } = build(s1Scenario(), never);
    const bad = checkSharedness(k, never, { claims: { noFalseNegatives: true } }, new Map());
    expect(bad.some((v) => v.includes('false negative'))).toBe(true);
  });

  it('a policy that always says "shared" is a false positive in S4 and wrong for small folios and single mappings', () => {
    const { k } = build(s4Scenario(), always);
    const bad = checkSharedness(k, always, { claims: { noFalsePositivesAnon: true } }, new Map());
    expect(bad.some((v) => v.includes('false positive'))).toBe(true);
    const s1 = build(s1Scenario(), always);
    const bad1 = checkSharedness(s1.k, always, {}, new Map());
    expect(bad1.some((v) => v.includes('small folio answered true'))).toBe(true);
  });

  it('bookkeeping that disagrees with the page tables is reported', () => {
    const { k } = build(s1Scenario());
    const bad = checkSharedness(
      k,
      refPreciseSharedness,
      { bookkeeping: { largeMapcount: () => 0, nrPagesMapped: () => 0, maybeShared: () => false } },
      new Map(),
    );
    expect(bad.some((v) => v.includes('_large_mapcount 0 but 512'))).toBe(true);
    expect(bad.some((v) => v.includes('_nr_pages_mapped 0 but the page tables give 100'))).toBe(true);
    expect(bad.some((v) => v.includes('MAYBE_SHARED is clear'))).toBe(true);
  });

  it('answering with a locked operation is reported', () => {
    const s = site('test.sharedness.costly_answer');
    const costly: SharednessPolicy = {
      ...refPreciseSharedness,
      mappedShared: (k, pfn) => {
        k.ledger.atomicAdd(new Int32Array(1), 0, 1, s);
        return pageMapcount(k.frames, pfn) > 1;
      },
    };
    const { k } = build(s1Scenario(), costly);
    expect(checkSharedness(k, costly, {}, new Map()).some((v) => v.includes('locked ops'))).toBe(true);
  });

  it('a random stream replay throws on the first violation', () => {
    expect(() => replaySharednessStream(always, [{ op: 'fork', who: 0 }], { claims: { noFalsePositivesAnon: true } })).toThrow(
      /small folio|mapped once|false positive/,
    );
  });
});

describe('rmap cost probe', () => {
  it('one PTE map + unmap of an unmapped page of a large folio costs the two per-page _mapcount atomics under the precise rule', () => {
    const c = onePteMapUnmapCost(refPreciseSharedness, 0);
    expect(c.bySite).toEqual({ folio_add_rmap_ptes: 1, folio_remove_rmap_ptes: 1 });
    expect(c.lockAcquisitions).toBe(0);
  });
});

const referenceDescriptor: PolicyDescriptor<'sharedness', Record<string, never>> = {
  id: 'test-precise-mapcount',
  axis: 'sharedness',
  title: "kernel-core's reference precise policy",
  models: 'Linux 5.8–6.9 (T61)',
  params: t.type({}),
  defaults: {},
  create: () => refPreciseSharedness,
};

runSharednessConformance(referenceDescriptor, { claims: { exactPerPage: true, noFalsePositivesAnon: true }, numRuns: 10 });
