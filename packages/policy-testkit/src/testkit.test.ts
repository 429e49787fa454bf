/**
 * The testkit's own checks: each conformance property must be able to fail.
 * Broken policies (built from the reference one) must be caught.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Kernel, type RefcountPolicy, ptePfn, refHeadRefcount, removeRmapPmd, site } from '@pagelab/kernel-core';
import { CONFORMANCE_SEED, STREAM_MACHINE, STREAM_SETTINGS, auditLedger, compareUserVisible, machine, runEvents, streamArbitrary, toEvents } from './index.js';

const SNEAKY = site('test.sneaky');
const MB = 1 << 20;
const A = 64 * MB;

/**
 * Takes the GUP reference with a direct store: no locked op is counted.
 * PolicyCtx's read-only frames make this a compile error, so the policy
 * casts its way to the Kernel: the audit is the check behind the types.
 */
const directWrite: RefcountPolicy = {
  ...refHeadRefcount,
  id: 'test-direct-write',
  gupGrab: (k, pfn, nr) => void ((k as Kernel).frames.refcount[k.frames.head(pfn)]! += nr),
};
/** Forgets to take the GUP reference at all: the release underflows the count. */
const forgetsRef: RefcountPolicy = { ...refHeadRefcount, id: 'test-forgets-ref', gupGrab: () => {} };
/** "Splits" a PMD by dropping it: the process loses every page of the THP, not just the unmapped one. */
const droppingSplit: RefcountPolicy = {
  ...refHeadRefcount,
  id: 'test-dropping-split',
  splitHugePmd: (k, mm, addr) => {
    const pt = mm.pt(addr)!;
    const head = ptePfn(pt.pmd);
    pt.pmd = 0;
    pt.shadow.fill(0);
    removeRmapPmd(k as Kernel, mm, head); // not a policy's mechanism: the cast is part of the breakage
    k.folioPutRefs(head, 1, SNEAKY);
  },
};

const pinStream = toEvents([
  { op: 'touch', p: 0, page: 0, n: 512, write: true, value: 0 },
  { op: 'pin', p: 0, page: 7, n: 1, fast: true, get: true, longterm: false, roWrite: false },
  { op: 'unpin', h: 0, dirty: false },
]);

describe('the refcount conformance checks catch broken policies', () => {
  it('the ledger audit reports a reference taken by a direct store to the refcount', () => {
    const k = machine(directWrite);
    const audit = auditLedger(k);
    runEvents(k, pinStream.slice(0, 4));
    audit.begin();
    runEvents(k, pinStream.slice(4, 5));
    expect(audit.end().join('\n')).toMatch(/refcount 1 -> 2 without a ledger primitive on it[\s\S]*while the ledger counted no locked op/);
  });

  it('the ledger audit accepts the same change made through a ledger primitive', () => {
    const k = machine(refHeadRefcount);
    const audit = auditLedger(k);
    runEvents(k, pinStream.slice(0, 4));
    audit.begin();
    k.ledger.atomicInc(k.frames.refcount, 5, SNEAKY);
    runEvents(k, pinStream.slice(4, 5));
    expect(audit.end()).toEqual([]);
  });

  it('the invariant run names the event after which a policy that forgets its GUP reference breaks the counts', () => {
    expect(() => runEvents(machine(forgetsRef), pinStream, { check: true })).toThrow(/event #5 \{"type":"put","handle":"h1"\}/);
  });

  it('the user-visible comparison reports a policy that drops a PMD instead of splitting it under a partial munmap', () => {
    const events = toEvents([
      { op: 'touch', p: 0, page: 0, n: 1, write: true, value: 0 },
      { op: 'munmap', p: 0, page: 5, n: 1 },
    ]);
    expect(compareUserVisible(droppingSplit, refHeadRefcount, events)).toBe(`test-dropping-split vs test-head-refcount: pid 1 addr ${A}: reads 0 vs 1`);
    expect(compareUserVisible(refHeadRefcount, refHeadRefcount, events)).toBeNull();
  });

  it('random streams are valid for the model and deterministic for a fixed seed', () => {
    const a = fc.sample(streamArbitrary(), { seed: CONFORMANCE_SEED, numRuns: 5 });
    const b = fc.sample(streamArbitrary(), { seed: CONFORMANCE_SEED, numRuns: 5 });
    expect(a).toEqual(b);
    for (const events of a) runEvents(machine(refHeadRefcount, { config: STREAM_MACHINE, settings: STREAM_SETTINGS }), events, { check: true });
    expect(a.some((e) => e.length > 10)).toBe(true);
  });

  it('the stream prologue maps 4 MiB of anonymous memory and 2 MiB of a shmem file at the test region for pid 1', () => {
    expect(toEvents([]).map((e) => e.type)).toEqual(['spawn', 'mmap', 'mmap']);
    expect(toEvents([])[1]).toMatchObject({ addr: A, len: 4 * MB, kind: 'anon' });
    expect(toEvents([])[2]).toMatchObject({ addr: A + 4 * MB, len: 2 * MB, kind: 'shmem' });
  });
});
