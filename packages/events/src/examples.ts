// One minimal valid value per wire shape. Typed against the codecs' types, so
// a changed codec breaks here at compile time; the tests decode each one.
import type { LogHeader } from './header.js';
import type { EventOf, EventType } from './event.js';

export const exampleHeader: LogHeader = {
  pagelab: 1,
  machine: { memory: 1073741824, nodes: 1, cma: 0, swap: 268435456 },
  settings: { 'thp.enabled': 'always', 'khugepaged.max_ptes_shared': 255 },
  workload: { name: 's1-false-negative', seed: 1, params: {} },
};

const MiB2 = 2 * 1024 * 1024;

export const exampleEvents: { readonly [K in EventType]: EventOf<K> } = {
  spawn: { type: 'spawn', pid: 1 },
  exit: { type: 'exit', pid: 2 },
  fork: { type: 'fork', parent: 1, child: 2 },
  mmap: { type: 'mmap', pid: 1, addr: MiB2, len: MiB2, kind: 'anon' },
  munmap: { type: 'munmap', pid: 1, addr: MiB2, len: 4096 },
  mprotect: { type: 'mprotect', pid: 1, addr: MiB2, len: 4096, write: false },
  mremap: { type: 'mremap', pid: 1, addr: MiB2, len: MiB2, newAddr: 4 * MiB2 },
  madvise: { type: 'madvise', pid: 1, addr: MiB2, len: MiB2, advice: 'hugepage' },
  touch: { type: 'touch', pid: 1, addr: MiB2, len: MiB2, write: true },
  pin: { type: 'pin', pid: 1, addr: MiB2, len: 4096, handle: 'p1' },
  unpin: { type: 'unpin', handle: 'p1' },
  get: { type: 'get', pid: 1, addr: MiB2, len: 4096, handle: 'g1' },
  put: { type: 'put', handle: 'g1' },
  dio: { type: 'dio', pid: 1, addr: MiB2, len: 4096 },
  fallocate: { type: 'fallocate', file: 'shm0', offset: 0, len: 4096, mode: 'punch_hole' },
  truncate: { type: 'truncate', file: 'shm0', size: 0 },
  khugepaged: { type: 'khugepaged' },
  compact: { type: 'compact' },
  alloc_contig: { type: 'alloc_contig', pages: 512 },
  free_contig: { type: 'free_contig', handle: 'c1' },
  reclaim: { type: 'reclaim', pages: 1 },
  driver_alloc: { type: 'driver_alloc', owner: 'zbud', pages: 1, handle: 'd1' },
  driver_free: { type: 'driver_free', handle: 'd1' },
  memory_failure: { type: 'memory_failure', pid: 1, addr: MiB2 },
  ksm_scan: { type: 'ksm_scan' },
  sysctl: { type: 'sysctl', key: 'khugepaged.max_ptes_shared', value: 255 },
  expect: { type: 'expect', pid: 1, anonHugeBytes: MiB2 },
};
