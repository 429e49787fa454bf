/**
 * hpage_collapse_scan_pmd (mm/khugepaged.c; khugepaged_scan_pmd before 6.1):
 * may the 512 PTEs of one anonymous PMD range be collapsed? Called with
 * mmap_lock held for read; walks the PTEs under the PTE lock and counts what
 * the tracepoint reports: none_or_zero, unmapped (swap), shared, referenced,
 * writable. The first PTE that refuses the range ends the walk with its
 * SCAN_* code, and the counts stay as they were at that PTE.
 *
 * Which pages may be collapsed is an era parameter (`khugepagedAccepts`):
 *   'exclusive' (<= 5.7, T49): every page small (SCAN_PAGE_COMPOUND) and
 *       page_count == 1 + PageSwapCache (SCAN_PAGE_COUNT), so any sharing
 *       across fork or any extra reference refuses the range;
 *   'shared' (>= 5.8, T61/T612): shared pages allowed up to max_ptes_shared,
 *       asked per PTE of the design's sharedness policy; PTE-mapped large
 *       folios allowed; is_refcount_suitable: refcount == folio_mapcount
 *       (+ nr_pages in the swap cache).
 * `khugepagedSwapIn` false (3.13 / 4.4) refuses any swap PTE as the 4.4 scan
 * did (SCAN_PTE_NON_PRESENT); true counts them against max_ptes_swap.
 */
import type { Kernel } from './kernel.js';
import { type CollapseControl, type ScanReport, type ScanResult, emptyReport, isNoneOrZero, maxPtes, refcountSuitable } from './khugepaged_control.js';
import { ScanSharedness, observeScanSharedness } from './khugepaged_divergence.js';
import { HPAGE_PMD_NR, PG } from './frames.js';
import { site } from './ledger.js';
import { type MM, type PageTable, pmdNone } from './mm.js';
import { ptePfn, pteSwap, pteWrite, pteYoung } from './pte.js';

const SCAN_PTL = site('hpage_collapse_scan_pmd.ptl');

/**
 * The scan of the PMD range at `base` (mmap_lock held for read by the
 * caller), after find_pmd_or_thp_or_none: SCAN_PMD_NULL when the PMD is
 * pmd_none (no page table; an emptied one that stayed allocated is not
 * pmd_none and is walked, 512 none PTEs), SCAN_PMD_MAPPED when a PMD
 * already maps a THP there; otherwise the per-PTE walk.
 */
export function scanPmd(k: Kernel, mm: MM, base: number, cc: CollapseControl): ScanReport {
  const r = emptyReport(k, mm);
  const pt = mm.pt(base);
  if (pt === undefined || pmdNone(pt)) {
    r.result = 'SCAN_PMD_NULL';
    return r;
  }
  // A huge zero PMD is pmd_trans_huge too: already huge, nothing to collapse.
  if (pt.pmd > 0 || pt.hugeZero) {
    r.result = 'SCAN_PMD_MAPPED';
    return r;
  }
  const nodeLoad = new Int32Array(k.nodes);
  const sharing = new ScanSharedness();
  k.ledger.spinLock(SCAN_PTL);
  walkPtes(k, pt, cc, r, nodeLoad, sharing);
  k.ledger.spinUnlock();
  r.nid = targetNode(k, nodeLoad, r.nid);
  r.preciseShared = sharing.preciseShared;
  observeScanSharedness(k, mm, base, sharing);
  return r;
}

/**
 * The per-PTE rules of the era, under the PTE lock, into `r`. A plain loop
 * over locals (no closure, no allocation): it runs for every PTE of every
 * range. The order of the tests is the kernel's, so a refused range reports
 * the counts of the PTEs before the refusing one, plus that one's own
 * none/swap/shared increment when its limit is what refused it.
 */
function walkPtes(k: Kernel, pt: PageTable, cc: CollapseControl, r: ScanReport, nodeLoad: Int32Array, sharing: ScanSharedness): void {
  const f = k.frames;
  const sharedEra = k.params.khugepagedAccepts === 'shared';
  const khugepagedSwapIn = k.params.khugepagedSwapIn;
  const maxNone = maxPtes(k, cc, 'khugepaged.max_ptes_none');
  const maxSwap = maxPtes(k, cc, 'khugepaged.max_ptes_swap');
  const maxShared = maxPtes(k, cc, 'khugepaged.max_ptes_shared');
  // is_refcount_suitable is a folio property: ask once per run of PTEs into the same folio.
  let lastHead = -1,
    lastSuitable = false;
  let result: ScanResult | null = null;
  let none = 0,
    swap = 0,
    shared = 0,
    referenced = 0,
    writable = false;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (pteSwap(v)) {
      swap++;
      // 3.13 / 4.4: no swap-in; a non-present PTE ends the scan.
      if (!khugepagedSwapIn) {
        result = 'SCAN_PTE_NON_PRESENT';
        break;
      }
      if (swap > maxSwap) {
        result = 'SCAN_EXCEED_SWAP_PTE';
        break;
      }
      continue;
    }
    if (isNoneOrZero(v)) {
      if (++none > maxNone) {
        result = 'SCAN_EXCEED_NONE_PTE';
        break;
      }
      continue;
    }
    if (pteWrite(v)) writable = true;
    const pfn = ptePfn(v);
    const head = f.head(pfn);
    if (f.test(pfn, PG.hwpoison) || f.refcount[head] === 0) {
      result = 'SCAN_PAGE_NULL';
      break;
    }
    if (!f.test(head, PG.anon)) {
      result = 'SCAN_PAGE_ANON';
      break;
    }
    if (sharedEra) {
      // "We treat a single page as shared if any part of the THP is shared" (the policy decides how).
      if (sharing.ask(k, pfn) && ++shared > maxShared) {
        result = 'SCAN_EXCEED_SHARED_PTE';
        break;
      }
    } else if (f.order(head) > 0) {
      result = 'SCAN_PAGE_COMPOUND'; // "TODO: teach khugepaged to collapse THP mapped with pte"
      break;
    }
    nodeLoad[k.nid(pfn)]!++;
    if (!f.test(head, PG.lru)) {
      result = 'SCAN_PAGE_LRU';
      break;
    }
    if (f.test(head, PG.locked)) {
      result = 'SCAN_PAGE_LOCK';
      break;
    }
    if (head !== lastHead) {
      lastHead = head;
      lastSuitable = refcountSuitable(k, head);
    }
    if (!lastSuitable) {
      result = 'SCAN_PAGE_COUNT';
      break;
    }
    // Only khugepaged counts young PTEs (cc->is_khugepaged, 6.1+): MADV_COLLAPSE needs none, and its tracepoint says 0.
    if (cc.isKhugepaged && (pteYoung(v) || f.test(head, PG.referenced))) referenced++;
  }
  if (result === null) {
    if (!writable && !k.params.collapseReadOnly) result = 'SCAN_PAGE_RO';
    else if (cc.isKhugepaged && (referenced === 0 || (swap > 0 && referenced < HPAGE_PMD_NR / 2))) result = 'SCAN_LACK_REFERENCED_PAGE';
    else result = 'SCAN_SUCCEED';
  }
  r.result = result;
  r.none = none;
  r.swap = swap;
  r.shared = shared;
  r.referenced = referenced;
  r.writable = writable;
}

/** hpage_collapse_find_target_node: the first node holding the most scanned pages (else `fallback`). */
function targetNode(k: Kernel, nodeLoad: Int32Array, fallback: number): number {
  let best = 0,
    nid = fallback;
  for (let n = 0; n < k.nodes; n++) {
    if (nodeLoad[n]! > best) {
      best = nodeLoad[n]!;
      nid = n;
    }
  }
  return nid;
}
