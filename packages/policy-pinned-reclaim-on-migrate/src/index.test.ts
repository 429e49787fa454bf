import {
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  PG,
  PG_ZBUD,
  applyEvent,
  checkInvariants,
  contiguityStats,
  pinnedMigrationStats,
  site,
  testKernel,
} from '@pagelab/kernel-core';
import type { WorkloadEvent } from '@pagelab/events';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, type Params, createReclaimOnMigrate, descriptor } from './index.js';

const MB = 1 << 20;
const A = 64 * MB;
const PAGE = 4096;

function dk(params: Partial<Params> = {}, config: { memory?: number; cma?: number; swap?: number } = {}) {
  return testKernel({
    config: { memory: 8 * MB, ...config },
    settings: { 'thp.enabled': 'never' },
    policies: { pinnedMigration: createReclaimOnMigrate({ ...DEFAULTS, ...params }) },
  });
}

function run(k: ReturnType<typeof dk>, events: readonly WorkloadEvent[]) {
  for (const e of events) {
    applyEvent(k, e, 1);
    expect(checkInvariants(k)).toEqual([]);
  }
}

/** S13: memory full of anon pages, holes punched, then one zbud page falls into a hole of a movable pageblock. */
const ZBUD_IN_MOVABLE: readonly WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: A, len: 8 * MB, kind: 'anon' },
  { type: 'touch', pid: 1, addr: A, len: 1800 * PAGE, write: true },
  { type: 'driver_alloc', owner: 'zbud', pages: 1, handle: 'z' },
  { type: 'munmap', pid: 1, addr: A, len: 900 * PAGE },
];

describe('reclaim-on-migrate (DK)', () => {
  it('zbud pages are PageZbud, allocated __GFP_RECLAIMABLE, and their pageblock is claimed for MIGRATE_RECLAIMABLE when it can be', () => {
    const k = dk();
    run(k, [{ type: 'driver_alloc', owner: 'zbud', pages: 8, handle: 'z' }]);
    for (const p of k.drivers.get('z')!.pfns) {
      expect(k.frames.test(p, PG_ZBUD)).toBe(true);
      expect(k.buddy.pageblockMigratetype(p)).toBe(MIGRATE_RECLAIMABLE);
    }
    // The unmovable-side fallback takes the largest free block, an order-10 one: both its pageblocks become Reclaimable.
    expect(contiguityStats(k).pageblocks.byType['Reclaimable']).toBe(2);
    expect(k.buddy.extfrag).toMatchObject({ events: 1, fragmenting: 0, changedOwnership: 1 });
    // A DMA buffer of another owner is not a zbud page.
    run(k, [{ type: 'driver_alloc', owner: 'dma', pages: 1, handle: 'd' }]);
    expect(k.frames.test(k.drivers.get('d')!.pfns[0]!, PG_ZBUD)).toBe(false);
  });

  it('alloc_contig over a movable pageblock holding a zbud page frees it, decompressing its two objects into pages outside the range, and succeeds', () => {
    const k = dk();
    run(k, ZBUD_IN_MOVABLE);
    const zpfn = k.drivers.get('z')!.pfns[0]!;
    expect(k.buddy.pageblockMigratetype(zpfn)).toBe(MIGRATE_MOVABLE);
    const data = k.frames.content[zpfn]!;
    const gets = k.ledger.atSite(site('isolate_migratepages_range.zbud_get'));
    run(k, [{ type: 'alloc_contig', pages: 1024, cma: false, handle: 'c' }]);
    const c = k.drivers.get('c')!;
    const [s, e] = [c.pfns[0]!, c.pfns[0]! + 1024];
    expect(zpfn >= s && zpfn < e).toBe(true);
    // The zbud page now belongs to the contiguous range; the owner holds two swap-cache pages outside it.
    const z = Array.from(k.drivers.get('z')!.pfns);
    expect(z).toHaveLength(2);
    for (const p of z) {
      expect(p < s || p >= e).toBe(true);
      expect(k.frames.test(p, PG_ZBUD)).toBe(false);
      expect(k.frames.test(p, PG.movable_ops)).toBe(true);
    }
    expect(z.map((p) => k.frames.content[p])).toContain(data);
    // One reference taken to isolate it (refcounted zbud pages), then that one and the pool's dropped.
    expect(k.ledger.atSite(site('isolate_migratepages_range.zbud_get')) - gets).toBe(1);
    expect(k.ledger.atSite(site('zbud_reclaim_page.put'))).toBe(2);
    const st = pinnedMigrationStats(k);
    expect([st.reclaimedDriverPages, st.reclaimAllocatedPages, st.reclaimPressurePages]).toEqual([1, 2, 0]);
    expect(st.globalLockAcquisitions).toBe(0);
  });

  it('with one object per zbud page the reclaim allocates one page for the one it frees', () => {
    const k = dk({ objectsPerPage: 1 });
    run(k, [...ZBUD_IN_MOVABLE, { type: 'alloc_contig', pages: 1024, cma: false, handle: 'c' }]);
    expect(k.drivers.get('z')!.pfns).toHaveLength(1);
    expect(pinnedMigrationStats(k).reclaimAllocatedPages).toBe(1);
  });

  it('when no page is free for the decompressed data, direct reclaim runs first and what it frees is counted as the pressure the reclaim adds', () => {
    const k = dk({}, { memory: 8 * MB, swap: 16 * MB });
    run(k, [
      { type: 'driver_alloc', owner: 'zbud', pages: 1, handle: 'z' },
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: A, len: 8 * MB, kind: 'anon' },
    ]);
    // Every other free frame becomes anon memory: the swap-cache pages can only come from reclaim.
    run(k, [{ type: 'touch', pid: 1, addr: A, len: k.buddy.freeFrames() * PAGE, write: true }]);
    expect(k.buddy.freeFrames()).toBe(0);
    run(k, [{ type: 'alloc_contig', pages: 512, cma: false, handle: 'c' }]);
    const st = pinnedMigrationStats(k);
    expect(st.reclaimedDriverPages).toBe(1);
    expect(st.reclaimAllocatedPages).toBe(2);
    // One SWAP_CLUSTER_MAX round of direct reclaim per object that found no page.
    expect(st.reclaimPressurePages).toBe(32);
    expect(k.swap.used).toBeGreaterThanOrEqual(32);
  });

  it('a driver page that is not a zbud page still blocks', () => {
    const k = dk();
    run(k, [{ type: 'driver_alloc', owner: 'dma', pages: 1, handle: 'd' }]);
    expect(createReclaimOnMigrate().migrateDriverPage(k, k.drivers.get('d')!.pfns[0]!)).toBe('busy');
  });

  it('its parameters decode through its codec and are documented', () => {
    expect(descriptor.params.is(descriptor.defaults)).toBe(true);
    expect(descriptor.params.is({ ...descriptor.defaults, objectsPerPage: 3 })).toBe(false);
    expect(Object.keys(descriptor.paramDocs ?? {}).sort()).toEqual(['objectsPerPage', 'zbudOwners']);
  });
});
