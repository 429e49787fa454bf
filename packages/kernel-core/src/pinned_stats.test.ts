import { describe, expect, it } from 'vitest';
import { applyEvent } from './syscalls.js';
import { contiguityStats, pinnedMigrationStats } from './pinned_stats.js';
import { testKernel } from './testing/reference.js';

const MB = 1 << 20;

describe('pinned-migration counters and the pageblock census', () => {
  it('an unmovable driver page that falls back into a movable pageblock is counted there, and its fallback is one extfrag event', () => {
    const k = testKernel({ config: { memory: 8 * MB }, settings: { 'thp.enabled': 'never' } });
    applyEvent(k, { type: 'driver_alloc', owner: 'zbud', pages: 1, handle: 'z' });
    const c = contiguityStats(k);
    // The unmovable request takes a whole free order-10 block (2 pageblocks): fragmenting no, ownership changed.
    expect(c.extfrag).toEqual({ events: 1, fragmenting: 0, severe: 0, moderate: 0, changedOwnership: 1 });
    expect(c.pageblocks.byType).toMatchObject({ Unmovable: 2, Movable: 2 });
    expect(c.pageblocks.unmovableInMovable).toBe(1); // pfn 0, the reserved zero page, in pageblock 0
  });

  it('cma_alloc counts successes, failures with their first cause, candidates and retries; compaction counts COMPACT_* results', () => {
    const k = testKernel({ config: { memory: 16 * MB, cma: 8 * MB }, settings: { 'thp.enabled': 'never' } });
    applyEvent(k, { type: 'alloc_contig', pages: 1024, cma: true, handle: 'a' });
    applyEvent(k, { type: 'alloc_contig', pages: 1024, cma: true, handle: 'b' });
    applyEvent(k, { type: 'alloc_contig', pages: 1024, cma: true, handle: 'c' });
    applyEvent(k, { type: 'compact', order: 0 });
    const c = contiguityStats(k);
    expect(c.cma.success).toBe(2);
    expect(c.cma.failure).toBe(1);
    expect(c.cma.causes).toEqual({ no_memory: 1 });
    // a: 1 candidate; b: 1 (a's range is not a candidate); c: none left to try.
    expect([c.cma.candidates, c.cma.retries]).toEqual([2, 0]);
    expect(c.compaction).toEqual({ COMPACT_SKIPPED: 0, COMPACT_SUCCESS: 1, COMPACT_COMPLETE: 0 });
    expect(pinnedMigrationStats(k)).toMatchObject({ globalLockAcquisitions: 0, hashBuckets: 0, crossNodeMigrations: 0 });
  });
});
