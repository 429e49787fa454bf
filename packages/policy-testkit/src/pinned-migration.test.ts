/**
 * The pinned-migration suite's own checks: each property must be able to
 * fail. Broken policies, built from kernel-core's reference pins-block and
 * its generic driver-page move, must be caught on DRIVER_PAGE_SCENARIO (a
 * movable driver page in the way of a CMA allocation, an unmovable one in
 * the way of compaction).
 */
import * as t from 'io-ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Kernel, PG, type PinnedMigrationPolicy, type PolicyDescriptor, moveDriverPage, refPinsBlock, site } from '@pagelab/kernel-core';
import {
  DRIVER_PAGE_SCENARIO,
  PINNED_MIGRATION_SEED,
  pinnedMigrationAudit,
  pinnedMigrationDescriptorProblems,
  pinnedMigrationDigest,
  pinnedMigrationLeftovers,
  pinnedMigrationStreams,
  replayPinnedMigration,
  runPinnedMigrationConformance,
} from './pinned-migration.js';

const S = site('test.pinned_migration');
const scenario = DRIVER_PAGE_SCENARIO;
/** The scenario up to its CMA allocation (the movable pages are asked there). */
const cmaEvent = scenario.findIndex((e) => e.type === 'alloc_contig' && e.cma);
const upToCma = scenario.slice(0, cmaEvent + 1);

/** What movable-ops does, without its locks: move pages with movable ops, leave the rest. */
const mover: PinnedMigrationPolicy = {
  id: 'test-mover',
  migrateDriverPage: (k, pfn) => (k.frames.test(pfn, PG.movable_ops) && moveDriverPage(k, pfn) >= 0 ? 'migrated' : 'busy'),
  onDriverPin: () => {},
};

const broken = {
  /** Moves the page but the copy does not happen: the new page holds other data. */
  losesData: {
    ...mover,
    id: 'test-loses-data',
    migrateDriverPage: (k, pfn) => {
      const np = moveDriverPage(k, pfn);
      if (np < 0) return 'busy';
      (k as Kernel).frames.content[np] = 0; // past the read-only view: the cast is part of the breakage
      return 'migrated';
    },
  } satisfies PinnedMigrationPolicy,
  /** "Reclaims" by clearing PG_driver: the model takes the page for gone, but nobody freed it. */
  fakeReclaim: {
    ...refPinsBlock,
    id: 'test-fake-reclaim',
    migrateDriverPage: (k, pfn) => {
      (k as Kernel).frames.flags[pfn] = k.frames.flags[pfn]! & ~(1 << PG.driver); // the cast is part of the breakage
      return 'reclaimed';
    },
  } satisfies PinnedMigrationPolicy,
  /** Moves movable pages and still answers 'busy'. */
  busyLiar: { ...mover, id: 'test-busy-liar', migrateDriverPage: (k, pfn) => (mover.migrateDriverPage(k, pfn), 'busy') } satisfies PinnedMigrationPolicy,
  /** Drops the owner's reference (through the ledger) and answers 'busy': the handle holds a dead page. */
  dropsOwnerRef: {
    ...refPinsBlock,
    id: 'test-drops-owner-ref',
    migrateDriverPage: (k, pfn) => {
      k.ledger.atomicDec(k.frames.refcount, pfn, S);
      return 'busy';
    },
  } satisfies PinnedMigrationPolicy,
  /** Registers a driver page under a spinlock it never releases. */
  holdsLock: {
    ...refPinsBlock,
    id: 'test-holds-lock',
    onDriverPin: (k, _pfn, pinned) => void (pinned && k.ledger.spinLock(S)),
  } satisfies PinnedMigrationPolicy,
  /** Takes a reference when a driver registers a page and never drops it. */
  leaksRef: {
    ...refPinsBlock,
    id: 'test-leaks-ref',
    onDriverPin: (k, pfn, pinned) => void (pinned && k.ledger.atomicInc(k.frames.refcount, pfn, S)),
  } satisfies PinnedMigrationPolicy,
  /** Bumps the refcount of a page it is asked about with a plain store. */
  directStore: {
    ...refPinsBlock,
    id: 'test-direct-store',
    migrateDriverPage: (k, pfn) => {
      (k as Kernel).frames.refcount[pfn]! += 1; // the cast is part of the breakage
      return 'busy';
    },
  } satisfies PinnedMigrationPolicy,
};

/** Remembers, across instances, whether it ever moved a page: only the first replay moves one. */
let movedOnce = false;
const moody = (): PinnedMigrationPolicy => ({
  ...mover,
  id: 'test-moody',
  migrateDriverPage: (k, pfn) => (movedOnce ? 'busy' : ((movedOnce = true), mover.migrateDriverPage(k, pfn))),
});

describe('the pinned-migration conformance checks catch broken policies', () => {
  it('a correct mover and pins-block pass the scenario, asked about movable and unmovable pages', () => {
    for (const p of [mover, refPinsBlock]) {
      const { watch } = replayPinnedMigration(p, scenario);
      expect(new Set(watch.answers.map((a) => a.movable))).toEqual(new Set([true, false]));
    }
    expect(replayPinnedMigration(mover, upToCma).k.drivers.has('cma')).toBe(true);
    expect(replayPinnedMigration(refPinsBlock, upToCma).k.drivers.has('cma')).toBe(false);
  });

  it('descriptor checks report a wrong axis, defaults that do not decode and a policy with another id', () => {
    const Params = t.type({ n: t.number });
    const bad = {
      id: 'x',
      axis: 'refcount',
      title: 'x',
      models: 'x',
      params: Params,
      defaults: { n: 'one' },
      create: () => ({ ...mover, id: 'y' }),
    } as unknown as PolicyDescriptor<'pinned-migration', { n: number }>;
    const problems = pinnedMigrationDescriptorProblems(bad).join('\n');
    expect(problems).toMatch(/axis is "refcount"/);
    expect(problems).toMatch(/defaults \{"n":"one"\} are not a/);
    expect(pinnedMigrationDescriptorProblems({ ...bad, axis: 'pinned-migration', defaults: { n: 1 } })).toEqual([
      'the policy\'s id is "y", the descriptor\'s "x"',
    ]);
  });

  it("'migrated' must leave the page's content in a page of its owner", () => {
    expect(() => replayPinnedMigration(broken.losesData, scenario)).toThrow(
      /answered 'migrated': no page of the handle holds its content[\s\S]*zs lost its data/,
    );
  });

  it("'reclaimed' must give the frame back to the allocator and take it out of the handle", () => {
    expect(() => replayPinnedMigration(broken.fakeReclaim, scenario)).toThrow(
      /answered 'reclaimed': its frame did not go back to the allocator[\s\S]*the handle still holds frame/,
    );
  });

  it("'busy' must leave the page in place, and no contiguous allocation may take its frame", () => {
    expect(() => replayPinnedMigration(broken.busyLiar, scenario)).toThrow(
      /answered 'busy': the handle no longer holds it[\s\S]*alloc_contig cma took frame \d+, a driver page the policy answered 'busy' for/,
    );
  });

  it('every page of a driver handle must stay a live driver page of its owner', () => {
    expect(() => replayPinnedMigration(broken.dropsOwnerRef, scenario)).toThrow(
      /zs holds frame \d+, which is not a live driver page \(flags 0x[0-9a-f]+, refcount 0\)/,
    );
  });

  it('onDriverPin must not leave a lock held', () => {
    expect(() => replayPinnedMigration(broken.holdsLock, scenario)).toThrow(/onDriverPin\(\d+, true\) left 1 locks held/);
  });

  it('the teardown finds the frames a policy keeps a reference on', () => {
    expect(pinnedMigrationLeftovers(broken.leaksRef, scenario)).toMatchObject({ freeFrames: -8, driverFrames: 8 });
    expect(pinnedMigrationLeftovers(mover, scenario)).toEqual({ freeFrames: 0, lruFolios: 0, swapSlots: 0, deferred: 0, driverHandles: 0, driverFrames: 0 });
  });

  it('the ledger audit reports a refcount bumped by a plain store', () => {
    expect(pinnedMigrationAudit(broken.directStore, upToCma).join('\n')).toMatch(/alloc_contig[\s\S]*refcount 1 -> 2 without a ledger primitive on it/);
    expect(pinnedMigrationAudit(mover, scenario)).toEqual([]);
  });

  it('the determinism check tells two replays of a policy with hidden state apart', () => {
    expect(pinnedMigrationDigest(moody(), upToCma)).not.toBe(pinnedMigrationDigest(moody(), upToCma));
    expect(pinnedMigrationDigest(mover, upToCma)).toBe(pinnedMigrationDigest(mover, upToCma));
  });

  it('the streams are deterministic for a fixed seed and start by loading the machine', () => {
    const a = fc.sample(pinnedMigrationStreams(), { seed: PINNED_MIGRATION_SEED, numRuns: 5 });
    expect(a).toEqual(fc.sample(pinnedMigrationStreams(), { seed: PINNED_MIGRATION_SEED, numRuns: 5 }));
    for (const events of a) expect(['driver_alloc', 'touch']).toContain(events[3]!.type);
  });
});

const moverDescriptor: PolicyDescriptor<'pinned-migration', Record<string, never>> = {
  id: 'test-mover',
  axis: 'pinned-migration',
  title: 'moves driver pages with movable ops (movable-ops without its locks)',
  models: 'testkit self-test',
  params: t.type({}) as unknown as t.Type<Record<string, never>>,
  defaults: {},
  create: () => mover,
};

runPinnedMigrationConformance(moverDescriptor, { numRuns: 10 });
