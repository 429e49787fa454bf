import { Observable, type OperatorFunction } from 'rxjs';
import type { Observation, OutcomeCount } from '../types.js';

/** What one domain observation says about an outcome of contracts.md §3. */
export interface OutcomeEvent {
  name: string;
  ok: boolean;
  /** failure reason; undefined for successes */
  reason?: string;
}

const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v !== '' ? v : fallback);
const SUCCESS = new Set(['success', 'succeeded', 'ok', 'MIGRATEPAGE_SUCCESS', 'COMPACT_SUCCESS', 'SCAN_SUCCEED']);

/**
 * Maps an observation to the outcome it counts towards, named as in the
 * summary's `outcomes`: a THP fault that fell back, a split_huge_page that
 * failed (with its reason), a khugepaged scan that did not collapse (its
 * SCAN_* code is the reason), a migration or CMA allocation that failed (its
 * cause). Samples and other observations count towards nothing.
 */
export function classifyOutcome(o: Observation): OutcomeEvent | undefined {
  switch (o.type) {
    case 'thp_fault_alloc':
      return { name: 'thp_fault', ok: true };
    case 'thp_fault_fallback':
      return { name: 'thp_fault', ok: false, reason: str(o['reason'], 'fallback') };
    case 'thp_split_page':
      return { name: 'split_page', ok: true };
    case 'thp_split_page_failed':
      return { name: 'split_page', ok: false, reason: str(o['reason'], 'unknown') };
    case 'thp_split_pmd':
      return { name: 'split_pmd', ok: true };
    case 'khugepaged_scan': {
      const result = str(o['result'], 'unknown');
      return result === 'SCAN_SUCCEED' ? { name: 'collapse', ok: true } : { name: 'collapse', ok: false, reason: result };
    }
    case 'migrate': {
      const result = str(o['result'], 'success');
      return SUCCESS.has(result)
        ? { name: 'migrate', ok: true }
        : { name: 'migrate', ok: false, reason: str(o['cause'], result) };
    }
    case 'cma_alloc_success':
      return { name: 'cma_alloc', ok: true };
    case 'cma_alloc_fail':
      return { name: 'cma_alloc', ok: false, reason: str(o['cause'], 'unknown') };
    case 'compact': {
      const result = o['result'];
      return result === undefined || SUCCESS.has(str(result, ''))
        ? { name: 'compact', ok: true }
        : { name: 'compact', ok: false, reason: str(result, 'unknown') };
    }
    case 'cow_copy':
    case 'cow_reuse':
      return { name: 'cow', ok: true };
    default:
      return undefined;
  }
}

export type OutcomeTable = Record<string, OutcomeCount>;

/** Counts outcomes and failure reasons over a whole observation stream; emits the table once, on completion. */
export function outcomeCounts(): OperatorFunction<Observation, OutcomeTable> {
  return (source) =>
    new Observable<OutcomeTable>((subscriber) => {
      const table: OutcomeTable = {};
      return source.subscribe({
        next: (o) => {
          const e = classifyOutcome(o);
          if (e === undefined) return;
          const row = (table[e.name] ??= { ok: 0, failed: 0, reasons: {} });
          if (e.ok) {
            row.ok++;
          } else {
            row.failed++;
            const reason = e.reason ?? 'unknown';
            row.reasons[reason] = (row.reasons[reason] ?? 0) + 1;
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          subscriber.next(table);
          subscriber.complete();
        },
      });
    });
}
