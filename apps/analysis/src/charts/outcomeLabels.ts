import { type ChartData } from './data.js';

/** How the outcome and failure-reason charts name and order summary.json's outcomes. */
const OUTCOME_LABELS: Record<string, string> = {
  split_page: 'split_huge_page',
  split_pmd: 'split_huge_pmd',
  collapse: 'collapse (khugepaged)',
  migrate: 'migrate',
  cma_alloc: 'CMA alloc',
  thp_fault: 'THP fault',
  compact: 'compact',
  cow: 'CoW fault',
  dio: 'O_DIRECT request',
  gup: 'pin / get (GUP)',
  dma_write: 'DMA write through a pin',
  fault: 'page fault',
  reclaim: 'reclaim',
  swap_out: 'swap out',
  memory_failure: 'memory_failure',
  shmem_punch: 'shmem hole punch',
  shmem_truncate: 'shmem truncate',
  ksm_merge: 'KSM merge',
  driver_alloc: 'driver alloc',
  collapse_pte_mapped_thp: 'collapse_pte_mapped_thp',
};
/** Outcomes in the order the outcome chart lists them (those with attempts in some design); others follow by name. */
export const OUTCOME_ORDER = [
  'thp_fault',
  'split_pmd',
  'split_page',
  'collapse',
  'collapse_pte_mapped_thp',
  'migrate',
  'compact',
  'cma_alloc',
  'cow',
  'fault',
  'dio',
  'gup',
  'dma_write',
  'reclaim',
  'swap_out',
  'shmem_punch',
  'shmem_truncate',
  'memory_failure',
  'ksm_merge',
] as const;

export function outcomeLabel(name: string): string {
  return OUTCOME_LABELS[name] ?? name;
}
/** The outcomes with attempts in some design, in OUTCOME_ORDER then by name. */
export function chartedOutcomes(data: ChartData): string[] {
  const busy = new Set(data.outcomes.filter((o) => o.ok + o.failed > 0).map((o) => o.outcome));
  const known: readonly string[] = OUTCOME_ORDER;
  return [...known.filter((o) => busy.has(o)), ...[...busy].filter((o) => !known.includes(o)).sort()];
}
