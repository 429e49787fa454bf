/**
 * The columns of summary.csv (and of a sweep's results.csv): who the run is
 * (design, workload, seed, params, settings, the policy per axis, log
 * sha256), then every metric in raw units, its unit in its name. stats.csv
 * and the sweep tables name their metrics by these columns, so this list is
 * the one place a metric gets its name.
 */
import { VMSTAT_COUNTERS } from '@pagelab/events';
import { WASTE_CAUSES, type PinnedMigrationSummary, type Summary } from '@pagelab/events';
import { runTroubles } from './runAlerts.js';
import { stableJson } from './stableJson.js';

export const POLICY_AXES = ['refcount', 'sharedness', 'pinned-migration', 'shmem-truncate'] as const;

/** The /proc/vmstat counters every summary carries: the events contract's list (engine vmstat.ts says how each is counted). */
export const VMSTAT_COLUMNS = VMSTAT_COUNTERS;

export interface MetricColumn {
  readonly name: string;
  /** undefined: not known for this summary (an older summary.json); an empty cell */
  readonly get: (s: Summary) => number | undefined;
  /** lower is better, higher is better, or neither (a count that is not a cost, such as events) */
  readonly better: 'lower' | 'higher' | 'neither';
}

/** summary.json `pinnedMigration` fields, as `pinned_<snake_case>` columns (engine pinned.ts). */
const PINNED_FIELDS: ReadonlyArray<[keyof PinnedMigrationSummary, MetricColumn['better']]> = [
  ['globalLockAcquisitions', 'lower'],
  ['hashBuckets', 'neither'],
  ['hashMaxChain', 'lower'],
  ['hashMeanChain', 'lower'],
  ['hashCollisions', 'lower'],
  ['hashLookups', 'neither'],
  ['crossNodeMigrations', 'lower'],
  ['ownerMigrations', 'neither'],
  ['reclaimedDriverPages', 'neither'],
  ['reclaimAllocatedPages', 'lower'],
  ['reclaimPressurePages', 'lower'],
];
const snake = (n: string) => n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const COMPACT_RESULTS = ['COMPACT_SUCCESS', 'COMPACT_COMPLETE', 'COMPACT_SKIPPED'] as const;

/** The pinned-migration axis' columns: its mechanism, CMA, compaction results, pageblocks, extfrag fallbacks. */
const PINNED_COLUMNS: readonly MetricColumn[] = [
  ...PINNED_FIELDS.map(([f, better]): MetricColumn => ({ name: `pinned_${snake(f)}`, get: (s) => s.pinnedMigration?.[f], better })),
  { name: 'cma_success', get: (s) => s.contiguity?.cma.success, better: 'higher' },
  { name: 'cma_failure', get: (s) => s.contiguity?.cma.failure, better: 'lower' },
  { name: 'cma_retries', get: (s) => s.contiguity?.cma.retries, better: 'lower' },
  ...COMPACT_RESULTS.map((r): MetricColumn => ({
    name: `compact_result_${r.slice(8).toLowerCase()}`,
    get: (s) => s.contiguity?.compaction[r],
    better: r === 'COMPACT_SUCCESS' ? 'higher' : 'lower',
  })),
  { name: 'pageblocks_unmovable_in_movable', get: (s) => s.contiguity?.pageblocks.unmovableInMovable, better: 'lower' },
  { name: 'pageblocks_unmovable_in_cma', get: (s) => s.contiguity?.pageblocks.unmovableInCma, better: 'lower' },
  { name: 'extfrag_events', get: (s) => s.contiguity?.extfrag.events, better: 'lower' },
  { name: 'extfrag_severe', get: (s) => s.contiguity?.extfrag.severe, better: 'lower' },
  { name: 'extfrag_moderate', get: (s) => s.contiguity?.extfrag.moderate, better: 'lower' },
  { name: 'extfrag_changed_ownership', get: (s) => s.contiguity?.extfrag.changedOwnership, better: 'neither' },
];

const pct = (f: number | undefined): number | undefined => (f === undefined ? undefined : f * 100);

/** summary.json `balloon` (engine balloon.ts), for logs that punch holes or MADV_DONTNEED: empty cells otherwise. */
const BALLOON_COLUMNS: readonly MetricColumn[] = [
  { name: 'balloon_requested_bytes', get: (s) => s.balloon?.requestedBytes, better: 'neither' },
  { name: 'balloon_freed_bytes', get: (s) => s.balloon?.freedBytes, better: 'higher' },
  { name: 'balloon_refilled_bytes', get: (s) => s.balloon?.refilledBytes, better: 'lower' },
  { name: 'balloon_recollapses', get: (s) => s.balloon?.recollapses, better: 'neither' },
  { name: 'balloon_split_failures', get: (s) => s.balloon?.splitFailures, better: 'lower' },
  { name: 'balloon_guest_huge_coverage_percent', get: (s) => pct(s.balloon?.guestHugeCoverage), better: 'higher' },
  // every round: the listed ones and those summed past them
  { name: 'balloon_rounds', get: (s) => (s.balloon ? s.balloon.rounds.length + (s.balloon.laterRounds?.rounds ?? 0) : undefined), better: 'neither' },
];
const splitFailed = (s: Summary): number => s.outcomes['split_page']?.failed ?? 0;

/** Every metric column but the per-event-type costs (those depend on the workload's event types). */
export const METRIC_COLUMNS: readonly MetricColumn[] = [
  { name: 'events', get: (s) => s.events, better: 'neither' },
  { name: 'waste_mean_bytes', get: (s) => s.overRun?.meanWasteBytes, better: 'lower' },
  { name: 'waste_bytes', get: (s) => s.metrics.wasteBytes, better: 'lower' },
  { name: 'peak_waste_bytes', get: (s) => s.metrics.peakWasteBytes, better: 'lower' },
  { name: 'huge_coverage_mean_percent', get: (s) => pct(s.overRun?.meanHugeCoverage), better: 'higher' },
  { name: 'huge_coverage_peak_percent', get: (s) => pct(s.overRun?.peakHugeCoverage), better: 'higher' },
  { name: 'huge_coverage_percent', get: (s) => pct(s.metrics.hugeCoverage), better: 'higher' },
  { name: 'locked_ops', get: (s) => s.metrics.lockedOps, better: 'lower' },
  { name: 'locked_ops_per_event', get: (s) => (s.events > 0 ? s.metrics.lockedOps / s.events : undefined), better: 'lower' },
  { name: 'lock_acquisitions', get: (s) => s.metrics.lockAcquisitions, better: 'lower' },
  { name: 'max_lock_depth', get: (s) => s.metrics.maxLockDepth, better: 'lower' },
  { name: 'nesting_violations', get: (s) => s.metrics.nestingViolations?.length ?? 0, better: 'lower' },
  { name: 'tlb_shootdowns', get: (s) => s.metrics.tlbShootdowns, better: 'lower' },
  { name: 'page_copies', get: (s) => s.metrics.pageCopies, better: 'lower' },
  { name: 'split_page_failed', get: splitFailed, better: 'lower' },
  { name: 'split_page_attempts', get: (s) => (s.outcomes['split_page']?.ok ?? 0) + splitFailed(s), better: 'neither' },
  ...WASTE_CAUSES.map((c): MetricColumn => ({ name: `waste_${c.replace(/-/g, '_')}_bytes`, get: (s) => s.metrics.wasteByCause[c] ?? 0, better: 'lower' })),
  { name: 'expectations_failed', get: (s) => s.expectations.failed, better: 'lower' },
  { name: 'invariant_violations', get: (s) => s.invariantViolations, better: 'lower' },
  { name: 'oom_faults', get: (s) => runTroubles(s).oomFaults, better: 'lower' },
  { name: 'dma_writes', get: (s) => runTroubles(s).dmaWrites, better: 'neither' },
  { name: 'dma_write_incoherent', get: (s) => runTroubles(s).incoherentWrites, better: 'lower' },
  { name: 'sharedness_questions', get: (s) => s.sharedness?.questions, better: 'neither' },
  { name: 'sharedness_false_negatives', get: (s) => s.sharedness?.falseNegatives, better: 'lower' },
  { name: 'sharedness_false_positives', get: (s) => s.sharedness?.falsePositives, better: 'lower' },
  { name: 'collapses_only_by_policy', get: (s) => s.sharedness?.collapsesOnlyByPolicy, better: 'lower' },
  { name: 'collapse_duplicated_bytes', get: (s) => s.sharedness?.duplicatedBytes, better: 'lower' },
  { name: 'collapse_zero_filled_bytes', get: (s) => s.sharedness?.zeroFilledBytes, better: 'lower' },
  ...VMSTAT_COLUMNS.map((c): MetricColumn => ({ name: c, get: (s) => s.vmstat?.[c], better: 'neither' })),
  ...PINNED_COLUMNS,
  ...BALLOON_COLUMNS,
];

/** `locked_ops_per_<type>_event` for every event type any of the summaries applied. */
export function eventCostColumns(summaries: ReadonlyArray<Summary>): MetricColumn[] {
  const types = [...new Set(summaries.flatMap((s) => Object.keys(s.lockedOpsByEvent ?? {})))].sort();
  return types.map((t) => ({
    name: `locked_ops_per_${t.replace(/[^A-Za-z0-9]+/g, '_')}_event`,
    get: (s) => {
      const c = s.lockedOpsByEvent?.[t];
      return c === undefined || c.events === 0 ? undefined : c.lockedOps / c.events;
    },
    better: 'lower',
  }));
}

/** The metric columns of a set of summaries, in order. */
export function metricColumns(summaries: ReadonlyArray<Summary>): MetricColumn[] {
  return [...METRIC_COLUMNS, ...eventCostColumns(summaries)];
}

/** The identifying columns of summary.csv, before the metrics. */
export const ID_COLUMNS = [
  'design',
  'workload',
  'seed',
  'params',
  'settings',
  ...POLICY_AXES.map((a) => `${a.replace(/-/g, '_')}_policy`),
  'log_sha256',
] as const;

interface DesignJson {
  policies?: Record<string, { id?: string; params?: Record<string, unknown> }>;
}
interface WorkloadJson {
  name?: string;
  seed?: number;
  params?: Record<string, unknown>;
}

/** A policy with its params, as DESIGN strings write it: `tail-refcount(perTailLockInSplit=true)`. */
export function policyOf(s: Summary, axis: string): string {
  const p = (s.design as DesignJson | null)?.policies?.[axis];
  if (p?.id === undefined) return '';
  const params = Object.entries(p.params ?? {});
  return params.length === 0 ? p.id : `${p.id}(${params.map(([k, v]) => `${k}=${String(v)}`).join(',')})`;
}

/** The identifying values of one run, in ID_COLUMNS order. */
export function idValues(design: string, s: Summary): Array<string | number> {
  const w = (s.workload ?? {}) as WorkloadJson;
  return [
    design,
    w.name ?? '',
    w.seed ?? '',
    stableJson(w.params ?? {}),
    s.settings === undefined ? '' : stableJson(s.settings),
    ...POLICY_AXES.map((a) => policyOf(s, a)),
    s.logSha256,
  ];
}
