/**
 * The tracepoints of a run's private tracefs instance, parsed: khugepaged's
 * per-PMD scan results (mm_khugepaged_scan_pmd, and the file variant) and
 * collapses (mm_collapse_huge_page), attributed to the log's processes by
 * their mm (each process's mm is learnt from a probe MADV_COLLAPSE it makes
 * when it starts; see run.ts). The instance uses trace_clock=mono, so a
 * record's time compares with the driver's CLOCK_MONOTONIC event times.
 */

export interface TraceRecord {
  /** CLOCK_MONOTONIC nanoseconds. */
  readonly ns: number;
  /** The task that hit the tracepoint and its pid (khugepaged, or a worker doing MADV_COLLAPSE). */
  readonly task: string;
  readonly taskPid: number;
  readonly event: string;
  readonly fields: Readonly<Record<string, string>>;
}

const LINE = /^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+(\d+)\.(\d+): (\w+): (.*)$/;

export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const fields: Record<string, string> = {};
    for (const part of m[6]!.split(', ')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    const frac = m[4]!.padEnd(9, '0').slice(0, 9);
    out.push({ ns: Number(m[3]!) * 1e9 + Number(frac), task: m[1]!, taskPid: Number(m[2]!), event: m[5]!, fields });
  }
  return out;
}

/** The strings tracepoints print for each scan result (SCAN_STATUS, include/trace/events/huge_memory.h, 6.18). */
const SCAN_STATUS: Readonly<Record<string, string>> = {
  failed: 'SCAN_FAIL',
  succeeded: 'SCAN_SUCCEED',
  pmd_null: 'SCAN_PMD_NULL',
  pmd_none: 'SCAN_PMD_NONE',
  page_pmd_mapped: 'SCAN_PMD_MAPPED',
  exceed_none_pte: 'SCAN_EXCEED_NONE_PTE',
  exceed_swap_pte: 'SCAN_EXCEED_SWAP_PTE',
  exceed_shared_pte: 'SCAN_EXCEED_SHARED_PTE',
  pte_non_present: 'SCAN_PTE_NON_PRESENT',
  pte_uffd_wp: 'SCAN_PTE_UFFD_WP',
  pte_mapped_hugepage: 'SCAN_PTE_MAPPED_HUGEPAGE',
  no_writable_page: 'SCAN_PAGE_RO',
  lack_referenced_page: 'SCAN_LACK_REFERENCED_PAGE',
  page_null: 'SCAN_PAGE_NULL',
  scan_aborted: 'SCAN_SCAN_ABORT',
  not_suitable_page_count: 'SCAN_PAGE_COUNT',
  page_not_in_lru: 'SCAN_PAGE_LRU',
  page_locked: 'SCAN_PAGE_LOCK',
  page_not_anon: 'SCAN_PAGE_ANON',
  page_compound: 'SCAN_PAGE_COMPOUND',
  no_process_for_page: 'SCAN_ANY_PROCESS',
  vma_null: 'SCAN_VMA_NULL',
  vma_check_failed: 'SCAN_VMA_CHECK',
  not_suitable_address_range: 'SCAN_ADDRESS_RANGE',
  could_not_delete_page_from_lru: 'SCAN_DEL_PAGE_LRU',
  alloc_huge_page_failed: 'SCAN_ALLOC_HUGE_PAGE_FAIL',
  ccgroup_charge_failed: 'SCAN_CGROUP_CHARGE_FAIL',
  truncated: 'SCAN_TRUNCATED',
  page_has_private: 'SCAN_PAGE_HAS_PRIVATE',
  store_failed: 'SCAN_STORE_FAILED',
  copy_poisoned_page: 'SCAN_COPY_MC',
  page_filled: 'SCAN_PAGE_FILLED',
};

/** A tracepoint's status string as the model's SCAN_* code (unknown strings upper-cased). */
export function scanResultOf(status: string): string {
  return SCAN_STATUS[status] ?? `SCAN_${status.toUpperCase()}`;
}

/** One khugepaged PMD scan of a log process, from mm_khugepaged_scan_pmd. */
export interface KernelScan {
  readonly ns: number;
  readonly pid: number;
  readonly result: string;
  readonly none: number;
  readonly referenced: number;
  readonly unmapped: number;
  /** Hit by MADV_COLLAPSE in the process itself rather than by the khugepaged thread. */
  readonly madvise: boolean;
}

/**
 * The scans and collapses of the log's processes. Each process's mm is the
 * `mm` of the first mm_khugepaged_scan_pmd hit in its own context (the
 * probe); records of other mms (other processes, the run's sentinel) are
 * dropped, as are the probes themselves.
 */
export function logScans(
  records: readonly TraceRecord[],
  osPids: ReadonlyMap<number, number>,
  probesUntil: ReadonlyMap<number, number>,
): { scans: KernelScan[]; collapses: { ns: number; pid: number; result: string }[] } {
  const byOs = new Map<number, number>();
  for (const [pid, os] of osPids) byOs.set(os, pid);
  const mmOf = new Map<string, number>();
  const scans: KernelScan[] = [];
  const collapses: { ns: number; pid: number; result: string }[] = [];
  for (const r of records) {
    const mm = r.fields['mm'];
    if (!mm) continue;
    const own = byOs.get(r.taskPid);
    if (r.event === 'mm_khugepaged_scan_pmd' && own !== undefined && !mmOf.has(mm)) mmOf.set(mm, own);
    const pid = mmOf.get(mm);
    if (pid === undefined || r.ns <= (probesUntil.get(pid) ?? 0)) continue;
    if (r.event === 'mm_khugepaged_scan_pmd') {
      scans.push({
        ns: r.ns,
        pid,
        result: scanResultOf(r.fields['status'] ?? ''),
        none: Number(r.fields['none_or_zero'] ?? 0),
        referenced: Number(r.fields['referenced'] ?? 0),
        unmapped: Number(r.fields['unmapped'] ?? 0),
        madvise: own !== undefined,
      });
    } else if (r.event === 'mm_collapse_huge_page') {
      collapses.push({ ns: r.ns, pid, result: scanResultOf(r.fields['status'] ?? '') });
    }
  }
  return { scans, collapses };
}
