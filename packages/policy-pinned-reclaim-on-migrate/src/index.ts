/**
 * reclaim-on-migrate [DK]: Krzysztof Kozlowski's "mm: reclaim zbud pages on
 * migration and compaction" (RFC v2, linux-mm, 9 August 2013). zswap's zbud
 * pages are neither on the LRU nor movable, so in 3.11-3.13 compaction and
 * CMA skip them and a pageblock holding one can never be emptied; and,
 * allocated without __GFP_MOVABLE, they cannot use CMA at all. The RFC:
 *   1. zbud pages are refcounted (page->_count instead of under_reclaim),
 *      so a zbud page survives zbud_free while a reclaim holds it;
 *   2. a PageZbud flag lets isolate_migratepages_range grab them;
 *   3. instead of migrating one, its (at most two) compressed objects are
 *      decompressed back into the swap cache by a swapoff-like path, not
 *      written back, and the zbud page is freed;
 *   4. zbud pages are allocated __GFP_RECLAIMABLE, so they gather in
 *      MIGRATE_RECLAIMABLE pageblocks (an unmovable-side fallback claims a
 *      movable pageblock for RECLAIMABLE, as the allocator does).
 * The mechanism is kernel-core's (reclaimDriverPage): the swap-cache pages
 * come from the allocator outside the range being emptied (and outside CMA
 * when the range is in it), and when there is no free page one round of
 * direct reclaim runs first; what that costs is counted (reclaimed driver
 * pages, pages allocated for their data, pages reclaimed to make room).
 *
 * A zbud page's data needs one whole page per object once decompressed, so
 * each reclaim costs `objectsPerPage` pages for the one it frees. The
 * swap-cache pages are ordinary movable LRU pages: met again by compaction
 * or CMA they migrate. Other driver pages (DMA buffers, zsmalloc without
 * movable ops in 3.13) still block.
 */
import * as t from 'io-ts';
import {
  MIGRATE_RECLAIMABLE,
  PG,
  PG_ZBUD,
  type PinnedMigrationPolicy,
  type PolicyDescriptor,
  driverMigrateTarget,
  driverPageOwner,
  moveDriverPage,
  reclaimDriverPage,
} from '@pagelab/kernel-core';

export const Params = t.type({
  /** driver_alloc owners whose unmovable pages are zbud pages (zswap's pool in 2013 was zbud). */
  zbudOwners: t.array(t.string),
  objectsPerPage: t.union([t.literal(1), t.literal(2)]),
});
export type Params = t.TypeOf<typeof Params>;

export const DEFAULTS: Params = { zbudOwners: ['zbud', 'zswap'], objectsPerPage: 2 };

export function createReclaimOnMigrate(params: Params = DEFAULTS): PinnedMigrationPolicy {
  const zbud = new Set(params.zbudOwners);
  return {
    id: 'reclaim-on-migrate',

    // zbud_alloc: alloc_page(gfp | __GFP_RECLAIMABLE) (patch 4).
    driverMigratetype: (_k, owner, movable) => (!movable && zbud.has(owner) ? MIGRATE_RECLAIMABLE : undefined),

    onDriverPin(k, pfn, pinned) {
      // __SetPageZbud on a page nobody else sees yet: a plain store. The flag goes with the page at free.
      if (pinned && !k.frames.test(pfn, PG.movable_ops) && zbud.has(driverPageOwner(k, pfn) ?? '')) k.ledger.__setBit(k.frames.flags, pfn, PG_ZBUD);
    },

    migrateDriverPage(k, pfn) {
      const f = k.frames;
      const target = driverMigrateTarget(k);
      if (f.test(pfn, PG_ZBUD)) return reclaimDriverPage(k, pfn, target, params.objectsPerPage) ? 'reclaimed' : 'busy';
      // A swap-cache page that holds a reclaimed object: an LRU page, migrated as one.
      if (f.test(pfn, PG.movable_ops) && zbud.has(driverPageOwner(k, pfn) ?? '')) return moveDriverPage(k, pfn, target) >= 0 ? 'migrated' : 'busy';
      return 'busy';
    },
  };
}

export const descriptor: PolicyDescriptor<'pinned-migration', Params> = {
  id: 'reclaim-on-migrate',
  axis: 'pinned-migration',
  title: "Kozlowski's zbud reclaim: compaction and CMA decompress a zbud page's objects into the swap cache and free it",
  models: "Krzysztof Kozlowski, RFC v2 'mm: reclaim zbud pages on migration and compaction' (linux-mm, Aug 2013); seed 004",
  params: Params,
  defaults: DEFAULTS,
  paramDocs: {
    zbudOwners: 'driver_alloc owners whose unmovable pages are zbud pages (default zbud, zswap)',
    objectsPerPage: 'compressed objects a zbud page holds, each decompressed into its own page on reclaim (1 or 2; default 2)',
  },
  create: (params) => createReclaimOnMigrate(params),
};

export default descriptor;
