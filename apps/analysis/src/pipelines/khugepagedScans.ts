import { Observable, type OperatorFunction } from 'rxjs';
import type { Observation } from '@pagelab/events';

/** khugepaged_scan results over a whole run. */
export interface ScanTable {
  /** scans per SCAN_* result, every caller together */
  byResult: Record<string, number>;
  /** scans per caller (`khugepaged`, `madvise_collapse`) and result */
  byCaller: Record<string, Record<string, number>>;
  /** all khugepaged_scan observations */
  total: number;
}

/**
 * Counts the `khugepaged_scan` observations of a log by their SCAN_* result
 * (SCAN_PMD_MAPPED and SCAN_PMD_NULL included: they are scans too, if not
 * collapse attempts) and by caller; emits the table once, on completion.
 */
export function khugepagedScans(): OperatorFunction<Observation, ScanTable> {
  return (source) =>
    new Observable<ScanTable>((subscriber) => {
      const table: ScanTable = { byResult: {}, byCaller: {}, total: 0 };
      return source.subscribe({
        next: (o) => {
          if (o.type !== 'khugepaged_scan') return;
          const result = o.result;
          const caller = o.caller ?? 'khugepaged';
          table.total++;
          table.byResult[result] = (table.byResult[result] ?? 0) + 1;
          const c = (table.byCaller[caller] ??= {});
          c[result] = (c[result] ?? 0) + 1;
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          subscriber.next(table);
          subscriber.complete();
        },
      });
    });
}
