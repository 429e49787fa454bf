/**
 * What the pinned-migration mechanism counts while it runs: migrations done
 * by a page owner's callback and which crossed nodes, driver pages reclaimed
 * instead of migrated and the pages their data then needed, contiguous
 * allocations with their causes and retries, compaction results by the
 * kernel's COMPACT_* names. Counted at the point where each happens
 * (compaction.ts, migrate.ts), in the Kernel's driver-page state.
 * Pageblock census and extfrag are read off the allocator at summary time.
 */
import { MIGRATE_CMA, MIGRATE_MOVABLE, MIGRATE_TYPES, MIGRATETYPE_NAMES } from './buddy.js';
import { PAGEBLOCK_NR, PG } from './frames.js';
import type { Kernel } from './kernel.js';
import type { PinnedMechanismCounters } from './subsystem_state.js';

/** The mechanism's counters (subsystem_state.ts PinnedMechanismCounters, a field of k.driverPages). */
export type PinnedMigrationCounters = PinnedMechanismCounters['pinned'];
export type ContigCounters = PinnedMechanismCounters['cma'];

export function pinnedState(k: Kernel): PinnedMechanismCounters {
  return k.driverPages.stats;
}

/** A migration from `from` to `to` happened: counts it if it crossed nodes. */
export function countMigration(k: Kernel, from: number, to: number): void {
  if (k.nodes > 1 && k.nid(from) !== k.nid(to)) pinnedState(k).pinned.crossNodeMigrations++;
}

/** The hash statistics a design with a pin-page table reports (zeros elsewhere). */
export interface PinHashStats {
  globalLockAcquisitions: number;
  hashBuckets: number;
  hashMaxChain: number;
  hashMeanChain: number;
  hashCollisions: number;
  /** get_page_pin_info calls, and the mean chain length they walked */
  hashLookups: number;
  hashLookupWalk: number;
  /** table inserts (registrations and post-migration repoints) and the most entries held at once */
  hashInserts: number;
  hashPeakEntries: number;
}

export type PinnedMigrationStats = PinHashStats & PinnedMigrationCounters;

const NO_HASH: PinHashStats = {
  globalLockAcquisitions: 0,
  hashBuckets: 0,
  hashMaxChain: 0,
  hashMeanChain: 0,
  hashCollisions: 0,
  hashLookups: 0,
  hashLookupWalk: 0,
  hashInserts: 0,
  hashPeakEntries: 0,
};

/** The summary's `pinnedMigration` block: the mechanism's counters and the design's hash (if it has one). */
export function pinnedMigrationStats(k: Kernel): PinnedMigrationStats {
  return { ...NO_HASH, ...k.policies.pinnedMigration.stats?.(k), ...pinnedState(k).pinned };
}

export interface PageblockCensus {
  /** pageblocks by migratetype name (/proc/pagetypeinfo "Number of blocks type") */
  byType: Record<string, number>;
  /** allocated frames that no migration can move (driver pages without movable ops, reserved frames) inside Movable / CMA pageblocks */
  unmovableInMovable: number;
  unmovableInCma: number;
  /** Movable / CMA pageblocks holding at least one such frame */
  movableBlocksPolluted: number;
  cmaBlocksPolluted: number;
}

/** Walks every pageblock (summary time only). */
export function pageblockCensus(k: Kernel): PageblockCensus {
  const b = k.buddy;
  const f = k.frames;
  const counts = new Array<number>(MIGRATE_TYPES).fill(0);
  let inMovable = 0,
    inCma = 0,
    movablePolluted = 0,
    cmaPolluted = 0;
  const immovable = (1 << PG.driver) | (1 << PG.reserved);
  for (let pb = 0; pb < f.nr; pb += PAGEBLOCK_NR) {
    const mt = b.pageblockMigratetype(pb);
    counts[mt]!++;
    if (mt !== MIGRATE_MOVABLE && mt !== MIGRATE_CMA) continue;
    let n = 0;
    for (let p = pb; p < pb + PAGEBLOCK_NR;) {
      if (b.isFreeBlockHead(p)) {
        p += 1 << f.order(p);
        continue;
      }
      const fl = f.flags[p]!;
      if ((fl & immovable) !== 0 && (fl & (1 << PG.movable_ops)) === 0 && f.refcount[p]! > 0) n++;
      p++;
    }
    if (mt === MIGRATE_MOVABLE) {
      inMovable += n;
      if (n > 0) movablePolluted++;
    } else {
      inCma += n;
      if (n > 0) cmaPolluted++;
    }
  }
  const byType: Record<string, number> = {};
  for (let mt = 0; mt < MIGRATE_TYPES; mt++) byType[MIGRATETYPE_NAMES[mt]!] = counts[mt]!;
  return { byType, unmovableInMovable: inMovable, unmovableInCma: inCma, movableBlocksPolluted: movablePolluted, cmaBlocksPolluted: cmaPolluted };
}

/** The summary's contiguity blocks: CMA / alloc_contig results, compaction results, pageblocks, extfrag. */
export function contiguityStats(k: Kernel) {
  const s = pinnedState(k);
  return {
    cma: { ...s.cma, causes: { ...s.cma.causes } },
    compaction: { ...s.compact },
    pageblocks: pageblockCensus(k),
    extfrag: { ...k.buddy.extfrag },
  };
}
