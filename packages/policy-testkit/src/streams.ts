/**
 * Random workload streams for conformance tests, and running them.
 *
 * fast-check generates *intents* (which process, which page, how many);
 * `toEvents` turns them into events that are valid against a small shadow
 * of the address spaces (live pids, mapped and writable pages, held GUP
 * handles), so every generated event is one the model must accept. The
 * arbitrary maps intents to events, so a shrunk counterexample prints as
 * the event list itself.
 *
 * Events used: spawn, fork, exit, mmap, munmap, mprotect, touch, pin/unpin,
 * get/put, dio, reclaim, madvise (dontneed, pageout, hugepage, nohugepage).
 * TODO(add when kernel-core implements them): khugepaged, madvise collapse,
 * compact, alloc_contig / free_contig, driver_alloc / driver_free,
 * fallocate / truncate (shmem THP), ksm_scan + madvise mergeable,
 * memory_failure, mremap, shmem mappings, sysctl changes mid-stream.
 */
import fc from 'fast-check';
import type { WorkloadEvent } from '@pagelab/events';
import { type Kernel, ModelInputError, PAGE_SIZE, applyEvent, checkInvariants, pteIndex, ptePfn, ptePresent, pteSwap, swapSlot } from '@pagelab/kernel-core';

const MB = 1 << 20;
/** Every process maps (at most) [REGION, REGION + 4 MiB): two PMD ranges. */
export const REGION = 64 * MB;
export const REGION_PAGES = 1024;
const MAX_PROCS = 4;
const MAX_HANDLES = 6;

type Advice = 'dontneed' | 'pageout' | 'hugepage' | 'nohugepage';
export type Intent =
  | { op: 'touch'; p: number; page: number; n: number; write: boolean }
  | { op: 'fork'; p: number }
  | { op: 'exit'; p: number }
  | { op: 'mmap'; p: number; chunk: number }
  | { op: 'munmap'; p: number; page: number; n: number }
  | { op: 'mprotect'; p: number; page: number; n: number; write: boolean }
  | { op: 'pin'; p: number; page: number; n: number; fast: boolean; get: boolean }
  | { op: 'unpin'; h: number; dirty: boolean }
  | { op: 'dio'; p: number; page: number; n: number; count: number }
  | { op: 'reclaim'; pages: number }
  | { op: 'madvise'; p: number; page: number; n: number; advice: Advice };

export interface StreamOptions {
  /** Longest stream (intents; some are dropped as invalid). Default 40. */
  maxEvents?: number;
  /**
   * Generate `unpin {dirty: true}` (a device write through the pin). Off by
   * default: before 5.9 a CoW after fork can move a process away from the
   * page it pinned (the GUP-after-fork bug), and the model reports that
   * lost write as an invariant violation — the era's behaviour, not the
   * policy's.
   */
  dirtyUnpins?: boolean;
}

// Offsets where THP boundaries and the scenarios' favourite pages are.
const pageArb = fc.oneof(fc.constantFrom(0, 1, 7, 255, 256, 300, 511, 512, 519, 768, 1023), fc.integer({ min: 0, max: REGION_PAGES - 1 }));
const lenArb = fc.oneof(fc.constantFrom(1, 1, 2, 256, 512, 1024), fc.integer({ min: 1, max: 16 }));
const procArb = fc.integer({ min: 0, max: MAX_PROCS - 1 });

function intentArb(o: StreamOptions): fc.Arbitrary<Intent> {
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('touch' as const), p: procArb, page: pageArb, n: lenArb, write: fc.boolean() }), weight: 6 },
    { arbitrary: fc.record({ op: fc.constant('fork' as const), p: procArb }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('exit' as const), p: procArb }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('mmap' as const), p: procArb, chunk: fc.integer({ min: 0, max: 1 }) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('munmap' as const), p: procArb, page: pageArb, n: lenArb }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('mprotect' as const), p: procArb, page: pageArb, n: lenArb, write: fc.boolean() }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('pin' as const), p: procArb, page: pageArb, n: fc.integer({ min: 1, max: 4 }), fast: fc.boolean(), get: fc.boolean() }), weight: 3 },
    { arbitrary: fc.record({ op: fc.constant('unpin' as const), h: fc.nat(8), dirty: o.dirtyUnpins ? fc.boolean() : fc.constant(false) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('dio' as const), p: procArb, page: pageArb, n: fc.integer({ min: 1, max: 2 }), count: fc.integer({ min: 1, max: 2 }) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('reclaim' as const), pages: fc.constantFrom(1, 64, 4096) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('madvise' as const), p: procArb, page: pageArb, n: lenArb, advice: fc.constantFrom<Advice>('dontneed', 'pageout', 'hugepage', 'nohugepage') }), weight: 2 },
  );
}

interface ProcShadow {
  pid: number;
  mapped: Uint8Array;
  writable: Uint8Array;
}

/** The first events of every stream: pid 1 maps 4 MiB of anonymous memory. */
export const STREAM_PROLOGUE: WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: REGION, len: 4 * MB, kind: 'anon' },
];

/** Turns intents into valid events against a shadow of the address spaces; invalid intents are dropped. */
export function toEvents(intents: readonly Intent[]): WorkloadEvent[] {
  const out: WorkloadEvent[] = [...STREAM_PROLOGUE];
  const procs: ProcShadow[] = [{ pid: 1, mapped: new Uint8Array(REGION_PAGES).fill(1), writable: new Uint8Array(REGION_PAGES).fill(1) }];
  const handles: { name: string; get: boolean }[] = [];
  let nextPid = 2, nextHandle = 1;
  const addr = (page: number) => REGION + page * PAGE_SIZE;
  /** Pages from `page` that are mapped (and writable if asked), at most n. */
  const run = (s: ProcShadow, page: number, n: number, writable: boolean) => {
    let r = 0;
    while (r < n && page + r < REGION_PAGES && s.mapped[page + r] && (!writable || s.writable[page + r])) r++;
    return r;
  };
  for (const it of intents) {
    if (it.op === 'reclaim') {
      out.push({ type: 'reclaim', pages: it.pages });
      continue;
    }
    if (it.op === 'unpin') {
      if (handles.length === 0) continue;
      const [h] = handles.splice(it.h % handles.length, 1);
      out.push({ type: h!.get ? 'put' : 'unpin', handle: h!.name, ...(it.dirty ? { dirty: true } : {}) });
      continue;
    }
    if (procs.length === 0) continue;
    const s = procs[it.p % procs.length]!;
    const pid = s.pid;
    switch (it.op) {
      case 'touch': {
        const n = run(s, it.page, it.n, it.write);
        if (n) out.push({ type: 'touch', pid, addr: addr(it.page), len: n * PAGE_SIZE, write: it.write });
        break;
      }
      case 'fork': {
        if (procs.length >= MAX_PROCS) break;
        const child = nextPid++;
        out.push({ type: 'fork', parent: pid, child });
        procs.push({ pid: child, mapped: s.mapped.slice(), writable: s.writable.slice() });
        break;
      }
      case 'exit':
        out.push({ type: 'exit', pid });
        procs.splice(procs.indexOf(s), 1);
        break;
      case 'mmap': {
        const lo = it.chunk * 512;
        if (s.mapped.subarray(lo, lo + 512).some((m) => m !== 0)) break;
        out.push({ type: 'mmap', pid, addr: addr(lo), len: 2 * MB, kind: 'anon' });
        s.mapped.fill(1, lo, lo + 512);
        s.writable.fill(1, lo, lo + 512);
        break;
      }
      case 'munmap': {
        const n = Math.min(it.n, REGION_PAGES - it.page);
        out.push({ type: 'munmap', pid, addr: addr(it.page), len: n * PAGE_SIZE });
        s.mapped.fill(0, it.page, it.page + n);
        s.writable.fill(0, it.page, it.page + n);
        break;
      }
      case 'mprotect': {
        const n = run(s, it.page, it.n, false);
        if (!n) break;
        out.push({ type: 'mprotect', pid, addr: addr(it.page), len: n * PAGE_SIZE, write: it.write });
        s.writable.fill(it.write ? 1 : 0, it.page, it.page + n);
        break;
      }
      case 'pin': {
        if (handles.length >= MAX_HANDLES) break;
        const n = run(s, it.page, it.n, false);
        if (!n) break;
        const write = run(s, it.page, n, true) === n;
        const name = `h${nextHandle++}`;
        out.push({ type: it.get ? 'get' : 'pin', pid, addr: addr(it.page), len: n * PAGE_SIZE, handle: name, fast: it.fast, write });
        handles.push({ name, get: it.get });
        break;
      }
      case 'dio': {
        const n = run(s, it.page, it.n, false);
        if (n) out.push({ type: 'dio', pid, addr: addr(it.page), len: n * PAGE_SIZE, write: true, count: it.count });
        break;
      }
      case 'madvise': {
        const n = run(s, it.page, it.n, false);
        if (n) out.push({ type: 'madvise', pid, addr: addr(it.page), len: n * PAGE_SIZE, advice: it.advice });
        break;
      }
    }
  }
  return out;
}

/** Random valid event streams (printed, when shrunk, as the event list). */
export function streamArbitrary(o: StreamOptions = {}): fc.Arbitrary<WorkloadEvent[]> {
  return fc.array(intentArb(o), { maxLength: o.maxEvents ?? 40, size: 'max' }).map(toEvents);
}

/** Releases every GUP handle and exits every process: afterwards nothing should hold memory. */
export function teardownEvents(k: Kernel): WorkloadEvent[] {
  const out: WorkloadEvent[] = [];
  for (const [name, h] of [...k.handles.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out.push({ type: h.kind === 'pin' ? 'unpin' : 'put', handle: name });
  for (const pid of [...k.mms.keys()].sort((a, b) => a - b)) out.push({ type: 'exit', pid });
  return out;
}

export function describeEvent(i: number, e: WorkloadEvent): string {
  return `event #${i} ${JSON.stringify(e)}`;
}

/**
 * Applies events in order. A ModelInputError (an event the model refuses)
 * is rethrown naming the event; with `check`, kernel-core's invariants are
 * verified after every event and the first violation is thrown the same way.
 */
export function runEvents(k: Kernel, events: readonly WorkloadEvent[], opts: { check?: boolean; after?: (i: number, e: WorkloadEvent) => void } = {}): void {
  events.forEach((e, i) => {
    k.seq = i;
    try {
      applyEvent(k, e, i + 1);
    } catch (err) {
      const why = err instanceof ModelInputError ? `refused: ${err.message}` : `threw: ${(err as Error).stack ?? String(err)}`;
      throw new Error(`${describeEvent(i, e)} ${why}`);
    }
    if (opts.check) {
      const v = checkInvariants(k);
      if (v.length) throw new Error(`invariants broken after ${describeEvent(i, e)}:\n  ${v.slice(0, 10).join('\n  ')}`);
    }
    opts.after?.(i, e);
  });
}

/**
 * What each process can observe of its memory: its VMAs (with protection)
 * and, for every page it has mapped, the content token it would read
 * (present or swapped alike; the shared zero page reads 0). Unmapped pages
 * are absent. Same workload, same view — whatever the refcount design.
 */
export interface UserView {
  [pid: string]: { vmas: string[]; pages: Record<string, number> };
}

export function userView(k: Kernel): UserView {
  const out: UserView = {};
  for (const pid of [...k.mms.keys()].sort((a, b) => a - b)) {
    const mm = k.mms.get(pid)!;
    const pages: Record<string, number> = {};
    const vmas: string[] = [];
    for (const v of mm.vmas) {
      vmas.push(`${v.start}-${v.end}:${v.kind}:${v.write ? 'rw' : 'r'}`);
      for (let a = v.start; a < v.end; a += PAGE_SIZE) {
        const pt = mm.pt(a);
        if (!pt) continue;
        if (pt.pmd > 0) pages[a] = k.frames.content[ptePfn(pt.pmd) + pteIndex(a)]!;
        else {
          const e = pt.ptes[pteIndex(a)]!;
          if (ptePresent(e)) pages[a] = k.frames.content[ptePfn(e)]!;
          else if (pteSwap(e)) pages[a] = k.swap.content[swapSlot(e)]!;
        }
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
    const x = a[pid], y = b[pid];
    if (!x || !y) return `pid ${pid} exists in only one run`;
    if (x.vmas.join() !== y.vmas.join()) return `pid ${pid} VMAs differ: ${x.vmas.join(' ')} vs ${y.vmas.join(' ')}`;
    const addrs = [...new Set([...Object.keys(x.pages), ...Object.keys(y.pages)])].sort((p, q) => Number(p) - Number(q));
    for (const ad of addrs) {
      if (x.pages[ad] !== y.pages[ad]) return `pid ${pid} addr ${ad}: ${x.pages[ad] ?? 'unmapped'} vs ${y.pages[ad] ?? 'unmapped'}`;
    }
  }
  return null;
}
