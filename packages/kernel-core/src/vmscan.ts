/**
 * Reclaim (mm/vmscan.c) and the deferred-split shrinker
 * (deferred_split_scan). Under memory pressure the kernel runs both: the
 * shrinker splits partially mapped THPs and frees their unmapped pages; LRU
 * reclaim swaps out anon pages (splitting a THP first) from the oldest end.
 * Pinned pages are skipped (folio_maybe_dma_pinned), so are pages with
 * references no mapping explains.
 */
import type { Kernel } from './kernel.js';
import { maybeDmaPinned } from './fork.js';
import { HPAGE_PMD_NR, PAGE_SIZE, PG } from './frames.js';
import { splitAndRecord } from './split.js';
import { site } from './ledger.js';
import { type MM, pteIndex, setPte } from './mm.js';
import { mkSwapPte, ptePfn, ptePresent } from './pte.js';
import { removeRmapPtes, rmapWalk } from './rmap.js';
import { shmemUnusedHugeShrink } from './shmem.js';

const SHRINK_GET = site('deferred_split_scan.folio_try_get');
const SHRINK_LOCK = site('deferred_split_scan.folio_trylock');
const RECLAIM_GET = site('shrink_folio_list.isolate');
const RECLAIM_LOCK = site('shrink_folio_list.folio_trylock');
const UNMAP_PTL = site('try_to_unmap_one.ptl');

/**
 * deferred_split_scan: try to split every queued folio. Failures stay queued.
 * Returns the number of pages freed.
 */
export function deferredSplitScan(k: Kernel): number {
  const f = k.frames;
  const before = k.buddy.freeFrames();
  const queued: number[] = [];
  for (let h = k.deferredHead; h >= 0; h = f.lruNext[h + 2]!) queued.push(h);
  for (const head of queued) {
    if (!f.test(head, PG.deferred)) continue;
    if (!k.ledger.atomicIncNotZero(f.refcount, head, SHRINK_GET)) continue;
    if (!k.ledger.lockPage(f.flags, head, PG.locked, SHRINK_LOCK)) {
      k.folioPutRefs(head, 1, SHRINK_GET);
      continue;
    }
    splitAndRecord(k, head, 'deferred_split');
    k.ledger.unlockPage(f.flags, head, PG.locked, SHRINK_LOCK);
    k.folioPutRefs(head, 1, SHRINK_GET);
  }
  return k.buddy.freeFrames() - before;
}

export { PG_SPLIT_FAILED } from './frames.js';
// splitAndRecord lives in split.ts (shmem and KSM call it too; here it would make a value import cycle).
export { splitAndRecord } from './split.js';

/**
 * Memory pressure asking for `pages`: the shrinker first, then LRU reclaim
 * of anonymous memory to swap, oldest first. Shmem folios are not reclaimed
 * by this model (tmpfs swap is out of scope).
 */
export function reclaim(k: Kernel, pages: number): number {
  // shrink_slab: the shrinkers first (THP deferred split queue, shmem huge pages beyond i_size).
  let freed = deferredSplitScan(k) + shmemUnusedHugeShrink(k);
  const f = k.frames;
  for (let nid = 0; nid < k.nodes && freed < pages; nid++) {
    let scanned = 0;
    const limit = k.lru.size;
    let h = k.lru.oldest(nid);
    while (h >= 0 && freed < pages && scanned++ < limit) {
      const next = k.lru.newer(h);
      if (f.test(h, PG.anon) && !f.test(h, PG.hwpoison)) freed += reclaimFolio(k, h);
      h = next;
    }
  }
  k.outcomes.record('reclaim', freed >= pages, freed >= pages ? undefined : 'not_enough_reclaimable');
  return freed;
}

/** shrink_folio_list for one anon folio: split a THP, then swap out each piece nobody pins. */
function reclaimFolio(k: Kernel, head: number): number {
  const f = k.frames;
  if (maybeDmaPinned(k, head)) return 0;
  const before = k.buddy.freeFrames();
  if (f.order(head) > 0) {
    k.ledger.atomicInc(f.refcount, head, RECLAIM_GET);
    const ok = splitAndRecord(k, head, 'reclaim');
    k.folioPutRefs(head, 1, RECLAIM_GET);
    if (!ok) return k.buddy.freeFrames() - before;
    // The pieces are now order-0 folios on the LRU; swap each out.
    for (let i = 0; i < HPAGE_PMD_NR; i++) if (f.refcount[head + i]! > 0 && f.order(head + i) === 0) swapOutPage(k, head + i);
  } else swapOutPage(k, head);
  return k.buddy.freeFrames() - before;
}

/**
 * try_to_unmap + pageout for an order-0 anon page: every PTE becomes a swap
 * entry pointing at one slot holding the page's content. Refused when a
 * reference exists that no mapping explains (a GUP pin or get_page).
 */
export function swapOutPage(k: Kernel, pfn: number): boolean {
  const f = k.frames;
  if (f.order(pfn) !== 0 || !f.test(pfn, PG.anon)) return false;
  const maps = f.mapcount[pfn]!;
  if (f.refcount[pfn] !== maps || maps === 0) return false;
  if (!k.ledger.lockPage(f.flags, pfn, PG.locked, RECLAIM_LOCK)) return false;
  const slot = k.swap.alloc(f.content[pfn]!);
  if (slot < 0) {
    k.ledger.unlockPage(f.flags, pfn, PG.locked, RECLAIM_LOCK);
    return false;
  }
  // try_to_unmap_one for every VMA that may map the page: an order-0 page sits at one address per VMA.
  rmapWalk(k, pfn, (mm, vma, base) => {
    if (base < vma.start || base >= vma.end) return;
    const pt = mm.pt(base);
    const i = pteIndex(base);
    if (!pt || pt.pmd > 0 || !ptePresent(pt.ptes[i]!) || ptePfn(pt.ptes[i]!) !== pfn) return;
    k.ledger.spinLock(UNMAP_PTL);
    setPte(pt, i, mkSwapPte(slot));
    k.swap.dup(slot);
    mm.swapEnts++;
    removeRmapPtes(k, mm, pfn, 1);
    k.ledger.tlbFlush();
    k.ledger.spinUnlock();
    k.ledger.atomicDec(f.refcount, pfn, UNMAP_PTL);
  });
  k.ledger.unlockPage(f.flags, pfn, PG.locked, RECLAIM_LOCK);
  if (f.refcount[pfn] === 0) k.freeFolio(pfn);
  k.outcomes.record('swap_out', true);
  return true;
}

/**
 * madvise(MADV_PAGEOUT) (madvise_cold_or_pageout_pte_range): reclaim the
 * pages mapped in a range, whatever their age. A large folio the range
 * covers only in part is split first (split_folio; left alone if that
 * fails) and only the pages in the range go; one it covers whole is
 * reclaimed whole.
 */
export function pageoutRange(k: Kernel, mm: MM, addr: number, len: number): void {
  const f = k.frames;
  const end = addr + len;
  for (let a = addr; a < end; a += PAGE_SIZE) {
    const pt = mm.pt(a);
    if (!pt) continue;
    let pfn: number;
    if (pt.pmd > 0) pfn = ptePfn(pt.pmd) + pteIndex(a);
    else {
      const v = pt.ptes[pteIndex(a)]!;
      if (!ptePresent(v)) continue;
      pfn = ptePfn(v);
    }
    if (pfn === 0 || f.refcount[f.head(pfn)] === 0) continue;
    const head = f.head(pfn);
    // MADV_PAGEOUT leaves what other processes map too: page_mapcount() != 1 up to 6.9,
    // folio_likely_mapped_shared() / folio_maybe_mapped_shared() after: the sharedness design's question.
    if (k.policies.sharedness.mappedShared(k, pfn)) continue;
    if (f.order(head) > 0) {
      const nr = f.nrPages(head);
      const start = a - (pfn - head) * PAGE_SIZE;
      if (start >= addr && start + nr * PAGE_SIZE <= end) {
        reclaimFolio(k, head);
        a = start + (nr - 1) * PAGE_SIZE; // past the folio
        continue;
      }
      k.ledger.atomicInc(f.refcount, head, PAGEOUT_GET);
      const ok = splitAndRecord(k, head, 'madvise_pageout');
      k.folioPutRefs(head, 1, PAGEOUT_GET);
      if (!ok) continue;
    }
    if (f.refcount[pfn]! > 0) reclaimFolio(k, pfn);
  }
}

const PAGEOUT_GET = site('madvise_cold_or_pageout_pte_range.folio_get');
