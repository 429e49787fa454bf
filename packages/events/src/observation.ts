// The observation log (contracts.md §2): a header line, then one observation
// per line, each with `seq` (1-based index of the workload event that caused
// it, 0 for the initial state) and `type`, named after the kernel's counters
// and tracepoints. Observations may carry extra fields (pid, addr, order, ...);
// the fields listed here are the ones readers rely on.
import * as t from 'io-ts';
import { Bool, JsonObject, JsonValue, NonEmptyString, NonNegativeInt, PageAddr, Pid, PositiveInt, Sha256Hex, Str, constant } from './primitives.js';
import { object } from './object.js';
import { taggedUnion } from './tagged-union.js';
import { WorkloadInfo } from './header.js';
import { Metrics } from './metrics.js';

export const OBSERVATIONS_FORMAT_VERSION = 1;

export const ObservationHeader = object(
  'an observation log header',
  {
    pagelab_observations: constant(OBSERVATIONS_FORMAT_VERSION, `${OBSERVATIONS_FORMAT_VERSION} (the observation log format version)`),
    pagelab: NonEmptyString,
    design: JsonObject,
    workload: WorkloadInfo,
    logSha256: Sha256Hex,
  },
  {},
  { exact: false, noun: 'the observation log header' },
);
export type ObservationHeader = t.TypeOf<typeof ObservationHeader>;

const Seq = NonNegativeInt;
const ScanResult = t.refinement(t.string, (s) => /^SCAN_[A-Z0-9_]+$/.test(s), 'a SCAN_* code');

function observation<K extends string, R extends t.Props, O extends t.Props = {}>(type: K, required?: R, optional?: O) {
  return object(
    `a ${type} observation`,
    { seq: Seq, type: constant(type), ...(required ?? ({} as R)) },
    optional ?? ({} as O),
    { exact: false, noun: `a "${type}" observation` },
  );
}

export const observationCodecs = {
  thp_fault_alloc: observation('thp_fault_alloc'),
  thp_fault_fallback: observation('thp_fault_fallback'),
  thp_split_pmd: observation('thp_split_pmd'),
  thp_split_page: observation('thp_split_page'),
  thp_split_page_failed: observation('thp_split_page_failed', { reason: NonEmptyString }),
  thp_deferred_split_page: observation('thp_deferred_split_page'),
  thp_collapse_alloc: observation('thp_collapse_alloc'),
  khugepaged_scan: observation(
    'khugepaged_scan',
    { result: ScanResult },
    { none: NonNegativeInt, swap: NonNegativeInt, shared: NonNegativeInt, referenced: NonNegativeInt, writable: Bool, pid: Pid, addr: PageAddr },
  ),
  cow_copy: observation('cow_copy'),
  cow_reuse: observation('cow_reuse'),
  migrate: observation('migrate', { reason: NonEmptyString, result: NonEmptyString }, { cause: Str }),
  cma_alloc_success: observation('cma_alloc_success'),
  cma_alloc_fail: observation('cma_alloc_fail', { cause: NonEmptyString }),
  compact: observation('compact'),
  'expect.failed': observation('expect.failed', { check: NonEmptyString, expected: JsonValue, actual: JsonValue, line: PositiveInt }, { label: Str }),
  'invariant.violated': observation('invariant.violated', { invariant: NonEmptyString, detail: Str }),
  'sharedness.divergence': observation('sharedness.divergence'),
  sample: observation('sample', { metrics: Metrics }),
} as const;

export const Observation = taggedUnion('an observation', 'type', observationCodecs);
export type Observation = t.TypeOf<typeof Observation>;
export type ObservationType = Observation['type'];
export const OBSERVATION_TYPES = Observation.tags as readonly ObservationType[];
export type ObservationOf<K extends ObservationType> = Extract<Observation, { readonly type: K }>;
