import { describe, expect, it } from 'vitest';
import { Buddy, MIGRATE_CMA, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE } from './buddy.js';
import { Frames, PAGEBLOCK_NR, PAGEBLOCK_ORDER, PG } from './frames.js';
import { Ledger } from './ledger.js';
import { PAGEBLOCK_FLAG_BITS, getPageblockMigratetype, setPageblockMigratetypeFlag } from './pageblock.js';

function boot(nr: number, cmaFrames = 0) {
  const frames = new Frames(nr);
  return { frames, buddy: new Buddy(frames, new Ledger(), { nodes: 1, cmaFrames }) };
}

describe('pageblock flags kept in spare flag bits of struct page', () => {
  it('every migratetype round-trips, and isolation keeps the type underneath for undo', () => {
    const { frames } = boot(4096);
    for (const mt of [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_CMA]) {
      setPageblockMigratetypeFlag(frames.flags, 1024 + 7, mt);
      expect(getPageblockMigratetype(frames.flags, 1024 + 500)).toBe(mt);
      setPageblockMigratetypeFlag(frames.flags, 1024, MIGRATE_ISOLATE);
      expect(getPageblockMigratetype(frames.flags, 1024 + 3)).toBe(MIGRATE_ISOLATE);
      expect(getPageblockMigratetype(frames.flags, 512)).toBe(MIGRATE_MOVABLE); // the neighbour is untouched
    }
  });

  it('an isolated range gets its old migratetype back when isolation is undone', () => {
    const { buddy } = boot(4096, 1024);
    expect(buddy.pageblockMigratetype(3072)).toBe(MIGRATE_CMA);
    expect(buddy.startIsolateRange(3072, 4096)).toBe(true);
    expect(buddy.pageblockMigratetype(3072 + PAGEBLOCK_NR)).toBe(MIGRATE_ISOLATE);
    buddy.undoIsolateRange(3072, 4096);
    expect(buddy.pageblockMigratetype(3072)).toBe(MIGRATE_CMA);
    expect(buddy.pageblockMigratetype(3072 + PAGEBLOCK_NR)).toBe(MIGRATE_CMA);
  });

  it('allocating, flagging and freeing a THP over a reclaimable pageblock leaves the pageblock reclaimable', () => {
    const { frames, buddy } = boot(4096);
    buddy.setPageblockMigratetype(2048, MIGRATE_RECLAIMABLE);
    const pfn = buddy.allocPages(PAGEBLOCK_ORDER, MIGRATE_RECLAIMABLE, 0, { comp: true });
    expect(pfn).toBe(2048);
    expect(frames.test(pfn, PG.head) && frames.test(pfn + 1, PG.tail) && frames.test(pfn + 2, PG.tail)).toBe(true);
    expect(buddy.pageblockMigratetype(pfn)).toBe(MIGRATE_RECLAIMABLE);
    frames.refcount[pfn] = 0;
    buddy.freePages(pfn, PAGEBLOCK_ORDER);
    expect(buddy.pageblockMigratetype(pfn)).toBe(MIGRATE_RECLAIMABLE);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('no flags word ever has bit 31 set, so flags stay signed 32-bit integers', () => {
    const { frames, buddy } = boot(4096, 1024);
    buddy.setPageblockMigratetype(0, MIGRATE_RECLAIMABLE);
    buddy.startIsolateRange(3072, 4096);
    for (let p = 0; p < frames.nr; p++) expect(frames.flags[p]! >>> 31).toBe(0);
    expect(PAGEBLOCK_FLAG_BITS >>> 31).toBe(0);
  });
});
