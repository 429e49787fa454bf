/**
 * One PMD range, for either caller (khugepaged's cursor or MADV_COLLAPSE):
 * the branch khugepaged_scan_mm_slot and madvise_collapse both make.
 * Anonymous ranges are scanned (khugepaged_scan_pmd.ts) and, when the scan
 * says so, collapsed (khugepaged_collapse.ts); shmem ranges go to
 * khugepaged_file.ts (hpage_collapse_scan_file + collapse_file).
 *
 * Every range ends in one `khugepaged_scan` observation, which carries the
 * scan's counts beside the final result, as trace_mm_khugepaged_scan_pmd
 * does at the end of hpage_collapse_scan_pmd (after collapse_huge_page
 * returned), and in the 'collapse' outcome when a collapse was judged.
 */
import type { Kernel } from './kernel.js';
import { type CollapseControl, type ScanReport, type ScanResult, emptyReport } from './khugepaged_control.js';
import { collapseHugePage } from './khugepaged_collapse.js';
import { observeCollapseSharedness } from './khugepaged_divergence.js';
// Shmem ranges: khugepaged_file.ts does the scan, the collapse and their emissions; the
// `khugepaged_scan` observation and the 'collapse' outcome are made here for every range.
import { collapseFileRange } from './khugepaged_file.js';
import { scanPmd } from './khugepaged_scan_pmd.js';
import { site } from './ledger.js';
import type { MM, Vma } from './mm.js';

const SCAN_MMAP_LOCK = site('khugepaged_scan_mm_slot.mmap_read_lock');

/**
 * One PMD range: scan, and collapse when the scan says so. Emits one
 * `khugepaged_scan` observation and records the 'collapse' outcome.
 */
export function scanRange(k: Kernel, mm: MM, vma: Vma, base: number, cc: CollapseControl): ScanResult {
  if (vma.kind === 'shmem') {
    const fr = collapseFileRange(k, mm, vma, base, cc);
    reportScan(k, mm, base, cc, { ...emptyReport(k, mm), result: fr.result, none: fr.none, swap: fr.swap }, true, fr.present);
    return fr.result;
  }
  // The scan runs under mmap_lock for read; collapse_huge_page drops it before allocating.
  k.ledger.downRead(SCAN_MMAP_LOCK);
  const r = scanPmd(k, mm, base, cc);
  k.ledger.upRead(SCAN_MMAP_LOCK);
  if (r.result === 'SCAN_SUCCEED') {
    r.result = collapseHugePage(k, mm, vma, base, r, cc);
    if (r.result === 'SCAN_SUCCEED') observeCollapseSharedness(k, cc, r);
  }
  reportScan(k, mm, base, cc, r, false);
  return r.result;
}

/** Results that mean a collapse was attempted and judged (not "already huge" or "nothing here"). */
function attempted(r: ScanResult): boolean {
  return r !== 'SCAN_PMD_MAPPED' && r !== 'SCAN_PMD_NULL';
}

/** The `khugepaged_scan` observation of one range (trace_mm_khugepaged_scan_pmd, or its file variant) and the outcome. */
export function reportScan(k: Kernel, mm: MM, base: number, cc: CollapseControl, r: ScanReport, file: boolean, present?: number): void {
  k.emit({
    type: 'khugepaged_scan',
    pid: mm.pid,
    addr: base,
    result: r.result,
    none: r.none,
    swap: r.swap,
    shared: r.shared,
    referenced: r.referenced,
    writable: r.writable,
    caller: cc.isKhugepaged ? 'khugepaged' : 'madvise_collapse',
    ...(file ? { file: true, present: present ?? 0 } : {}),
  });
  if (attempted(r.result)) k.outcomes.record('collapse', r.result === 'SCAN_SUCCEED', r.result === 'SCAN_SUCCEED' ? undefined : r.result);
}
