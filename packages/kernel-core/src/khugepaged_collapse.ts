/**
 * collapse_huge_page (mm/khugepaged.c): replace the 512 PTEs of an anonymous
 * PMD range, which hpage_collapse_scan_pmd accepted, by one PMD-mapped THP.
 *
 * Locking, as the kernel does it:
 *   1. the caller dropped mmap_lock; the new folio is allocated without it
 *      (alloc_charge_folio, on the scan's target node);
 *   2. mmap_lock for read: hugepage_vma_revalidate, then
 *      __collapse_huge_page_swapin of the swap PTEs the scan counted;
 *   3. mmap_lock for write and the anon_vma lock for write (rmap walkers
 *      stay out), revalidate again; pmd_lock for pmdp_collapse_flush, which
 *      unhooks the page table (GUP-fast backs off after the flush);
 *   4. the PTE lock: __collapse_huge_page_isolate repeats the scan's checks
 *      and locks and isolates every folio; then the anon_vma lock is dropped,
 *      since no rmap walk can reach an isolated, locked folio;
 *   5. __collapse_huge_page_copy, then pmd_lock to install the PMD, and
 *      mmap_lock is released.
 * Any failure after the flush puts the page table back (pmd_populate) and
 * every failure frees the new folio.
 */
import type { Kernel } from './kernel.js';
import { type CollapseControl, type ScanReport, type ScanResult, isNoneOrZero, maxPtes, refcountSuitable } from './khugepaged_control.js';
import { faultInAnon, thpAllowed } from './fault.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
import { site } from './ledger.js';
import { type MM, type PageTable, type Vma, pmdNone, setPmd, setPte } from './mm.js';
import { mkPte, ptePfn, pteSwap, pteWrite, pteYoung } from './pte.js';
import { ZERO_PFN, addRmapPmd, removeRmapPtes } from './rmap.js';

const COLLAPSE_MMAP_LOCK = site('collapse_huge_page.mmap_lock');
const COLLAPSE_ANON_VMA = site('collapse_huge_page.anon_vma_lock');
const COLLAPSE_PMD_LOCK = site('collapse_huge_page.pmd_lock');
const COLLAPSE_PTL = site('collapse_huge_page.ptl');
const COLLAPSE_PUT = site('collapse_huge_page.folio_put');
const ISOLATE_LOCK = site('__collapse_huge_page_isolate.folio_trylock');
const ISOLATE_GET = site('__collapse_huge_page_isolate.folio_isolate_lru');
const RELEASE_PUT = site('release_pte_folio.folio_putback_lru');
const COPY_PTL = site('__collapse_huge_page_copy_succeeded.ptl');
const COPY_PUT = site('__collapse_huge_page_copy_succeeded.free_page');

/**
 * collapse_huge_page: allocate the THP, swap in, take mmap_lock for write
 * and the anon_vma lock, clear and flush the PMD (pmdp_collapse_flush),
 * isolate, copy, unmap the old pages, and map the new folio by the PMD.
 * Any failure puts the page table back and frees the new folio. Called
 * without mmap_lock; returns without it.
 */
export function collapseHugePage(k: Kernel, mm: MM, vma: Vma, base: number, scan: ScanReport, cc: CollapseControl): ScanResult {
  const head = k.allocUserFolio(HPAGE_PMD_ORDER, scan.nid, true);
  if (head < 0) return 'SCAN_ALLOC_HUGE_PAGE_FAIL';
  k.emit({ type: 'thp_collapse_alloc', pid: mm.pid, addr: base, pfn: head });
  let result = revalidateAndSwapin(k, mm, vma, base, scan, cc);
  if (result === 'SCAN_SUCCEED') result = collapseLocked(k, mm, vma, base, head, cc);
  if (result !== 'SCAN_SUCCEED') k.folioPutRefs(head, 1, COLLAPSE_PUT);
  return result;
}

/** Step 2, under mmap_lock for read: the range is still collapsible, and its swap PTEs are swapped in. */
function revalidateAndSwapin(k: Kernel, mm: MM, vma: Vma, base: number, scan: ScanReport, cc: CollapseControl): ScanResult {
  k.ledger.downRead(COLLAPSE_MMAP_LOCK);
  let result = revalidate(k, mm, vma, base, cc);
  if (result === 'SCAN_SUCCEED' && scan.swap > 0) result = swapinRange(k, mm, vma, base, mm.pt(base)!);
  k.ledger.upRead(COLLAPSE_MMAP_LOCK);
  return result;
}

/**
 * Steps 3 to 5, under mmap_lock for write: isolate the old folios, copy
 * them into the new folio at `head`, free them and install the PMD. On a
 * failure the old PTEs stay and the caller frees the new folio.
 */
function collapseLocked(k: Kernel, mm: MM, vma: Vma, base: number, head: number, cc: CollapseControl): ScanResult {
  const l = k.ledger;
  l.downWrite(COLLAPSE_MMAP_LOCK);
  let result = revalidate(k, mm, vma, base, cc);
  if (result !== 'SCAN_SUCCEED') {
    l.upWrite(COLLAPSE_MMAP_LOCK);
    return result;
  }
  const pt = mm.pt(base)!;
  l.downWrite(COLLAPSE_ANON_VMA);
  // pmdp_collapse_flush: the PMD no longer points at the page table; GUP-fast backs off.
  l.spinLock(COLLAPSE_PMD_LOCK);
  l.tlbFlush();
  l.spinUnlock();

  const iso: Isolated = { small: [], large: [] };
  l.spinLock(COLLAPSE_PTL);
  result = isolatePtes(k, pt, cc, iso);
  l.spinUnlock();
  if (result !== 'SCAN_SUCCEED') {
    releasePteFolios(k, iso);
    l.spinLock(COLLAPSE_PMD_LOCK); // pmd_populate: the page table is back
    l.spinUnlock();
    l.upWrite(COLLAPSE_ANON_VMA);
    l.upWrite(COLLAPSE_MMAP_LOCK);
    return result;
  }
  // Every folio is isolated and locked: the anon_vma rmap cannot reach them any more.
  l.upWrite(COLLAPSE_ANON_VMA);

  copyPtes(k, pt, head);
  copySucceeded(k, mm, pt, iso);
  installPmd(k, mm, vma, base, pt, head);
  l.upWrite(COLLAPSE_MMAP_LOCK);
  return 'SCAN_SUCCEED';
}

/**
 * hugepage_vma_revalidate + find_pmd_or_thp_or_none after mmap_lock was
 * retaken: the VMA still covers the range, may still have a THP there, is
 * anonymous with an anon_vma, and the range is still mapped by PTEs.
 */
function revalidate(k: Kernel, mm: MM, vma: Vma, base: number, cc: CollapseControl): ScanResult {
  const cur = mm.findVma(base);
  if (!cur) return 'SCAN_VMA_NULL';
  if (cur !== vma || base < vma.start || base + HPAGE_PMD_SIZE > vma.end) return 'SCAN_ADDRESS_RANGE';
  if (cc.isKhugepaged ? !thpAllowed(k, vma, base) : vma.nohugepage) return 'SCAN_VMA_CHECK';
  if (vma.kind !== 'anon' || !vma.anonVma) return 'SCAN_PAGE_ANON';
  const pt = mm.pt(base);
  if (pt === undefined || pmdNone(pt)) return 'SCAN_PMD_NULL';
  if (pt.pmd > 0 || pt.hugeZero) return 'SCAN_PMD_MAPPED';
  return 'SCAN_SUCCEED';
}

/**
 * __collapse_huge_page_swapin: do_swap_page on every swap PTE of the range
 * (under mmap_lock for read). A failure leaves the swap entry, and the
 * collapse gives up (SCAN_FAIL).
 */
function swapinRange(k: Kernel, mm: MM, vma: Vma, base: number, pt: PageTable): ScanResult {
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    if (!pteSwap(pt.ptes[i]!)) continue;
    if (faultInAnon(k, mm, vma, base + i * PAGE_SIZE, false) < 0) return 'SCAN_FAIL';
  }
  return 'SCAN_SUCCEED';
}

/** Folios __collapse_huge_page_isolate took off the LRU and locked; large ones once each. */
interface Isolated {
  small: number[];
  large: number[];
}

/**
 * __collapse_huge_page_isolate, with the PMD cleared and the PTE lock held:
 * the scan's checks again (none, shared, refcount), then each folio is
 * locked (folio_trylock) and isolated from the LRU, which takes a
 * reference. A large folio is handled once however many PTEs map it.
 * What it isolated before a refusal is in `iso`, for release_pte_folio.
 */
function isolatePtes(k: Kernel, pt: PageTable, cc: CollapseControl, iso: Isolated): ScanResult {
  const f = k.frames;
  const sharedEra = k.params.khugepagedAccepts === 'shared';
  const maxNone = maxPtes(k, cc, 'khugepaged.max_ptes_none');
  const maxShared = maxPtes(k, cc, 'khugepaged.max_ptes_shared');
  const seenLarge = new Set<number>();
  let none = 0,
    shared = 0,
    referenced = 0,
    writable = false;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (isNoneOrZero(v)) {
      if (++none > maxNone) return 'SCAN_EXCEED_NONE_PTE';
      continue;
    }
    if (pteSwap(v)) return 'SCAN_PTE_NON_PRESENT';
    const pfn = ptePfn(v);
    const head = f.head(pfn);
    if (f.test(pfn, PG.hwpoison) || f.refcount[head] === 0) return 'SCAN_PAGE_NULL';
    if (!f.test(head, PG.anon)) return 'SCAN_PAGE_ANON';
    const large = f.order(head) > 0;
    if (sharedEra) {
      if (k.policies.sharedness.mappedShared(k, pfn) && ++shared > maxShared) return 'SCAN_EXCEED_SHARED_PTE';
    } else if (large) return 'SCAN_PAGE_COMPOUND';
    if (!large || !seenLarge.has(head)) {
      const refused = isolateFolio(k, head);
      if (refused !== null) return refused;
      if (large) {
        seenLarge.add(head);
        iso.large.push(head);
      } else iso.small.push(head);
    }
    if (pteYoung(v) || f.test(head, PG.referenced)) referenced++;
    if (pteWrite(v)) writable = true;
  }
  if (!writable && !k.params.collapseReadOnly) return 'SCAN_PAGE_RO';
  if (cc.isKhugepaged && referenced === 0) return 'SCAN_LACK_REFERENCED_PAGE';
  return 'SCAN_SUCCEED';
}

/**
 * One folio of the isolation: folio_trylock, is_refcount_suitable (now that
 * the folio is locked no new mapping can appear), folio_isolate_lru with its
 * reference. Null when isolated; else the refusal, with the folio unlocked.
 */
function isolateFolio(k: Kernel, head: number): ScanResult | null {
  const f = k.frames;
  if (!k.ledger.lockPage(f.flags, head, PG.locked, ISOLATE_LOCK)) return 'SCAN_PAGE_LOCK';
  if (!refcountSuitable(k, head)) {
    k.ledger.unlockPage(f.flags, head, PG.locked, ISOLATE_LOCK);
    return 'SCAN_PAGE_COUNT';
  }
  if (!k.lru.del(head, k.nid(head))) {
    k.ledger.unlockPage(f.flags, head, PG.locked, ISOLATE_LOCK);
    return 'SCAN_DEL_PAGE_LRU';
  }
  k.ledger.atomicInc(f.refcount, head, ISOLATE_GET); // folio_isolate_lru's folio_get
  return null;
}

/**
 * release_pte_folio for each isolated folio: unlock, put back on the LRU and
 * drop the isolation reference. The folio is still mapped, so it survives.
 */
function releasePteFolios(k: Kernel, iso: Isolated): void {
  const f = k.frames;
  for (const list of [iso.small, iso.large]) {
    for (const head of list) {
      k.ledger.unlockPage(f.flags, head, PG.locked, ISOLATE_LOCK);
      k.lru.add(head, k.nid(head));
      k.folioPutRefs(head, 1, RELEASE_PUT);
    }
  }
}

/**
 * __collapse_huge_page_copy: each present page's data goes to the same
 * offset of the new folio; none and zero-page slots are zero-filled
 * (clear_user_highpage, not counted as a copy).
 */
function copyPtes(k: Kernel, pt: PageTable, head: number): void {
  const f = k.frames;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (isNoneOrZero(v)) {
      f.content[head + i] = 0;
      continue;
    }
    f.content[head + i] = f.content[ptePfn(v)]!;
    k.ledger.copyPage();
  }
}

/**
 * __collapse_huge_page_copy_succeeded: clear every PTE, remove the old
 * pages' rmap and drop their mapping references. Small folios are released
 * from isolation first (one nobody else maps is simply freed, not put back
 * on the LRU); large ones after all their PTEs are gone — a large folio
 * another process still maps is left partially mapped and rmap queues it
 * for deferred split.
 */
function copySucceeded(k: Kernel, mm: MM, pt: PageTable, iso: Isolated): void {
  const f = k.frames;
  const l = k.ledger;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (v === 0) continue;
    const pfn = ptePfn(v);
    if (pfn === ZERO_PFN) {
      l.spinLock(COPY_PTL);
      setPte(pt, i, 0);
      pt.used--;
      l.spinUnlock();
      continue;
    }
    const src = f.head(pfn);
    if (f.order(src) === 0) {
      // release_pte_folio: unlock, putback (only if someone else keeps it), drop the isolation reference.
      l.unlockPage(f.flags, src, PG.locked, ISOLATE_LOCK);
      if (f.refcount[src]! > 2) k.lru.add(src, k.nid(src));
      k.folioPutRefs(src, 1, RELEASE_PUT);
    }
    l.spinLock(COPY_PTL);
    setPte(pt, i, 0);
    pt.used--;
    removeRmapPtes(k, mm, pfn, 1);
    l.spinUnlock();
    k.folioPutRefs(src, 1, COPY_PUT); // free_page_and_swap_cache
  }
  for (const src of iso.large) {
    l.unlockPage(f.flags, src, PG.locked, ISOLATE_LOCK);
    if (f.refcount[src]! > 1) k.lru.add(src, k.nid(src));
    k.folioPutRefs(src, 1, RELEASE_PUT);
  }
}

/**
 * The new folio enters the range: folio_add_new_anon_rmap(RMAP_EXCLUSIVE)
 * with plain stores (nobody can see the folio yet), then set_pmd_at under
 * pmd_lock. The allocation reference becomes the PMD mapping's.
 */
function installPmd(k: Kernel, mm: MM, vma: Vma, base: number, pt: PageTable, head: number): void {
  const f = k.frames;
  f.mapping[head] = vma.anonVma!.id;
  f.index[head] = vma.pgoffOf(base);
  f.flags[head] = f.flags[head]! | (1 << PG.anon_exclusive);
  k.ledger.spinLock(COLLAPSE_PMD_LOCK);
  setPmd(pt, mkPte(head, vma.write));
  addRmapPmd(k, mm, head);
  k.ledger.spinUnlock();
}
