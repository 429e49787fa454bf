// summary.json of a run directory (contracts.md §3): what scripts read.
// Output formats accept extra fields (exact: false) so older readers keep
// working when the engine adds a metric; the listed fields are required.
import * as t from 'io-ts';
import { JsonObject, JsonValue, NonEmptyString, NonNegativeInt, PositiveInt, Sha256Hex, Str, finite } from './primitives.js';
import { object } from './object.js';
import { Metrics, CountsByName } from './metrics.js';
import { WorkloadInfo } from './header.js';

export const OUTCOME_NAMES = ['thp_fault', 'split_page', 'split_pmd', 'collapse', 'migrate', 'cma_alloc', 'compact', 'cow'] as const;
export type OutcomeName = (typeof OUTCOME_NAMES)[number];

/** The counters of summary.json `vmstat`, under their /proc/vmstat names (engine vmstat.ts says how each is counted). */
export const VMSTAT_COUNTERS = [
  'thp_fault_alloc',
  'thp_fault_fallback',
  'thp_collapse_alloc',
  'thp_collapse_alloc_failed',
  'thp_split_page',
  'thp_split_page_failed',
  'thp_deferred_split_page',
  'thp_split_pmd',
  'compact_stall',
  'compact_success',
  'compact_fail',
  'pgmigrate_success',
  'pgmigrate_fail',
  'thp_migration_success',
  'thp_migration_fail',
  'cma_alloc_success',
  'cma_alloc_fail',
] as const;
export type VmstatCounter = (typeof VMSTAT_COUNTERS)[number];

export const Outcome = object('an outcome', { ok: NonNegativeInt, failed: NonNegativeInt, reasons: CountsByName }, {}, { exact: false });
export type Outcome = t.TypeOf<typeof Outcome>;

/**
 * Outcomes present only where they occurred (contracts.md §3): GUP and direct
 * I/O, device writes through a pin (`dma_write`, failed when incoherent),
 * faults (failures `oom`, `sigbus`) and the rest. Declared so readers can
 * name them; other names are still tolerated.
 */
export const OCCURRED_OUTCOME_NAMES = [
  'gup',
  'dio',
  'dma_write',
  'fault',
  'madvise',
  'reclaim',
  'swap_out',
  'shmem_punch',
  'shmem_truncate',
  'memory_failure',
  'ksm_merge',
  'driver_alloc',
  'driver_reclaim',
  'collapse_pte_mapped_thp',
] as const;
export type OccurredOutcomeName = (typeof OCCURRED_OUTCOME_NAMES)[number];

export const Outcomes = object(
  'an outcomes object',
  Object.fromEntries(OUTCOME_NAMES.map((n) => [n, Outcome])) as { [K in OutcomeName]: typeof Outcome },
  Object.fromEntries(OCCURRED_OUTCOME_NAMES.map((n) => [n, Outcome])) as { [K in OccurredOutcomeName]: typeof Outcome },
  { exact: false, noun: 'outcomes' },
);
export type Outcomes = t.TypeOf<typeof Outcomes>;

/** A failed `expect` check: the same facts as an `expect.failed` observation. */
export const ExpectationFailure = object(
  'an expectation failure',
  { seq: PositiveInt, line: PositiveInt, check: NonEmptyString, expected: JsonValue, actual: JsonValue },
  { label: Str },
  { exact: false },
);
export type ExpectationFailure = t.TypeOf<typeof ExpectationFailure>;

/** One evaluated check, passed or not, with the value the model found (what `pagelab kernel diff` compares). */
export const ExpectationCheck = object(
  'an expectation check',
  { line: PositiveInt, check: NonEmptyString, expected: JsonValue, actual: JsonValue, passed: t.boolean },
  {},
  { exact: false },
);
export type ExpectationCheck = t.TypeOf<typeof ExpectationCheck>;

export const Expectations = object(
  'an expectations object',
  { passed: NonNegativeInt, failed: NonNegativeInt, failures: t.array(ExpectationFailure, 'an array of expectation failures') },
  // Every check in log order; optional so summaries written before it still read.
  { checks: t.array(ExpectationCheck, 'an array of expectation checks') },
  { exact: false },
);

const Fraction = finite('a fraction from 0 to 1', [(x) => x >= 0 && x <= 1, 'a fraction from 0 to 1']);
const balloonCounts = {
  requestedBytes: NonNegativeInt,
  freedBytes: NonNegativeInt,
  refilledBytes: NonNegativeInt,
  recollapses: NonNegativeInt,
  splitFailures: NonNegativeInt,
};
export const BalloonCounts = object('balloon counts', balloonCounts, {}, { exact: false });
export type BalloonCounts = t.TypeOf<typeof BalloonCounts>;
export const BalloonRound = object(
  'a balloon round',
  { round: PositiveInt, firstSeq: PositiveInt, ...balloonCounts, guestHugeCoverage: Fraction },
  {},
  { exact: false },
);
/** What a log's hole punches and MADV_DONTNEEDs gave back: present only when it has any (the engine's balloon.ts says how each is measured). */
export const BalloonSummary = object(
  'a balloon summary',
  { ...balloonCounts, guestHugeCoverage: Fraction, rounds: t.array(BalloonRound, 'an array of balloon rounds'), afterRounds: BalloonCounts },
  {
    /** only past the first 512 rounds, which `rounds` lists: the rest, summed (engine balloon.ts MAX_BALLOON_ROUNDS) */
    laterRounds: object('the balloon rounds past the listed ones', { rounds: PositiveInt, firstSeq: PositiveInt, ...balloonCounts }, {}, { exact: false }),
  },
  { exact: false },
);
export type BalloonSummary = t.TypeOf<typeof BalloonSummary>;

const Count = NonNegativeInt;
const NonNegative = finite('a non-negative number', [(x) => x >= 0, 'a non-negative number']);
/** The pinned-migration axis' mechanism (engine pinned.ts; kernel-core pinned_stats.ts defines each count). */
export const PinnedMigrationSummary = object(
  'a pinnedMigration block',
  {
    globalLockAcquisitions: Count,
    hashBuckets: Count,
    hashMaxChain: Count,
    hashMeanChain: NonNegative,
    hashCollisions: Count,
    crossNodeMigrations: Count,
    ownerMigrations: Count,
    reclaimedDriverPages: Count,
    reclaimAllocatedPages: Count,
  },
  { hashLookups: Count, hashLookupWalk: NonNegative, hashInserts: Count, hashPeakEntries: Count, reclaimPressurePages: Count },
  { exact: false, noun: 'pinnedMigration' },
);
export type PinnedMigrationSummary = t.TypeOf<typeof PinnedMigrationSummary>;
/** CMA / alloc_contig results, compaction by COMPACT_* name, pageblocks by migratetype, extfrag fallbacks. */
export const ContiguitySummary = object(
  'a contiguity block',
  {
    cma: object('cma counts', { success: Count, failure: Count, causes: CountsByName, candidates: Count, retries: Count }, {}, { exact: false }),
    compaction: CountsByName,
    pageblocks: object(
      'pageblock counts',
      { byType: CountsByName, unmovableInMovable: Count, unmovableInCma: Count, movableBlocksPolluted: Count, cmaBlocksPolluted: Count },
      {},
      { exact: false },
    ),
    extfrag: object('extfrag counts', { events: Count, fragmenting: Count, severe: Count, moderate: Count, changedOwnership: Count }, {}, { exact: false }),
  },
  {},
  { exact: false, noun: 'contiguity' },
);
export type ContiguitySummary = t.TypeOf<typeof ContiguitySummary>;

/** `overRun`: trapezoid means over the metric samples (x = event index) and the peak coverage (engine over-run.ts). */
export const OverRunSummary = object(
  'an overRun block',
  { samples: Count, meanWasteBytes: finite('a number of bytes'), meanHugeCoverage: Fraction, peakHugeCoverage: Fraction },
  {},
  { exact: false, noun: 'overRun' },
);
export type OverRunSummary = t.TypeOf<typeof OverRunSummary>;

/** `lockedOpsByEvent`: per workload event type, the events of that type and the locked ops made while they were applied (engine event-costs.ts). */
export const EventCost = object('an event cost', { events: Count, lockedOps: Count }, {}, { exact: false });
export type EventCost = t.TypeOf<typeof EventCost>;
export const LockedOpsByEvent = t.record(t.string, EventCost, 'an object of event costs');

/** `eventMarks`: seqs (ascending, thinned past 512 per type) and counts of the khugepaged, reclaim, fork and compact events (engine event-marks.ts). */
export const EventMarksSummary = object(
  'an eventMarks block',
  { seqs: t.record(t.string, t.array(NonNegativeInt, 'an array of seqs'), 'an object of seq arrays'), counts: CountsByName },
  {},
  { exact: false, noun: 'eventMarks' },
);
export type EventMarksSummary = t.TypeOf<typeof EventMarksSummary>;

/** `sharedness`: khugepaged's "mapped shared?" questions, the design's answers checked against the precise page_mapcount rule. */
export const SharednessSummary = object(
  'a sharedness block',
  { questions: Count, falseNegatives: Count, falsePositives: Count, collapsesOnlyByPolicy: Count, duplicatedBytes: Count, zeroFilledBytes: Count },
  {},
  { exact: false, noun: 'sharedness' },
);
export type SharednessSummary = t.TypeOf<typeof SharednessSummary>;

/** `oom`: faults (touch, GUP, dio) that found no memory, and whether an `expect` with `oomFaults` said the log means it. */
export const OomSummary = object('an oom block', { faults: Count, expected: t.boolean }, {}, { exact: false, noun: 'oom' });
export type OomSummary = t.TypeOf<typeof OomSummary>;

/** summary.json `metrics`: the sample's block plus the lock nesting rules the run broke, one sentence each. */
export const SummaryMetrics = object(
  'a metrics object',
  Metrics.required,
  { ...Metrics.optional, nestingViolations: t.readonlyArray(Str, 'an array of strings') },
  { exact: false, noun: 'metrics' },
);
export type SummaryMetrics = t.TypeOf<typeof SummaryMetrics>;

/**
 * summary.json (contracts.md §3). The blocks added after the first release
 * are optional, so a summary.json written before them still decodes; a
 * current engine writes every one of them except `balloon` (only for logs
 * that punch holes or MADV_DONTNEED).
 */
export const Summary = object(
  'a summary',
  {
    pagelab: NonEmptyString,
    design: JsonObject,
    workload: WorkloadInfo,
    logSha256: Sha256Hex,
    events: NonNegativeInt,
    metrics: SummaryMetrics,
    outcomes: Outcomes,
    expectations: Expectations,
    invariantViolations: NonNegativeInt,
  },
  {
    settings: JsonObject,
    overRun: OverRunSummary,
    lockedOpsByEvent: LockedOpsByEvent,
    eventMarks: EventMarksSummary,
    vmstat: CountsByName,
    invariantWalks: NonNegativeInt,
    oom: OomSummary,
    sharedness: SharednessSummary,
    balloon: BalloonSummary,
    pinnedMigration: PinnedMigrationSummary,
    contiguity: ContiguitySummary,
  },
  { exact: false, noun: 'summary.json' },
);
export type Summary = t.TypeOf<typeof Summary>;
