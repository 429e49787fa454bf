/**
 * The shmem-truncate suite's own checks: each property must be able to
 * fail. Broken policies, built from kernel-core's reference split-on-punch,
 * must be caught on SHMEM_PUNCH_SCENARIO (a shmem THP mapped by two
 * processes, a pinned and an unpinned punch, khugepaged and MADV_COLLAPSE
 * over the punched range, a truncate through it).
 */
import * as t from 'io-ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Kernel, PG_PUNCHED, type PolicyDescriptor, type ShmemTruncatePolicy, refSplitOnPunch, site } from '@pagelab/kernel-core';
import {
  SHMEM_PUNCH_SCENARIO,
  SHMEM_TRUNCATE_SEED,
  replayShmemTruncate,
  runShmemTruncateConformance,
  shmemTruncateAudit,
  shmemTruncateDescriptorProblems,
  shmemTruncateDigest,
  shmemTruncateLeftovers,
  shmemTruncateStreams,
} from './shmem-truncate.js';

const S = site('test.shmem_truncate');
const scenario = SHMEM_PUNCH_SCENARIO;
const firstPunch = scenario.findIndex((e) => e.type === 'fallocate');
const upToFirstPunch = scenario.slice(0, firstPunch + 1);
const khugepagedEvent = scenario.findIndex((e) => e.type === 'khugepaged');

const keep: ShmemTruncatePolicy = { id: 'test-zero-keep', splitOnPartialPunch: () => false, mayRecollapse: () => true };
/** Splits, and keeps khugepaged away from what it split (the seed-001 review's "proper design"). */
const splitAndGuard: ShmemTruncatePolicy = { id: 'test-split-and-guard', splitOnPartialPunch: () => true, mayRecollapse: () => false };

const broken = {
  /** Keeps the folio but puts data back into the zeroed pages. */
  unzeroes: {
    ...keep,
    id: 'test-unzeroes',
    splitOnPartialPunch: (k, head) => {
      const m = k as Kernel; // past the read-only view: the cast is part of the breakage
      for (let i = 0; i < k.frames.nrPages(head); i++) if (m.frames.content[head + i] === 0) m.frames.content[head + i] = m.nextToken();
      return false;
    },
  } satisfies ShmemTruncatePolicy,
  /** Zeroes the whole folio, not just the hole. */
  zeroesAll: {
    ...keep,
    id: 'test-zeroes-all',
    splitOnPartialPunch: (k, head) => {
      (k as Kernel).frames.content.fill(0, head, head + k.frames.nrPages(head)); // the cast is part of the breakage
      return false;
    },
  } satisfies ShmemTruncatePolicy,
  /** Says split but takes a reference of its own first (through the ledger): the split fails and the reference leaks. */
  holdsRef: {
    ...refSplitOnPunch,
    id: 'test-holds-ref',
    splitOnPartialPunch: (k, head) => {
      k.ledger.atomicInc(k.frames.refcount, head, S);
      return true;
    },
  } satisfies ShmemTruncatePolicy,
  /** Says keep and forgets that the pages were punched: the waste meter no longer sees truncated-retained pages. */
  forgetsPunched: {
    ...keep,
    id: 'test-forgets-punched',
    splitOnPartialPunch: (k, head) => {
      const m = k as Kernel; // the cast is part of the breakage
      for (let i = 0; i < k.frames.nrPages(head); i++) m.frames.flags[head + i] = m.frames.flags[head + i]! & ~(1 << PG_PUNCHED);
      return false;
    },
  } satisfies ShmemTruncatePolicy,
  /** Answers "no" but wipes the model's memory of punched ranges, so nobody asks again. */
  forgetfulGuard: {
    ...splitAndGuard,
    id: 'test-forgetful-guard',
    mayRecollapse: (k, fileId) => {
      (k as Kernel).fileById(fileId)?.punchSplit.clear(); // the cast is part of the breakage
      return false;
    },
  } satisfies ShmemTruncatePolicy,
  /** Takes a spinlock to answer mayRecollapse. */
  costlyQuestion: {
    ...splitAndGuard,
    id: 'test-costly-question',
    mayRecollapse: (k) => {
      k.ledger.spinLock(S);
      k.ledger.spinUnlock();
      return false;
    },
  } satisfies ShmemTruncatePolicy,
  /** Keeps a lock taken while deciding. */
  holdsLock: { ...keep, id: 'test-holds-lock', splitOnPartialPunch: (k) => (k.ledger.spinLock(S), false) } satisfies ShmemTruncatePolicy,
  /** Bumps a tail's refcount with a plain store. */
  directStore: {
    ...keep,
    id: 'test-direct-store',
    splitOnPartialPunch: (k, head) => {
      (k as Kernel).frames.refcount[head + 511]! += 1; // the cast is part of the breakage
      return false;
    },
  } satisfies ShmemTruncatePolicy,
};

/** Splits only on the first question any instance is asked. */
let splitOnce = false;
const moody = (): ShmemTruncatePolicy => ({ ...keep, id: 'test-moody', splitOnPartialPunch: () => (splitOnce ? false : (splitOnce = true)) });

describe('the shmem-truncate conformance checks catch broken policies', () => {
  it('zero-keep, split-on-punch and split-and-guard pass the scenario; only the guard keeps the punched range small', () => {
    for (const p of [keep, refSplitOnPunch, splitAndGuard]) {
      const { watch } = replayShmemTruncate(p, scenario);
      // The guard's range stays split, so the truncate meets small pages only.
      expect(watch.answers.map((a) => a.pinned)).toEqual(p === splitAndGuard ? [true, false] : [true, false, false]);
    }
    const huge = (p: ShmemTruncatePolicy) => {
      const { k } = replayShmemTruncate(p, scenario.slice(0, khugepagedEvent + 1));
      return k.frames.order(k.files.get('guest-ram')!.cache.get(0)!);
    };
    expect([huge(keep), huge(refSplitOnPunch), huge(splitAndGuard)]).toEqual([9, 9, 0]);
  });

  it('descriptor checks report a wrong axis, defaults that do not decode and a policy with another id', () => {
    const Params = t.type({ n: t.number });
    const bad = {
      id: 'x',
      axis: 'sharedness',
      title: 'x',
      models: 'x',
      params: Params,
      defaults: {},
      create: () => ({ ...keep, id: 'y' }),
    } as unknown as PolicyDescriptor<'shmem-truncate', { n: number }>;
    const problems = shmemTruncateDescriptorProblems(bad).join('\n');
    expect(problems).toMatch(/axis is "sharedness"/);
    expect(problems).toMatch(/defaults \{\} are not a/);
    expect(shmemTruncateDescriptorProblems({ ...bad, axis: 'shmem-truncate', defaults: { n: 1 } })).toEqual(['the policy\'s id is "y", the descriptor\'s "x"']);
  });

  it('the punched pages must read zero', () => {
    expect(() => replayShmemTruncate(broken.unzeroes, upToFirstPunch, { invariants: false })).toThrow(/guest-ram page 5 was punched but reads \d+/);
  });

  it('the pages outside the hole must keep their data', () => {
    expect(() => replayShmemTruncate(broken.zeroesAll, upToFirstPunch, { invariants: false })).toThrow(
      /guest-ram page 0, outside the hole, read \d+ and now reads 0/,
    );
  });

  it('a split answer on a folio nothing pins must free the punched pages', () => {
    const unpinned = scenario.filter((e) => e.type !== 'pin' && e.type !== 'unpin');
    expect(() => replayShmemTruncate(broken.holdsRef, unpinned, { invariants: false })).toThrow(
      /not pinned, answered split: the folio was not split[\s\S]*punched page \d+ was not freed/,
    );
  });

  it('a keep answer must leave the punched pages counted as truncated-retained waste', () => {
    expect(() => replayShmemTruncate(broken.forgetsPunched, upToFirstPunch)).toThrow(
      /1 punched pages kept in huge folios, but 0 of them counted as truncated-retained waste/,
    );
  });

  it('a range the policy refuses to collapse back must stay small, and asking must be free', () => {
    expect(() => replayShmemTruncate(broken.forgetfulGuard, scenario)).toThrow(
      /guest-ram range at index 0, split by a punch, is huge again though mayRecollapse answered false/,
    );
    expect(() => replayShmemTruncate(broken.costlyQuestion, scenario)).toThrow(/mayRecollapse\(1, 0\) took 1 locked ops to answer/);
  });

  it('a lock left held by the policy is reported', () => {
    expect(() => replayShmemTruncate(broken.holdsLock, upToFirstPunch, { invariants: false })).toThrow(/splitOnPartialPunch\(\d+\) left 1 locks held/);
  });

  it('the teardown finds the folio a policy keeps a reference on', () => {
    expect(shmemTruncateLeftovers(broken.holdsRef, scenario)).toMatchObject({ lruFolios: 1 });
    expect(shmemTruncateLeftovers(refSplitOnPunch, scenario)).toEqual({ freeFrames: 0, lruFolios: 0, swapSlots: 0, deferred: 0, cachedPages: 0 });
  });

  it('the ledger audit reports a refcount bumped by a plain store', () => {
    expect(shmemTruncateAudit(broken.directStore, upToFirstPunch).join('\n')).toMatch(/fallocate[\s\S]*refcount 0 -> 1 without a ledger primitive on it/);
    expect(shmemTruncateAudit(refSplitOnPunch, scenario)).toEqual([]);
  });

  it('the determinism check tells two replays of a policy with hidden state apart', () => {
    expect(shmemTruncateDigest(moody(), scenario)).not.toBe(shmemTruncateDigest(moody(), scenario));
    expect(shmemTruncateDigest(refSplitOnPunch, scenario)).toBe(shmemTruncateDigest(refSplitOnPunch, scenario));
  });

  it('the streams are deterministic for a fixed seed and start with shmem work', () => {
    const a = fc.sample(shmemTruncateStreams(), { seed: SHMEM_TRUNCATE_SEED, numRuns: 5 });
    expect(a).toEqual(fc.sample(shmemTruncateStreams(), { seed: SHMEM_TRUNCATE_SEED, numRuns: 5 }));
    for (const events of a) expect(['touch', 'mmap', 'fork']).toContain(events[3]!.type);
  });
});

const guardDescriptor: PolicyDescriptor<'shmem-truncate', Record<string, never>> = {
  id: 'test-split-and-guard',
  axis: 'shmem-truncate',
  title: 'splits on a partial punch and keeps khugepaged away from the split range',
  models: 'testkit self-test (seed 001 review)',
  params: t.type({}) as unknown as t.Type<Record<string, never>>,
  defaults: {},
  create: () => splitAndGuard,
};

runShmemTruncateConformance(guardDescriptor, { numRuns: 10 });
