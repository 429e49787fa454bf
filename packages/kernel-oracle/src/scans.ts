/**
 * khugepaged, scan by scan: each mm_khugepaged_scan_pmd of a log process
 * (status and its none_or_zero, referenced and unmapped counts) beside the
 * model's khugepaged_scan observation of the same event and process, in
 * order; and each mm_collapse_huge_page beside the model's collapses.
 * Ranges the kernel found without a page table (pmd_none) are left out:
 * the model reports only ranges it has a page table for.
 */
export interface ScanFacts {
  readonly result: string;
  readonly none: number;
  readonly referenced: number;
  /** The kernel's `unmapped` (swap PTEs); the model's `swap`. */
  readonly unmapped: number;
}

export interface ScanRow {
  readonly line: number;
  readonly pid: number;
  readonly kernel: ScanFacts | null;
  readonly model: ScanFacts | null;
  readonly agree: boolean;
}

const NO_TABLE = new Set(['SCAN_PMD_NONE', 'SCAN_PMD_NULL']);

interface Scan extends ScanFacts {
  readonly line: number | null;
  readonly pid: number;
}

export function compareScans(kernel: readonly Scan[], model: readonly Scan[]): ScanRow[] {
  const group = (xs: readonly Scan[]) => {
    const m = new Map<string, Scan[]>();
    for (const x of xs) {
      if (x.line === null || NO_TABLE.has(x.result)) continue;
      const k = `${x.line}:${x.pid}`;
      m.set(k, [...(m.get(k) ?? []), x]);
    }
    return m;
  };
  const ks = group(kernel);
  const ms = group(model);
  const keys = [...new Set([...ks.keys(), ...ms.keys()])].sort((a, b) => {
    const [la, pa] = a.split(':').map(Number);
    const [lb, pb] = b.split(':').map(Number);
    return la! - lb! || pa! - pb!;
  });
  const facts = (s: Scan | undefined): ScanFacts | null => (s ? { result: s.result, none: s.none, referenced: s.referenced, unmapped: s.unmapped } : null);
  const rows: ScanRow[] = [];
  for (const key of keys) {
    const [line, pid] = key.split(':').map(Number) as [number, number];
    const k = ks.get(key) ?? [];
    const m = ms.get(key) ?? [];
    for (let i = 0; i < Math.max(k.length, m.length); i++) {
      const kf = facts(k[i]);
      const mf = facts(m[i]);
      const agree =
        kf !== null &&
        mf !== null &&
        kf.result === mf.result &&
        kf.none === mf.none &&
        kf.unmapped === mf.unmapped &&
        // referenced counts young PTEs; the kernel stops counting where the scan stops, like the model.
        kf.referenced === mf.referenced;
      rows.push({ line, pid, kernel: kf, model: mf, agree });
    }
  }
  return rows;
}
