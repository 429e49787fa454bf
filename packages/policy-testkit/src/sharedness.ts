/**
 * Conformance suite of the sharedness axis ("is this folio mapped shared?"),
 * plus the event sequences of semantics.md §8 S1, S2, S4 and S20 that every
 * sharedness package tests its answers on.
 *
 * The suite replays random fork / touch / munmap / madvise(dontneed) / mmap /
 * exit / reclaim streams (fast-check, fixed seed) on a small machine whose
 * other axes are kernel-core's reference policies, and after every event:
 *   - checks the model's invariants;
 *   - recounts every mapping from the page tables and compares the policy's
 *     own bookkeeping with it (what the policy claims to keep);
 *   - asks the policy about every mapped page and checks the answer against
 *     the recount: small folios exact, a large folio mapped at most once is
 *     exclusive, asking is free (no locked op, no state change), plus the
 *     error guarantees the policy claims (semantics.md §5.4: P exact per
 *     page; L no false positives for anon; M no false negatives, exact while
 *     at most two MMs have mapped the folio at once);
 * and checks that a replay of the same stream gives the same answers and
 * the same ledger.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WorkloadEvent } from '@pagelab/events';
import {
  type Kernel,
  type PolicyDescriptor,
  type SharednessPolicy,
  HPAGE_PMD_NR,
  HPAGE_PMD_SIZE,
  PAGE_SIZE,
  PG,
  ZERO_PFN,
  addRmapPtes,
  applyChecked,
  applyEvent,
  checkInvariants,
  describeViolation,
  entireMapcount,
  ptePfn,
  ptePresent,
  removeRmapPtes,
  testKernel,
} from '@pagelab/kernel-core';
import { STREAM_MACHINE, STREAM_SETTINGS, runEvents, streamArbitrary, propertyParams } from './streams.js';

/** `_nr_pages_mapped`'s "PMD-mapped" bit (mm/internal.h ENTIRELY_MAPPED). */
const ENTIRELY_MAPPED = 0x800000;

// ------------------------------------------------------------- the machine

/** A small test machine (kernel-core's testKernel: 64 MiB, one node) with `policy` on the sharedness axis. */
export function sharednessKernel(policy: SharednessPolicy): Kernel {
  return testKernel({ policies: { sharedness: policy } });
}

/** Applies events in order, failing on the first invariant violation. */
export function applySharednessEvents(k: Kernel, events: readonly WorkloadEvent[]): Kernel {
  return applyChecked(k, events);
}

/** The pfn a process's address maps (PTE or PMD), or -1 when nothing present is there. */
export function mappedPfn(k: Kernel, pid: number, addr: number): number {
  const pt = k.mm(pid).pt(addr);
  if (!pt) return -1;
  const i = Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR;
  if (pt.pmd > 0) return ptePfn(pt.pmd) + i;
  const v = pt.ptes[i]!;
  return ptePresent(v) ? ptePfn(v) : -1;
}

// ---------------------------------------------------- scenario sequences

const MB = 1 << 20;
/** The 2 MiB range R the scenarios fault their THP F into. */
export const SCENARIO_RANGE = 64 * MB;
const R = SCENARIO_RANGE;
const pg = (i: number) => R + i * PAGE_SIZE;

export interface SharednessScenario {
  /** semantics.md scenario id. */
  id: 'S1' | 'S2' | 'S4' | 'S20';
  events: WorkloadEvent[];
  /** The 2 MiB-aligned range R that F was faulted into. */
  range: number;
  /** The process whose PTEs khugepaged would scan, and the pages of F it maps (F's page index k is at R + k * 4 KiB). */
  scanPid: number;
  sharedPages: readonly number[];
}

/** P (pid 1) write-faults a THP F into R and forks C (pid 2): F is PMD-mapped by both. */
function thpForked(): WorkloadEvent[] {
  return [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: R, len: HPAGE_PMD_SIZE, kind: 'anon' },
    { type: 'touch', pid: 1, addr: R, len: HPAGE_PMD_SIZE, write: true },
    { type: 'fork', parent: 1, child: 2 },
  ];
}
/** Both P and C drop F's pages outside [first, last] (madvise DONTNEED: PMDs split, F stays PTE-mapped, queued, not split). */
function bothKeep(first: number, last: number): WorkloadEvent[] {
  const out: WorkloadEvent[] = [];
  for (const pid of [1, 2]) {
    if (first > 0) out.push({ type: 'madvise', pid, addr: R, len: first * PAGE_SIZE, advice: 'dontneed' });
    if (last < HPAGE_PMD_NR - 1) out.push({ type: 'madvise', pid, addr: pg(last + 1), len: (HPAGE_PMD_NR - 1 - last) * PAGE_SIZE, advice: 'dontneed' });
  }
  return out;
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/**
 * S1, the seed-003 false negative: P and C both map pg 1..256 of F (R/O,
 * CoW-shared), pg 0 and 257..511 are mapped by nobody, and P's slot 0 holds
 * a writable exclusive small page. No reclaim, so F is partially mapped and
 * queued for deferred split but not split: total mapcount 512, pg 0 mapcount 0.
 */
export function s1Scenario(): SharednessScenario {
  return {
    id: 'S1',
    events: [...thpForked(), ...bothKeep(1, 256), { type: 'touch', pid: 1, addr: pg(0), len: PAGE_SIZE, write: true }],
    range: R,
    scanPid: 1,
    sharedPages: range(1, 256),
  };
}
/** S2: as S1 but P and C map pg 0..255 (the first subpage is mapped), P's slot 256 holds the writable page. */
export function s2Scenario(): SharednessScenario {
  return {
    id: 'S2',
    events: [...thpForked(), ...bothKeep(0, 255), { type: 'touch', pid: 1, addr: pg(256), len: PAGE_SIZE, write: true }],
    range: R,
    scanPid: 1,
    sharedPages: range(0, 255),
  };
}
/** S20: P and C both map pg 1..300 (total mapcount 600 > 512), one writable page in P's slot 0, 211 none. */
export function s20Scenario(): SharednessScenario {
  return {
    id: 'S20',
    events: [...thpForked(), ...bothKeep(1, 300), { type: 'touch', pid: 1, addr: pg(0), len: PAGE_SIZE, write: true }],
    range: R,
    scanPid: 1,
    sharedPages: range(1, 300),
  };
}
/**
 * S4 (ML-DH-mmid "Example 2"): MM A (pid 1) maps 2 PTEs of F (pg 0, 1), MM B
 * (pid 2, forked) maps them too, MM C (pid 3, forked) maps them as well;
 * then A and B unmap R. C alone maps F, by 2 PTEs: total mapcount 2.
 */
export function s4Scenario(): SharednessScenario {
  return {
    id: 'S4',
    events: [
      { type: 'spawn', pid: 1 },
      { type: 'mmap', pid: 1, addr: R, len: HPAGE_PMD_SIZE, kind: 'anon' },
      { type: 'touch', pid: 1, addr: R, len: HPAGE_PMD_SIZE, write: true },
      { type: 'madvise', pid: 1, addr: pg(2), len: (HPAGE_PMD_NR - 2) * PAGE_SIZE, advice: 'dontneed' },
      { type: 'fork', parent: 1, child: 2 },
      { type: 'fork', parent: 1, child: 3 },
      { type: 'munmap', pid: 1, addr: R, len: HPAGE_PMD_SIZE },
      { type: 'munmap', pid: 2, addr: R, len: HPAGE_PMD_SIZE },
    ],
    range: R,
    scanPid: 3,
    sharedPages: [0, 1],
  };
}

/**
 * khugepaged's `shared` counter over one PMD range of `pid` (T612
 * hpage_collapse_scan_pmd): one per present, non-zero-page PTE whose page
 * the policy calls shared.
 */
export function scanSharedCount(k: Kernel, policy: SharednessPolicy, pid: number, base: number): number {
  const pt = k.mm(pid).pt(base);
  if (!pt || pt.pmd > 0) return 0;
  let shared = 0;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const v = pt.ptes[i]!;
    if (ptePresent(v) && ptePfn(v) !== ZERO_PFN && policy.mappedShared(k, ptePfn(v))) shared++;
  }
  return shared;
}

/**
 * A scenario replayed under `policy`: the kernel, the head of the scanned
 * folio F, `asks(i)` = the policy's answer for F's page i as the scanned
 * process maps it, and `shared()` = khugepaged's shared count over the range.
 */
export function replaySharednessScenario<P extends SharednessPolicy>(policy: P, s: SharednessScenario) {
  const k = applySharednessEvents(sharednessKernel(policy), s.events);
  const pfnOf = (i: number) => mappedPfn(k, s.scanPid, s.range + i * 4096);
  const head = k.frames.head(pfnOf(s.sharedPages[0]!));
  return { k, head, policy, asks: (i: number) => policy.mappedShared(k, pfnOf(i)), shared: () => scanSharedCount(k, policy, s.scanPid, s.range) };
}

/** What one rmap operation sequence cost, from the ledger. */
export interface RmapCost {
  lockedOps: number;
  lockAcquisitions: number;
  byKind: Record<string, number>;
  bySite: Record<string, number>;
}

/**
 * The locked-op cost of mapping one more PTE of a large folio and unmapping
 * it again (folio_add_rmap_ptes + folio_remove_rmap_ptes, nr = 1) under
 * `policy`. Setup: P write-faults a THP F, then drops pg 0 with DONTNEED (its
 * PMD is split, F is PTE-mapped by pg 1..511 and already queued for deferred
 * split, so the unmap takes no split_queue_lock). Then P gains and loses one
 * more mapping of F's page `page` (0: a page nobody maps, so it goes 0 -> 1
 * -> 0; 1..511: a page P maps already). The state is the same afterwards.
 */
export function onePteMapUnmapCost(policy: SharednessPolicy, page: number): RmapCost {
  const k = applySharednessEvents(sharednessKernel(policy), [
    { type: 'spawn', pid: 1 },
    { type: 'mmap', pid: 1, addr: R, len: HPAGE_PMD_SIZE, kind: 'anon' },
    { type: 'touch', pid: 1, addr: R, len: HPAGE_PMD_SIZE, write: true },
    { type: 'madvise', pid: 1, addr: R, len: PAGE_SIZE, advice: 'dontneed' },
  ]);
  const mm = k.mm(1);
  const head = k.frames.head(mappedPfn(k, 1, pg(1)));
  const before = k.ledger.totals();
  addRmapPtes(k, mm, head + page, 1);
  removeRmapPtes(k, mm, head + page, 1);
  const after = k.ledger.totals();
  const bad = checkInvariants(k).map(describeViolation);
  if (bad.length > 0) throw new Error(`state not restored after the map + unmap:\n  ${bad.join('\n  ')}`);
  const diff = (a: Record<string, number>, b: Record<string, number>) => {
    const o: Record<string, number> = {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = (a[key] ?? 0) - (b[key] ?? 0);
      if (d !== 0) o[key] = d;
    }
    return o;
  };
  return {
    lockedOps: after.lockedOps - before.lockedOps,
    lockAcquisitions: after.lockAcquisitions - before.lockAcquisitions,
    byKind: diff(after.lockedOpsByKind, before.lockedOpsByKind),
    bySite: diff(after.lockedOpsBySite, before.lockedOpsBySite),
  };
}

// -------------------------------------------------------------- recount

/** Every mapping of one folio, recounted from the page tables. */
export interface FolioRecount {
  head: number;
  order: number;
  anon: boolean;
  pmdMaps: number;
  /** PTE mappings per page of the folio. */
  pteMaps: Int32Array;
  /** Σ PTE + Σ PMD mappings (folio_mapcount). */
  total: number;
  /** mappings (PTEs and PMDs) per MM id. */
  byMm: Map<number, number>;
}

/** Recounts every present mapping of every folio from the page tables of all processes. */
export function recountFolios(k: Kernel): Map<number, FolioRecount> {
  const f = k.frames;
  const out = new Map<number, FolioRecount>();
  const get = (head: number): FolioRecount => {
    let r = out.get(head);
    if (!r) {
      r = { head, order: f.order(head), anon: f.test(head, PG.anon), pmdMaps: 0, pteMaps: new Int32Array(f.nrPages(head)), total: 0, byMm: new Map() };
      out.set(head, r);
    }
    return r;
  };
  for (const mm of k.mms.values()) {
    for (const pt of mm.pts.values()) {
      if (pt.pmd > 0) {
        const r = get(ptePfn(pt.pmd));
        r.pmdMaps++;
        r.total++;
        r.byMm.set(mm.mmId, (r.byMm.get(mm.mmId) ?? 0) + 1);
        continue;
      }
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        const v = pt.ptes[i]!;
        if (!ptePresent(v) || ptePfn(v) === ZERO_PFN) continue;
        const pfn = ptePfn(v);
        const r = get(f.head(pfn));
        r.pteMaps[pfn - r.head]!++;
        r.total++;
        r.byMm.set(mm.mmId, (r.byMm.get(mm.mmId) ?? 0) + 1);
      }
    }
  }
  return out;
}

/** Whether some page of the folio is mapped more than once (by PTEs plus PMDs): the per-page truth P answers. */
export function somePageMappedTwice(r: FolioRecount): boolean {
  for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! + r.pmdMaps > 1) return true;
  return false;
}

// ---------------------------------------------------------------- claims

/** The error guarantees a sharedness policy claims (semantics.md §5.4). */
export interface SharednessClaims {
  /** P: the answer for a page is exactly page_mapcount(page) > 1. */
  exactPerPage?: boolean;
  /** L: for anon folios, "shared" implies some page of the folio is mapped more than once. */
  noFalsePositivesAnon?: boolean;
  /**
   * M: a folio mapped by two different MMs always answers "shared". (The
   * question is about MMs: a file folio one MM maps twice, through two VMAs
   * over one file range, is that MM's alone, and 6.15 answers "exclusive".)
   */
  noFalseNegatives?: boolean;
  /** M: while at most two MMs have mapped the folio at once (since it was last unmapped), "shared" iff two MMs map it. */
  exactWithTwoMms?: boolean;
}

/** Readers of the bookkeeping a policy keeps in the frames, so the suite can hold it against the recount. */
export interface SharednessBookkeeping {
  /** `_large_mapcount` (logical): must equal Σ PTE + Σ PMD mappings. */
  largeMapcount?(k: Kernel, head: number): number;
  /** raw `_nr_pages_mapped`: pages with a PTE mapping, plus ENTIRELY_MAPPED while PMD-mapped. */
  nrPagesMapped?(k: Kernel, head: number): number;
  /** MM-id owner slots: distinct MMs that map the folio, each count in 1..(that MM's mappings); free slots 0. */
  mmIdSlots?(k: Kernel, head: number): readonly { mmId: number; mapcount: number }[];
  /** MAYBE_SHARED: set whenever two different MMs map the folio. */
  maybeShared?(k: Kernel, head: number): boolean;
}

export interface SharednessConformanceOptions {
  claims?: SharednessClaims;
  bookkeeping?: SharednessBookkeeping;
  /** fast-check runs (streams) per property; default 30. */
  numRuns?: number;
  /** fast-check seed; fixed so the suite is reproducible. */
  seed?: number;
}

/** Per-folio memory the checks need across events: the most MMs that mapped it at once since it was last unmapped. */
export type MmHistory = Map<number, number>;

/**
 * Every sharedness check on the current state; returns violations as
 * sentences. `history` is updated (call once per event, in order).
 */
export function checkSharedness(k: Kernel, policy: SharednessPolicy, opts: SharednessConformanceOptions, history: MmHistory): string[] {
  const out: string[] = [];
  const f = k.frames;
  const claims = opts.claims ?? {};
  const bk = opts.bookkeeping ?? {};
  const maps = recountFolios(k);

  // The policy's own bookkeeping, on every large folio in use (mapped or not).
  const large: number[] = [];
  k.lru.forEach((head) => {
    if (f.order(head) >= 2) large.push(head);
  });
  for (const head of large) {
    const r = maps.get(head);
    const total = r?.total ?? 0;
    const mms = r?.byMm.size ?? 0;
    if (total === 0) history.delete(head);
    else history.set(head, Math.max(history.get(head) ?? 0, mms));
    if (bk.largeMapcount) {
      const v = bk.largeMapcount(k, head);
      if (v !== total) out.push(`folio ${head}: _large_mapcount ${v} but ${total} page-table mappings`);
    }
    if (bk.nrPagesMapped) {
      let pages = 0;
      if (r) for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! > 0) pages++;
      const want = pages + ((r?.pmdMaps ?? 0) > 0 ? ENTIRELY_MAPPED : 0);
      const v = bk.nrPagesMapped(k, head);
      if (v !== want) out.push(`folio ${head}: _nr_pages_mapped ${v.toString(16)} but the page tables give ${want.toString(16)}`);
    }
    if (bk.mmIdSlots) {
      const slots = bk.mmIdSlots(k, head);
      let sum = 0;
      const seen = new Set<number>();
      for (const s of slots) {
        if (s.mmId === 0) {
          if (s.mapcount !== 0) out.push(`folio ${head}: a free MM-id slot holds mapcount ${s.mapcount}`);
          continue;
        }
        if (seen.has(s.mmId)) out.push(`folio ${head}: MM id ${s.mmId} holds two slots`);
        seen.add(s.mmId);
        const own = r?.byMm.get(s.mmId) ?? 0;
        if (s.mapcount < 1 || s.mapcount > own) out.push(`folio ${head}: slot of MM ${s.mmId} counts ${s.mapcount}, but that MM maps it ${own} times`);
        sum += s.mapcount;
      }
      if (sum > total) out.push(`folio ${head}: slot counts sum to ${sum} > ${total} mappings`);
    }
    if (bk.maybeShared) {
      const bit = bk.maybeShared(k, head);
      if (mms >= 2 && !bit) out.push(`folio ${head}: ${mms} MMs map it but MAYBE_SHARED is clear`);
      if (claims.exactWithTwoMms && (history.get(head) ?? 0) <= 2 && bit !== mms >= 2) {
        out.push(`folio ${head}: MAYBE_SHARED ${bit} with ${mms} MMs mapping it (never more than two at once)`);
      }
    }
  }

  // The answer for every mapped page (PTE-mapped pages, and the head of a PMD-mapped folio).
  for (const r of maps.values()) {
    const anyTwice = somePageMappedTwice(r);
    const ask = (pfn: number, per: number) => {
      const before = k.ledger.lockedOps;
      const a = policy.mappedShared(k, pfn);
      const again = policy.mappedShared(k, pfn);
      if (k.ledger.lockedOps !== before) out.push(`pfn ${pfn}: answering took ${k.ledger.lockedOps - before} locked ops`);
      if (a !== again) out.push(`pfn ${pfn}: two answers in a row differ`);
      const where = `pfn ${pfn} (folio ${r.head}, order ${r.order}, ${r.total} mappings by ${r.byMm.size} MMs, page_mapcount ${per})`;
      if (r.order < 2) {
        if (a !== per > 1) out.push(`${where}: small folio answered ${a}`);
        return;
      }
      if (r.total <= 1 && a) out.push(`${where}: mapped once, answered shared`);
      if (claims.exactPerPage && a !== per > 1) out.push(`${where}: answered ${a}, page_mapcount > 1 is ${per > 1}`);
      if (claims.noFalsePositivesAnon && r.anon && a && !anyTwice) out.push(`${where}: false positive (no page mapped twice)`);
      if (claims.noFalseNegatives && !a && r.byMm.size >= 2) out.push(`${where}: false negative`);
      if (claims.exactWithTwoMms && r.total > 1 && (history.get(r.head) ?? 0) <= 2 && a !== r.byMm.size >= 2) {
        out.push(`${where}: answered ${a} though at most two MMs ever mapped it at once`);
      }
    };
    if (r.pmdMaps > 0) ask(r.head, r.pteMaps[0]! + r.pmdMaps);
    for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! > 0) ask(r.head + i, r.pteMaps[i]! + r.pmdMaps);
  }
  // The common rmap counts the policies read must agree with the recount too (checkInvariants covers
  // per-page _mapcount; entire mapcount only for folios on the LRU, so check every mapped one here).
  for (const r of maps.values()) {
    if (r.order >= 2 && entireMapcount(f, r.head) !== r.pmdMaps) out.push(`folio ${r.head}: entire mapcount ${entireMapcount(f, r.head)} but ${r.pmdMaps} PMDs`);
  }
  return out;
}

// ----------------------------------------------------- random streams

/** The region every random stream works in: two THPs' worth at a 2 MiB boundary. */
const REGION = 128 * MB;
const REGION_PAGES = 2 * HPAGE_PMD_NR;
const MAX_PROCS = 5;

/** One abstract step of a random stream, made concrete against the live state when it is applied. */
export type SharednessOp =
  | { op: 'fork'; who: number }
  | { op: 'exit'; who: number }
  | { op: 'touch' | 'dontneed' | 'munmap' | 'mmap'; who: number; page: number; pages: number; write: boolean }
  | { op: 'reclaim'; pages: number };

const who = fc.nat(64);
const span = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(1, 2, 255, 256, 257, 300, 511, 512, 1024));
const ranged = (op: 'touch' | 'dontneed' | 'munmap' | 'mmap') =>
  fc.record({ op: fc.constant(op), who, page: fc.integer({ min: 0, max: REGION_PAGES - 1 }), pages: span, write: fc.boolean() });
const opArb: fc.Arbitrary<SharednessOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fork' as const), who }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), who }) },
  { weight: 5, arbitrary: ranged('touch') },
  { weight: 4, arbitrary: ranged('dontneed') },
  { weight: 2, arbitrary: ranged('munmap') },
  { weight: 1, arbitrary: ranged('mmap') },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reclaim' as const), pages: fc.constantFrom(1, 64, 512) }) },
);
/** Streams start with one process that has write-faulted two THPs, then go random. */
export const sharednessStreams: fc.Arbitrary<SharednessOp[]> = fc.array(opArb, { minLength: 8, maxLength: 60, size: 'max' });

/**
 * Turns an abstract op into a valid event for the current state (or null
 * when it does not apply): picks a live pid, clamps ranges to one VMA,
 * keeps one process alive and at most MAX_PROCS.
 */
function concretize(k: Kernel, op: SharednessOp, nextPid: () => number): WorkloadEvent | null {
  const live = [...k.mms.keys()].sort((a, b) => a - b);
  if (op.op === 'reclaim') return { type: 'reclaim', pages: op.pages };
  const pid = live[op.who % live.length]!;
  switch (op.op) {
    case 'fork':
      return live.length < MAX_PROCS ? { type: 'fork', parent: pid, child: nextPid() } : null;
    case 'exit':
      return live.length > 1 ? { type: 'exit', pid } : null;
    default: {
      const start = REGION + op.page * PAGE_SIZE;
      let end = REGION + Math.min(REGION_PAGES, op.page + op.pages) * PAGE_SIZE;
      const mm = k.mm(pid);
      if (op.op === 'munmap') return { type: 'munmap', pid, addr: start, len: end - start };
      if (op.op === 'mmap') {
        if (mm.vmas.some((v) => v.start < end && start < v.end)) return null;
        return { type: 'mmap', pid, addr: start, len: end - start, kind: 'anon' };
      }
      const v = mm.findVma(start);
      if (!v) return null;
      end = Math.min(end, v.end);
      if (op.op === 'touch') return { type: 'touch', pid, addr: start, len: end - start, write: op.write };
      return { type: 'madvise', pid, addr: start, len: end - start, advice: 'dontneed' };
    }
  }
}

/** One replay: the events actually applied, one answer digest per event, and the final ledger. */
export interface SharednessReplay {
  events: WorkloadEvent[];
  answers: string[];
  ledger: ReturnType<Kernel['ledger']['totals']>;
}

/**
 * Replays one stream under `policy`, checking after every event; throws
 * with the event and the violations on the first failure.
 */
export function replaySharednessStream(policy: SharednessPolicy, ops: readonly SharednessOp[], opts: SharednessConformanceOptions = {}): SharednessReplay {
  const k = sharednessKernel(policy);
  const history: MmHistory = new Map();
  let pid = 1;
  const events: WorkloadEvent[] = [];
  const answers: string[] = [];
  const step = (e: WorkloadEvent) => {
    applyEvent(k, e, events.length + 1);
    events.push(e);
    const bad = [...checkInvariants(k).map(describeViolation), ...checkSharedness(k, policy, opts, history)];
    if (bad.length > 0) throw new Error(`after event ${events.length} ${JSON.stringify(e)} of\n${events.map((x) => JSON.stringify(x)).join('\n')}\n  ${bad.join('\n  ')}`);
    let digest = '';
    for (const r of recountFolios(k).values()) {
      for (let i = 0; i < r.pteMaps.length; i++) if (r.pteMaps[i]! > 0) digest += policy.mappedShared(k, r.head + i) ? '1' : '0';
    }
    answers.push(digest);
  };
  step({ type: 'spawn', pid: 1 });
  step({ type: 'mmap', pid: 1, addr: REGION, len: REGION_PAGES * PAGE_SIZE, kind: 'anon' });
  step({ type: 'touch', pid: 1, addr: REGION, len: REGION_PAGES * PAGE_SIZE, write: true });
  for (const op of ops) {
    const e = concretize(k, op, () => ++pid);
    if (e) step(e);
  }
  return { events, answers, ledger: k.ledger.totals() };
}

// ---------------------------------------------------------------- suite

/**
 * Registers the sharedness-axis conformance tests (vitest) for a policy
 * descriptor. `opts.claims` and `opts.bookkeeping` say what the policy
 * promises beyond what every sharedness policy must do.
 */
export function runSharednessConformance<P>(d: PolicyDescriptor<'sharedness', P>, opts: SharednessConformanceOptions = {}): void {
  const create = () => d.create(d.defaults);
  const fcOpts = propertyParams(opts.seed ?? 0x5eed0003, opts.numRuns ?? 30);

  describe(`sharedness conformance: ${d.id}`, () => {
    it('is a sharedness plug-in whose defaults decode and whose policy has the descriptor id', () => {
      expect(d.axis).toBe('sharedness');
      expect(d.params.is(d.defaults)).toBe(true);
      expect(d.params.decode(d.defaults)._tag).toBe('Right');
      expect(create().id).toBe(d.id);
      expect(d.models.length).toBeGreaterThan(0);
    });

    it('keeps the invariants, its bookkeeping and its claimed guarantees after every event of random fork/touch/munmap/dontneed/exit streams', () => {
      fc.assert(
        fc.property(sharednessStreams, (ops) => {
          replaySharednessStream(create(), ops, opts);
        }),
        fcOpts,
      );
    });

    it('keeps the invariants, its bookkeeping and its claimed guarantees after every event of random streams of every event type', () => {
      fc.assert(
        fc.property(streamArbitrary(), (events) => {
          const policy = create();
          const k = testKernel({ config: STREAM_MACHINE, settings: STREAM_SETTINGS, policies: { sharedness: policy } });
          const history: MmHistory = new Map();
          runEvents(k, events, {
            check: true,
            after: (i, e) => {
              const bad = checkSharedness(k, policy, opts, history);
              if (bad.length > 0) throw new Error(`after event #${i} ${JSON.stringify(e)}:\n  ${bad.join('\n  ')}`);
            },
          });
        }),
        fcOpts,
      );
    });

    it('answers the S1 state exactly for its small folios and never says "shared" for a folio mapped once', () => {
      const s = s1Scenario();
      const policy = create();
      const k = applySharednessEvents(sharednessKernel(policy), s.events);
      const bad = checkSharedness(k, policy, opts, new Map());
      expect(bad).toEqual([]);
      // P's slot 0 holds its own small page, mapped once.
      expect(policy.mappedShared(k, mappedPfn(k, 1, s.range))).toBe(false);
    });

    it('replays a stream to the same answers and the same ledger (determinism)', () => {
      fc.assert(
        fc.property(sharednessStreams, (ops) => {
          const a = replaySharednessStream(create(), ops, opts);
          const b = replaySharednessStream(create(), ops, opts);
          expect(b.events).toEqual(a.events);
          expect(b.answers).toEqual(a.answers);
          expect(b.ledger).toEqual(a.ledger);
        }),
        { ...fcOpts, numRuns: Math.max(5, Math.floor(fcOpts.numRuns / 3)) },
      );
    });
  });
}
