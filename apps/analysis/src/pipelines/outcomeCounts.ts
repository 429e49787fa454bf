import { Observable, type OperatorFunction } from 'rxjs';
import type { Observation } from '@pagelab/events';

/** What one domain observation says about an outcome of contracts.md §3. */
export interface OutcomeEvent {
  name: string;
  ok: boolean;
  /** failure reason; undefined for successes */
  reason?: string;
}

/** An optional string field, or the fallback when absent or empty. */
const str = (v: string | undefined, fallback: string): string => (v !== undefined && v !== '' ? v : fallback);

/**
 * khugepaged results that mean nothing was judged (the range is already
 * PMD-mapped, or has no page table): the summary does not count them as
 * collapse attempts (kernel-core khugepaged.ts `attempted`).
 */
export const SCAN_NOT_ATTEMPTED: ReadonlySet<string> = new Set(['SCAN_PMD_MAPPED', 'SCAN_PMD_NULL']);

/**
 * Outcomes of summary.json whose every count has exactly one observation in
 * the log, so the log must reproduce them exactly.
 */
export const EXACT_OUTCOMES: ReadonlyArray<string> = [
  'split_page',
  'collapse',
  'migrate',
  'cma_alloc',
  'compact',
  'memory_failure',
  'shmem_punch',
  'shmem_truncate',
];

/**
 * Outcomes the log only partly shows: the summary counts more than the log
 * has observations for (a THP fault that succeeded, a CoW reuse, a file PMD
 * split, a CoW that fell back, a GUP or direct I/O that succeeded, a DMA
 * write the process saw), so the
 * log's count is a lower bound.
 */
export const PARTIAL_OUTCOMES: ReadonlyArray<string> = ['split_pmd', 'thp_fault', 'cow', 'fault', 'gup', 'dio', 'dma_write'];

/**
 * Maps an observation to the outcome of summary.json it counts towards
 * (contracts.md §2–3, as the model emits them):
 *
 * - `thp_split_page` / `thp_split_page_failed{reason,caller}` → split_page
 * - `thp_split_pmd` → split_pmd (ok)
 * - `khugepaged_scan{result}` → collapse: ok on SCAN_SUCCEED, else failed
 *   with the SCAN_* code; SCAN_PMD_MAPPED / SCAN_PMD_NULL count towards nothing
 * - `migrate{result: success|fail, cause}` → migrate
 * - `cma_alloc_success` / `cma_alloc_fail{cause}` → cma_alloc
 * - `compact{result}` → compact: ok on COMPACT_SUCCESS, else the COMPACT_* result
 * - `memory_failure{result, reason}` → memory_failure: ok when recovered
 * - `shmem_punch` / `shmem_truncate{zeroedPages, splitFailed}` → same name:
 *   ok when no page had to be zeroed instead of freed
 * - `thp_fault_fallback` → thp_fault failed (no_order9_block)
 * - `cow_copy` → cow ok; `oom` → fault failed (oom)
 * - `gup_failed{via, reason}` → gup failed (dio's own outcome for via: dio)
 * - `gup_incoherent{missed, leaked}` → dma_write failed (missed or leaked):
 *   a device write through a pin the process does not see (GUP after fork)
 *
 * Samples, sharedness.divergence, thp_deferred_split_page,
 * thp_collapse_alloc, expect.failed, invariant.violated and the like count
 * towards nothing.
 */
export function classifyOutcome(o: Observation): OutcomeEvent | undefined {
  switch (o.type) {
    case 'thp_split_page':
      return { name: 'split_page', ok: true };
    case 'thp_split_page_failed':
      return { name: 'split_page', ok: false, reason: o.reason };
    case 'thp_split_pmd':
      return { name: 'split_pmd', ok: true };
    case 'khugepaged_scan':
      if (SCAN_NOT_ATTEMPTED.has(o.result)) return undefined;
      return o.result === 'SCAN_SUCCEED' ? { name: 'collapse', ok: true } : { name: 'collapse', ok: false, reason: o.result };
    case 'migrate':
      return o.result === 'success' ? { name: 'migrate', ok: true } : { name: 'migrate', ok: false, reason: str(o.cause, o.result) };
    case 'cma_alloc_success':
      return { name: 'cma_alloc', ok: true };
    case 'cma_alloc_fail':
      return { name: 'cma_alloc', ok: false, reason: o.cause };
    case 'compact': {
      const result = str(o.result, 'unknown');
      return result === 'COMPACT_SUCCESS' ? { name: 'compact', ok: true } : { name: 'compact', ok: false, reason: result };
    }
    case 'memory_failure':
      return o.result === 'recovered' ? { name: 'memory_failure', ok: true } : { name: 'memory_failure', ok: false, reason: str(o.reason, o.result) };
    case 'shmem_punch':
    case 'shmem_truncate':
      return o.zeroedPages === 0 ? { name: o.type, ok: true } : { name: o.type, ok: false, reason: o.splitFailed ? 'split_failed' : 'not_split' };
    case 'thp_fault_fallback':
      return { name: 'thp_fault', ok: false, reason: 'no_order9_block' };
    case 'cow_copy':
      return { name: 'cow', ok: true };
    case 'oom':
      return { name: 'fault', ok: false, reason: 'oom' };
    case 'gup_failed':
      return { name: o.via === 'dio' ? 'dio' : 'gup', ok: false, reason: o.reason };
    case 'gup_incoherent':
      return { name: 'dma_write', ok: false, reason: o.missed > 0 ? 'missed' : 'leaked' };
    default:
      return undefined;
  }
}

/** One outcome's running tally (summary.json's `outcomes` entry, being counted). */
export interface OutcomeTally {
  ok: number;
  failed: number;
  reasons: Record<string, number>;
}

export type OutcomeTable = Record<string, OutcomeTally>;

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
