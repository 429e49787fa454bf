import { describe, expect, it } from 'vitest';
import type { PinnedMigrationSummary } from '@pagelab/events';
import { designRun } from '../testing/summary.js';
import { pinnedMigrationSection, pinnedMigrationTable } from './pinnedSection.js';

const run = designRun;
/** A pinnedMigration block: zeros, as a design without the mechanism reports, with `over` set. */
const pinned = (over: Partial<PinnedMigrationSummary>): PinnedMigrationSummary => ({
  globalLockAcquisitions: 0,
  hashBuckets: 0,
  hashMaxChain: 0,
  hashMeanChain: 0,
  hashCollisions: 0,
  crossNodeMigrations: 0,
  ownerMigrations: 0,
  reclaimedDriverPages: 0,
  reclaimAllocatedPages: 0,
  ...over,
});
const contiguity = (success: number, failure: number, causes: Record<string, number>) => ({
  cma: { success, failure, causes, candidates: success + failure, retries: 0 },
  compaction: {},
  pageblocks: { byType: {}, unmovableInMovable: 3, unmovableInCma: 0, movableBlocksPolluted: 1, cmaBlocksPolluted: 0 },
  extfrag: { events: 2, fragmenting: 2, severe: 2, moderate: 0, changedOwnership: 0 },
});

describe('the pinned-migration report section', () => {
  it('shows CMA results with causes, global-lock acquisitions per registered page and the hash chains, per design', () => {
    const t = pinnedMigrationTable([
      run('linux-3.13', 0, { pinnedMigration: pinned({ globalLockAcquisitions: 0 }), contiguity: contiguity(1, 1, { pinned: 1 }) }),
      run('minchan-2013', 1, {
        pinnedMigration: pinned({ globalLockAcquisitions: 30, hashInserts: 12, hashPeakEntries: 8, hashBuckets: 1024, hashMaxChain: 8, hashMeanChain: 8 }),
        contiguity: contiguity(2, 0, {}),
      }),
    ])!;
    const col = (name: string) => t.columns.indexOf(name);
    expect(t.rows[0]!.cells[col('CMA failed (causes)')]).toBe('1 (pinned 1)');
    expect(t.rows[0]!.warn).toEqual([1]);
    expect(t.rows[0]!.cells[col('acq. per pin')]).toBe('–');
    expect(t.rows[1]!.cells[col('acq. per pin')]).toBe('2.50');
    expect(t.rows[1]!.cells[col('max chain')]).toBe('8');
    expect(t.rows[1]!.cells[col('unmovable in Movable/CMA')]).toBe('3 / 0');
  });

  it('is left out for summaries written before the blocks existed', () => {
    expect(pinnedMigrationSection([run('linux-3.13', 0, {})])).toEqual([]);
  });
});
