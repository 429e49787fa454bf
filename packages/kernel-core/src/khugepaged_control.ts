/**
 * What every part of the anonymous collapse path shares (mm/khugepaged.c):
 * enum scan_result, struct collapse_control and its limits, the report one
 * PMD scan makes (the trace_mm_khugepaged_scan_pmd fields), and the two page
 * tests both the scan and the isolation apply: pte_none_or_zero and
 * is_refcount_suitable.
 *
 * Nothing here takes a lock or changes a frame: the callers hold what the
 * kernel holds when it asks (the PTE lock for the scan, the PTE lock with
 * the PMD cleared for the isolation).
 */
import type { Kernel } from './kernel.js';
import { totalMapcount } from './folio.js';
import { HPAGE_PMD_NR, PG } from './frames.js';
import type { MM } from './mm.js';
import { ptePfn } from './pte.js';
import { ZERO_PFN } from './rmap.js';

/** enum scan_result (mm/khugepaged.c): the codes this model produces. */
export type ScanResult =
  | 'SCAN_FAIL'
  | 'SCAN_SUCCEED'
  | 'SCAN_PMD_NULL'
  | 'SCAN_PMD_MAPPED'
  | 'SCAN_EXCEED_NONE_PTE'
  | 'SCAN_EXCEED_SWAP_PTE'
  | 'SCAN_EXCEED_SHARED_PTE'
  | 'SCAN_PTE_NON_PRESENT'
  | 'SCAN_PTE_MAPPED_HUGEPAGE'
  | 'SCAN_PAGE_RO'
  | 'SCAN_LACK_REFERENCED_PAGE'
  | 'SCAN_PAGE_NULL'
  | 'SCAN_PAGE_COUNT'
  | 'SCAN_PAGE_LRU'
  | 'SCAN_PAGE_LOCK'
  | 'SCAN_PAGE_ANON'
  | 'SCAN_PAGE_COMPOUND'
  | 'SCAN_VMA_NULL'
  | 'SCAN_VMA_CHECK'
  | 'SCAN_ADDRESS_RANGE'
  | 'SCAN_DEL_PAGE_LRU'
  | 'SCAN_ALLOC_HUGE_PAGE_FAIL'
  | 'SCAN_TRUNCATED'
  | 'SCAN_PAGE_HAS_PRIVATE'
  | 'SCAN_STORE_FAILED'
  | 'SCAN_PAGE_FILLED';

/** struct collapse_control: who asked. MADV_COLLAPSE ignores max_ptes_* and the referenced requirement. */
export interface CollapseControl {
  readonly isKhugepaged: boolean;
}

export const KHUGEPAGED_CC: CollapseControl = { isKhugepaged: true };
export const MADV_COLLAPSE_CC: CollapseControl = { isKhugepaged: false };

/** The three sysfs limits of a scan. */
export type MaxPtesKnob = 'khugepaged.max_ptes_none' | 'khugepaged.max_ptes_swap' | 'khugepaged.max_ptes_shared';

/** A limit as `cc` applies it: khugepaged reads the sysfs knob, MADV_COLLAPSE allows the whole range. */
export function maxPtes(k: Kernel, cc: CollapseControl, knob: MaxPtesKnob): number {
  return cc.isKhugepaged ? k.settings[knob] : HPAGE_PMD_NR;
}

/** What one scan of a PMD range saw (the trace_mm_khugepaged_scan_pmd fields). */
export interface ScanReport {
  result: ScanResult;
  /** none_or_zero */
  none: number;
  /** unmapped: swap PTEs */
  swap: number;
  shared: number;
  referenced: number;
  writable: boolean;
  /** hpage_collapse_find_target_node: the node most scanned pages live on. */
  nid: number;
  /** PTEs the precise per-page rule (page_mapcount > 1) calls shared, asked alongside the policy. */
  preciseShared: number;
}

/** A report with nothing counted yet: SCAN_FAIL on the process's home node. */
export function emptyReport(k: Kernel, mm: MM): ScanReport {
  return { result: 'SCAN_FAIL', none: 0, swap: 0, shared: 0, referenced: 0, writable: false, nid: k.homeNode(mm), preciseShared: 0 };
}

/** pte_none_or_zero: no PTE, or one mapping the shared zero page. */
export function isNoneOrZero(v: number): boolean {
  return v === 0 || (v > 0 && ptePfn(v) === ZERO_PFN);
}

/**
 * is_refcount_suitable (>= 5.8): every reference is a mapping, or the swap
 * cache's. <= 5.7 (small pages only): page_count == 1 + PageSwapCache.
 * A folio property: callers may ask once per run of PTEs into one folio.
 */
export function refcountSuitable(k: Kernel, head: number): boolean {
  const f = k.frames;
  const swapcache = f.test(head, PG.swapcache);
  if (k.params.khugepagedAccepts === 'exclusive') return f.refcount[head] === 1 + (swapcache ? 1 : 0);
  return f.refcount[head] === totalMapcount(f, head) + (swapcache ? f.nrPages(head) : 0);
}
