/**
 * Compaction (mm/compaction.c compact_zone), contiguous allocation
 * (mm/page_alloc.c alloc_contig_range / alloc_contig_pages, mm/cma.c
 * cma_alloc) and kernel-owned driver pages (zbud/zswap pages, DMA buffers).
 *
 * Compaction, per node: the migration scanner walks pageblocks upwards from
 * the node start and isolates what it may move; the free scanner walks
 * pageblocks of movable type (MOVABLE or CMA) downwards from the node end and
 * takes their free pages as destinations. It stops when the scanners meet or
 * a free block of the requested order exists. Which pages the migration
 * scanner takes is era-dependent (docs/kernel/mm-facts.md §3 A.2, §5.7): 3.13 skips
 * compound pages (here: any THP unless `thpMigration`), T612 skips a THP
 * unless the request's order exceeds the folio's; both skip anon pages with
 * more references than mappings (the pinned heuristic, in migrateFolio).
 * Driver pages go to the pinned-migration policy (D0 leaves them, DK
 * reclaims zbud pages, DM/DA migrate them).
 *
 * alloc_contig_range over one candidate range: isolate its pageblocks,
 * migrate every in-use page out, then test that the range is all free and
 * take it. A page that cannot move fails the range (-EBUSY). The kernel's
 * five rounds without progress collapse to one deterministic walk here:
 * nothing in a single-threaded model changes between rounds.
 */
import { MIGRATE_CMA, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE } from './buddy.js';
import { ModelInputError } from './errors.js';
import { MAX_ORDER, PAGEBLOCK_NR, PG } from './frames.js';
import type { Kernel } from './kernel.js';
import type { DriverState } from './subsystem_state.js';
import { site } from './ledger.js';
import { PAGEBLOCK_FLAG_BITS } from './pageblock.js';
import { type MigrateCause, type MigrateReason, type MigrateResult, type MigrateTarget, migrateFolio } from './migrate.js';
import { countMigration, pinnedState } from './pinned_stats.js';
import { reclaim } from './vmscan.js';

const ISOLATE_FREEPAGES = site('isolate_freepages_block');
const ISOLATE_MOVABLE = site('isolate_movable_page');
const MOVABLE_LOCK = site('isolate_movable_page.trylock');
const DRIVER_MIGRATE_PUT = site('migrate_movable_page.put');
const DRIVER_PUT = site('driver_free_page');
const CONTIG_PUT = site('free_contig_range');
const ZBUD_GET = site('isolate_migratepages_range.zbud_get');
const ZBUD_PUT = site('zbud_reclaim_page.put');

/**
 * PageZbud (Kozlowski's RFC v2, patch 2): a page flag telling
 * isolate_migratepages_range that a page is a zbud page it may grab. It
 * shares its bit with PG_double_map, which only ever marks THP heads (a
 * driver page is order 0), as the kernel's PG_owner_priv_1 aliases do.
 */
export const PG_ZBUD = PG.double_map;
/** SWAP_CLUSTER_MAX: what one round of direct reclaim asks for. */
const SWAP_CLUSTER_MAX = 32;

/** Candidate ranges alloc_contig tries before giving up (the kernel walks the whole area; bounded here). */
export const MAX_CONTIG_CANDIDATES = 64;

export type CompactResult = 'COMPACT_SKIPPED' | 'COMPACT_SUCCESS' | 'COMPACT_COMPLETE';
export type ContigFailure = 'pinned' | 'extra_ref' | 'unmovable' | 'thp' | 'driver_busy' | 'no_memory';

// ------------------------------------------------------------ driver pages

/** The kernel's driver-page state (a named field of the Kernel, subsystem_state.ts). */
function ds(k: Kernel): DriverState {
  return k.driverPages;
}

/** The handle of the driver allocation holding `pfn` (zbud/zswap owner, DMA buffer, contiguous range), if any. */
export function driverPageHandle(k: Kernel, pfn: number): string | undefined {
  return ds(k).owner.get(pfn);
}

function checkNode(k: Kernel, node: number | undefined): void {
  if (node !== undefined && (!Number.isInteger(node) || node < 0 || node >= k.nodes))
    throw new ModelInputError('node', `a NUMA node id below ${k.nodes}`, node);
}

/**
 * A new kernel-owned order-0 page: PG.driver (+ movable_ops), refcount 1 from
 * the allocation, a fresh content token. `mt`: the gfp mask's migratetype
 * (default: the design's choice for the owner, else movable or unmovable).
 */
function newDriverPage(k: Kernel, movable: boolean, nid: number, handle: string, mt: number, opts?: { cma?: boolean }): number {
  const b = k.buddy;
  const pfn = b.allocPages(0, mt, nid, opts);
  if (pfn < 0) return -1;
  const f = k.frames;
  // __SetPageMovable and the owner's private pointer: plain stores, the page is not visible yet.
  f.flags[pfn] = f.flags[pfn]! | (1 << PG.driver) | (movable ? 1 << PG.movable_ops : 0);
  f.content[pfn] = k.nextToken();
  ds(k).owner.set(pfn, handle);
  return pfn;
}

/** The last put of a driver page: back to the allocator (a poisoned frame stays out of service). */
function releaseDriverFrame(k: Kernel, pfn: number, s = DRIVER_PUT): void {
  const f = k.frames;
  ds(k).owner.delete(pfn);
  if (!k.ledger.atomicDecAndTest(f.refcount, pfn, s)) return;
  f.flags[pfn] = f.flags[pfn]! & ((1 << PG.hwpoison) | PAGEBLOCK_FLAG_BITS);
  f.content[pfn] = 0;
  k.buddy.freePages(pfn, 0);
}

/**
 * driver_alloc: `pages` order-0 kernel pages for `owner` (zbud/zswap pages,
 * DMA buffers). Unmovable ones are MIGRATE_UNMOVABLE allocations, which can
 * land in movable pageblocks through fallback (S13); movable ones are
 * MIGRATE_MOVABLE with movable_ops (zsmalloc under DA). If memory runs out
 * the handle keeps what was allocated and the outcome says so.
 */
export function driverAlloc(k: Kernel, owner: string, pages: number, handle: string, movable: boolean, node?: number): void {
  if (k.drivers.has(handle)) throw new ModelInputError('handle', 'a handle not already holding driver pages', handle);
  checkNode(k, node);
  const nid = node ?? 0;
  const pfns: number[] = [];
  const mt = k.policies.pinnedMigration.driverMigratetype?.(k, owner, movable) ?? (movable ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE);
  // The handle exists (with no pages yet) while the pages are registered, so a policy can tell their owner.
  const d = { owner, pfns: new Int32Array(0), movable, contig: false };
  k.drivers.set(handle, d);
  for (let i = 0; i < pages; i++) {
    const pfn = newDriverPage(k, movable, nid, handle, mt);
    if (pfn < 0) break;
    pfns.push(pfn);
    k.policies.pinnedMigration.onDriverPin(k, pfn, true);
  }
  d.pfns = Int32Array.from(pfns);
  k.outcomes.record('driver_alloc', pfns.length === pages, pfns.length === pages ? undefined : 'no_memory');
}

/** driver_free: the owner releases every page of the handle. */
export function driverFree(k: Kernel, handle: string): void {
  const d = k.drivers.get(handle);
  if (!d) throw new ModelInputError('handle', 'a handle taken by an earlier driver_alloc and not yet freed', handle);
  if (d.contig) throw new ModelInputError('handle', 'a driver_alloc handle (this one is an alloc_contig range: use free_contig)', handle);
  for (const pfn of d.pfns) {
    k.policies.pinnedMigration.onDriverPin(k, pfn, false);
    releaseDriverFrame(k, pfn);
  }
  k.drivers.delete(handle);
}

/**
 * The generic move of one driver page (what movable_ops->migrate_page or a
 * pin-page owner's migrate hook does): isolate it (a reference and the page
 * lock), allocate a destination of the same mobility, copy the content, point
 * the owner at the new page, drop the old one. Returns the new pfn or -1.
 * Registry costs of a design (DM's global hash) are the policy's to add.
 */
export function moveDriverPage(k: Kernel, pfn: number, target?: MigrateTarget): number {
  const f = k.frames;
  const l = k.ledger;
  const s = ds(k);
  const handle = s.owner.get(pfn);
  const d = handle === undefined ? undefined : k.drivers.get(handle);
  if (!d || d.contig) return -1;
  const t = target ?? s.target ?? {};
  const movable = f.test(pfn, PG.movable_ops);
  if (!l.atomicIncNotZero(f.refcount, pfn, ISOLATE_MOVABLE)) return -1;
  if (!l.lockPage(f.flags, pfn, PG.locked, MOVABLE_LOCK)) {
    l.atomicDec(f.refcount, pfn, ISOLATE_MOVABLE);
    return -1;
  }
  let np: number;
  if (movable && t.alloc) np = t.alloc(0);
  else {
    np = k.buddy.allocPages(0, movable ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE, t.nid ?? k.nid(pfn), { cma: movable && !overlapsCma(k, t.avoidRange) });
    if (np >= 0 && t.avoidRange && np >= t.avoidRange[0] && np < t.avoidRange[1]) {
      f.refcount[np] = 0;
      k.buddy.freePages(np, 0);
      np = -1;
    }
  }
  if (np < 0) {
    l.unlockPage(f.flags, pfn, PG.locked, MOVABLE_LOCK);
    l.atomicDec(f.refcount, pfn, ISOLATE_MOVABLE);
    return -1;
  }
  f.flags[np] = f.flags[np]! | (f.flags[pfn]! & ((1 << PG.driver) | (1 << PG.movable_ops) | (1 << PG.pinned_owner)));
  f.content[np] = f.content[pfn]!;
  l.copyPage();
  d.pfns[d.pfns.indexOf(pfn)] = np;
  s.owner.set(np, handle!);
  pinnedState(k).pinned.ownerMigrations++;
  countMigration(k, pfn, np);
  l.unlockPage(f.flags, pfn, PG.locked, MOVABLE_LOCK);
  // The owner's reference moved to the new page; ours and the owner's old one go.
  l.atomicDec(f.refcount, pfn, DRIVER_MIGRATE_PUT);
  releaseDriverFrame(k, pfn, DRIVER_MIGRATE_PUT);
  return np;
}

/**
 * Kozlowski's zbud reclaim (DK, RFC v2 patches 1-3): isolate_migratepages_range
 * grabs the PageZbud page with a reference (zbud pages are refcounted, so
 * zbud_free cannot free it under the reclaim), and zbud_reclaim_page brings
 * each of its `objects` (at most 2: zbud pairs a first and a last buddy)
 * back as an uncompressed swap-cache page through the swapoff-like
 * try_to_unuse path, instead of writing it back. Those pages are ordinary
 * movable LRU pages (kept under the owner's handle, flagged movable, so the
 * model tracks their data), allocated outside the target range (and outside
 * CMA when the range overlaps it: ALLOC_CMA off). If the allocator has no
 * page, one round of direct reclaim (SWAP_CLUSTER_MAX) runs and the
 * allocation is retried once: that reclaim is the memory pressure the
 * decompression adds. Then the zbud page's two references go and it is
 * freed. Returns false, with nothing changed but the reclaim, if the pages
 * cannot be found.
 */
export function reclaimDriverPage(k: Kernel, pfn: number, target?: MigrateTarget, objects = 2): boolean {
  const f = k.frames;
  const l = k.ledger;
  const s = ds(k);
  const handle = s.owner.get(pfn);
  const d = handle === undefined ? undefined : k.drivers.get(handle);
  if (!d || d.contig) return false;
  if (!Number.isInteger(objects) || objects < 1 || objects > 2) throw new RangeError(`reclaimDriverPage: a zbud page holds 1 or 2 objects, not ${objects}`);
  const t = target ?? s.target ?? {};
  const nid = t.nid ?? k.nid(pfn);
  const avoid = t.avoidRange;
  const cma = !overlapsCma(k, avoid);
  const stats = pinnedState(k).pinned;
  if (!l.atomicIncNotZero(f.refcount, pfn, ZBUD_GET)) return false;
  const swapCachePage = (): number => {
    const np = newDriverPage(k, true, nid, handle!, MIGRATE_MOVABLE, { cma });
    if (np >= 0 && avoid && np >= avoid[0] && np < avoid[1]) {
      releaseDriverFrame(k, np);
      return -1;
    }
    return np;
  };
  const fresh: number[] = [];
  for (let i = 0; i < objects; i++) {
    let np = swapCachePage();
    if (np < 0) {
      stats.reclaimPressurePages += reclaim(k, SWAP_CLUSTER_MAX);
      np = swapCachePage();
    }
    if (np < 0) {
      for (const p of fresh) releaseDriverFrame(k, p);
      l.atomicDec(f.refcount, pfn, ZBUD_PUT);
      return false;
    }
    f.flags[np] = f.flags[np]! | (1 << PG.movable_ops);
    fresh.push(np);
  }
  // Decompression: the first object keeps the page's data token, the second its own (fresh) one.
  f.content[fresh[0]!] = f.content[pfn]!;
  for (let i = 0; i < fresh.length; i++) l.copyPage();
  const kept = Array.from(d.pfns).filter((p) => p !== pfn);
  d.pfns = Int32Array.from([...kept, ...fresh]);
  stats.reclaimedDriverPages++;
  stats.reclaimAllocatedPages += fresh.length;
  // Our isolation reference, then the pool's: the page goes back to the allocator.
  l.atomicDec(f.refcount, pfn, ZBUD_PUT);
  releaseDriverFrame(k, pfn, ZBUD_PUT);
  k.outcomes.record('driver_reclaim', true);
  return true;
}

/** Where a driver page met by compaction / alloc_contig should go, while the policy is being asked (else undefined). */
export function driverMigrateTarget(k: Kernel): MigrateTarget | undefined {
  return ds(k).target ?? undefined;
}

function overlapsCma(k: Kernel, r?: [number, number]): boolean {
  return r !== undefined && r[0] < k.buddy.cmaEnd && k.buddy.cmaStart < r[1];
}

/**
 * A driver page met by compaction or alloc_contig: ask the pinned-migration
 * policy. 'migrated' / 'reclaimed' from a policy that left the page in place
 * are carried out here with the generic helpers. Returns whether the frame
 * was vacated.
 */
function handleDriverPage(k: Kernel, pfn: number, target: MigrateTarget): 'migrated' | 'reclaimed' | 'busy' {
  const s = ds(k);
  s.target = target;
  let r: 'migrated' | 'reclaimed' | 'busy';
  try {
    r = k.policies.pinnedMigration.migrateDriverPage(k, pfn);
  } finally {
    s.target = null;
  }
  const stillThere = k.frames.test(pfn, PG.driver) && s.owner.has(pfn);
  if (r === 'migrated' && stillThere && moveDriverPage(k, pfn, target) < 0) return 'busy';
  if (r === 'reclaimed' && stillThere && !reclaimDriverPage(k, pfn, target)) return 'busy';
  return r;
}

/**
 * A user folio met by compaction or alloc_contig. A folio marked PagePinned
 * (registered with a pin-page owner, DM with coverGup) goes to the design,
 * which asks its owners to move it; any other folio is plain migration.
 */
function migrateUserFolio(k: Kernel, head: number, reason: MigrateReason, target: MigrateTarget): MigrateResult {
  const pm = k.policies.pinnedMigration;
  if (pm.migratePinnedFolio !== undefined && folioPagePinned(k, head)) return pm.migratePinnedFolio(k, head, reason, target);
  return migrateFolio(k, head, reason, target);
}

/** Whether any page of the folio carries PagePinned. */
export function folioPagePinned(k: Kernel, head: number): boolean {
  const f = k.frames;
  const n = 1 << f.order(head);
  for (let i = 0; i < n; i++) if (f.test(head + i, PG.pinned_owner)) return true;
  return false;
}

/** A frame that belongs to a contiguous allocation (alloc_contig / CMA buffer): never movable. */
function isContigFrame(k: Kernel, pfn: number): boolean {
  const h = ds(k).owner.get(pfn);
  return h !== undefined && k.drivers.get(h)?.contig === true;
}

// -------------------------------------------------------------- compaction

/** A free block of at least `order` on any non-isolated free list of the node (compact_finished). */
function orderAvailable(k: Kernel, order: number, nid: number): boolean {
  return k.buddy.freeUsableForOrder(order, nid) > 0;
}

/**
 * compact_zone for one node (sync, full-zone scanners).
 * Emits one `compact` observation and records the `compact` outcome.
 */
function compactNode(k: Kernel, order: number, nid: number): void {
  const f = k.frames;
  const b = k.buddy;
  let migrated = 0,
    failed = 0;
  const done = (result: CompactResult) => {
    k.outcomes.record('compact', result === 'COMPACT_SUCCESS', result === 'COMPACT_SUCCESS' ? undefined : result);
    pinnedState(k).compact[result]!++;
    k.emit({ type: 'compact', node: nid, order, migrated, failed, result });
  };
  if (orderAvailable(k, order, nid)) return done('COMPACT_SUCCESS');
  // __compaction_suitable: compaction needs room for the copies (compact_gap = 2 << order).
  if (b.freeFrames(nid) < 2 << order) return done('COMPACT_SKIPPED');

  const start = b.nodeStartPfn(nid),
    end = b.nodeEndPfn(nid);
  let migrateBlock = start;
  let freeBlock = end - PAGEBLOCK_NR;
  const freepages: number[] = [];
  /** isolate_freepages: the next suitable pageblock below the free scanner, above the migration scanner. */
  const refill = (): boolean => {
    while (freepages.length === 0) {
      if (freeBlock <= migrateBlock) return false;
      const blk = freeBlock;
      freeBlock -= PAGEBLOCK_NR;
      const mt = b.pageblockMigratetype(blk);
      if (mt !== MIGRATE_MOVABLE && mt !== MIGRATE_CMA) continue; // suitable_migration_target
      k.ledger.spinLockIrqSave(ISOLATE_FREEPAGES);
      for (let p = blk; p < blk + PAGEBLOCK_NR;) {
        if (!b.isFreeBlockHead(p)) {
          p++;
          continue;
        }
        const n = 1 << f.order(p);
        for (let q = p; q < p + n && q < blk + PAGEBLOCK_NR; q++) if (b.takeFreePage(q, { locked: true })) freepages.push(q);
        p += n;
      }
      k.ledger.spinUnlockIrqRestore();
    }
    return true;
  };
  const target: MigrateTarget = {
    nid,
    alloc: (o) => {
      if (o === 0) return refill() ? freepages.pop()! : -1;
      // A THP destination: the free scanner's pageblocks hold no free order-9 block (or compaction
      // would have finished), so take one from the allocator, above the migration scanner.
      const p = b.allocPages(o, MIGRATE_MOVABLE, nid, { comp: true });
      if (p >= 0 && p <= migrateBlock) {
        f.refcount[p] = 0;
        b.freePages(p, o);
        return -1;
      }
      return p;
    },
    free: (p, o) => {
      if (o === 0) freepages.push(p);
      else {
        f.refcount[p] = 0;
        b.freePages(p, o);
      }
    },
  };

  let result: CompactResult = 'COMPACT_COMPLETE';
  let outOfTargets = false;
  for (; migrateBlock < end && migrateBlock <= freeBlock && !outOfTargets; migrateBlock += PAGEBLOCK_NR) {
    if (b.pageblockMigratetype(migrateBlock) === MIGRATE_ISOLATE) continue;
    // isolate_migratepages_block + migrate_pages over one pageblock.
    for (let p = migrateBlock; p < migrateBlock + PAGEBLOCK_NR && !outOfTargets;) {
      if (b.isFreeBlockHead(p)) {
        p += 1 << f.order(p);
        continue;
      }
      const fl = f.flags[p]!;
      if (fl & (1 << PG.driver)) {
        if (!isContigFrame(k, p) && f.refcount[p]! > 0) {
          const r = handleDriverPage(k, p, target);
          if (r === 'busy') failed++;
          else migrated++;
        }
        p++;
        continue;
      }
      const userFolio = (fl & ((1 << PG.anon) | (1 << PG.shmem))) !== 0 && (fl & (1 << PG.tail)) === 0 && f.refcount[p]! > 0;
      if (!userFolio) {
        p++;
        continue;
      }
      const o = f.order(p);
      // Compound pages: 3.13 skips them; T612 takes them only for a larger request (or alloc_contig).
      if (o > 0 && !(k.params.thpMigration && order > o)) {
        p += 1 << o;
        continue;
      }
      const r = migrateUserFolio(k, p, 'compaction', target);
      if (r.ok) migrated++;
      else {
        failed++;
        if (r.cause === 'no_memory') outOfTargets = true;
      }
      p += 1 << o;
    }
    if (orderAvailable(k, order, nid)) {
      result = 'COMPACT_SUCCESS';
      break;
    }
  }
  // release_free_list: free pages the free scanner isolated and nobody used.
  for (const p of freepages) {
    f.refcount[p] = 0;
    b.freePages(p, 0);
  }
  if (result !== 'COMPACT_SUCCESS' && orderAvailable(k, order, nid)) result = 'COMPACT_SUCCESS';
  done(result);
}

/** The `compact` event: compaction for `order` on one node or on every node. */
export function compact(k: Kernel, order: number, node?: number): void {
  checkNode(k, node);
  if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) throw new ModelInputError('order', `an order from 0 to ${MAX_ORDER}`, order);
  if (node !== undefined) compactNode(k, order, node);
  else for (let nid = 0; nid < k.nodes; nid++) compactNode(k, order, nid);
}

// ------------------------------------------------------- alloc_contig_range

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * The candidate check of alloc_contig_pages (pfn_range_valid_contig) and the
 * CMA bitmap: a range holding a reserved frame or frames of an earlier
 * contiguous allocation is not tried at all.
 */
function rangeValid(k: Kernel, s: number, e: number): boolean {
  const f = k.frames;
  for (let p = s; p < e;) {
    if (k.buddy.isFreeBlockHead(p)) {
      p += 1 << f.order(p);
      continue;
    }
    if (f.test(p, PG.reserved) || (f.test(p, PG.driver) && isContigFrame(k, p))) return false;
    p++;
  }
  return true;
}

/**
 * alloc_contig_range over [s, e): isolate, migrate everything out, test, take.
 * Returns null on success (the frames are allocated, refcount 1 each) or the
 * first blocking reason.
 */
function allocContigRange(k: Kernel, s: number, e: number): ContigFailure | null {
  const f = k.frames;
  const b = k.buddy;
  if (!b.startIsolateRange(s, e)) return 'unmovable';
  let cause: ContigFailure | null = null;
  const blocked = (c: ContigFailure) => {
    if (cause === null) cause = c;
  };
  const target: MigrateTarget = { avoidRange: [s, e], nid: k.nid(s) };
  for (let p = s; p < e;) {
    if (b.isFreeBlockHead(p)) {
      p += 1 << f.order(p);
      continue;
    }
    const fl = f.flags[p]!;
    if (fl & (1 << PG.driver)) {
      if (isContigFrame(k, p)) blocked('unmovable');
      else {
        const r = handleDriverPage(k, p, target);
        if (r === 'busy') blocked(fl & (1 << PG.movable_ops) ? 'driver_busy' : 'unmovable');
      }
      p++;
      continue;
    }
    if ((fl & (1 << PG.tail)) !== 0 || (f.refcount[p] === 0 && (fl & (1 << PG.hwpoison)) === 0)) {
      p++; // inside a free block that starts before s, or an unreferenced frame
      continue;
    }
    if ((fl & ((1 << PG.anon) | (1 << PG.shmem))) === 0) {
      blocked('unmovable'); // reserved, hwpoisoned, or a page nobody can move
      p++;
      continue;
    }
    const o = f.order(p);
    if (o > 0 && !k.params.thpMigration) blocked('thp');
    else {
      const r = migrateUserFolio(k, p, 'contig_range', target);
      if (!r.ok) blocked(contigCause(r.cause));
    }
    p += 1 << o;
  }
  if (b.testPagesIsolated(s, e) && b.takeIsolatedRange(s, e)) {
    b.undoIsolateRange(s, e);
    return null;
  }
  b.undoIsolateRange(s, e);
  return cause ?? 'unmovable';
}

function contigCause(c: MigrateCause): ContigFailure {
  return c === 'thp' || c === 'no_memory' || c === 'extra_ref' || c === 'pinned' ? c : 'unmovable';
}

/**
 * alloc_contig (cma_alloc when `cma`, else alloc_contig_pages): `pages`
 * frames, naturally aligned (at least pageblock aligned), inside the CMA area
 * or anywhere on the node(s). Successive candidate ranges are tried until one
 * works (at most MAX_CONTIG_CANDIDATES). The range is held under `handle`
 * as a contiguous driver allocation; a failed allocation leaves `handle`
 * holding no frames, so its free_contig is accepted and does nothing (as
 * cma_release of a NULL allocation). Emits cma_alloc_success / cma_alloc_fail.
 */
export function allocContig(k: Kernel, pages: number, cma: boolean, node?: number, handle?: string): void {
  checkNode(k, node);
  if (handle !== undefined && k.drivers.has(handle)) throw new ModelInputError('handle', 'a handle not already holding pages', handle);
  const b = k.buddy;
  const align = Math.min(Math.max(nextPow2(pages), PAGEBLOCK_NR), 1 << MAX_ORDER);
  const areas: [number, number][] = [];
  if (cma) {
    if (node === undefined || node === 0) areas.push([b.cmaStart, b.cmaEnd]); // the CMA area sits on node 0
  } else {
    for (let nid = 0; nid < k.nodes; nid++) if (node === undefined || node === nid) areas.push([b.nodeStartPfn(nid), b.nodeEndPfn(nid)]);
  }
  let firstCause: ContigFailure | null = null;
  let tried = 0;
  let got = -1;
  search: for (const [lo, hi] of areas) {
    // CMA ranges are aligned relative to the area base (cma_bitmap_aligned_offset); others absolutely.
    const first = cma ? lo : Math.ceil(lo / align) * align;
    for (let s = first; s + pages <= hi && tried < MAX_CONTIG_CANDIDATES; s += align) {
      const e = s + pages;
      if (!cma && overlapsCma(k, [s, e])) continue; // CMA pageblocks count as unmovable for a non-CMA request
      if (!rangeValid(k, s, e)) continue;
      tried++;
      const c = allocContigRange(k, s, e);
      if (c === null) {
        got = s;
        break search;
      }
      firstCause ??= c;
    }
  }
  const cs = pinnedState(k).cma;
  cs.candidates += tried;
  if (tried > 1) cs.retries += tried - 1;
  if (got < 0) {
    const cause = firstCause ?? 'no_memory';
    cs.failure++;
    cs.causes[cause] = (cs.causes[cause] ?? 0) + 1;
    k.outcomes.record('cma_alloc', false, cause);
    k.emit({ type: 'cma_alloc_fail', cause, pages, cma, tried });
    // The named handle holds nothing, and its free_contig is cma_release(NULL): a no-op. Whether an
    // allocation succeeds depends on the design, so the same log must replay under every design.
    if (handle !== undefined) ds(k).failedContig.add(handle);
    return;
  }
  const f = k.frames;
  const h = handle ?? `contig@${got}`;
  ds(k).failedContig.delete(h);
  const pfns = new Int32Array(pages);
  const owners = ds(k).owner;
  for (let i = 0; i < pages; i++) {
    const p = got + i;
    pfns[i] = p;
    f.flags[p] = f.flags[p]! | (1 << PG.driver);
    f.content[p] = k.nextToken();
    owners.set(p, h);
  }
  k.drivers.set(h, { owner: cma ? 'cma' : 'alloc_contig', pfns, movable: false, contig: true });
  cs.success++;
  k.outcomes.record('cma_alloc', true);
  k.emit({ type: 'cma_alloc_success', pfn: got, pages, cma, handle: h, tried });
}

/** free_contig: free_contig_range over the handle's frames. */
export function freeContig(k: Kernel, handle: string): void {
  const d = k.drivers.get(handle);
  if (!d && ds(k).failedContig.delete(handle)) return; // cma_release of an allocation that failed: nothing to free
  if (!d) throw new ModelInputError('handle', 'a handle taken by an earlier alloc_contig and not yet freed', handle);
  if (!d.contig) throw new ModelInputError('handle', 'an alloc_contig handle (this one is a driver_alloc: use driver_free)', handle);
  for (const pfn of d.pfns) releaseDriverFrame(k, pfn, CONTIG_PUT);
  k.drivers.delete(handle);
}
