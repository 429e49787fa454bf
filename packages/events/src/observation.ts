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

function observation<K extends string, R extends t.Props, O extends t.Props = Record<never, never>>(type: K, required?: R, optional?: O) {
  return object(`a ${type} observation`, { seq: Seq, type: constant(type), ...(required ?? ({} as R)) }, optional ?? ({} as O), {
    exact: false,
    noun: `a "${type}" observation`,
  });
}

const Caller = NonEmptyString;
/** A pfn, or -1 where the event found no frame (memory_failure on a non-present address). */
const PfnOrNone = t.refinement(t.number, (n) => Number.isInteger(n) && n >= -1, 'a pfn (an integer >= -1)');
const ShmemFile = NonEmptyString;

/**
 * Every observation the model and the engine emit, with every field they
 * write. The kernel's `emit` is typed by this map (kernel-core observe.ts),
 * so an observation without an entry here does not compile, and the
 * observation property test decodes what the model emits under every preset.
 */
export const observationCodecs = {
  thp_fault_alloc: observation('thp_fault_alloc', {}, { pid: Pid, addr: PageAddr }),
  thp_fault_fallback: observation('thp_fault_fallback', {}, { pid: Pid, addr: PageAddr, file: ShmemFile, cow: Bool }),
  thp_split_pmd: observation('thp_split_pmd', {}, { pid: Pid, addr: PageAddr, pfn: NonNegativeInt, file: Bool }),
  thp_split_page: observation('thp_split_page', {}, { pfn: NonNegativeInt, caller: Caller }),
  thp_split_page_failed: observation('thp_split_page_failed', { reason: NonEmptyString }, { pfn: NonNegativeInt, caller: Caller }),
  thp_deferred_split_page: observation('thp_deferred_split_page', {}, { pfn: NonNegativeInt }),
  thp_collapse_alloc: observation(
    'thp_collapse_alloc',
    {},
    { pid: Pid, addr: PageAddr, pfn: NonNegativeInt, file: ShmemFile, index: NonNegativeInt, present: NonNegativeInt, none: NonNegativeInt, shmem: Bool },
  ),
  khugepaged_scan: observation(
    'khugepaged_scan',
    { result: ScanResult },
    {
      none: NonNegativeInt,
      swap: NonNegativeInt,
      shared: NonNegativeInt,
      referenced: NonNegativeInt,
      writable: Bool,
      pid: Pid,
      addr: PageAddr,
      caller: Caller,
      file: Bool,
      present: NonNegativeInt,
    },
  ),
  cow_copy: observation('cow_copy', {}, { pid: Pid, addr: PageAddr, pages: NonNegativeInt }),
  cow_reuse: observation('cow_reuse', {}, { pid: Pid, addr: PageAddr }),
  migrate: observation(
    'migrate',
    { reason: NonEmptyString, result: NonEmptyString },
    { cause: Str, pfn: NonNegativeInt, order: NonNegativeInt, newPfn: NonNegativeInt },
  ),
  cma_alloc_success: observation('cma_alloc_success', {}, { pfn: NonNegativeInt, pages: NonNegativeInt, cma: Bool, handle: Str, tried: NonNegativeInt }),
  cma_alloc_fail: observation('cma_alloc_fail', { cause: NonEmptyString }, { pages: NonNegativeInt, cma: Bool, tried: NonNegativeInt }),
  compact: observation(
    'compact',
    {},
    { node: NonNegativeInt, order: NonNegativeInt, migrated: NonNegativeInt, failed: NonNegativeInt, result: NonEmptyString },
  ),
  /** A fault that found no memory (VM_FAULT_OOM): the touch stops there. */
  oom: observation('oom', { pid: Pid, addr: PageAddr }),
  /** GUP refused by check_vma_flags (a writing pin/get/dio of a read-only VMA: EFAULT). */
  gup_failed: observation('gup_failed', { pid: Pid, addr: PageAddr, reason: NonEmptyString }, { len: NonNegativeInt, via: NonEmptyString }),
  /**
   * A device write through a pin (a dirty unpin/put) that the pinning process
   * does not see (`missed`: its mapping moved off the pinned page, GUP vs.
   * CoW) or that another process sees (`leaked`): pages of each kind.
   */
  gup_incoherent: observation('gup_incoherent', { pid: Pid, addr: PageAddr, via: NonEmptyString, missed: NonNegativeInt, leaked: NonNegativeInt }),
  /** madvise(2) returned EINVAL (an advice the era does not have). */
  madvise_einval: observation('madvise_einval', { pid: Pid, addr: PageAddr, advice: NonEmptyString }),
  ksm_scan: observation('ksm_scan', {
    passes: NonNegativeInt,
    merged: NonNegativeInt,
    failed: NonNegativeInt,
    splitFailed: NonNegativeInt,
    pagesShared: NonNegativeInt,
    pagesSharing: NonNegativeInt,
  }),
  /** fallocate(PUNCH_HOLE) on a shmem file: what the punch freed, zeroed, and failed to split. */
  shmem_punch: observation('shmem_punch', {
    file: ShmemFile,
    offset: NonNegativeInt,
    len: NonNegativeInt,
    freedPages: t.number,
    zeroedPages: NonNegativeInt,
    splitFailed: Bool,
  }),
  shmem_truncate: observation('shmem_truncate', {
    file: ShmemFile,
    size: NonNegativeInt,
    oldSize: NonNegativeInt,
    freedPages: t.number,
    zeroedPages: NonNegativeInt,
    splitFailed: Bool,
  }),
  memory_failure: observation('memory_failure', { pid: Pid, addr: PageAddr, pfn: PfnOrNone, result: NonEmptyString }, { reason: Str }),
  'expect.failed': observation('expect.failed', { check: NonEmptyString, expected: JsonValue, actual: JsonValue, line: PositiveInt }, { label: Str }),
  'invariant.violated': observation('invariant.violated', { invariant: NonEmptyString, detail: Str }),
  'sharedness.divergence': observation(
    'sharedness.divergence',
    {},
    {
      pid: Pid,
      addr: PageAddr,
      policy: NonEmptyString,
      policyShared: NonNegativeInt,
      preciseShared: NonNegativeInt,
      falseNegatives: NonNegativeInt,
      falsePositives: NonNegativeInt,
    },
  ),
  sample: observation('sample', { metrics: Metrics }),
} as const;

export const Observation = taggedUnion('an observation', 'type', observationCodecs);
export type Observation = t.TypeOf<typeof Observation>;
export type ObservationType = Observation['type'];
export const OBSERVATION_TYPES = Observation.tags as readonly ObservationType[];
export type ObservationOf<K extends ObservationType> = Extract<Observation, { readonly type: K }>;

/** Distributes Omit over a union (TypeScript's Omit does not). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/**
 * What a producer hands to `emit`: an observation without its `seq` (the
 * engine's event index is added on emission). Every field a producer writes
 * must be declared above.
 */
export type ObservationInput = DistributiveOmit<Observation, 'seq'>;
