/**
 * Page migration (mm/migrate.c migrate_pages for one folio, T612 shape),
 * used by compaction, alloc_contig_range, FOLL_LONGTERM pins and memory
 * failure.
 *
 * One attempt = isolate (a reference and LRU isolation, with the
 * compaction "pinned" heuristic), allocate the destination, lock, unmap to
 * migration entries (try_to_migrate: from 5.19 an anon-exclusive page of a
 * maybe-DMA-pinned folio aborts here), freeze the refcount at the expected
 * value (no mapping is left, so expected = page cache + swapcache refs + our
 * isolation reference), move the page-cache slot, copy every 4 KiB, remap
 * every saved entry to the new folio (a PMD stays a PMD), free the old one.
 *
 * Retries: the kernel repeats -EAGAIN up to 10 passes (NR_MAX_MIGRATE_PAGES_RETRY)
 * and alloc_contig_range up to 5 rounds. The model is single-threaded: nothing
 * changes between passes, so each is one deterministic attempt.
 */
import { MIGRATE_CMA, MIGRATE_ISOLATE, MIGRATE_MOVABLE } from './buddy.js';
import type { GupKind } from './axes.js';
import { totalMapcount } from './folio.js';
import { maybeDmaPinned } from './fork.js';
import { PG } from './frames.js';
import type { Kernel } from './kernel.js';
import { site } from './ledger.js';
import type { MM } from './mm.js';
import { pteIndex, setPmd, setPte } from './mm.js';
import { ptePfn } from './pte.js';
import { ZERO_PFN, addRmapPmd, addRmapPtes, folioMappings, removeRmapPmd, removeRmapPtes } from './rmap.js';
import { ksmFolioMigrated } from './ksm.js';
import { countMigration, pinnedState } from './pinned_stats.js';
import type { GupHandle } from './kernel.js';

export type MigrateReason = 'compaction' | 'contig_range' | 'longterm_pin' | 'memory_failure' | 'numa';
/**
 * Why one migration attempt failed:
 *   pinned     the isolate heuristic saw more references than mappings, try_to_migrate
 *              backed off for a maybe-DMA-pinned anon-exclusive page, or the freeze
 *              failed on a maybe-pinned folio
 *   extra_ref  the freeze failed on a reference no mapping explains (FOLL_GET, get_page)
 *   thp        a THP where the era cannot migrate THPs (<= 5.6)
 *   no_memory  no destination folio
 *   not_lru    not on the LRU (already isolated, or taken off by memory failure)
 *   locked     folio lock held
 *   hwpoison   the folio holds a poisoned page
 */
export type MigrateCause = 'pinned' | 'extra_ref' | 'thp' | 'no_memory' | 'not_lru' | 'locked' | 'hwpoison' | 'free';
export type MigrateResult = { ok: true; newHead: number } | { ok: false; cause: MigrateCause };

export interface MigrateTarget {
  /** Node to allocate the destination on (default: the source's). */
  nid?: number;
  /** Never place the destination here; a range overlapping the CMA area also forbids CMA fallback (ALLOC_CMA off). */
  avoidRange?: [number, number];
  /** A destination provider (compaction's free scanner): a prepared folio of `order` (refcount 1), or -1. */
  alloc?: (order: number) => number;
  /** Takes back a destination from `alloc` that was not used. */
  free?: (pfn: number, order: number) => void;
}

const ISOLATE_GET = site('isolate_migratepages_block.folio_get');
const PUTBACK = site('putback_movable_pages');
const FOLIO_LOCK = site('migrate_folio_unmap.folio_lock');
const RMAP_LOCK = site('try_to_migrate.rmap_lock');
const UNMAP_PTL = site('try_to_migrate_one.ptl');
const UNMAP_PUT = site('try_to_migrate_one.put');
const UNMAP_SHARE = site('folio_try_share_anon_rmap');
const XA_LOCK = site('folio_migrate_mapping.xa_lock');
const FREEZE = site('folio_migrate_mapping.freeze');
const CACHE_REF = site('folio_migrate_mapping.ref_add');
const REMAP_LOCK = site('remove_migration_ptes.rmap_lock');
const REMAP_PTL = site('remove_migration_pte.ptl');
const REMAP_GET = site('remove_migration_pte.get');
const REMAP_EXCL = site('remove_migration_pte.anon_exclusive');
const DST_PUT = site('migrate_folio_move.put_dst');
const SRC_DONE = site('migrate_folio_done');

/** A mapping replaced by a migration entry: where, what it looked like, and which page of the folio. */
interface MigrationEntry {
  mm: MM;
  addr: number;
  pmd: boolean;
  /** page offset inside the folio */
  idx: number;
  /** the entry's low bits (write, young, dirty) */
  bits: number;
  /** PG_anon_exclusive was set (kept in the migration entry, restored on remap) */
  exclusive: boolean;
}

function isUserFolio(k: Kernel, head: number): boolean {
  return (k.frames.flags[head]! & ((1 << PG.anon) | (1 << PG.shmem))) !== 0;
}

/**
 * migrate_pages() for one folio. The caller holds no reference; the folio
 * must be a live user folio head. Emits one `migrate` observation.
 */
export function migrateFolio(k: Kernel, head: number, reason: MigrateReason, dst: MigrateTarget = {}): MigrateResult {
  const f = k.frames;
  const order = f.order(head);
  const r = migrateOne(k, head, reason, dst);
  if (r.ok) {
    countMigration(k, head, r.newHead);
    k.outcomes.record('migrate', true);
    k.emit({ type: 'migrate', reason, result: 'success', pfn: head, order, newPfn: r.newHead });
  } else {
    k.outcomes.record('migrate', false, r.cause);
    k.emit({ type: 'migrate', reason, result: 'fail', cause: r.cause, pfn: head, order });
  }
  return r;
}

function migrateOne(k: Kernel, head: number, reason: MigrateReason, dst: MigrateTarget): MigrateResult {
  const f = k.frames;
  const l = k.ledger;
  const order = f.order(head);
  const nr = 1 << order;
  const nid = k.nid(head);
  if (f.head(head) !== head || f.isFree(head) || !isUserFolio(k, head)) return { ok: false, cause: 'free' };
  if (order > 0 && !k.params.thpMigration) return { ok: false, cause: 'thp' };
  for (let i = 0; i < nr; i++) if (f.test(head + i, PG.hwpoison)) return { ok: false, cause: 'hwpoison' };

  // isolate_migratepages_block: folio_get_nontail_page, then the pinned heuristic, then LRU isolation.
  if (!l.atomicIncNotZero(f.refcount, head, ISOLATE_GET)) return { ok: false, cause: 'free' };
  const anonNoMapping = f.test(head, PG.anon) && !f.test(head, PG.swapcache);
  if ((reason === 'compaction' || reason === 'contig_range') && anonNoMapping && f.refcount[head]! - 1 > totalMapcount(f, head)) {
    k.folioPutRefs(head, 1, PUTBACK);
    return { ok: false, cause: 'pinned' };
  }
  if (!k.lru.del(head, nid)) {
    k.folioPutRefs(head, 1, PUTBACK);
    return { ok: false, cause: 'not_lru' };
  }
  const putback = (): void => {
    k.lru.add(head, nid);
    k.folioPutRefs(head, 1, PUTBACK);
  };

  // migrate_folio_unmap: the destination first, then the source lock.
  const newHead = allocDst(k, order, dst, nid);
  if (newHead < 0) {
    putback();
    return { ok: false, cause: 'no_memory' };
  }
  if (!l.lockPage(f.flags, head, PG.locked, FOLIO_LOCK)) {
    releaseDst(k, newHead, order, dst);
    putback();
    return { ok: false, cause: 'locked' };
  }
  const fail = (cause: MigrateCause, saved: MigrationEntry[]): MigrateResult => {
    removeMigrationPtes(k, head, saved);
    l.unlockPage(f.flags, head, PG.locked, FOLIO_LOCK);
    releaseDst(k, newHead, order, dst);
    putback();
    return { ok: false, cause };
  };

  const deferredBefore = f.test(head, PG.deferred);
  const unmapped = tryToMigrate(k, head);
  if (!unmapped.ok) return fail('pinned', unmapped.saved);
  const saved = unmapped.saved;

  // __folio_migrate_mapping: every reference but the page cache's and ours must be gone.
  const shmem = f.test(head, PG.shmem);
  const cacheRefs = shmem || f.test(head, PG.swapcache) ? nr : 0;
  const expected = cacheRefs + 1;
  const frozen = !anonNoMapping || order > 0;
  if (shmem) l.spinLockIrqSave(XA_LOCK);
  const refsOk = frozen ? l.cmpxchg(f.refcount, head, expected, 0, FREEZE) : f.refcount[head] === expected;
  if (!refsOk) {
    if (shmem) l.spinUnlockIrqRestore();
    return fail(maybeDmaPinned(k, head) ? 'pinned' : 'extra_ref', saved);
  }
  // Unmapping PTEs of a THP may have queued it as partially mapped; the old folio is going away.
  if (f.test(head, PG.deferred)) k.deferredUnqueue(head, true);
  moveMapping(k, head, newHead, cacheRefs);
  if (frozen) f.refcount[head] = expected - cacheRefs; // folio_ref_unfreeze: our reference only
  if (shmem) l.spinUnlockIrqRestore();

  // folio_migrate_copy + folio_migrate_flags.
  for (let i = 0; i < nr; i++) {
    f.content[newHead + i] = f.content[head + i]!;
    l.copyPage();
  }
  const inherit =
    (1 << PG.anon) | (1 << PG.swapbacked) | (1 << PG.shmem) | (1 << PG.dirty) | (1 << PG.referenced) | (1 << PG.uptodate) | (1 << PG.active) | (1 << PG.ksm);
  f.flags[newHead] = f.flags[newHead]! | (f.flags[head]! & inherit);
  f.mapping[newHead] = f.mapping[head]!;
  f.index[newHead] = f.index[head]!;
  if (f.test(head, PG.ksm)) ksmFolioMigrated(k, head, newHead);

  k.lru.add(newHead, k.nid(newHead));
  removeMigrationPtes(k, newHead, saved);
  if (deferredBefore) k.deferredSplitFolio(newHead);
  l.unlockPage(f.flags, head, PG.locked, FOLIO_LOCK);
  k.folioPutRefs(newHead, 1, DST_PUT);
  // migrate_folio_done: the source goes back to the allocator with our last reference.
  f.flags[head] = f.flags[head]! & ~((1 << PG.ksm) | (1 << PG.anon_exclusive));
  k.folioPutRefs(head, 1, SRC_DONE);
  return { ok: true, newHead };
}

/** The destination folio: from the caller's provider, or MIGRATE_MOVABLE from the buddy allocator. */
function allocDst(k: Kernel, order: number, dst: MigrateTarget, srcNid: number): number {
  if (dst.alloc) return dst.alloc(order);
  const b = k.buddy;
  const avoid = dst.avoidRange;
  const avoidCma = avoid !== undefined && avoid[0] < b.cmaEnd && b.cmaStart < avoid[1];
  const p = b.allocPages(order, MIGRATE_MOVABLE, dst.nid ?? srcNid, { comp: order > 0, cma: !avoidCma });
  if (p < 0) return -1;
  if (avoid && p < avoid[1] && p + (1 << order) > avoid[0]) {
    releaseDst(k, p, order, {});
    return -1;
  }
  return p;
}

function releaseDst(k: Kernel, pfn: number, order: number, dst: MigrateTarget): void {
  if (dst.free) {
    dst.free(pfn, order);
    return;
  }
  k.frames.refcount[pfn] = 0; // the allocation reference of a folio nobody saw
  k.buddy.freePages(pfn, order);
}

/**
 * try_to_migrate: every PTE/PMD mapping becomes a migration entry. From 5.19
 * (PG_anon_exclusive) an exclusive page of a maybe-DMA-pinned folio cannot be
 * shared (folio_try_share_anon_rmap fails), which aborts the unmap.
 */
function tryToMigrate(k: Kernel, head: number): { ok: boolean; saved: MigrationEntry[] } {
  const f = k.frames;
  const l = k.ledger;
  const saved: MigrationEntry[] = [];
  const anon = f.test(head, PG.anon);
  const mappings = folioMappings(k, head);
  if (mappings.length === 0) return { ok: true, saved };
  l.downRead(RMAP_LOCK);
  let ok = true;
  for (const m of mappings) {
    const pt = m.mm.pt(m.addr)!;
    const pfn = m.pmd ? head : ptePfn(m.pte);
    const exclusive = anon && f.test(pfn, PG.anon_exclusive);
    if (exclusive && k.params.anonExclusive && maybeDmaPinned(k, head)) {
      ok = false;
      break;
    }
    l.spinLock(UNMAP_PTL);
    if (m.pmd) {
      setPmd(pt, 0); // set_pmd_migration_entry
      removeRmapPmd(k, m.mm, head);
    } else {
      setPte(pt, pteIndex(m.addr), 0); // a migration entry: the slot stays counted in pt.used
      removeRmapPtes(k, m.mm, pfn, 1);
    }
    if (exclusive) l.clearBit(f.flags, pfn, PG.anon_exclusive, UNMAP_SHARE);
    l.atomicDec(f.refcount, head, UNMAP_PUT);
    l.tlbFlush();
    l.spinUnlock();
    saved.push({ mm: m.mm, addr: m.addr, pmd: m.pmd, idx: pfn - head, bits: m.pte & 7, exclusive });
  }
  l.upRead(RMAP_LOCK);
  return { ok, saved };
}

/** remove_migration_ptes: map every saved entry onto `head` (the new folio, or the old one after a failure). */
function removeMigrationPtes(k: Kernel, head: number, saved: MigrationEntry[]): void {
  if (saved.length === 0) return;
  const f = k.frames;
  const l = k.ledger;
  l.downRead(REMAP_LOCK);
  for (const e of saved) {
    const pt = e.mm.pt(e.addr)!;
    const pfn = head + e.idx;
    l.spinLock(REMAP_PTL);
    l.atomicInc(f.refcount, head, REMAP_GET);
    if (e.pmd) {
      setPmd(pt, ((head + 1) << 3) | e.bits);
      addRmapPmd(k, e.mm, head);
    } else {
      setPte(pt, pteIndex(e.addr), ((pfn + 1) << 3) | e.bits);
      addRmapPtes(k, e.mm, pfn, 1);
    }
    if (e.exclusive) l.setBit(f.flags, pfn, PG.anon_exclusive, REMAP_EXCL);
    l.spinUnlock();
  }
  l.upRead(REMAP_LOCK);
}

/** The page-cache slot of a shmem folio moves to the new folio with the cache's references (xas_store). */
function moveMapping(k: Kernel, head: number, newHead: number, cacheRefs: number): void {
  const f = k.frames;
  if (cacheRefs > 0) k.ledger.atomicAdd(f.refcount, newHead, cacheRefs, CACHE_REF);
  if (!f.test(head, PG.shmem)) return;
  const file = k.fileById(f.mapping[head]!);
  if (!file) return;
  const index = f.index[head]!;
  if (file.cache.get(index) === head) file.cache.set(index, newHead);
}

/**
 * check_and_migrate_movable_pages (FOLL_LONGTERM): after a pin, folios in a
 * MIGRATE_CMA or MIGRATE_ISOLATE pageblock are not long-term pinnable. If
 * any is found, every pin just taken is dropped, those folios are migrated
 * out of the CMA area (MR_LONGTERM_PIN), and true is returned: the caller
 * retries the pin (-EAGAIN). Returns false when every page was pinnable.
 * A folio that cannot be migrated stays where it is; the kernel would fail
 * the pin with -ENOMEM/-EBUSY, the model's retry pins it in place.
 */
export function migrateLongtermUnpinnable(k: Kernel, pfns: Int32Array, kind: GupKind = 'pin'): boolean {
  const f = k.frames;
  const heads: number[] = [];
  for (let i = 0; i < pfns.length; i++) {
    const pfn = pfns[i]!;
    if (pfn === ZERO_PFN) continue;
    const mt = k.buddy.pageblockMigratetype(pfn);
    if (mt !== MIGRATE_CMA && mt !== MIGRATE_ISOLATE) continue;
    const head = f.head(pfn);
    if (!heads.includes(head)) heads.push(head);
  }
  if (heads.length === 0) return false;
  for (let i = 0; i < pfns.length; i++) if (pfns[i] !== ZERO_PFN) k.policies.refcount.gupRelease(k, pfns[i]!, kind);
  const cma: [number, number] = [k.buddy.cmaStart, k.buddy.cmaEnd];
  for (const head of heads) {
    if (f.refcount[head] === 0 || f.head(head) !== head || !isUserFolio(k, head)) continue; // freed with the pins
    migrateFolio(k, head, 'longterm_pin', { avoidRange: cma });
  }
  return true;
}

/**
 * A GUP-pinned folio moved by the owners of its pins (Minchan's pin-page
 * subsystem extended to every GUP caller, as LaHaise asked: DM with
 * coverGup). Each owner named (a pin/get handle of k.handles) first waits
 * for its I/O on the folio to end and drops its references
 * (unpin_user_page / put_page); the folio then migrates like any other;
 * each owner takes its references again on the page where its data now is
 * (the new folio, or the old one if migration failed) and repoints its
 * handle there. An anon folio no process maps any more is held by the pins
 * alone: dropping them would free it, so it is left ('pinned').
 */
export function moveGupPinnedFolio(k: Kernel, head: number, owners: readonly string[], reason: MigrateReason, dst: MigrateTarget = {}): MigrateResult {
  const f = k.frames;
  const nr = 1 << f.order(head);
  const rc = k.policies.refcount;
  if (f.test(head, PG.anon) && !f.test(head, PG.swapcache) && totalMapcount(f, head) === 0) {
    k.outcomes.record('migrate', false, 'pinned');
    k.emit({ type: 'migrate', reason, result: 'fail', cause: 'pinned', pfn: head, order: f.order(head) });
    return { ok: false, cause: 'pinned' };
  }
  const held: GupHandle[] = [];
  for (const name of owners) {
    const h = k.handles.get(name);
    if (h && !held.includes(h)) held.push(h);
  }
  for (const h of held)
    for (let i = 0; i < h.pfns.length; i++) {
      const p = h.pfns[i]!;
      if (p >= head && p < head + nr) rc.gupRelease(k, p, h.kind);
    }
  const r = migrateFolio(k, head, reason, dst);
  if (r.ok) pinnedState(k).pinned.ownerMigrations += nr;
  const to = r.ok ? r.newHead : head;
  for (const h of held)
    for (let i = 0; i < h.pfns.length; i++) {
      const p = h.pfns[i]!;
      if (p < head || p >= head + nr) continue;
      const np = to + (p - head);
      rc.gupGrab(k, np, 1, h.kind, false, false);
      h.pfns[i] = np;
    }
  return r;
}
