/**
 * movable-ops [DA]: what was merged (Minchan Kim, v4.8 "non-lru movable page
 * migration"; T612 struct movable_operations). A driver page registered with
 * movable ops (zsmalloc) is isolated through isolate_movable_page and moved
 * by the owner's migrate_page under its own per-pool, per-class and
 * per-zspage locks — no global lock. A page without movable ops (zbud never
 * got them) still blocks (docs/kernel/mm-facts.md §6 D.4, S13).
 */
import * as t from 'io-ts';
import { type PinnedMigrationPolicy, type PolicyDescriptor, PG, moveDriverPage, site } from '@pagelab/kernel-core';

const POOL_MIGRATE_LOCK = site('zs_page_migrate.pool_migrate_lock');
const CLASS_LOCK = site('zs_page_migrate.class_lock');
const ZSPAGE_LOCK = site('zs_page_migrate.zspage_lock');

export const MovableOpsParams = t.type({});
export type MovableOpsParams = t.TypeOf<typeof MovableOpsParams>;

export function createMovableOps(): PinnedMigrationPolicy {
  return {
    id: 'movable-ops',
    migrateDriverPage(k, pfn) {
      if (!k.frames.test(pfn, PG.movable_ops)) return 'busy';
      // zs_page_migrate: pool->migrate_lock (write), class->lock, the zspage's migrate lock, nested.
      const l = k.ledger;
      l.spinLock(POOL_MIGRATE_LOCK);
      l.spinLock(CLASS_LOCK);
      l.spinLock(ZSPAGE_LOCK);
      const moved = moveDriverPage(k, pfn) >= 0;
      l.spinUnlock();
      l.spinUnlock();
      l.spinUnlock();
      return moved ? 'migrated' : 'busy';
    },
    // __SetPageMovable is a plain store on a page nobody else sees yet.
    onDriverPin: () => {},
  };
}

export const descriptor: PolicyDescriptor<'pinned-migration', MovableOpsParams> = {
  id: 'movable-ops',
  axis: 'pinned-migration',
  title: 'Per-page movable_operations (zsmalloc): driver pages migrate under per-pool locks; zbud still blocks',
  models: 'Linux 4.8+ (T49, T612); seed 004 (LaHaise: "the address space migratepage method")',
  params: MovableOpsParams,
  defaults: {},
  paramDocs: {},
  create: () => createMovableOps(),
};

export default descriptor;
