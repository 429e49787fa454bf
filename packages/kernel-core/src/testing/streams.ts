/**
 * Random workload streams for property tests (kernel-core's own and the
 * policy testkit's conformance suites), and running them.
 *
 * fast-check generates *intents* (which process, which page, how many);
 * `toEvents` turns them into events that are valid against a small shadow
 * of the address spaces (live pids, mapped, writable and in-file pages,
 * live GUP, driver and contiguous handles, existing shmem files and their
 * sizes), so every generated event is one the model must accept under any
 * design: a refusal or an invariant violation is a model bug, not bad input.
 * The arbitrary maps intents to events, so a shrunk counterexample prints as
 * the event list itself.
 *
 * Events used: every event type the model implements except `expect` —
 * spawn (prologue), fork, exit, mmap (anon and shmem), munmap, mprotect,
 * mremap, madvise (dontneed, pageout, hugepage, nohugepage, collapse,
 * mergeable), touch (fresh or repeated content, so KSM finds duplicates),
 * pin/unpin, get/put (longterm or not), dio, reclaim, khugepaged, compact,
 * alloc_contig / free_contig (CMA and not), driver_alloc / driver_free
 * (movable and not), fallocate (punch_hole, punch_hole_split), truncate,
 * ksm_scan, memory_failure, and sysctl of thp.enabled, thp.shmem_enabled,
 * khugepaged.max_ptes_none / max_ptes_swap / max_ptes_shared and
 * khugepaged.pages_to_scan. Streams run on STREAM_MACHINE (two nodes, a CMA
 * area, swap) with STREAM_SETTINGS (shmem THPs always).
 *
 * kernel-core does not depend on fast-check at run time: the arbitrary is
 * built from the fast-check module the caller passes in (its tests and the
 * policy testkit import it themselves).
 */
import type { WorkloadEvent } from '@pagelab/events';
import type { Arbitrary } from 'fast-check';
import { ModelInputError } from '../errors.js';
import { PAGE_SIZE } from '../frames.js';
import { checkInvariants, describeViolation } from '../invariants.js';
import type { Kernel, MachineConfig } from '../kernel.js';
import { pteIndex } from '../mm.js';
import type { Settings } from '../params.js';
import { ptePfn, ptePresent, pteSwap, swapSlot } from '../pte.js';
import { applyEvent } from '../syscalls.js';

/** The parts of fast-check the generator uses (pass the module: `streamArbitrary(fc)`). */
export type FastCheck = Pick<
  typeof import('fast-check'),
  'oneof' | 'record' | 'constant' | 'constantFrom' | 'integer' | 'boolean' | 'nat' | 'array' | 'option'
>;

const MB = 1 << 20;
/** Every stream works in the window [REGION, REGION + 8 MiB): four PMD ranges ("chunks") per process. */
export const REGION = 64 * MB;
/** Pages of the window. Chunks 0-1 start anonymous (the prologue), chunk 2 a shmem mapping; mmap fills holes chunk by chunk. */
export const REGION_PAGES = 2048;
const CHUNK = 512;
const MAX_PROCS = 4;
const MAX_HANDLES = 6;
const MAX_DRIVER_HANDLES = 3;
const MAX_CONTIG_HANDLES = 2;
const FILES = ['shm0', 'shm1'] as const;

/** The machine streams run on: 32 MiB over two nodes, 8 MiB of CMA at the end of node 0, 16 MiB swap. */
export const STREAM_MACHINE: MachineConfig = { memory: 32 * MB, nodes: 2, cma: 8 * MB, swap: 16 * MB };
/** Initial tunables of stream runs: shmem mappings get THPs (thp.shmem_enabled=always). */
export const STREAM_SETTINGS: Partial<Settings> = { 'thp.shmem_enabled': 'always' };

type Advice = 'dontneed' | 'pageout' | 'hugepage' | 'nohugepage' | 'collapse' | 'mergeable';
type SysctlChoice =
  | { key: 'thp.enabled'; value: 'always' | 'madvise' | 'never' }
  | { key: 'thp.shmem_enabled'; value: 'always' | 'within_size' | 'advise' | 'never' }
  | { key: 'khugepaged.max_ptes_none' | 'khugepaged.max_ptes_swap' | 'khugepaged.max_ptes_shared' | 'khugepaged.pages_to_scan'; value: number };

export type Intent =
  | { op: 'touch'; p: number; page: number; n: number; write: boolean; value: number }
  | { op: 'fork'; p: number }
  | { op: 'exit'; p: number }
  | { op: 'mmap'; p: number; chunk: number; shmem: boolean; file: number; offset: number }
  | { op: 'munmap'; p: number; page: number; n: number }
  | { op: 'mprotect'; p: number; page: number; n: number; write: boolean }
  | { op: 'mremap'; p: number; page: number; n: number; dst: number }
  /** roWrite: ask for write access even where the range is read-only (the GUP fails with EFAULT). */
  | { op: 'pin'; p: number; page: number; n: number; fast: boolean; get: boolean; longterm: boolean; roWrite: boolean }
  | { op: 'unpin'; h: number; dirty: boolean }
  /** write: a write to the file (GUP reads the buffer); else a read into it (GUP writes, EFAULT on a read-only buffer). */
  | { op: 'dio'; p: number; page: number; n: number; count: number; write: boolean }
  | { op: 'reclaim'; pages: number }
  | { op: 'madvise'; p: number; page: number; n: number; advice: Advice }
  | { op: 'khugepaged'; passes: number; p: number | null }
  | { op: 'compact'; order: number; node: number | null }
  | { op: 'alloc_contig'; pages: number; cma: boolean; node: number | null }
  | { op: 'free_contig'; h: number }
  | { op: 'driver_alloc'; pages: number; movable: boolean; node: number | null }
  | { op: 'driver_free'; h: number }
  | { op: 'fallocate'; file: number; page: number; n: number; split: boolean }
  | { op: 'truncate'; file: number; pages: number }
  | { op: 'ksm_scan'; passes: number }
  | { op: 'memory_failure'; p: number; page: number }
  | { op: 'sysctl'; set: SysctlChoice };

export interface StreamOptions {
  /** Longest stream (intents; some are dropped as invalid). Default 40. */
  maxEvents?: number;
  /**
   * Generate `unpin {dirty: true}` (a device write through a write pin the
   * process still maps: see `dirtyable` in toEvents). Off by
   * default: before 5.9 a CoW after fork can move a process away from the
   * page it pinned (the GUP-after-fork bug), and the model reports that
   * lost write as an invariant violation — the era's behaviour, not the
   * policy's.
   */
  dirtyUnpins?: boolean;
  /**
   * With dirtyUnpins: a device write through any handle, also one whose
   * pages the process has since unmapped, zapped, moved, lost to memory
   * failure or shared by fork, and through FOLL_GET references. The model
   * then follows the pinned pages (GupHandle.at) and counts what goes astray
   * as a `dma_write` failure, which a content check must excuse
   * (Kernel.incoherentDmaTokens). The fuzzer that found the false
   * content-loss verdicts reached exactly these.
   */
  dirtyAnyHandle?: boolean;
  /** NUMA nodes of the machine the streams run on (node arguments stay below it). Default STREAM_MACHINE's. */
  nodes?: number;
  /**
   * Generate `memory_failure` (default true). Whether the poisoned page's
   * data is lost depends on whether the design can split the THP around it,
   * so comparisons of what processes see across designs turn it off.
   */
  memoryFailure?: boolean;
  /**
   * Let shmem THPs appear (default true): STREAM_SETTINGS turn them on, and
   * sysctl may change thp.shmem_enabled. Off for designs older than huge
   * tmpfs (v4.8), such as 3.13's tail refcounting, which cannot PTE-map a
   * compound page: run those with shmemStreamSettings(false).
   */
  shmemThp?: boolean;
}

/** The initial tunables for streams with or without shmem THPs (see StreamOptions.shmemThp). */
export function shmemStreamSettings(shmemThp: boolean): Partial<Settings> {
  return shmemThp ? STREAM_SETTINGS : { ...STREAM_SETTINGS, 'thp.shmem_enabled': 'never' };
}

/** The intent arbitrary: weights favour touches, the THP-shaped pages and lengths, and small counts. */
export function intentArbitrary(fc: FastCheck, o: StreamOptions = {}): Arbitrary<Intent> {
  // Offsets where THP boundaries and the scenarios' favourite pages are.
  const pageArb = fc.oneof(
    fc.constantFrom(0, 1, 7, 255, 256, 300, 511, 512, 519, 768, 1023, 1024, 1025, 1280, 1535, 1536, 2047),
    fc.integer({ min: 0, max: REGION_PAGES - 1 }),
  );
  const lenArb = fc.oneof(fc.constantFrom(1, 1, 2, 256, 512, 1024), fc.integer({ min: 1, max: 16 }));
  const procArb = fc.integer({ min: 0, max: MAX_PROCS - 1 });
  const nodeArb = fc.option(fc.integer({ min: 0, max: (o.nodes ?? STREAM_MACHINE.nodes) - 1 }), { nil: null });
  const c = <T extends string>(v: T) => fc.constant(v);
  const sysctlArb: Arbitrary<SysctlChoice> = fc.oneof(
    fc.record({ key: c('thp.enabled' as const), value: fc.constantFrom('always' as const, 'madvise' as const, 'never' as const) }),
    fc.record({
      key: c('thp.shmem_enabled' as const),
      value:
        o.shmemThp === false ? fc.constant('never' as const) : fc.constantFrom('always' as const, 'within_size' as const, 'advise' as const, 'never' as const),
    }),
    fc.record({ key: c('khugepaged.max_ptes_none' as const), value: fc.constantFrom(0, 1, 64, 256, 511) }),
    fc.record({ key: c('khugepaged.max_ptes_swap' as const), value: fc.constantFrom(0, 1, 64, 511) }),
    fc.record({ key: c('khugepaged.max_ptes_shared' as const), value: fc.constantFrom(0, 1, 256, 511) }),
    fc.record({ key: c('khugepaged.pages_to_scan' as const), value: fc.constantFrom(512, 1024, 4096) }),
  );
  const w = (weight: number, arbitrary: Arbitrary<Intent>) => ({ weight, arbitrary });
  return fc.oneof(
    w(
      10,
      fc.record({
        op: c('touch' as const),
        p: procArb,
        page: pageArb,
        n: lenArb,
        write: fc.boolean(),
        value: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
      }),
    ),
    w(2, fc.record({ op: c('fork' as const), p: procArb })),
    w(1, fc.record({ op: c('exit' as const), p: procArb })),
    w(
      1,
      fc.record({
        op: c('mmap' as const),
        p: procArb,
        chunk: fc.integer({ min: 0, max: 3 }),
        shmem: fc.boolean(),
        file: fc.integer({ min: 0, max: 1 }),
        offset: fc.constantFrom(0, 0, 1, 512),
      }),
    ),
    w(2, fc.record({ op: c('munmap' as const), p: procArb, page: pageArb, n: lenArb })),
    w(2, fc.record({ op: c('mprotect' as const), p: procArb, page: pageArb, n: lenArb, write: fc.boolean() })),
    w(2, fc.record({ op: c('mremap' as const), p: procArb, page: pageArb, n: lenArb, dst: pageArb })),
    w(
      3,
      fc.record({
        op: c('pin' as const),
        p: procArb,
        page: pageArb,
        n: fc.integer({ min: 1, max: 4 }),
        fast: fc.boolean(),
        get: fc.boolean(),
        longterm: fc.boolean(),
        roWrite: fc.nat(3).map((x) => x === 0),
      }),
    ),
    w(2, fc.record({ op: c('unpin' as const), h: fc.nat(8), dirty: o.dirtyUnpins ? fc.boolean() : fc.constant(false) })),
    w(
      2,
      fc.record({
        op: c('dio' as const),
        p: procArb,
        page: pageArb,
        n: fc.integer({ min: 1, max: 2 }),
        count: fc.integer({ min: 1, max: 2 }),
        write: fc.boolean(),
      }),
    ),
    w(1, fc.record({ op: c('reclaim' as const), pages: fc.constantFrom(1, 64, 4096) })),
    w(
      3,
      fc.record({
        op: c('madvise' as const),
        p: procArb,
        page: pageArb,
        n: lenArb,
        advice: fc.constantFrom<Advice>('dontneed', 'pageout', 'hugepage', 'nohugepage', 'collapse', 'mergeable'),
      }),
    ),
    w(2, fc.record({ op: c('khugepaged' as const), passes: fc.integer({ min: 1, max: 2 }), p: fc.option(procArb, { nil: null }) })),
    w(1, fc.record({ op: c('compact' as const), order: fc.constantFrom(0, 3, 9, 9, 10), node: nodeArb })),
    w(1, fc.record({ op: c('alloc_contig' as const), pages: fc.constantFrom(1, 16, 512, 1024), cma: fc.boolean(), node: nodeArb })),
    w(1, fc.record({ op: c('free_contig' as const), h: fc.nat(4) })),
    w(1, fc.record({ op: c('driver_alloc' as const), pages: fc.constantFrom(1, 8, 64), movable: fc.boolean(), node: nodeArb })),
    w(1, fc.record({ op: c('driver_free' as const), h: fc.nat(4) })),
    w(1, fc.record({ op: c('fallocate' as const), file: fc.integer({ min: 0, max: 1 }), page: pageArb, n: lenArb, split: fc.boolean() })),
    w(1, fc.record({ op: c('truncate' as const), file: fc.integer({ min: 0, max: 1 }), pages: fc.constantFrom(0, 1, 300, 512, 513, 1024) })),
    w(1, fc.record({ op: c('ksm_scan' as const), passes: fc.integer({ min: 1, max: 2 }) })),
    ...(o.memoryFailure === false ? [] : [w(1, fc.record({ op: c('memory_failure' as const), p: procArb, page: pageArb }))]),
    w(1, fc.record({ op: c('sysctl' as const), set: sysctlArb })),
  );
}

const NONE = 0,
  ANON = 1,
  SHMEM = 2;

interface ProcShadow {
  pid: number;
  /** per window page: NONE, ANON or SHMEM */
  kind: Uint8Array;
  writable: Uint8Array;
  /** shmem pages: which file (index into FILES) and which file page */
  file: Int8Array;
  pgoff: Int32Array;
}

function newProc(pid: number): ProcShadow {
  return {
    pid,
    kind: new Uint8Array(REGION_PAGES),
    writable: new Uint8Array(REGION_PAGES),
    file: new Int8Array(REGION_PAGES).fill(-1),
    pgoff: new Int32Array(REGION_PAGES),
  };
}
function cloneProc(s: ProcShadow, pid: number): ProcShadow {
  return { pid, kind: s.kind.slice(), writable: s.writable.slice(), file: s.file.slice(), pgoff: s.pgoff.slice() };
}

const addr = (page: number) => REGION + page * PAGE_SIZE;

/** The first events of every stream: pid 1 maps 4 MiB of anonymous memory and 2 MiB of the shmem file shm0. */
export const STREAM_PROLOGUE: WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: REGION, len: 4 * MB, kind: 'anon' },
  { type: 'mmap', pid: 1, addr: REGION + 4 * MB, len: 2 * MB, kind: 'shmem', file: FILES[0], offset: 0 },
];

/** Turns intents into valid events against a shadow of the address spaces; invalid intents are dropped. */
export function toEvents(intents: readonly Intent[], o: StreamOptions = {}): WorkloadEvent[] {
  const out: WorkloadEvent[] = [...STREAM_PROLOGUE];
  const first = newProc(1);
  first.kind.fill(ANON, 0, 2 * CHUNK);
  first.writable.fill(1, 0, 3 * CHUNK);
  first.kind.fill(SHMEM, 2 * CHUNK, 3 * CHUNK);
  first.file.fill(0, 2 * CHUNK, 3 * CHUNK);
  for (let i = 0; i < CHUNK; i++) first.pgoff[2 * CHUNK + i] = i;
  const procs: ProcShadow[] = [first];
  /** shmem file sizes in pages (-1: not created yet). Sizes do not depend on the design. */
  const fileSize = [CHUNK, -1];
  /**
   * Held GUP handles. `dirtyable`: a device write through it (unpin dirty) has a defined meaning for the
   * content check — a FOLL_PIN write pin whose pages the process has not unmapped, zapped, moved or lost
   * since (a FOLL_GET reference gives no such guarantee at fork, in any era).
   */
  const handles: { name: string; get: boolean; pid: number; lo: number; hi: number; dirtyable: boolean }[] = [];
  const invalidate = (pid: number, lo: number, hi: number) => {
    for (const h of handles) if (h.pid === pid && h.lo < hi && lo < h.hi) h.dirtyable = false;
  };
  const drivers: string[] = [];
  const contigs: string[] = [];
  let nextPid = 2,
    nextHandle = 1,
    nextDriver = 1,
    nextContig = 1;
  /** Pages from `page` that are mapped (and writable / backed by the file inside i_size, if asked), at most n. */
  const run = (s: ProcShadow, page: number, n: number, opts: { writable?: boolean; inFile?: boolean; anon?: boolean } = {}) => {
    let r = 0;
    for (; r < n && page + r < REGION_PAGES; r++) {
      const q = page + r;
      if (s.kind[q] === NONE || (opts.writable && !s.writable[q]) || (opts.anon && s.kind[q] !== ANON)) break;
      if (opts.inFile && s.kind[q] === SHMEM && s.pgoff[q]! >= fileSize[s.file[q]!]!) break;
    }
    return r;
  };
  const clearPages = (s: ProcShadow, lo: number, hi: number) => {
    s.kind.fill(NONE, lo, hi);
    s.writable.fill(0, lo, hi);
    s.file.fill(-1, lo, hi);
    s.pgoff.fill(0, lo, hi);
  };
  for (const it of intents) {
    switch (it.op) {
      case 'reclaim':
        out.push({ type: 'reclaim', pages: it.pages });
        continue;
      case 'unpin': {
        if (handles.length === 0) continue;
        const [h] = handles.splice(it.h % handles.length, 1);
        out.push({ type: h!.get ? 'put' : 'unpin', handle: h!.name, ...(it.dirty && (h!.dirtyable || o.dirtyAnyHandle) ? { dirty: true } : {}) });
        continue;
      }
      case 'compact':
        out.push({ type: 'compact', order: it.order, ...(it.node === null ? {} : { node: it.node }) });
        continue;
      case 'alloc_contig': {
        if (contigs.length >= MAX_CONTIG_HANDLES) continue;
        const handle = `c${nextContig++}`;
        out.push({ type: 'alloc_contig', pages: it.pages, cma: it.cma, handle, ...(it.node === null ? {} : { node: it.node }) });
        contigs.push(handle);
        continue;
      }
      case 'free_contig': {
        if (contigs.length === 0) continue;
        const [handle] = contigs.splice(it.h % contigs.length, 1);
        out.push({ type: 'free_contig', handle: handle! });
        continue;
      }
      case 'driver_alloc': {
        if (drivers.length >= MAX_DRIVER_HANDLES) continue;
        const handle = `d${nextDriver++}`;
        out.push({
          type: 'driver_alloc',
          owner: it.movable ? 'zsmalloc' : 'zbud',
          pages: it.pages,
          movable: it.movable,
          handle,
          ...(it.node === null ? {} : { node: it.node }),
        });
        drivers.push(handle);
        continue;
      }
      case 'driver_free': {
        if (drivers.length === 0) continue;
        const [handle] = drivers.splice(it.h % drivers.length, 1);
        out.push({ type: 'driver_free', handle: handle! });
        continue;
      }
      case 'fallocate': {
        if (fileSize[it.file]! < 0) continue;
        out.push({
          type: 'fallocate',
          file: FILES[it.file]!,
          offset: it.page * PAGE_SIZE,
          len: it.n * PAGE_SIZE,
          mode: it.split ? 'punch_hole_split' : 'punch_hole',
        });
        continue;
      }
      case 'truncate': {
        if (fileSize[it.file]! < 0) continue;
        out.push({ type: 'truncate', file: FILES[it.file]!, size: it.pages * PAGE_SIZE });
        fileSize[it.file] = it.pages;
        continue;
      }
      case 'ksm_scan':
        out.push({ type: 'ksm_scan', passes: it.passes });
        continue;
      case 'sysctl':
        out.push({ type: 'sysctl', key: it.set.key, value: it.set.value });
        continue;
      case 'khugepaged': {
        if (it.p === null || procs.length === 0) out.push({ type: 'khugepaged', passes: it.passes });
        else out.push({ type: 'khugepaged', passes: it.passes, pid: procs[it.p % procs.length]!.pid });
        continue;
      }
      default:
        break;
    }
    if (procs.length === 0) continue;
    const s = procs[it.p % procs.length]!;
    const pid = s.pid;
    switch (it.op) {
      case 'touch': {
        const n = run(s, it.page, it.n, { writable: it.write });
        if (n)
          out.push({
            type: 'touch',
            pid,
            addr: addr(it.page),
            len: n * PAGE_SIZE,
            write: it.write,
            ...(it.write && it.value ? { value: 7000 + it.value } : {}),
          });
        break;
      }
      case 'fork': {
        if (procs.length >= MAX_PROCS) break;
        const child = nextPid++;
        out.push({ type: 'fork', parent: pid, child });
        procs.push(cloneProc(s, child));
        break;
      }
      case 'exit':
        invalidate(pid, 0, REGION_PAGES);
        out.push({ type: 'exit', pid });
        procs.splice(procs.indexOf(s), 1);
        break;
      case 'mmap': {
        const lo = it.chunk * CHUNK;
        if (s.kind.subarray(lo, lo + CHUNK).some((m) => m !== NONE)) break;
        if (!it.shmem) {
          out.push({ type: 'mmap', pid, addr: addr(lo), len: 2 * MB, kind: 'anon' });
          s.kind.fill(ANON, lo, lo + CHUNK);
        } else {
          const name = FILES[it.file]!;
          out.push({ type: 'mmap', pid, addr: addr(lo), len: 2 * MB, kind: 'shmem', file: name, offset: it.offset * PAGE_SIZE });
          s.kind.fill(SHMEM, lo, lo + CHUNK);
          s.file.fill(it.file, lo, lo + CHUNK);
          for (let i = 0; i < CHUNK; i++) s.pgoff[lo + i] = it.offset + i;
          fileSize[it.file] = Math.max(fileSize[it.file]!, it.offset + CHUNK);
        }
        s.writable.fill(1, lo, lo + CHUNK);
        break;
      }
      case 'munmap': {
        const n = Math.min(it.n, REGION_PAGES - it.page);
        out.push({ type: 'munmap', pid, addr: addr(it.page), len: n * PAGE_SIZE });
        clearPages(s, it.page, it.page + n);
        invalidate(pid, it.page, it.page + n);
        break;
      }
      case 'mprotect': {
        const n = run(s, it.page, it.n);
        if (!n) break;
        out.push({ type: 'mprotect', pid, addr: addr(it.page), len: n * PAGE_SIZE, write: it.write });
        s.writable.fill(it.write ? 1 : 0, it.page, it.page + n);
        break;
      }
      case 'mremap': {
        const n = run(s, it.page, it.n);
        if (!n || it.dst === it.page || it.dst + n > REGION_PAGES) break;
        // The destination must be free, apart from the source range itself.
        let free = true;
        for (let q = it.dst; q < it.dst + n && free; q++) if (s.kind[q] !== NONE && (q < it.page || q >= it.page + n)) free = false;
        if (!free) break;
        out.push({ type: 'mremap', pid, addr: addr(it.page), len: n * PAGE_SIZE, newAddr: addr(it.dst) });
        const moved = {
          kind: s.kind.slice(it.page, it.page + n),
          writable: s.writable.slice(it.page, it.page + n),
          file: s.file.slice(it.page, it.page + n),
          pgoff: s.pgoff.slice(it.page, it.page + n),
        };
        clearPages(s, it.page, it.page + n);
        invalidate(pid, it.page, it.page + n);
        s.kind.set(moved.kind, it.dst);
        s.writable.set(moved.writable, it.dst);
        s.file.set(moved.file, it.dst);
        s.pgoff.set(moved.pgoff, it.dst);
        break;
      }
      case 'pin': {
        if (handles.length >= MAX_HANDLES) break;
        const n = run(s, it.page, it.n, { inFile: true });
        if (!n) break;
        const writable = run(s, it.page, n, { writable: true }) === n;
        const write = writable || it.roWrite;
        const name = `h${nextHandle++}`;
        out.push({
          type: it.get ? 'get' : 'pin',
          pid,
          addr: addr(it.page),
          len: n * PAGE_SIZE,
          handle: name,
          fast: it.fast,
          write,
          ...(it.longterm ? { longterm: true } : {}),
        });
        handles.push({ name, get: it.get, pid, lo: it.page, hi: it.page + n, dirtyable: !it.get && writable });
        break;
      }
      case 'dio': {
        const n = run(s, it.page, it.n, { inFile: true });
        if (n) out.push({ type: 'dio', pid, addr: addr(it.page), len: n * PAGE_SIZE, write: it.write, count: it.count });
        break;
      }
      case 'madvise': {
        // MADV_COLLAPSE makes shmem THPs whatever thp.shmem_enabled says.
        const n = run(s, it.page, it.n, { anon: it.advice === 'collapse' && o.shmemThp === false });
        if (!n) break;
        out.push({ type: 'madvise', pid, addr: addr(it.page), len: n * PAGE_SIZE, advice: it.advice });
        if (it.advice === 'dontneed') invalidate(pid, it.page, it.page + n);
        break;
      }
      case 'memory_failure':
        if (s.kind[it.page] === NONE) break;
        out.push({ type: 'memory_failure', pid, addr: addr(it.page) });
        // The poisoned page leaves every process and the page cache, whoever maps it.
        for (const h of handles) h.dirtyable = false;
        break;
    }
  }
  return out;
}

/** Random valid event streams (printed, when shrunk, as the event list). Pass the fast-check module. */
export function streamArbitrary(fc: FastCheck, o: StreamOptions = {}): Arbitrary<WorkloadEvent[]> {
  return fc.array(intentArbitrary(fc, o), { maxLength: o.maxEvents ?? 40, size: 'max' }).map((intents) => toEvents(intents, o));
}

/**
 * Releases every GUP handle, driver allocation and contiguous range, exits
 * every process and truncates every shmem file to 0: afterwards nothing
 * should hold memory (hwpoisoned frames stay out of service).
 */
export function teardownEvents(k: Kernel): WorkloadEvent[] {
  const out: WorkloadEvent[] = [];
  const byName = <T>(m: Map<string, T>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [name, h] of byName(k.handles)) out.push({ type: h.kind === 'pin' ? 'unpin' : 'put', handle: name });
  for (const [name, d] of byName(k.drivers)) out.push(d.contig ? { type: 'free_contig', handle: name } : { type: 'driver_free', handle: name });
  for (const pid of [...k.mms.keys()].sort((a, b) => a - b)) out.push({ type: 'exit', pid });
  for (const [name] of byName(k.files)) out.push({ type: 'truncate', file: name, size: 0 });
  return out;
}

/** What is left once teardownEvents ran: every count should be 0. */
export function leftovers(k: Kernel, freeFramesAtStart: number): { freeFrames: number; lruFolios: number; swapSlots: number; deferred: number } {
  return {
    freeFrames: k.buddy.freeFrames() + k.buddy.hwpoisonedFrames - freeFramesAtStart,
    lruFolios: k.lru.size,
    swapSlots: k.swap.used,
    deferred: k.deferredLen,
  };
}

export function describeEvent(i: number, e: WorkloadEvent): string {
  return `event #${i} ${JSON.stringify(e)}`;
}

/**
 * Applies events in order. A ModelInputError (an event the model refuses)
 * is rethrown naming the event; with `check`, kernel-core's invariants
 * (which include the content check) are verified after every event and the
 * first violation is thrown the same way.
 */
export function runEvents(k: Kernel, events: readonly WorkloadEvent[], opts: { check?: boolean; after?: (i: number, e: WorkloadEvent) => void } = {}): void {
  events.forEach((e, i) => {
    try {
      applyEvent(k, e, i + 1);
    } catch (err) {
      const why = err instanceof ModelInputError ? `refused: ${err.message}` : `threw: ${(err as Error).stack ?? String(err)}`;
      throw new Error(`${describeEvent(i, e)} ${why}`);
    }
    if (opts.check) {
      const v = checkInvariants(k);
      if (v.length) throw new Error(`invariants broken after ${describeEvent(i, e)}:\n  ${v.slice(0, 10).map(describeViolation).join('\n  ')}`);
    }
    opts.after?.(i, e);
  });
}

/**
 * What each process can observe of its memory: its VMAs (with protection)
 * and, for every page of them that reads non-zero, the content token it
 * would read — present, swapped, or (shmem) still only in the page cache
 * alike. Pages that read zero (pte_none, the zero page, holes) are absent:
 * whether a design maps a zero-filled page there is not visible to the
 * process. Same workload, same view — whatever the refcount design.
 */
export interface UserView {
  [pid: string]: { vmas: string[]; pages: Record<string, number> };
}

export function userView(k: Kernel): UserView {
  const out: UserView = {};
  const f = k.frames;
  for (const pid of [...k.mms.keys()].sort((a, b) => a - b)) {
    const mm = k.mms.get(pid)!;
    const pages: Record<string, number> = {};
    const vmas: string[] = [];
    for (const v of mm.vmas) {
      vmas.push(`${v.start}-${v.end}:${v.kind}:${v.write ? 'rw' : 'r'}`);
      const file = v.kind === 'shmem' ? k.fileById(v.fileId) : undefined;
      for (let a = v.start; a < v.end; a += PAGE_SIZE) {
        const pt = mm.pt(a);
        let c = 0;
        const e = pt && pt.pmd === 0 ? pt.ptes[pteIndex(a)]! : 0;
        if (pt && pt.pmd > 0) c = f.content[ptePfn(pt.pmd) + pteIndex(a)]!;
        else if (ptePresent(e)) c = f.content[ptePfn(e)]!;
        else if (pteSwap(e)) c = k.swap.content[swapSlot(e)]!;
        else if (file) {
          const pfn = file.lookup(v.pgoffOf(a), (p) => f.order(p));
          if (pfn !== undefined) c = f.content[pfn]!;
        }
        if (c !== 0) pages[a] = c;
      }
    }
    out[pid] = { vmas, pages };
  }
  return out;
}

/** The first difference between two user views, or null. */
export function diffUserViews(a: UserView, b: UserView): string | null {
  const pids = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => Number(x) - Number(y));
  for (const pid of pids) {
    const x = a[pid],
      y = b[pid];
    if (!x || !y) return `pid ${pid} exists in only one run`;
    if (x.vmas.join() !== y.vmas.join()) return `pid ${pid} VMAs differ: ${x.vmas.join(' ')} vs ${y.vmas.join(' ')}`;
    const addrs = [...new Set([...Object.keys(x.pages), ...Object.keys(y.pages)])].sort((p, q) => Number(p) - Number(q));
    for (const ad of addrs) {
      if (x.pages[ad] !== y.pages[ad]) return `pid ${pid} addr ${ad}: reads ${x.pages[ad] ?? 0} vs ${y.pages[ad] ?? 0}`;
    }
  }
  return null;
}

/**
 * fast-check parameters for a property test over these streams. Each suite
 * fixes its seed and number of streams so CI is deterministic;
 * PAGELAB_PROPERTY_SEED and PAGELAB_PROPERTY_RUNS override both, to explore
 * beyond them. A failure prints the seed and the shrunk stream, which then
 * becomes a named test.
 */
export function propertyParams(seed: number, numRuns: number): { seed: number; numRuns: number } {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const s = env['PAGELAB_PROPERTY_SEED'];
  const r = env['PAGELAB_PROPERTY_RUNS'];
  return { seed: s !== undefined ? Number(s) : seed, numRuns: r !== undefined ? Number(r) : numRuns };
}
