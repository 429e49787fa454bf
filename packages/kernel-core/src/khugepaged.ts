/**
 * khugepaged and MADV_COLLAPSE for anonymous memory (mm/khugepaged.c), the
 * two ways in, and the map of the modules that do the work:
 *   khugepaged_scan.ts      the thread's cursor over every process
 *                           (khugepaged_do_scan, khugepaged_scan_mm_slot);
 *   khugepaged_range.ts     one PMD range for either caller: scan, collapse,
 *                           the `khugepaged_scan` observation;
 *   khugepaged_scan_pmd.ts  the per-PTE scan (hpage_collapse_scan_pmd);
 *   khugepaged_collapse.ts  the collapse (collapse_huge_page with
 *                           __collapse_huge_page_isolate / _copy);
 *   khugepaged_divergence.ts  the sharedness divergence observer;
 *   khugepaged_control.ts   enum scan_result, struct collapse_control and
 *                           the page tests the scan and the collapse share;
 *   khugepaged_file.ts      shmem ranges (collapse_file).
 */
import type { Kernel } from './kernel.js';
import { MADV_COLLAPSE_CC, type ScanResult, emptyReport } from './khugepaged_control.js';
import { reportScan, scanRange } from './khugepaged_range.js';
import { HPAGE_PMD_SIZE } from './frames.js';
import type { MM } from './mm.js';

export { KHUGEPAGED_CC, MADV_COLLAPSE_CC, type CollapseControl, type ScanReport, type ScanResult } from './khugepaged_control.js';
export { khugepaged, khugepagedStats } from './khugepaged_scan.js';

/** madvise_collapse's results that let it go on with the next range; any other stops it. */
const MADV_COLLAPSE_CONTINUE: ReadonlySet<ScanResult> = new Set<ScanResult>([
  'SCAN_SUCCEED',
  'SCAN_PMD_MAPPED',
  'SCAN_PMD_NULL',
  'SCAN_PTE_NON_PRESENT',
  'SCAN_PAGE_RO',
  'SCAN_LACK_REFERENCED_PAGE',
  'SCAN_PAGE_NULL',
  'SCAN_PAGE_COUNT',
  'SCAN_PAGE_LOCK',
  'SCAN_PAGE_COMPOUND',
  'SCAN_PAGE_LRU',
  'SCAN_DEL_PAGE_LRU',
]);

/**
 * MADV_COLLAPSE (madvise_collapse): synchronously collapse every PMD range
 * of [addr, addr+len) that lies wholly in one VMA. The sysfs "enabled" mode
 * is not enforced, VM_NOHUGEPAGE is (SCAN_VMA_CHECK). max_ptes_none/swap/
 * shared and the referenced requirement are ignored; the refcount check is
 * not (S19). Returns the number of ranges now PMD-mapped.
 */
export function madviseCollapse(k: Kernel, mm: MM, addr: number, len: number): number {
  const end = addr + len;
  let thps = 0;
  for (const vma of [...mm.vmas]) {
    if (vma.end <= addr || vma.start >= end) continue;
    const hstart = Math.ceil(Math.max(vma.start, addr) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
    const hend = Math.floor(Math.min(vma.end, end) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
    for (let base = hstart; base < hend; base += HPAGE_PMD_SIZE) {
      let result: ScanResult;
      if (vma.nohugepage) {
        result = 'SCAN_VMA_CHECK';
        reportScan(k, mm, base, MADV_COLLAPSE_CC, { ...emptyReport(k, mm), result }, vma.kind === 'shmem');
      } else result = scanRange(k, mm, vma, base, MADV_COLLAPSE_CC);
      if (result === 'SCAN_SUCCEED' || result === 'SCAN_PMD_MAPPED') thps++;
      if (!MADV_COLLAPSE_CONTINUE.has(result)) return thps;
    }
  }
  return thps;
}
