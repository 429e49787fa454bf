// Workload events (contracts.md §1, ARCHITECTURE.md "Events"): one JSON object
// per line after the header, discriminated by `type`. Unknown fields are
// errors; `comment` is allowed on every event and ignored by the model.
import * as t from 'io-ts';
import {
  Bool,
  Integer,
  NodeId,
  NonEmptyString,
  NonNegativeInt,
  Order,
  PageAddr,
  PageCount,
  PageLen,
  PageSize,
  Passes,
  Pid,
  Str,
  StringOrInt,
  constant,
  integer,
  oneOf,
} from './primitives.js';
import { object, type ObjectOf, type Violation } from './object.js';
import { taggedUnion } from './tagged-union.js';
import { SysctlKey, sysctlValues } from './settings.js';

const Handle = NonEmptyString;
const FileName = NonEmptyString;
const range = { pid: Pid, addr: PageAddr, len: PageLen };

function event<K extends string, R extends t.Props, O extends t.Props = Record<never, never>>(
  type: K,
  required: R,
  optional?: O,
  refine?: (e: ObjectOf<{ type: t.Type<K> } & R, { comment: typeof Str } & O>) => readonly Violation[],
) {
  return object(
    `a ${type} event`,
    { type: constant(type), ...required },
    { comment: Str, ...(optional ?? ({} as O)) },
    refine === undefined ? { noun: `a "${type}" event` } : { noun: `a "${type}" event`, refine },
  );
}

const gupOptional = { longterm: Bool, fast: Bool, write: Bool };

/** The checks an `expect` event may carry; at least one is required. */
export const expectChecks = {
  anonHugeBytes: NonNegativeInt,
  shmemPmdMappedBytes: NonNegativeInt,
  rssAnonBytes: NonNegativeInt,
  swapBytes: NonNegativeInt,
  contentIntact: Bool,
  mapped: Bool,
  folioOrder: Order,
  wasteBytes: Integer,
  splitFailed: NonNegativeInt,
  collapsed: NonNegativeInt,
  lockedOpsMax: NonNegativeInt,
  lockedOpsMin: NonNegativeInt,
  /** Faults so far that found no memory (VM_FAULT_OOM: touch, GUP, dio): says running out of memory is intended. */
  oomFaults: NonNegativeInt,
} as const;
export type ExpectCheck = keyof typeof expectChecks;
export const EXPECT_CHECKS = Object.keys(expectChecks) as readonly ExpectCheck[];

/** One codec per event type, in the order of the contract's table. */
export const eventCodecs = {
  spawn: event('spawn', { pid: Pid }),
  exit: event('exit', { pid: Pid }),
  fork: event('fork', { parent: Pid, child: Pid }, {}, (e) =>
    e.child === e.parent ? [{ key: 'child', expected: `a pid other than the parent's (${e.parent})` }] : [],
  ),
  mmap: event('mmap', { ...range, kind: oneOf(['anon', 'shmem']) }, { file: FileName, offset: PageAddr, write: Bool }, (e) =>
    e.file !== undefined && e.kind !== 'shmem' ? [{ key: 'file', expected: 'no file on an anon mapping (file needs kind "shmem")' }] : [],
  ),
  munmap: event('munmap', range),
  mprotect: event('mprotect', { ...range, write: Bool }),
  // newLen: mremap(addr, len, newLen, MREMAP_MAYMOVE | MREMAP_FIXED, newAddr) resizes while it moves (default: len).
  mremap: event('mremap', { ...range, newAddr: PageAddr }, { newLen: PageLen }),
  madvise: event('madvise', { ...range, advice: oneOf(['hugepage', 'nohugepage', 'dontneed', 'collapse', 'pageout', 'mergeable']) }),
  touch: event('touch', { ...range, write: Bool }, { value: Integer }),
  pin: event('pin', { ...range, handle: Handle }, gupOptional),
  unpin: event('unpin', { handle: Handle }, { dirty: Bool }),
  get: event('get', { ...range, handle: Handle }, gupOptional),
  put: event('put', { handle: Handle }, { dirty: Bool }),
  dio: event('dio', range, { write: Bool, count: integer('an integer >= 1', [(n) => n >= 1, 'an integer >= 1']) }),
  fallocate: event('fallocate', { file: FileName, offset: PageAddr, len: PageLen, mode: oneOf(['punch_hole', 'punch_hole_split']) }),
  truncate: event('truncate', { file: FileName, size: PageSize }),
  khugepaged: event('khugepaged', {}, { passes: Passes, pid: Pid }),
  compact: event('compact', {}, { order: Order, node: NodeId }),
  alloc_contig: event('alloc_contig', { pages: PageCount }, { cma: Bool, node: NodeId, handle: Handle }),
  free_contig: event('free_contig', { handle: Handle }),
  reclaim: event('reclaim', { pages: PageCount }),
  driver_alloc: event('driver_alloc', { owner: NonEmptyString, pages: PageCount, handle: Handle }, { movable: Bool, node: NodeId }),
  driver_free: event('driver_free', { handle: Handle }),
  memory_failure: event('memory_failure', { pid: Pid, addr: PageAddr }),
  ksm_scan: event('ksm_scan', {}, { passes: Passes }),
  sysctl: event('sysctl', { key: SysctlKey, value: StringOrInt }, {}, (e) => {
    const codec: t.Mixed = sysctlValues[e.key];
    return codec.is(e.value) ? [] : [{ key: 'value', expected: `${codec.name} (for ${e.key})` }];
  }),
  expect: event('expect', {}, { pid: Pid, addr: PageAddr, len: PageLen, label: Str, ...expectChecks }, (e) => {
    const broken: Violation[] = [];
    if (!EXPECT_CHECKS.some((k) => e[k] !== undefined)) broken.push({ key: '', expected: `at least one check (${EXPECT_CHECKS.join(', ')})` });
    for (const k of ['folioOrder', 'mapped'] as const) {
      if (e[k] !== undefined && (e.pid === undefined || e.addr === undefined)) broken.push({ key: k, expected: `${k} only with pid and addr` });
    }
    if (e.addr !== undefined && e.pid === undefined) broken.push({ key: 'addr', expected: 'addr only with pid' });
    if (e.len !== undefined && e.addr === undefined) broken.push({ key: 'len', expected: 'len only with addr' });
    return broken;
  }),
} as const;

export const WorkloadEvent = taggedUnion('a workload event', 'type', eventCodecs);
export type WorkloadEvent = t.TypeOf<typeof WorkloadEvent>;
export type EventType = WorkloadEvent['type'];
export const EVENT_TYPES = WorkloadEvent.tags as readonly EventType[];
/** The event of one type, e.g. `EventOf<'mmap'>`. */
export type EventOf<K extends EventType> = Extract<WorkloadEvent, { readonly type: K }>;
