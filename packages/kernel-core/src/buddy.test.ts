import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Buddy, MIGRATE_CMA, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, canStealFallback } from './buddy.js';
import { Frames, MAX_ORDER, PAGEBLOCK_NR, PG } from './frames.js';
import { Ledger, site } from './ledger.js';

function boot(nr: number, nodes = 1, cmaFrames = 0) {
  const frames = new Frames(nr);
  const ledger = new Ledger();
  const buddy = new Buddy(frames, ledger, { nodes, cmaFrames });
  return { frames, ledger, buddy };
}

/** Drops the references prep_new_page gave, as the last put_page would. */
function dropRefs(frames: Frames, pfn: number, order: number): void {
  for (let i = 0; i < 1 << order; i++) frames.refcount[pfn + i] = 0;
}

function release(b: Buddy, frames: Frames, pfn: number, order: number): void {
  dropRefs(frames, pfn, order);
  b.freePages(pfn, order);
}

/** Allocates order-0 pages of `mt` until the allocator says no. */
function exhaust(b: Buddy, mt: number, nid = 0, opts?: { cma?: boolean }): number[] {
  const got: number[] = [];
  for (;;) {
    const p = b.allocPages(0, mt, nid, opts);
    if (p < 0) return got;
    got.push(p);
  }
}

const ones = (n: number) => Array.from({ length: n }, () => 1);

describe('buddy allocator: split and merge', () => {
  it('boots with the zero page reserved and everything else free in aligned blocks', () => {
    const { frames, buddy } = boot(4096, 2);
    expect(frames.test(0, PG.reserved)).toBe(true);
    expect(frames.refcount[0]).toBe(1);
    expect(buddy.isFreePage(0)).toBe(false);
    expect(buddy.freeFrames()).toBe(4095);
    // node 0: one block of each order 0..9 below pfn 1024, then one order-10 block
    expect(buddy.buddyinfo()[0]![MIGRATE_MOVABLE]).toEqual([...ones(10), 1]);
    expect(buddy.buddyinfo()[1]![MIGRATE_MOVABLE]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('splitting an order-10 block to serve an order-0 request leaves one free block of each order 0..9', () => {
    const { buddy } = boot(2048, 2);
    const pfn = buddy.allocPages(0, MIGRATE_MOVABLE, 1);
    expect(pfn).toBe(1024);
    expect(buddy.buddyinfo()[1]![MIGRATE_MOVABLE]).toEqual([...ones(10), 0]);
    expect(buddy.freeFrames(1)).toBe(1023);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('freeing both buddies merges them back into the order-10 block', () => {
    const { frames, buddy } = boot(2048, 2);
    const a = buddy.allocPages(0, MIGRATE_MOVABLE, 1);
    const b = buddy.allocPages(0, MIGRATE_MOVABLE, 1);
    expect(b).toBe(a ^ 1);
    release(buddy, frames, a, 0);
    expect(buddy.nrFree(1, MIGRATE_MOVABLE, 0)).toBe(1); // its buddy is still allocated: no merge
    expect(buddy.nrFree(1, MIGRATE_MOVABLE, MAX_ORDER)).toBe(0);
    release(buddy, frames, b, 0);
    expect(buddy.buddyinfo()[1]![MIGRATE_MOVABLE]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(buddy.isFreeBlockHead(1024)).toBe(true);
    expect(frames.order(1024)).toBe(MAX_ORDER);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('an order-9 THP allocation returns an aligned compound folio with head/tail flags and refcount 1 on the head only', () => {
    const { frames, buddy } = boot(4096);
    const head = buddy.allocPages(9, MIGRATE_MOVABLE, 0, { comp: true });
    expect(head).toBeGreaterThan(0);
    expect(head % 512).toBe(0);
    expect(frames.isHead(head)).toBe(true);
    expect(frames.refcount[head]).toBe(1);
    for (let i = 1; i < 512; i++) {
      expect(frames.isTail(head + i)).toBe(true);
      expect(frames.refcount[head + i]).toBe(0);
      expect(frames.head(head + i)).toBe(head);
    }
    expect(frames.nrPages(head)).toBe(512);
    expect(frames.lruNext[head + 2]).toBe(-1); // _deferred_list initialised empty by clearLargeFields
    expect(frames.pincount[head + 1]).toBe(0);
    expect(buddy.allocatedFrames).toBe(512);
    frames.refcount[head] = 0;
    buddy.freePages(head, 9);
    expect(frames.isHead(head)).toBe(false);
    expect(buddy.freeFrames()).toBe(4095);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('a non-compound high-order allocation is a run of independent order-0 pages', () => {
    const { frames, buddy } = boot(4096);
    const p = buddy.allocPages(3, MIGRATE_UNMOVABLE, 0);
    for (let i = 0; i < 8; i++) {
      expect(frames.refcount[p + i]).toBe(1);
      expect(frames.order(p + i)).toBe(0);
      expect(frames.isHead(p + i) || frames.isTail(p + i)).toBe(false);
    }
  });

  it('freeing a page that still has a reference is a bad_page', () => {
    const { buddy } = boot(2048);
    const p = buddy.allocPages(0, MIGRATE_MOVABLE, 0);
    expect(() => buddy.freePages(p, 0)).toThrow(/bad_page/);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('each allocation and free takes zone->lock once, at rmqueue and free_one_page', () => {
    const { frames, ledger, buddy } = boot(2048);
    const p = buddy.allocPages(0, MIGRATE_MOVABLE, 0);
    expect(ledger.atSite(site('rmqueue'))).toBe(1);
    release(buddy, frames, p, 0);
    expect(ledger.atSite(site('free_one_page'))).toBe(1);
    expect(ledger.totals().lockAcquisitions).toBe(2);
    expect(ledger.currentDepth).toBe(0);
  });
});

describe('buddy allocator: migratetypes and fallback', () => {
  it('can_steal_fallback lets unmovable and reclaimable steal at any order, movable only from order 4', () => {
    expect(canStealFallback(0, MIGRATE_UNMOVABLE)).toBe(true);
    expect(canStealFallback(0, MIGRATE_RECLAIMABLE)).toBe(true);
    expect(canStealFallback(3, MIGRATE_MOVABLE)).toBe(false);
    expect(canStealFallback(4, MIGRATE_MOVABLE)).toBe(true);
  });

  it('an unmovable allocation on an all-movable machine falls back and steals a whole movable block', () => {
    const { buddy } = boot(4096);
    const p = buddy.allocPages(0, MIGRATE_UNMOVABLE, 0);
    expect(p).toBeGreaterThanOrEqual(1024); // the largest fallback block, an order-10 one
    expect(buddy.pageblockMigratetype(p)).toBe(MIGRATE_UNMOVABLE);
    expect(buddy.pageblockMigratetype(p ^ PAGEBLOCK_NR)).toBe(MIGRATE_UNMOVABLE);
    expect(buddy.freeFramesOfType(MIGRATE_UNMOVABLE)).toBe(1023);
    // the next unmovable allocation is served from the stolen block, no new steal
    const q = buddy.allocPages(0, MIGRATE_UNMOVABLE, 0);
    expect(q & ~1023).toBe(p & ~1023);
    expect(buddy.freeFramesOfType(MIGRATE_UNMOVABLE)).toBe(1022);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('noFallback refuses to raid another migratetype', () => {
    const { buddy } = boot(4096);
    expect(buddy.allocPages(0, MIGRATE_UNMOVABLE, 0, { noFallback: true })).toBe(-1);
    expect(buddy.allocPages(0, MIGRATE_MOVABLE, 0, { noFallback: true })).toBeGreaterThan(0);
  });

  /** Fills the machine with order-0 movable pages and frees the order-2 block at 1032..1035 of pageblock 2. */
  function holeInFullPageblock(lru: boolean) {
    const m = boot(2048);
    const pages = exhaust(m.buddy, MIGRATE_MOVABLE);
    expect(m.buddy.freeFrames()).toBe(0);
    if (lru) for (const p of pages) m.frames.flags[p] = m.frames.flags[p]! | (1 << PG.lru);
    for (let p = 1032; p < 1036; p++) {
      m.frames.flags[p] = 0;
      release(m.buddy, m.frames, p, 0);
    }
    expect(m.buddy.nrFree(0, MIGRATE_MOVABLE, 2)).toBe(1);
    return m;
  }

  it('an unmovable fallback into a pageblock full of LRU pages takes one page and leaves the block movable', () => {
    const { buddy } = holeInFullPageblock(true);
    const p = buddy.allocPages(0, MIGRATE_UNMOVABLE, 0);
    expect(p).toBeGreaterThanOrEqual(1032);
    expect(p).toBeLessThan(1036);
    expect(buddy.pageblockMigratetype(1024)).toBe(MIGRATE_MOVABLE);
    expect(buddy.freeFramesOfType(MIGRATE_MOVABLE)).toBe(3);
    expect(buddy.freeFramesOfType(MIGRATE_UNMOVABLE)).toBe(0);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('an unmovable fallback claims a movable pageblock whose other pages are not movable', () => {
    const { buddy } = holeInFullPageblock(false);
    const p = buddy.allocPages(0, MIGRATE_UNMOVABLE, 0);
    expect(p >> 9).toBe(1024 >> 9);
    expect(buddy.pageblockMigratetype(1024)).toBe(MIGRATE_UNMOVABLE);
    expect(buddy.freeFramesOfType(MIGRATE_UNMOVABLE)).toBe(3);
    expect(buddy.freeFramesOfType(MIGRATE_MOVABLE)).toBe(0);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('ALLOC_NOFRAGMENT retries the local node with fragmenting fallback before going remote', () => {
    const { frames, ledger, buddy } = boot(4096, 2);
    // node 0 full except one order-2 hole in a movable pageblock; node 1 wholly free
    const keep = new Set([1032, 1033, 1034, 1035]);
    for (const p of exhaust(buddy, MIGRATE_MOVABLE, 0)) if (keep.has(p) || buddy.nodeOf(p) === 1) release(buddy, frames, p, 0);
    expect(buddy.freeFrames(0)).toBe(4);
    const locks = ledger.atSite(site('rmqueue'));
    const p = buddy.allocPages(0, MIGRATE_UNMOVABLE, 0, { noFragment: true });
    expect(buddy.nodeOf(p)).toBe(0);
    expect(keep.has(p)).toBe(true);
    expect(ledger.atSite(site('rmqueue')) - locks).toBe(2);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('movable allocations may use CMA but unmovable ones never do', () => {
    const { buddy } = boot(4096, 1, 1024);
    expect(buddy.pageblockMigratetype(3072)).toBe(MIGRATE_CMA);
    expect(buddy.pageblockMigratetype(3071)).toBe(MIGRATE_MOVABLE);
    const unmovable = exhaust(buddy, MIGRATE_UNMOVABLE);
    expect(unmovable.length).toBe(3071);
    expect(unmovable.every((p) => p < 3072)).toBe(true);
    expect(buddy.freeFramesOfType(MIGRATE_CMA)).toBe(1024);
    expect(buddy.allocPages(0, MIGRATE_RECLAIMABLE, 0)).toBe(-1);
    expect(buddy.allocPages(0, MIGRATE_MOVABLE, 0, { cma: false })).toBe(-1); // FOLL_LONGTERM-style
    const m = buddy.allocPages(9, MIGRATE_MOVABLE, 0, { comp: true });
    expect(m).toBeGreaterThanOrEqual(3072);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('movable allocations go to CMA first only while CMA holds more than half the free memory', () => {
    const small = boot(4096, 1, 1024).buddy;
    expect(small.allocPages(0, MIGRATE_MOVABLE, 0)).toBeLessThan(3072);
    const big = boot(4096, 1, 3072).buddy;
    expect(big.allocPages(0, MIGRATE_MOVABLE, 0)).toBeGreaterThanOrEqual(1024);
  });

  it('an allocation prefers its node and spills to the next node when it is full', () => {
    const { buddy } = boot(4096, 2);
    expect(buddy.nodeOf(buddy.allocPages(0, MIGRATE_MOVABLE, 1))).toBe(1);
    exhaust(buddy, MIGRATE_MOVABLE, 1);
    expect(buddy.freeFrames(1)).toBe(0);
    expect(buddy.freeFrames(0)).toBe(0); // exhaust() spilled into node 0 as well
    expect(buddy.allocatedFrames).toBe(4095);
    expect(buddy.checkConsistency()).toEqual([]);
  });
});

describe('buddy allocator: fragmentation', () => {
  it('fragmentation score of a freshly booted machine is 0 apart from the zero page pageblock', () => {
    const { buddy } = boot(8192, 2);
    expect(buddy.fragmentationScore(9, 1)).toBe(0);
    // only pfn 0's pageblock is broken: its 511 free frames sit in blocks of order 0..8
    expect(buddy.fragmentationScore()).toBeCloseTo(511 / 8191, 12);
    expect(buddy.freeUsableForOrder(9)).toBe(8192 - 512);
  });

  it('fragmentation score rises to 1 when every pageblock has one pinned order-0 page', () => {
    const { frames, buddy } = boot(8192, 2);
    const before = buddy.fragmentationScore();
    const pages = exhaust(buddy, MIGRATE_MOVABLE);
    const pinned = new Set<number>();
    for (const p of pages) {
      const pb = p >> 9;
      if (p !== 0 && !pinned.has(pb) && p % PAGEBLOCK_NR === 7) pinned.add(pb);
      else release(buddy, frames, p, 0);
    }
    if (pinned.size !== 16) throw new Error(`expected one pinned page in each of 16 pageblocks, got ${pinned.size}`);
    const after = buddy.fragmentationScore();
    expect(after).toBe(1);
    expect(after).toBeGreaterThan(before);
    expect(buddy.freeUsableForOrder(9)).toBe(0);
    expect(buddy.freeUsableForOrder(8)).toBeGreaterThan(0);
    expect(buddy.allocPages(9, MIGRATE_MOVABLE, 0, { comp: true })).toBe(-1);
    expect(buddy.checkConsistency()).toEqual([]);
  });
});

describe('buddy allocator: isolation for alloc_contig_range and compaction', () => {
  it('isolating a CMA range hides its free pages; taking it returns every frame as an order-0 page', () => {
    const { frames, ledger, buddy } = boot(4096, 1, 1024);
    const free0 = buddy.freeFrames();
    expect(buddy.startIsolateRange(3072, 4096)).toBe(true);
    expect(buddy.pageblockMigratetype(3072)).toBe(MIGRATE_ISOLATE);
    expect(buddy.freeFrames()).toBe(free0 - 1024);
    expect(buddy.freeFramesOfType(MIGRATE_ISOLATE)).toBe(1024);
    expect(buddy.startIsolateRange(3584, 4096)).toBe(false); // already isolated: -EBUSY
    expect(buddy.testPagesIsolated(3072, 4096)).toBe(true);
    expect(buddy.takeIsolatedRange(3072, 4096)).toBe(true);
    for (let p = 3072; p < 4096; p++) expect(frames.refcount[p]).toBe(1);
    expect(buddy.allocatedFrames).toBe(1024);
    buddy.undoIsolateRange(3072, 4096);
    expect(buddy.pageblockMigratetype(3072)).toBe(MIGRATE_CMA);
    expect(ledger.atSite(site('set_migratetype_isolate'))).toBe(2);
    expect(buddy.checkConsistency()).toEqual([]);
    for (let p = 3072; p < 4096; p++) release(buddy, frames, p, 0);
    expect(buddy.nrFree(0, MIGRATE_CMA, MAX_ORDER)).toBe(1);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('test_pages_isolated fails while a page in the range is in use and passes once it is freed into the isolated block', () => {
    const { frames, buddy } = boot(2048, 2);
    const p = buddy.allocPages(0, MIGRATE_MOVABLE, 1);
    const start = p & ~(PAGEBLOCK_NR - 1);
    expect(buddy.startIsolateRange(start, start + PAGEBLOCK_NR)).toBe(true);
    expect(buddy.testPagesIsolated(start, start + PAGEBLOCK_NR)).toBe(false);
    expect(buddy.takeIsolatedRange(start, start + PAGEBLOCK_NR)).toBe(false);
    const isolatedBefore = buddy.freeFramesOfType(MIGRATE_ISOLATE);
    const freeBefore = buddy.freeFrames();
    release(buddy, frames, p, 0); // "migrated away"
    expect(buddy.freeFramesOfType(MIGRATE_ISOLATE)).toBe(isolatedBefore + 1);
    expect(buddy.freeFrames()).toBe(freeBefore); // not allocatable
    expect(buddy.testPagesIsolated(start, start + PAGEBLOCK_NR)).toBe(true);
    buddy.undoIsolateRange(start, start + PAGEBLOCK_NR);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('isolating one half of a free order-10 block splits it, and undoing merges it again', () => {
    const { buddy } = boot(2048, 2);
    expect(buddy.startIsolateRange(1024, 1536)).toBe(true);
    expect(buddy.nrFree(1, MIGRATE_ISOLATE, 9)).toBe(1);
    expect(buddy.nrFree(1, MIGRATE_MOVABLE, 9)).toBe(1);
    expect(buddy.checkConsistency()).toEqual([]);
    buddy.undoIsolateRange(1024, 1536);
    expect(buddy.nrFree(1, MIGRATE_MOVABLE, MAX_ORDER)).toBe(1);
    expect(buddy.checkConsistency()).toEqual([]);
  });

  it('taking an unaligned isolated range leaves the rest of the straddling free blocks free', () => {
    const { frames, buddy } = boot(2048, 2);
    expect(buddy.startIsolateRange(1100, 1200)).toBe(true);
    expect(buddy.takeIsolatedRange(1100, 1200)).toBe(true);
    expect(buddy.allocatedFrames).toBe(100);
    expect(buddy.isFreePage(1099)).toBe(true);
    expect(buddy.isFreePage(1200)).toBe(true);
    buddy.undoIsolateRange(1100, 1200);
    expect(buddy.freeFrames(1)).toBe(924);
    expect(buddy.checkConsistency()).toEqual([]);
    for (let p = 1100; p < 1200; p++) release(buddy, frames, p, 0);
    expect(buddy.nrFree(1, MIGRATE_MOVABLE, MAX_ORDER)).toBe(1);
  });

  it('the compaction free scanner can take one free frame out of the middle of a free block', () => {
    const { frames, buddy } = boot(2048, 2);
    expect(buddy.takeFreePage(1500)).toBe(true);
    expect(frames.refcount[1500]).toBe(1);
    expect(buddy.isFreePage(1500)).toBe(false);
    expect(buddy.takeFreePage(1500)).toBe(false);
    expect(buddy.freeFrames(1)).toBe(1023);
    expect(buddy.checkConsistency()).toEqual([]);
    release(buddy, frames, 1500, 0);
    expect(buddy.nrFree(1, MIGRATE_MOVABLE, MAX_ORDER)).toBe(1);
  });

  it('a hwpoisoned frame is never returned to the free lists', () => {
    const { frames, buddy } = boot(2048, 2);
    const p = buddy.allocPages(9, MIGRATE_MOVABLE, 1, { comp: true });
    frames.flags[p + 5] = frames.flags[p + 5]! | (1 << PG.hwpoison);
    release(buddy, frames, p, 9);
    expect(buddy.hwpoisonedFrames).toBe(1);
    expect(buddy.isFreePage(p + 5)).toBe(false);
    expect(buddy.freeFrames(1)).toBe(1023);
    expect(buddy.checkConsistency()).toEqual([]);
    expect(buddy.takePageOffBuddy(1024 + 700)).toBe(true);
    expect(buddy.hwpoisonedFrames).toBe(2);
    expect(buddy.checkConsistency()).toEqual([]);
  });
});

describe('buddy allocator: conservation', () => {
  type Op =
    | { k: 'alloc'; order: number; mt: number; nid: number; comp: boolean; cma: boolean }
    | { k: 'free'; i: number }
    | { k: 'take'; pfn: number }
    | { k: 'takeBlock'; pfn: number }
    | { k: 'retype'; pfn: number; mt: number }
    | { k: 'isolate'; pfn: number; len: number; take: boolean }
    | { k: 'poison'; i: number };
  const NR = 4096;
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        k: fc.constant('alloc' as const),
        order: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: MAX_ORDER })),
        mt: fc.integer({ min: 0, max: 2 }),
        nid: fc.integer({ min: 0, max: 1 }),
        comp: fc.boolean(),
        cma: fc.boolean(),
      }),
    },
    { weight: 5, arbitrary: fc.record({ k: fc.constant('free' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('take' as const), pfn: fc.integer({ min: 0, max: NR - 1 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('takeBlock' as const), pfn: fc.integer({ min: 0, max: NR - 1 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({ k: fc.constant('retype' as const), pfn: fc.integer({ min: 0, max: NR - 1 }), mt: fc.integer({ min: 0, max: 2 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('isolate' as const),
        pfn: fc.integer({ min: 0, max: NR - 1 }),
        len: fc.integer({ min: 1, max: 1100 }),
        take: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('poison' as const), i: fc.nat() }) },
  );

  it('free frames are conserved and checkConsistency() stays empty under random alloc/free/isolate sequences', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }), (ops) => {
        const { frames, buddy } = boot(NR, 2, 512);
        const live: { pfn: number; order: number }[] = [];
        let liveFrames = 0;
        for (const o of ops) {
          switch (o.k) {
            case 'alloc': {
              const p = buddy.allocPages(o.order, o.mt, o.nid, { comp: o.comp, cma: o.cma });
              if (p >= 0) {
                expect(p % (1 << o.order)).toBe(0);
                if (o.mt !== MIGRATE_MOVABLE || !o.cma) expect(buddy.pageblockMigratetype(p)).not.toBe(MIGRATE_CMA);
                live.push({ pfn: p, order: o.order });
                liveFrames += 1 << o.order;
              }
              break;
            }
            case 'free': {
              if (live.length === 0) break;
              const [a] = live.splice(o.i % live.length, 1);
              release(buddy, frames, a!.pfn, a!.order);
              liveFrames -= 1 << a!.order;
              break;
            }
            case 'take':
              if (buddy.takeFreePage(o.pfn)) {
                live.push({ pfn: o.pfn, order: 0 });
                liveFrames++;
              }
              break;
            case 'takeBlock': {
              const order = buddy.takeFreeBlock(o.pfn);
              if (order >= 0) {
                live.push({ pfn: o.pfn, order });
                liveFrames += 1 << order;
              }
              break;
            }
            case 'retype': {
              const cur = buddy.pageblockMigratetype(o.pfn);
              if (cur !== MIGRATE_CMA && cur !== MIGRATE_ISOLATE) buddy.setPageblockMigratetype(o.pfn, o.mt);
              break;
            }
            case 'isolate': {
              const end = Math.min(NR, o.pfn + o.len);
              if (!buddy.startIsolateRange(o.pfn, end)) break;
              if (o.take && buddy.testPagesIsolated(o.pfn, end)) {
                expect(buddy.takeIsolatedRange(o.pfn, end)).toBe(true);
                for (let p = o.pfn; p < end; p++) live.push({ pfn: p, order: 0 });
                liveFrames += end - o.pfn;
              }
              buddy.undoIsolateRange(o.pfn, end);
              break;
            }
            case 'poison': {
              if (live.length === 0) break;
              const a = live[o.i % live.length]!;
              const p = a.pfn + (o.i % (1 << a.order));
              frames.flags[p] = frames.flags[p]! | (1 << PG.hwpoison);
              break;
            }
          }
          const bad = buddy.checkConsistency();
          if (bad.length > 0) throw new Error(`after ${JSON.stringify(o)}:\n${bad.join('\n')}`);
          expect(buddy.allocatedFrames).toBe(liveFrames);
          expect(buddy.freeFrames() + buddy.freeFramesOfType(MIGRATE_ISOLATE) + liveFrames + 1 + buddy.hwpoisonedFrames).toBe(NR);
        }
        for (const a of live) release(buddy, frames, a.pfn, a.order);
        expect(buddy.checkConsistency()).toEqual([]);
        expect(buddy.freeFrames() + buddy.hwpoisonedFrames).toBe(NR - 1);
      }),
      { seed: 20240611, numRuns: 150 },
    );
  });
});

describe('buddy allocator: scale', () => {
  it('16 Mi frames (64 GiB, 4 nodes) construct with a few tens of KiB of allocator state', () => {
    const nr = 16 * 1024 * 1024;
    const frames = new Frames(nr);
    const before = process.memoryUsage().arrayBuffers;
    const buddy = new Buddy(frames, new Ledger(), { nodes: 4, cmaFrames: 256 * 1024 });
    const overhead = process.memoryUsage().arrayBuffers - before;
    expect(overhead).toBeLessThan(1 << 20);
    expect(buddy.freeFrames()).toBe(nr - 1);
    expect(buddy.freeFramesOfType(MIGRATE_CMA, 0)).toBe(256 * 1024);
    const thp = buddy.allocPages(9, MIGRATE_MOVABLE, 3, { comp: true });
    expect(buddy.nodeOf(thp)).toBe(3);
    frames.refcount[thp] = 0;
    buddy.freePages(thp, 9);
    expect(buddy.nrFree(3, MIGRATE_MOVABLE, MAX_ORDER)).toBe(nr / 4 / 1024);
    expect(buddy.checkConsistency()).toEqual([]);
  }, 60_000);
});
