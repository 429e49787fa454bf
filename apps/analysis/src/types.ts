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
export const WASTE_CAUSES = [
  'unmapped-in-thp',
  'truncated-retained',
  'collapse-bloat',
  'duplicated-shared',
  'split-blocked',
] as const;

/** Outcome names of contracts.md §3. */
export const OUTCOME_NAMES = ['thp_fault', 'split_page', 'split_pmd', 'collapse', 'migrate', 'cma_alloc', 'compact', 'cow'] as const;
