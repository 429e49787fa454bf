/**
 * khugepaged's scan cursor (mm/khugepaged.c struct khugepaged_scan,
 * khugepaged_do_scan, khugepaged_scan_mm_slot): one cursor over every
 * process (the kernel's mm_slot list, here in pid order) and, within a
 * process, over the PMD ranges of its VMAs in address order. Each step hands
 * one range to khugepaged_range.ts and moves the cursor past it, so the next
 * pass resumes where this one stopped.
 *
 * The cursor and the sysfs counters (full_scans, pages_collapsed) are a
 * named field of the Kernel (k.khugepaged, subsystem_state.ts), so the
 * invariants and the fingerprint see them.
 */
import type { Kernel } from './kernel.js';
import { KHUGEPAGED_CC } from './khugepaged_control.js';
import { scanRange } from './khugepaged_range.js';
import { thpAllowed } from './fault.js';
import { HPAGE_PMD_NR, HPAGE_PMD_SIZE } from './frames.js';
import type { MM, Vma } from './mm.js';

/** khugepaged's sysfs counters (full_scans, pages_collapsed) and where its cursor stands. */
export function khugepagedStats(k: Kernel): { fullScans: number; pagesCollapsed: number; cursor: { pid: number; addr: number } } {
  const c = k.khugepaged;
  return { fullScans: c.fullScans, pagesCollapsed: c.pagesCollapsed, cursor: { pid: c.pid, addr: c.addr } };
}

interface Range {
  mm: MM;
  vma: Vma;
  base: number;
}

/**
 * The first PMD range at or after (pid, addr), in pid then address order,
 * fully inside a VMA where khugepaged may place a THP (thp_vma_allowable_order
 * with sysfs enforced): anon under thp.enabled, shmem under thp.shmem_enabled.
 * With `only`, the walk stays inside that process.
 */
function nextRange(k: Kernel, pid: number, addr: number, only?: number): Range | null {
  const pids = only !== undefined ? (k.mms.has(only) ? [only] : []) : [...k.mms.keys()].sort((a, b) => a - b);
  for (const p of pids) {
    if (p < pid) continue;
    const mm = k.mms.get(p)!;
    const from = p === pid ? addr : 0;
    for (const vma of mm.vmas) {
      const hend = Math.floor(vma.end / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
      if (hend <= from) continue;
      let base = Math.max(Math.ceil(vma.start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE, from);
      for (; base < hend; base += HPAGE_PMD_SIZE) if (thpAllowed(k, vma, base)) return { mm, vma, base };
    }
  }
  return null;
}

/**
 * khugepaged_do_scan, `passes` times: each pass scans up to
 * khugepaged.pages_to_scan pages worth of PMD ranges (512 per range),
 * resuming where the previous pass stopped. Like the kernel's
 * pass_through_head, a pass that reaches the end of the process list goes
 * round once more only if it did not start at the head. With `pid`, only
 * that process is scanned.
 */
export function khugepaged(k: Kernel, passes: number, pid?: number): void {
  const c = k.khugepaged;
  const pages = k.settings['khugepaged.pages_to_scan'];
  const headPid = pid ?? -1;
  for (let pass = 0; pass < passes; pass++) {
    if (pid !== undefined && c.pid !== pid) {
      c.pid = pid;
      c.addr = 0;
    }
    const startedAtHead = c.pid === headPid && c.addr === 0;
    let wrapped = false;
    let progress = 0;
    while (progress < pages) {
      const r = nextRange(k, c.pid, c.addr, pid);
      if (!r) {
        // The end of the list: one full scan done, the cursor back at the head.
        c.fullScans++;
        c.pid = headPid;
        c.addr = 0;
        if (startedAtHead || wrapped) break;
        wrapped = true;
        continue;
      }
      // The cursor moves past the range before it is scanned, as khugepaged_scan.address does.
      c.pid = r.mm.pid;
      c.addr = r.base + HPAGE_PMD_SIZE;
      if (scanRange(k, r.mm, r.vma, r.base, KHUGEPAGED_CC) === 'SCAN_SUCCEED') c.pagesCollapsed += HPAGE_PMD_NR;
      progress += HPAGE_PMD_NR;
    }
  }
}
