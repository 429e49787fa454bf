/**
 * Shapes of the files the analysis app reads (docs/contracts.md §2, §3) and
 * of the comparison run directory `pagelab compare` writes.
 */

/** The summary's `metrics` block; a `sample` observation carries the same block. */
export interface Metrics {
  allocatedBytes: number;
  idealBytes: number;
  wasteBytes: number;
  peakWasteBytes: number;
  wasteByCause: Record<string, number>;
  lockedOps: number;
  lockedOpsByKind: Record<string, number>;
  lockedOpsBySite: Record<string, number>;
  lockAcquisitions: number;
  maxLockDepth: number;
  /** share of mapped user memory mapped by PMDs, a fraction in [0, 1] */
  hugeCoverage: number;
  tlbShootdowns: number;
  pageCopies: number;
  /** lock-ordering / depth rules the run broke, one sentence each (empty when none) */
  nestingViolations: string[];
}

/**
 * summary.json `sharedness`: every "is this page shared?" question khugepaged
 * asked the design's sharedness policy, checked against the precise rule.
 */
export interface SharednessBlock {
  questions: number;
  /** the policy said exclusive where the precise rule says shared */
  falseNegatives: number;
  /** the policy said shared where the precise rule says exclusive */
  falsePositives: number;
  /** khugepaged collapses the precise rule would have refused */
  collapsesOnlyByPolicy: number;
  /** bytes those collapses copied out of shared pages (now duplicated) */
  duplicatedBytes: number;
  /** bytes those collapses filled with zeros for empty PTEs */
  zeroFilledBytes: number;
}

export interface OutcomeCount {
  ok: number;
  failed: number;
  reasons: Record<string, number>;
}

export interface Summary {
  pagelab: string;
  design: unknown;
  workload: unknown;
  logSha256: string;
  events: number;
  metrics: Metrics;
  outcomes: Record<string, OutcomeCount>;
  expectations: { passed: number; failed: number; failures: unknown[] };
  invariantViolations: number;
  /** absent in summaries written before the sharedness axis existed */
  sharedness?: SharednessBlock;
  /** the tunables replayed with (absent in older summaries) */
  settings?: Record<string, unknown>;
  /** time-weighted means over the run and the peak coverage (absent in older summaries) */
  overRun?: OverRunBlock;
  /** locked ops counted while each workload event type was applied (absent in older summaries) */
  lockedOpsByEvent?: Record<string, { events: number; lockedOps: number }>;
  /** counters under their /proc/vmstat names (absent in older summaries) */
  vmstat?: Record<string, number>;
  /** seqs of the khugepaged, reclaim, fork and compact events, for time charts (absent in older summaries) */
  eventMarks?: { seqs: Record<string, number[]>; counts: Record<string, number> };
  /** the pinned-migration mechanism: global lock, pin-page hash, owner migrations, driver-page reclaim (absent in older summaries) */
  pinnedMigration?: Record<string, number>;
  /** CMA / alloc_contig, compaction results, pageblocks, extfrag fallbacks (absent in older summaries) */
  contiguity?: ContiguityBlock;
  /** what hole punches / MADV_DONTNEED gave back, per round (engine balloon.ts; only for logs that have any) */
  balloon?: BalloonBlock;
}

/** summary.json `balloon` counts (engine balloon.ts says how each is measured). */
export interface BalloonCounts {
  requestedBytes: number;
  freedBytes: number;
  refilledBytes: number;
  recollapses: number;
  splitFailures: number;
}

/** summary.json `balloon`: totals, coverage at the end (fraction 0..1), each round, and what followed the last. */
export interface BalloonBlock extends BalloonCounts {
  guestHugeCoverage: number;
  rounds: (BalloonCounts & { round: number; firstSeq: number; guestHugeCoverage: number })[];
  afterRounds: BalloonCounts;
}

/** summary.json `contiguity` (engine pinned.ts). */
export interface ContiguityBlock {
  cma: { success: number; failure: number; causes: Record<string, number>; candidates: number; retries: number };
  compaction: Record<string, number>;
  pageblocks: { byType: Record<string, number>; unmovableInMovable: number; unmovableInCma: number; movableBlocksPolluted: number; cmaBlocksPolluted: number };
  extfrag: { events: number; fragmenting: number; severe: number; moderate: number; changedOwnership: number };
}

/** summary.json `overRun`: trapezoid means over the metric samples, x = event index. */
export interface OverRunBlock {
  samples: number;
  meanWasteBytes: number;
  /** fraction 0..1 */
  meanHugeCoverage: number;
  /** fraction 0..1 */
  peakHugeCoverage: number;
}

/** One line of an observation log after the header. */
export interface Observation {
  seq: number;
  type: string;
  [field: string]: unknown;
}

/** `{"seq":N,"type":"sample","metrics":{...}}` */
export interface SampleObservation extends Observation {
  type: 'sample';
  metrics: Partial<Metrics>;
}

/** A metric sample, with the fields the pipelines read filled in (absent = 0). */
export interface Sample {
  seq: number;
  metrics: Metrics;
}

export interface ObservationHeader {
  pagelab_observations: number;
  pagelab: string;
  design: unknown;
  workload: unknown;
  logSha256: string;
}

/** `runDir/compare.json` */
export interface CompareManifest {
  pagelab: string;
  workload: { name: string; seed: number; params: Record<string, unknown> };
  logSha256: string;
  command: string;
  designs: ReadonlyArray<{ name: string; dir: string }>;
}

/** The waste causes of ARCHITECTURE.md "Metrics", in the order charts stack them. */
export const WASTE_CAUSES = ['unmapped-in-thp', 'truncated-retained', 'collapse-bloat', 'duplicated-shared', 'split-blocked'] as const;

/** `<design dir>/provenance.json` as `pagelab run` / `compare` write it; every field optional to the reader. */
export interface DesignProvenance {
  pagelab?: string;
  gitCommit?: string;
  node?: string;
  command?: string;
  createdAt?: string;
  elapsedMs?: number;
  design?: { name?: string; preset?: string; policies?: Record<string, { id?: string; params?: Record<string, unknown> }>; params?: Record<string, unknown> };
  log?: {
    events?: number;
    sha256?: string;
    kind?: string;
    source?: string;
    params?: Record<string, unknown>;
    header?: {
      pagelab?: number;
      machine?: Record<string, unknown>;
      settings?: Record<string, unknown>;
      workload?: { name?: string; seed?: number; params?: Record<string, unknown> };
    };
  };
  replay?: { sampleEvery?: number; checkInvariants?: boolean };
  [field: string]: unknown;
}

/** Outcome names of contracts.md §3. */
export const OUTCOME_NAMES = ['thp_fault', 'split_page', 'split_pmd', 'collapse', 'migrate', 'cma_alloc', 'compact', 'cow'] as const;
