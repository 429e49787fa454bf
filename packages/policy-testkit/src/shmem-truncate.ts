/**
 * The shmem-truncate axis' conformance suite. Every shmem-truncate policy
 * package runs it from its own test file:
 *
 *   runShmemTruncateConformance(descriptor);
 *
 * The axis decides what a hole punch (or truncate) that covers only part of
 * a shmem THP does: zero the punched pages and keep the huge folio, or split
 * it and free them; and whether khugepaged / MADV_COLLAPSE may collapse a
 * range split by a punch straight back. Whatever a design answers:
 *
 *   - it is a plug-in whose parameters decode through its own codec;
 *   - kernel-core's invariants (which include every process' content,
 *     contentMismatch) hold after every event of random streams weighted
 *     towards shmem (shmem mappings and writes, fallocate punch_hole and
 *     punch_hole_split, truncate, khugepaged and MADV_COLLAPSE of shmem,
 *     pins of shmem pages, thp.shmem_enabled), and every page a file caches
 *     reads what the file holds, for the file and for every process mapping
 *     it;
 *   - after a punch (or a truncate), the punched pages read zero for the
 *     file and every mapper, and every page outside the hole reads what it
 *     read before;
 *   - when the policy says split and nothing pins the folio (no GUP handle,
 *     no hwpoisoned page), the punched pages are freed; when it says keep
 *     (or the split fails), each punched page is still in the folio and the
 *     waste meter counts it as truncated-retained;
 *   - while mayRecollapse answers false for a range a punch split, neither
 *     khugepaged, MADV_COLLAPSE nor a fault brings a huge folio back there;
 *     asking it is free (no locked op);
 *   - a replay of the same stream is identical (ledger totals, outcomes,
 *     observations, answers);
 *   - refcounts and mapcounts change only through ledger primitives
 *     (audit.ts), and no lock is left held;
 *   - nothing is left once every pin, process and file is released.
 *
 * A fixed scenario (SHMEM_PUNCH_SCENARIO) asks every design about a pinned
 * and an unpinned folio and tries to collapse the punched range back.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import {
  HPAGE_PMD_NR,
  type Kernel,
  type MM,
  type MachineConfig,
  type ModelParams,
  PAGE_SIZE,
  PG,
  type PolicyDescriptor,
  type Settings,
  type ShmemTruncatePolicy,
  guardViolations,
  ptePfn,
  ptePresent,
} from '@pagelab/kernel-core';
import { type AxisSuiteOptions, axisAudit, axisLeftovers, defineAxisSuite } from './axis-suite.js';
import { descriptorProblems, policyFrom, streamKernel, watchedKernel } from './machine.js';
import { type Intent, type StreamOptions, describeEvent, intentArbitrary, runEvents, toEvents, userView } from './streams.js';

type ShmemFile = ReturnType<Kernel['file']>;

export const SHMEM_TRUNCATE_SEED = 20180228;

/** The options every axis' suite takes (axis-suite.ts). */
export type ShmemTruncateConformanceOptions<P> = AxisSuiteOptions<P>;

// ------------------------------------------------------------- plumbing

/** Instantiates a descriptor's policy from its defaults plus overrides, through its own codec. */
export function shmemTruncatePolicyFrom<P>(d: PolicyDescriptor<'shmem-truncate', P>, overrides: Partial<P> = {}): ShmemTruncatePolicy {
  return policyFrom(d, overrides);
}

/** What is wrong with a shmem-truncate descriptor (empty: nothing). */
export function shmemTruncateDescriptorProblems<P>(d: PolicyDescriptor<'shmem-truncate', P>): string[] {
  return descriptorProblems(d, 'shmem-truncate', ['splitOnPartialPunch', 'mayRecollapse']);
}

export interface ShmemTruncateMachineOptions {
  params?: Partial<ModelParams>;
  config?: Partial<MachineConfig>;
  settings?: Partial<Settings>;
}

/** A Kernel on STREAM_MACHINE (shmem THPs always) with `policy` on the shmem-truncate axis and kernel-core's reference policies elsewhere. */
export function shmemTruncateKernel(policy: ShmemTruncatePolicy, opts: ShmemTruncateMachineOptions = {}): Kernel {
  return streamKernel({ shmemTruncate: policy }, opts);
}

// ------------------------------------------------------------- streams

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
/** Window pages of the first process' shmem mapping (file shm0, pages 0..511). */
const SHMEM_CHUNK = 1024;

/**
 * The axis' own intents: writes to the shmem mapping (whole THPs and single
 * pages), punches of every shape in both files (single pages, THP
 * boundaries, whole THPs, with and without punch_hole_split), truncates,
 * khugepaged passes and MADV_COLLAPSE / MADV_HUGEPAGE of the shmem range,
 * pins of shmem pages, new shmem mappings, forks (more mappers) and
 * thp.shmem_enabled.
 */
export function shmemTruncateFocusIntents(): fc.Arbitrary<Intent> {
  const c = <T extends string>(v: T) => fc.constant(v);
  const p = fc.nat(3);
  const filePage = fc.oneof(fc.constantFrom(0, 1, 2, 7, 100, 255, 256, 300, 510, 511, 512, 513, 767), fc.integer({ min: 0, max: 1023 }));
  const shmemPage = fc.oneof(
    fc.constantFrom(0, 1, 2, 7, 100, 255, 256, 300, 511, 512, 1023).map((i) => SHMEM_CHUNK + i),
    fc.integer({ min: SHMEM_CHUNK, max: 2047 }),
  );
  return fc.oneof(
    w(
      5,
      fc.record({
        op: c('fallocate' as const),
        file: fc.constantFrom(0, 0, 0, 1),
        page: filePage,
        n: fc.constantFrom(1, 1, 2, 3, 16, 255, 256, 511, 512),
        split: fc.boolean(),
      }),
    ),
    w(2, fc.record({ op: c('truncate' as const), file: fc.constantFrom(0, 0, 1), pages: fc.constantFrom(0, 1, 7, 300, 511, 512, 513, 1024) })),
    w(
      5,
      fc.record({
        op: c('touch' as const),
        p,
        page: shmemPage,
        n: fc.constantFrom(1, 1, 16, 256, 512),
        write: fc.constantFrom(true, true, false),
        value: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
      }),
    ),
    w(2, fc.record({ op: c('khugepaged' as const), passes: fc.integer({ min: 1, max: 2 }), p: fc.option(p, { nil: null }) })),
    // MADV_COLLAPSE works on the PMD ranges wholly inside the advised range: start at a 2 MiB boundary.
    w(
      2,
      fc.record({
        op: c('madvise' as const),
        p,
        page: fc.constantFrom(SHMEM_CHUNK, SHMEM_CHUNK, 1536, 0, 512),
        n: fc.constantFrom(512, 512, 1024),
        advice: fc.constant('collapse' as const),
      }),
    ),
    w(1, fc.record({ op: c('madvise' as const), p, page: shmemPage, n: fc.constantFrom(1, 16, 512), advice: fc.constant('hugepage' as const) })),
    w(
      2,
      fc.record({
        op: c('pin' as const),
        p,
        page: shmemPage,
        n: fc.integer({ min: 1, max: 4 }),
        fast: fc.boolean(),
        get: fc.boolean(),
        longterm: fc.boolean(),
        roWrite: fc.constant(false),
      }),
    ),
    w(2, fc.record({ op: c('unpin' as const), h: fc.nat(8), dirty: fc.constant(false) })),
    w(
      1,
      fc.record({
        op: c('mmap' as const),
        p,
        chunk: fc.constantFrom(0, 1, 3),
        shmem: fc.constant(true),
        file: fc.integer({ min: 0, max: 1 }),
        offset: fc.constantFrom(0, 0, 1, 512),
      }),
    ),
    w(1, fc.record({ op: c('fork' as const), p })),
    w(
      1,
      fc.record({
        op: c('sysctl' as const),
        set: fc.record({
          key: c('thp.shmem_enabled' as const),
          value: fc.constantFrom('always' as const, 'always' as const, 'within_size' as const, 'advise' as const, 'never' as const),
        }),
      }),
    ),
  );
}

/** What starts a stream (one or two of them): a write of the whole shmem mapping (a THP), a second file, a second mapper. */
export function shmemTruncateLoadIntents(): fc.Arbitrary<Intent> {
  const c = <T extends string>(v: T) => fc.constant(v);
  return fc.oneof(
    w(
      3,
      fc.record({
        op: c('touch' as const),
        p: fc.constant(0),
        page: fc.constant(SHMEM_CHUNK),
        n: fc.constant(512),
        write: fc.constant(true),
        value: fc.constant(0),
      }),
    ),
    w(
      1,
      fc.record({
        op: c('mmap' as const),
        p: fc.constant(0),
        chunk: fc.constant(3),
        shmem: fc.constant(true),
        file: fc.constantFrom(0, 1),
        offset: fc.constantFrom(0, 512),
      }),
    ),
    w(1, fc.record({ op: c('fork' as const), p: fc.constant(0) })),
  );
}

/** Random valid streams: a load prefix, then the shared generator's intents (any event type) mixed 2:3 with the axis' own. */
export function shmemTruncateStreams(o: StreamOptions = {}): fc.Arbitrary<WorkloadEvent[]> {
  const mix = fc.oneof(w(2, intentArbitrary(o)), w(3, shmemTruncateFocusIntents()));
  return fc
    .tuple(
      fc.array(shmemTruncateLoadIntents(), { minLength: 1, maxLength: 2 }),
      fc.array(mix, { minLength: Math.min(10, o.maxEvents ?? 40), maxLength: o.maxEvents ?? 40, size: 'max' }),
    )
    .map(([load, rest]) => toEvents([...load, ...rest], o));
}

// --------------------------------------------------------- the watcher

/** One partial punch the model asked the policy about. */
export interface PunchAnswer {
  event: number;
  file: string;
  head: number;
  /** page-cache index of the folio */
  start: number;
  /** punched pages of the folio: [lo, hi) */
  lo: number;
  hi: number;
  splitRequested: boolean;
  /** a GUP handle holds a page of the folio, or a page of it is hwpoisoned: a split may fail */
  pinned: boolean;
  split: boolean;
}

/** What a page-cache index of `file` reads (0: a hole). */
export function fileRead(k: Kernel, file: ShmemFile, index: number): number {
  const pfn = file.lookup(index, (p) => k.frames.order(p));
  return pfn === undefined ? 0 : k.frames.content[pfn]!;
}

/** Every cached index of a file, with what it reads. */
function fileContents(k: Kernel, file: ShmemFile): Map<number, number> {
  const out = new Map<number, number>();
  for (const [idx, pfn] of file.cache) {
    const n = k.frames.nrPages(pfn);
    for (let i = 0; i < n; i++) out.set(idx + i, k.frames.content[pfn + i]!);
  }
  return out;
}

/** The hole an event punches: [file, start, end) in page-cache indexes (end may be Infinity), or null. */
function holeOf(k: Kernel, e: WorkloadEvent): { file: string; start: number; end: number } | null {
  if (e.type === 'fallocate') return { file: e.file, start: Math.floor(e.offset / PAGE_SIZE), end: Math.ceil((e.offset + e.len) / PAGE_SIZE) };
  if (e.type === 'truncate') {
    const f = k.files.get(e.file);
    if (!f || e.size >= f.size) return null;
    return { file: e.file, start: Math.ceil(e.size / PAGE_SIZE), end: Infinity };
  }
  return null;
}

/**
 * Wraps a shmem-truncate policy to check, on one Kernel, what every punch
 * did with the policy's answers, and what khugepaged and faults did with
 * the ranges a punch split. Build it first, put `watch.policy` on the
 * kernel, `attach(k)`, then call `beforeEvent` and `afterEvent` around each
 * event (`afterEvent` returns that event's violations, as sentences).
 */
export class ShmemTruncateWatch {
  readonly policy: ShmemTruncatePolicy;
  readonly answers: PunchAnswer[] = [];
  /** mayRecollapse questions the model asked, and the answers */
  readonly recollapseAnswers: { event: number; fileId: number; index: number; answer: boolean }[] = [];
  private k: Kernel | null = null;
  private event = 0;
  private violations: string[] = [];
  private hole: { file: string; start: number; end: number } | null = null;
  private before = new Map<number, number>();
  /** `${fileId}:${start}` of ranges a punch split (as the model should remember them) */
  private splitRanges = new Set<string>();
  /** those the policy refused to collapse back, asked before the current event */
  private guarded: { fileId: number; start: number }[] = [];

  constructor(readonly inner: ShmemTruncatePolicy) {
    const self = this;
    this.policy = {
      id: inner.id,
      splitOnPartialPunch(k, head, splitRequested) {
        const f = k.frames;
        const nr = f.nrPages(head);
        const start = f.index[head]!;
        const h = self.hole;
        let pinned = false;
        const m = watchedKernel(k);
        for (const hd of m.handles.values()) for (const p of hd.pfns) if (p >= head && p < head + nr) pinned = true;
        for (let i = 0; i < nr; i++) if (f.test(head + i, PG.hwpoison)) pinned = true;
        const depth = m.ledger.currentDepth;
        const split = inner.splitOnPartialPunch(k, head, splitRequested);
        if (m.ledger.currentDepth !== depth) self.violations.push(`splitOnPartialPunch(${head}) left ${m.ledger.currentDepth - depth} locks held`);
        if (!h) self.violations.push(`the model asked splitOnPartialPunch(${head}) outside a punch or truncate`);
        else {
          const lo = Math.max(h.start, start) - start,
            hi = Math.min(h.end, start + nr) - start;
          self.answers.push({ event: self.event, file: h.file, head, start, lo, hi, splitRequested, pinned, split });
        }
        return split;
      },
      mayRecollapse(k, fileId, index) {
        const answer = inner.mayRecollapse(k, fileId, index);
        self.recollapseAnswers.push({ event: self.event, fileId, index, answer });
        return answer;
      },
    };
    if (inner.onPunch) {
      const onPunch = inner.onPunch.bind(inner);
      this.policy.onPunch = (k, file, start, end) => {
        const l = watchedKernel(k).ledger;
        const depth = l.currentDepth;
        onPunch(k, file, start, end);
        if (l.currentDepth !== depth) self.violations.push(`onPunch(${file.name}, ${start}, ${end}) left ${l.currentDepth - depth} locks held`);
        if (!self.hole || self.hole.file !== file.name) self.violations.push(`the model called onPunch(${file.name}) outside a punch of that file`);
      };
    }
  }

  attach(k: Kernel): this {
    this.k = k;
    return this;
  }

  /** Snapshots what the next event may change, and asks the policy about every range a punch split. */
  beforeEvent(i: number, e: WorkloadEvent): void {
    const k = this.k!;
    this.event = i;
    this.hole = holeOf(k, e);
    const file = this.hole ? k.files.get(this.hole.file) : undefined;
    this.before = file ? fileContents(k, file) : new Map();
    this.guarded = [];
    for (const key of [...this.splitRanges].sort()) {
      const [fileId, start] = key.split(':').map(Number) as [number, number];
      const ops = k.ledger.lockedOps;
      const may = this.inner.mayRecollapse(k, fileId, start);
      if (k.ledger.lockedOps !== ops) this.violations.push(`mayRecollapse(${fileId}, ${start}) took ${k.ledger.lockedOps - ops} locked ops to answer`);
      if (!may) this.guarded.push({ fileId, start });
    }
  }

  afterEvent(i: number, e: WorkloadEvent): string[] {
    const k = this.k!;
    const f = k.frames;
    const out = this.violations;
    const h = this.hole;
    const hugeAt = (file: ShmemFile | undefined, start: number) => {
      const p = file?.cache.get(start);
      return p !== undefined && f.order(p) > 0 ? p : -1;
    };
    if (h) {
      const file = k.files.get(h.file)!;
      const inHole = (idx: number) => idx >= h.start && idx < h.end;
      // The punched pages read zero, for the file ...
      for (const [idx, c] of fileContents(k, file)) if (inHole(idx) && c !== 0) out.push(`${h.file} page ${idx} was punched but reads ${c}`);
      // ... and for every process mapping it; the pages outside the hole keep what they held.
      for (const { mm, vma } of file.mappers) {
        for (let idx = Math.max(h.start, vma.pgoff); idx < Math.min(h.end, vma.pgoff + vma.pages); idx++) {
          const c = mappedContent(k, mm.pt(vma.addrOf(idx)), vma.addrOf(idx));
          if (c !== null && c !== 0) out.push(`pid ${mm.pid} maps ${h.file} page ${idx}, punched, and reads ${c}`);
        }
      }
      for (const [idx, c] of this.before)
        if (!inHole(idx) && fileRead(k, file, idx) !== c)
          out.push(`${h.file} page ${idx}, outside the hole, read ${c} and now reads ${fileRead(k, file, idx)}`);
      // What the policy's answers did.
      const kept: number[] = [];
      for (const a of this.answers) {
        if (a.event !== i) continue;
        const what = `${a.file} folio ${a.head} (index ${a.start}), punched at [${a.lo}, ${a.hi}), ${a.pinned ? 'pinned' : 'not pinned'}, answered ${a.split ? 'split' : 'keep'}`;
        const stillHuge = hugeAt(file, a.start) === a.head;
        if (a.split && !a.pinned) {
          if (stillHuge) out.push(`${what}: the folio was not split`);
          for (let j = a.lo; j < a.hi; j++) {
            if (!k.buddy.isFreePage(a.head + j)) out.push(`${what}: punched page ${a.head + j} was not freed`);
            if (file.cache.has(a.start + j)) out.push(`${what}: index ${a.start + j} is still cached`);
          }
        }
        if (!a.split && !stillHuge) out.push(`${what}: the folio is no longer in the cache whole`);
        if (stillHuge) for (let j = a.lo; j < a.hi; j++) kept.push(a.head + j);
        else if (a.split) this.splitRanges.add(`${file.id}:${a.start}`);
      }
      // Each kept punched page is truncated-retained waste: giving it data must take exactly its 4 KiB off that cause.
      const keptPages = [...new Set(kept)];
      if (keptPages.length > 0) {
        const w0 = k.waste.measure(k).wasteByCause['truncated-retained'];
        const saved = keptPages.map((p) => f.content[p]!);
        for (const p of keptPages) f.content[p] = k.nextToken();
        const w1 = k.waste.measure(k).wasteByCause['truncated-retained'];
        keptPages.forEach((p, j) => (f.content[p] = saved[j]!));
        if (w0 - w1 !== keptPages.length * PAGE_SIZE) {
          out.push(`${keptPages.length} punched pages kept in huge folios, but ${(w0 - w1) / PAGE_SIZE} of them counted as truncated-retained waste`);
        }
      }
      if (e.type === 'truncate')
        for (const key of [...this.splitRanges]) {
          const [fileId, start] = key.split(':').map(Number) as [number, number];
          if (fileId === file.id && start >= h.start) this.splitRanges.delete(key);
        }
    }
    // A range the policy keeps from collapsing back stays small.
    for (const g of this.guarded) {
      const file = k.fileById(g.fileId);
      if (hugeAt(file, g.start) >= 0) out.push(`${file!.name} range at index ${g.start}, split by a punch, is huge again though mayRecollapse answered false`);
    }
    for (const key of [...this.splitRanges]) {
      const [fileId, start] = key.split(':').map(Number) as [number, number];
      if (hugeAt(k.fileById(fileId), start) >= 0) this.splitRanges.delete(key);
    }
    // Every cached page reads what the file holds, for the file and for every mapper.
    for (const file of k.files.values()) {
      for (const [idx, c] of fileContents(k, file)) {
        const want = file.shadow.get(idx) ?? 0;
        if (c !== want) out.push(`${file.name} page ${idx} reads ${c}, the file holds ${want}`);
      }
      for (const { mm, vma } of file.mappers) {
        for (let a = vma.start; a < vma.end; a += PAGE_SIZE) {
          const c = mappedContent(k, mm.pt(a), a);
          if (c !== null && c !== fileRead(k, file, vma.pgoffOf(a)))
            out.push(`pid ${mm.pid} reads ${c} at ${a} (${file.name} page ${vma.pgoffOf(a)}), the page cache holds ${fileRead(k, file, vma.pgoffOf(a))}`);
        }
      }
    }
    // A design's guard marks (shmem_guard.ts) name only holes and small ranges.
    for (const file of k.files.values()) out.push(...guardViolations(k, file));
    if (k.ledger.currentDepth !== 0) out.push(`${k.ledger.currentDepth} locks still held after the event`);
    this.violations = [];
    this.hole = null;
    return out;
  }
}

/** What a present mapping at `addr` reads, or null when nothing is mapped there. */
function mappedContent(k: Kernel, pt: ReturnType<MM['pt']>, addr: number): number | null {
  if (!pt) return null;
  const i = Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR;
  if (pt.pmd > 0) return k.frames.content[ptePfn(pt.pmd) + i]!;
  const v = pt.ptes[i]!;
  return ptePresent(v) ? k.frames.content[ptePfn(v)]! : null;
}

/** One checked replay: the machine and the watcher; throws on the first violation, naming the event. */
export function replayShmemTruncate(
  policy: ShmemTruncatePolicy,
  events: readonly WorkloadEvent[],
  opts: ShmemTruncateMachineOptions & { /** kernel-core's invariants too (default true) */ invariants?: boolean } = {},
): { k: Kernel; watch: ShmemTruncateWatch } {
  const watch = new ShmemTruncateWatch(policy);
  const k = shmemTruncateKernel(watch.policy, opts);
  watch.attach(k);
  if (events.length > 0) watch.beforeEvent(0, events[0]!);
  runEvents(k, events, {
    check: opts.invariants ?? true,
    after: (i, e) => {
      const bad = watch.afterEvent(i, e);
      if (bad.length) throw new Error(`shmem-truncate contract broken after ${describeEvent(i, e)}:\n  ${bad.slice(0, 10).join('\n  ')}`);
      if (i + 1 < events.length) watch.beforeEvent(i + 1, events[i + 1]!);
    },
  });
  return { k, watch };
}

/** Everything a replay should reproduce exactly. */
export function shmemTruncateDigest(policy: ShmemTruncatePolicy, events: readonly WorkloadEvent[], opts: ShmemTruncateMachineOptions = {}): string {
  const watch = new ShmemTruncateWatch(policy);
  const k = shmemTruncateKernel(watch.policy, opts);
  const obs: unknown[] = [];
  runEvents(k, events, { after: () => void obs.push(...k.drain()) });
  const files = [...k.files.values()].map((f) => [f.name, f.size, [...f.cache].sort((a, b) => a[0] - b[0])]);
  return JSON.stringify({
    ledger: k.ledger.totals(),
    outcomes: k.outcomes.toJSON(),
    obs,
    answers: watch.answers,
    recollapse: watch.recollapseAnswers,
    files,
    waste: k.waste.measure(k),
    view: userView(k),
  });
}

/** Releases everything after `events` and returns what is left (every count should be 0). */
export function shmemTruncateLeftovers(policy: ShmemTruncatePolicy, events: readonly WorkloadEvent[], opts: ShmemTruncateMachineOptions = {}) {
  return axisLeftovers(shmemTruncateKernel(policy, opts), events, (k) => {
    let cachedPages = 0;
    for (const f of k.files.values()) cachedPages += f.cache.size;
    return { cachedPages };
  });
}

/** The ledger audit (audit.ts) after every event; returns the first event's complaints, or []. */
export function shmemTruncateAudit(policy: ShmemTruncatePolicy, events: readonly WorkloadEvent[], opts: ShmemTruncateMachineOptions = {}): string[] {
  return axisAudit(shmemTruncateKernel(policy, opts), events);
}

// ----------------------------------------------------- fixed scenario

const MB = 1 << 20;
const A = 64 * MB;

/**
 * A shmem THP written by one process and mapped by two; a pinned punch
 * (punch_hole_split) while a page of the folio is pinned, then an unpinned
 * punch (punch_hole) once the pin is gone; khugepaged and MADV_COLLAPSE over
 * the punched range; a truncate through the middle of the range; a write
 * past the new end after growing the file back.
 */
export const SHMEM_PUNCH_SCENARIO: readonly WorkloadEvent[] = [
  { type: 'spawn', pid: 1 },
  { type: 'mmap', pid: 1, addr: A, len: 2 * MB, kind: 'shmem', file: 'guest-ram' },
  { type: 'touch', pid: 1, addr: A, len: 2 * MB, write: true },
  { type: 'fork', parent: 1, child: 2 },
  { type: 'pin', pid: 1, addr: A + 100 * PAGE_SIZE, len: PAGE_SIZE, handle: 'vfio' },
  { type: 'fallocate', file: 'guest-ram', offset: 5 * PAGE_SIZE, len: PAGE_SIZE, mode: 'punch_hole_split' },
  { type: 'unpin', handle: 'vfio' },
  { type: 'fallocate', file: 'guest-ram', offset: 2 * PAGE_SIZE, len: 2 * PAGE_SIZE, mode: 'punch_hole' },
  { type: 'madvise', pid: 1, addr: A, len: 2 * MB, advice: 'hugepage' },
  { type: 'khugepaged', passes: 2 },
  { type: 'madvise', pid: 2, addr: A, len: 2 * MB, advice: 'collapse' },
  { type: 'touch', pid: 2, addr: A, len: 2 * MB, write: false },
  { type: 'truncate', file: 'guest-ram', size: 300 * PAGE_SIZE },
  { type: 'truncate', file: 'guest-ram', size: 2 * MB },
  { type: 'touch', pid: 1, addr: A + 400 * PAGE_SIZE, len: PAGE_SIZE, write: true },
  { type: 'exit', pid: 2 },
  { type: 'exit', pid: 1 },
  { type: 'truncate', file: 'guest-ram', size: 0 },
];

// ---------------------------------------------------------------- suite

/**
 * The suite (axis-suite.ts writes the cases every axis owes: plug-in,
 * determinism, leftovers, audit); the axis adds its contract and the fixed
 * punch scenario.
 */
export const runShmemTruncateConformance: <P>(descriptor: PolicyDescriptor<'shmem-truncate', P>, options?: ShmemTruncateConformanceOptions<P>) => void =
  defineAxisSuite<'shmem-truncate', ShmemTruncatePolicy, AxisSuiteOptions<unknown>>({
    axis: 'shmem-truncate',
    methods: ['splitOnPartialPunch', 'mayRecollapse'],
    seed: SHMEM_TRUNCATE_SEED,
    // The property tests replay dozens of random streams with full invariant walks: ~1-3 s idle, several times that on a
    // loaded 2-core machine, hence their budget.
    budgetMs: 60_000,
    streams: (o) => shmemTruncateStreams(o.stream),
    kernel: (policy, o) => shmemTruncateKernel(policy, { params: o.params ?? {} }),
    replay: (policy, events, o) => void replayShmemTruncate(policy, events, { params: o.params ?? {} }),
    contract:
      "keeps kernel-core's invariants, every reader's content, zeroes in every hole, data outside it, and each answer's consequences after every event of random streams",
    digest: (policy, events, o) => shmemTruncateDigest(policy, events, { params: o.params ?? {} }),
    digestHolds: 'ledger totals, outcomes, observations, answers and waste',
    leftovers: (policy, events, o) => shmemTruncateLeftovers(policy, events, { params: o.params ?? {} }),
    released: 'every pin and process is gone and every file truncated',
    cases: ({ make, options }) => {
      it('honours its answers on a pinned and an unpinned punch of a shmem THP, and its recollapse answer after them', () => {
        const { watch } = replayShmemTruncate(make(), SHMEM_PUNCH_SCENARIO, { params: options.params ?? {} });
        // Asked about the pinned punch, the unpinned one (unless the first split the folio) and the truncate.
        expect(watch.answers.some((a) => a.pinned)).toBe(true);
        expect(watch.answers.some((a) => !a.pinned)).toBe(true);
      });
    },
  });
