/** The event sequences of docs/kernel/mm-facts.md §8 S1, S2, S4 and S20 that every sharedness package tests its answers on, and khugepaged's shared-PTE count over them. */
import type { WorkloadEvent } from '@pagelab/events';
import { type Kernel, type SharednessPolicy, HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE, ZERO_PFN, ptePfn, ptePresent } from '@pagelab/kernel-core';
import { applySharednessEvents, mappedPfn, sharednessKernel } from './machine.js';

// ---------------------------------------------------- scenario sequences

export const MB = 1 << 20;
/** The 2 MiB range R the scenarios fault their THP F into. */
export const SCENARIO_RANGE = 64 * MB;
export const R = SCENARIO_RANGE;
export const pg = (i: number) => R + i * PAGE_SIZE;

export interface SharednessScenario {
  /** docs/kernel/mm-facts.md scenario id. */
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
export const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

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
